"""The claim summary's CSV against the month's lines read another way: a streamed
response whose rows are exactly the month's claim lines (names as written, a corrected
claim shown once, as its replacement, money by the ledger's rule), the header out before
any line is read, and the read audit naming exactly the claims and clients the file holds.
"""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext

from billing.eob import EobLine, eob_post
from billing.forms import LIVE_STATUSES
from billing.ledger import claim_lines_money
from billing.models import Claim, ClaimLine
from billing.services import (
    claim_correct,
    claim_record_payer_number,
    claim_replace,
    claim_submit,
    claims_build,
)
from practice.common import pointed_codes
from practice.models import AccessEvent
from tests import factories
from tests.billing.test_corrections import _recode
from tests.billing.test_services import ready_session

pytestmark = pytest.mark.django_db

D = Decimal
URL = "/billing/summary/"
OCTOBER = {"start": "2026-10-01", "end": "2026-10-31"}


@pytest.fixture(autouse=True)
def frozen(time_machine):
    time_machine.move_to(datetime.datetime(2026, 11, 15, 15, 0, tzinfo=datetime.UTC), tick=False)


@pytest.fixture
def month(practice_row, biller_user):
    """October's claims of two payers, built by the product's own services: clients with
    names as written (Thảo Nguyễn, Zoë Ångström), one claim paid with a write-off and the
    client's share, one corrected (its replacement, frequency 7, bills the month; the
    replaced claim must not), and a November session outside the month."""
    acme = factories.PayerFactory(name="Acme Sąlud")
    blue = factories.PayerFactory(name="Blue Ridge Mutual")
    thao = factories.CoverageFactory(
        payer=acme, client__first_name="Thảo", client__last_name="Nguyễn"
    ).client
    zoe = factories.CoverageFactory(
        payer=acme, client__first_name="Zoë", client__last_name="Ångström"
    ).client
    ana = factories.CoverageFactory(
        payer=blue, client__first_name="Ana", client__last_name="Núñez"
    ).client
    for client, day in [(thao, 6), (thao, 13), (zoe, 8), (ana, 9), (ana, 30)]:
        ready_session(client, date=datetime.date(2026, 10, day))
    ready_session(zoe, date=datetime.date(2026, 11, 3))
    claims = {claim.client_id: claim for claim in claims_build().claims}
    paid = claim_submit(claim=claims[thao.pk])
    eob_post(
        claim=paid,
        received_on=datetime.date(2026, 11, 10),
        check_number="501",
        lines=[
            EobLine(line, D("100.00"), (("CO", "45", D("30.00")), ("PR", "3", D("30.00"))))
            for line in paid.lines.order_by("position")[:1]
        ],
    )
    corrected = claim_submit(claim=claims[ana.pk])
    claim_record_payer_number(claim=corrected, number="PAYER-77")
    corrected.refresh_from_db()
    claim_correct(claim=corrected, reason="45 minutes", payer_claim_number="PAYER-77")
    _recode(corrected.lines.order_by("position").first().service_line.session, "90834")
    replacement = claim_replace(claim=corrected)
    return {"acme": acme, "replaced": corrected, "replacement": replacement}


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


def month_lines(start: datetime.date, end: datetime.date) -> list[list[str]]:
    """The month's lines as the CSV should write them, read line by line through the
    models: live claims (not void, replaced, discarded or being corrected), no void
    claim (frequency 8), the patient as the claim printed them, diagnoses by pointer,
    Paid and Balance by the ledger's rule (``claim_lines_money``)."""
    lines = list(
        ClaimLine.objects.filter(
            date_of_service__range=(start, end), claim__status__in=LIVE_STATUSES
        )
        .exclude(claim__frequency=Claim.Frequency.VOID)
        .select_related("claim__payer")
        .prefetch_related("claim__diagnoses")
    )
    money = claim_lines_money([line.pk for line in lines])
    rows = []
    for line in lines:
        claim = line.claim
        patient = claim.parties["patient"]
        codes = [d.code for d in sorted(claim.diagnoses.all(), key=lambda d: d.position)]
        paid = money[line.pk].paid if line.pk in money else D("0.00")
        balance = money[line.pk].balance(line.charge) if line.pk in money else line.charge
        modifiers = [line.modifier_1, line.modifier_2, line.modifier_3, line.modifier_4]
        rows.append(
            [
                claim.payer.name,
                claim.control_number,
                f"{patient['last_name']}, {patient['first_name']}",
                line.date_of_service.isoformat(),
                line.place_of_service,
                line.procedure_code,
                " ".join(m for m in modifiers if m),
                str(line.units),
                " ".join(pointed_codes(line.diagnosis_pointers, codes)),
                f"{line.charge:.2f}",
                "" if line.expected_allowed is None else f"{line.expected_allowed:.2f}",
                f"{paid:.2f}",
                f"{balance:.2f}",
            ]
        )
    return rows


def test_the_csv_is_streamed_and_its_rows_are_the_months_lines(biller, month):
    response = biller.get(URL, OCTOBER)
    totals = response.context["summary"]
    response = biller.get(URL, {**OCTOBER, "format": "csv"})
    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    header, *rows = csv_rows(response)
    assert header[0] == "Payer"
    expected = month_lines(datetime.date(2026, 10, 1), datetime.date(2026, 10, 31))
    assert len(rows) == 5
    assert sorted(rows) == sorted(expected)
    # Payer after payer by name, a claim's lines together.
    assert [row[0] for row in rows] == ["Acme Sąlud"] * 3 + ["Blue Ridge Mutual"] * 2
    assert {row[2] for row in rows} == {"Nguyễn, Thảo", "Ångström, Zoë", "Núñez, Ana"}
    # The corrected claim is there once, as its replacement.
    controls = {row[1] for row in rows}
    assert month["replacement"].control_number in controls
    assert month["replaced"].control_number not in controls
    assert [row[5] for row in rows if row[1] == month["replacement"].control_number] == [
        "90834",
        "90837",
    ]
    # The paid line: 160.00 charged, 100.00 paid, 30.00 written off, 30.00 the client's.
    assert ["160.00", "100.00", "30.00"] in [row[9:10] + row[11:] for row in rows]
    # The page's totals add up the same lines.
    assert totals.line_count == len(rows)
    assert totals.charge == sum(D(row[9]) for row in rows)
    assert totals.paid == sum(D(row[11]) for row in rows) == D("100.00")
    assert totals.balance == sum(D(row[12]) for row in rows)
    assert totals.claim_count == len(controls) == 3


def test_an_empty_month_and_a_payer_without_claims_stream_the_header_alone(biller, month):
    for params in [
        {"start": "2027-01-01", "end": "2027-01-31"},
        {**OCTOBER, "payers": factories.PayerFactory(name="Nobody Mutual").pk},
    ]:
        response = biller.get(URL, {**params, "format": "csv"})
        assert isinstance(response, StreamingHttpResponse)
        assert len(csv_rows(response)) == 1


def test_the_header_row_goes_out_before_any_line_is_read(
    biller, month, django_assert_max_num_queries
):
    biller.get(URL, OCTOBER)  # the form's payers cached
    # Before the first chunk: the login session, the user, the user's roles, the claims
    # and clients for the audit (one query), the audit (the access and its clients), the
    # session save and the request's savepoints (ATOMIC_REQUESTS). No totals, no lines.
    with django_assert_max_num_queries(11), CaptureQueriesContext(connection) as seen:
        response = biller.get(URL, {**OCTOBER, "format": "csv"})
        chunks = iter(response.streaming_content)
        first = next(chunks)
    assert first.decode("utf-8-sig").startswith("Payer,Claim control number,Client")
    assert not [q for q in seen.captured_queries if "billing_paymentallocation" in q["sql"]]
    # The rest: the lines in one query, the diagnoses of each chunk of claims.
    with django_assert_max_num_queries(3):
        rest = b"".join(chunks).decode()
    assert rest.count("\n") == 5


def test_the_audit_names_exactly_the_claims_and_clients_of_the_file(biller, month):
    b"".join(biller.get(URL, {**OCTOBER, "format": "csv"}).streaming_content)
    event = AccessEvent.objects.get(what="Claim summary CSV")
    live = Claim.objects.filter(status__in=LIVE_STATUSES, lines__date_of_service__month=10)
    assert event.object_type == "claim"
    assert event.object_ids == sorted(set(live.values_list("pk", flat=True)))
    assert month["replaced"].pk not in event.object_ids
    clients = sorted(event.client_links.values_list("client_id", flat=True))
    assert clients == sorted(set(live.values_list("client_id", flat=True)))
    assert event.client_count == 3
