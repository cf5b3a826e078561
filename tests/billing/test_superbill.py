"""Superbills: content, pages, the empty range, and who may download one."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from pypdf import PdfReader

from billing import services
from billing.models import Claim, DiagnosisCode, ProcedureCode
from billing.outputs.superbill import (
    Superbill,
    SuperbillRow,
    amount_paid_for,
    draw_superbill,
    render_superbill,
    superbill_for,
)
from billing.payments import client_payment_record
from practice.models import Client, Practice, Session
from tests import factories

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 3, 2)
START, END = datetime.date(2026, 3, 1), datetime.date(2026, 3, 31)


def attended(client, *, date=DAY, code="90837", status=Session.Status.READY, codes=("F41.1",),
             charge="160.00", modifiers=(), **kw):  # fmt: skip
    session = factories.SessionFactory(client=client, date=date, status=status, **kw)
    for position, icd in enumerate(codes, start=1):
        diagnosis = client.diagnoses.filter(code__code=icd).first() or factories.DiagnosisFactory(
            client=client, code=DiagnosisCode.objects.get(code=icd), rank=position
        )
        factories.SessionDiagnosisFactory(session=session, diagnosis=diagnosis, position=position)
    mods = {f"modifier_{n}": modifier for n, modifier in enumerate(modifiers, start=1)}
    factories.ServiceLineFactory(
        session=session,
        position=1,
        procedure=ProcedureCode.objects.get(code=code),
        charge=Decimal(charge),
        **mods,
    )
    return session


def text_of(data: bytes) -> list[str]:
    """Each page's text, runs of white space (wrapped cells) as one space."""
    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(data)).pages]


@pytest.fixture
def self_pay(clinician):
    return factories.ClientFactory(
        first_name="Zoë",
        last_name="Nguyễn",
        self_pay=True,
        primary_clinician=clinician,
        date_of_birth=datetime.date(1990, 7, 14),
    )


def test_a_superbill_has_what_an_insurer_needs(self_pay, clinician):
    attended(self_pay, date=DAY, modifiers=("95",), place_of_service=factories.pos("10"))
    attended(self_pay, date=DAY + datetime.timedelta(days=7), code="90834", charge="130.00",
             status=Session.Status.BILLED, codes=("F41.1", "F43.10"))  # fmt: skip
    (page,) = text_of(render_superbill(self_pay, START, END))
    for expected in (
        "Riverbend Counseling Group PLLC",
        "120 Main St Ste 4",
        "Tax ID (EIN): 12-3456789",
        clinician.npi,
        f"{clinician.license_number} IL",
        "LCSW",
        "Zoë Nguyễn",  # as written: a Unicode font, nothing transliterated
        "Date of birth: 07/14/1990",
        "03/02/2026",
        "03/09/2026",
        "90837",
        ProcedureCode.objects.get(code="90837").description,
        "90834",
        ProcedureCode.objects.get(code="90834").description,
        "Places of service (POS): 10",
        "95",
        "F41.1",
        "Generalized anxiety disorder",
        "F43.10",
        "290.00",  # total fee
        "Signature of",
    ):
        assert expected in page, expected


def test_no_shows_drafts_and_other_dates_stay_off(self_pay):
    attended(self_pay, date=DAY)
    attended(self_pay, date=DAY + datetime.timedelta(days=1), status=Session.Status.NO_SHOW)
    attended(self_pay, date=DAY + datetime.timedelta(days=2), status=Session.Status.DRAFT)
    attended(self_pay, date=END + datetime.timedelta(days=1))
    bill = superbill_for(client=self_pay, start=START, end=END)
    assert [row.date for row in bill.rows] == [DAY]
    assert bill.total_fee == Decimal("160.00")
    assert bill.total_balance == Decimal("160.00")


def test_paid_is_zero_until_the_client_pays(self_pay):
    session = attended(self_pay)
    lines = list(session.lines.all())
    assert amount_paid_for(lines) == {lines[0].pk: Decimal("0.00")}
    (page,) = text_of(render_superbill(self_pay, START, END))
    assert "160.00 0.00 160.00" in page


def test_the_clients_payments_show_as_paid_oldest_session_first(self_pay, time_machine):
    time_machine.move_to(datetime.datetime(2026, 3, 20, 12, tzinfo=datetime.UTC), tick=False)
    attended(self_pay, date=DAY)
    attended(self_pay, date=DAY + datetime.timedelta(days=7))
    client_payment_record(client=self_pay, amount=Decimal("200.00"), method="cash", received_on=DAY)
    bill = superbill_for(client=self_pay, start=START, end=END)
    assert [(row.paid, row.balance) for row in bill.rows] == [
        (Decimal("160.00"), Decimal("0.00")),
        (Decimal("40.00"), Decimal("120.00")),
    ]
    (page,) = text_of(draw_superbill(bill))
    assert "320.00 200.00 120.00" in page  # the totals row


def test_an_insured_client_shows_the_member_id(clinician):
    coverage = factories.CoverageFactory(client__primary_clinician=clinician, member_id="MEM4242")
    attended(coverage.client)
    (page,) = text_of(render_superbill(coverage.client, START, END))
    assert "Member ID: MEM4242" in page


def test_an_ssn_prints_as_ssn(self_pay, practice_row):
    practice_row.tax_id, practice_row.tax_id_type = "123-45-6789", "SSN"
    practice_row.save()
    attended(self_pay)
    (page,) = text_of(render_superbill(self_pay, START, END))
    assert "SSN: 123-45-6789" in page


def test_a_long_superbill_repeats_the_table_header_on_each_page(self_pay):
    for n in range(60):
        attended(self_pay, date=datetime.date(2025, 1, 1) + datetime.timedelta(days=n))
    pages = text_of(render_superbill(self_pay, datetime.date(2025, 1, 1), END))
    assert len(pages) >= 2
    for number, page in enumerate(pages, start=1):
        assert "Description" in page and "Balance" in page
        assert f"Page {number} of {len(pages)}" in page
    assert "9,600.00" in pages[-1]  # 60 × 160.00


def test_the_superbill_of_a_supervised_associate_names_the_supervisor(practice_row):
    supervisor = factories.ClinicianFactory(first_name="Pat", last_name="Senior", credentials="PhD")
    associate = factories.ClinicianFactory(supervisor=supervisor)
    client = factories.ClientFactory(primary_clinician=associate, self_pay=True)
    attended(client)
    (page,) = text_of(render_superbill(client, START, END))
    assert associate.npi in page and "Supervised by: Pat Senior, PhD" in page


# --- Views ---------------------------------------------------------------------------


def url(client_pk, start=START, end=END):
    return f"{reverse('billing:superbill')}?client={client_pk}&start={start}&end={end}"


def test_a_biller_downloads_a_superbill(client, biller_user, self_pay):
    attended(self_pay)
    client.force_login(biller_user)
    response = client.get(url(self_pay.pk))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'attachment; filename="superbill-{self_pay.account_number}-20260301-20260331.pdf"'
    )
    assert "90837" in text_of(response.content)[0]


def test_an_empty_range_shows_the_form_with_a_message(client, biller_user, self_pay):
    attended(self_pay)
    client.force_login(biller_user)
    response = client.get(url(self_pay.pk, datetime.date(2025, 1, 1), datetime.date(2025, 1, 31)))
    assert response.status_code == 400
    assert "is left to put on a superbill" in response.content.decode()
    assert response.context["form"]["client"].value() == str(self_pay.pk)  # kept as chosen


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("", "client", "Choose the client the superbill is for."),
        ("start=2026-03-01&end=2026-03-31", "client", "Choose the client the superbill is for."),
        ("client={pk}&start=2026-03-01", "end", "Give the last date of service."),
        ("client={pk}&start=2026-02-30&end=2026-03-31", "start", "Give a date."),
        ("client={pk}&start=soon&end=2026-03-31", "start", "Give a date."),
        ("client={pk}&start=2026-03-31&end=2026-03-01", "end", "The last date is before"),
        ("client={other}&start=2026-03-01&end=2026-03-31", "client", "Choose a client from"),
    ],
)  # fmt: skip
def test_bad_parameters_show_the_form_with_the_reason_beside_the_field(
    client, biller_user, self_pay, query, field, message
):
    attended(self_pay)
    client.force_login(biller_user)
    query = query.format(pk=self_pay.pk, other=self_pay.pk + 99)
    response = client.get(f"{reverse('billing:superbill')}?{query}")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert beside(response, field).startswith(message)


def beside(response, field: str) -> str:
    """The error text crispy forms prints under a field (its ``invalid-feedback``)."""
    html = response.content.decode()
    marker = f'id="error_1_id_{field}"'
    assert marker in html, html
    text = html.split(marker, 1)[1].split(">", 1)[1].split("</", 1)[0]
    return " ".join(text.replace("<strong>", "").split())


def test_a_malformed_client_number_is_a_plain_400_like_every_other_id(
    client, biller_user, self_pay
):
    client.force_login(biller_user)
    response = client.get(f"{reverse('billing:superbill')}?client=x&start=2026-03-01")
    assert response.status_code == 400
    assert response.content.decode() == "client must be a record number (digits 0–9), not 'x'."


def test_an_unknown_client_shows_the_form_with_the_reason(client, biller_user, self_pay):
    client.force_login(biller_user)
    response = client.get(url(self_pay.pk + 99))
    assert response.status_code == 400
    assert beside(response, "client").startswith("Choose a client from the list")
    form = client.get(reverse("billing:superbill_form") + f"?client={self_pay.pk + 99}")
    assert form.status_code == 400
    assert beside(form, "client").startswith("Choose a client from the list")


def test_the_form_without_a_client_offers_the_clients_to_choose_from(
    client, clinician_user, self_pay, other_clinician
):
    someone_elses = factories.ClientFactory(primary_clinician=other_clinician, last_name="Okafor")
    client.force_login(clinician_user)
    response = client.get(reverse("billing:superbill_form"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Choose a client" in html and f'value="{self_pay.pk}"' in html
    assert someone_elses.last_name not in html


def test_a_clinician_downloads_superbills_for_their_own_clients_only(
    client, clinician_user, other_clinician_user, self_pay
):
    attended(self_pay)
    client.force_login(clinician_user)
    assert client.get(url(self_pay.pk)).status_code == 200
    client.force_login(other_clinician_user)
    for response in (
        client.get(url(self_pay.pk)),
        client.get(reverse("billing:superbill_form") + f"?client={self_pay.pk}"),
    ):
        # Refused exactly like a number that does not exist: nothing about the client.
        assert response.status_code == 400
        assert response["Content-Type"].startswith("text/html")
        assert self_pay.last_name not in response.content.decode()


def test_a_clinician_sees_only_their_own_sessions_on_a_shared_client(
    client, clinician_user, other_clinician, self_pay
):
    attended(self_pay, date=DAY)
    attended(self_pay, date=DAY + datetime.timedelta(days=1), clinician=other_clinician)
    client.force_login(clinician_user)
    (page,) = text_of(client.get(url(self_pay.pk)).content)
    assert "03/02/2026" in page and "03/03/2026" not in page
    assert other_clinician.npi not in page


def test_the_form_page_warns_when_the_practice_bills_under_an_ssn(
    client, biller_user, self_pay, practice_row
):
    client.force_login(biller_user)
    form = reverse("billing:superbill_form") + f"?client={self_pay.pk}"
    response = client.get(form)
    assert response.status_code == 200
    assert b"Social Security number" not in response.content
    practice_row.tax_id, practice_row.tax_id_type = "123-45-6789", "SSN"
    practice_row.save()
    assert b"Social Security number" in client.get(form).content


def test_superbill_queries_do_not_grow_with_the_number_of_sessions(
    client, biller_user, self_pay, django_assert_max_num_queries
):
    attended(self_pay, date=DAY)
    client.force_login(biller_user)
    # Login session, user, role groups; client; sessions, their lines (with codes), their
    # diagnoses (with codes); the client's payments applied to those lines; the practice;
    # the coverage; the session's activity stamp; two savepoints around each (atomic
    # requests); +2, the read audit's access and client.
    queries = 17
    with django_assert_max_num_queries(queries):
        assert client.get(url(self_pay.pk)).status_code == 200
    for n in range(1, 20):
        attended(self_pay, date=DAY + datetime.timedelta(days=n), codes=("F41.1", "F43.10"))
    with django_assert_max_num_queries(queries):
        assert client.get(url(self_pay.pk)).status_code == 200


def test_the_licensed_cpt_descriptor_never_prints(self_pay):
    ProcedureCode.objects.filter(code="90837").update(official_descriptor="LICENSED TEXT XYZ")
    attended(self_pay)
    (page,) = text_of(render_superbill(self_pay, START, END))
    assert "LICENSED TEXT XYZ" not in page
    assert ProcedureCode.objects.get(code="90837").description in page


# --- Issue 9, finding 10 ------------------------------------------------------------------


@pytest.fixture
def insured(clinician):
    return factories.CoverageFactory(
        client__primary_clinician=clinician, client__first_name="Thảo", client__last_name="Nguyễn"
    ).client


def on_claim(session: Session) -> Claim:
    (claim,) = services.claims_build(session_ids=[session.pk]).claims
    return claim


def sent(claim: Claim) -> Claim:
    """The claim as if it went out (the submit service would scrub it first)."""
    Claim.objects.filter(pk=claim.pk).update(status=Claim.Status.SUBMITTED)
    claim.refresh_from_db()
    return claim


def test_services_billed_to_an_insurer_stay_off_the_superbill(insured):
    days = [DAY + datetime.timedelta(days=n) for n in range(6)]
    drafted, paid, correcting, discarded, voided, unbilled = (
        attended(insured, date=day) for day in days
    )
    on_claim(drafted)
    Claim.objects.filter(pk=on_claim(paid).pk).update(status=Claim.Status.PAID)
    services.claim_correct(
        claim=sent(on_claim(correcting)), reason="Wrong code", payer_claim_number="PCN-1"
    )
    services.claim_discard(claim=on_claim(discarded))
    services.claim_void(claim=sent(on_claim(voided)), reason="Billed the wrong payer")
    bill = superbill_for(client=insured, start=START, end=END)
    # Drafted, paid and being-corrected services are the payer's; a discarded claim never
    # left and a voided one was taken back, so those the client may claim themselves.
    assert [row.date for row in bill.rows] == [discarded.date, voided.date, unbilled.date]


def test_a_name_prints_with_its_accents(insured):
    attended(insured)
    (page,) = text_of(render_superbill(insured, START, END))
    assert "Thảo Nguyễn" in page
    assert "Superbill for Thảo Nguyễn" in page  # the footer too


def bill_of(rows: int) -> Superbill:
    """A superbill of ``rows`` services, drawn without the database."""
    client = Client(
        pk=42, first_name="Thảo", last_name="Nguyễn", date_of_birth=datetime.date(1990, 1, 2)
    )
    clinician = factories.ClinicianFactory.build(first_name="Ana", last_name="Ruiz")
    return Superbill(
        client=client,
        start=START,
        end=END,
        practice=Practice(name="Riverbend Counseling Group PLLC", tax_id="12-3456789"),
        clinicians=[clinician],
        diagnoses=[("F41.1", "Generalized anxiety disorder")],
        rows=[
            SuperbillRow(
                date=START,
                place_of_service="11",
                code="90837",
                modifiers=(),
                units=1,
                description="Psychotherapy, 60 minutes",
                diagnoses=("F41.1",),
                fee=Decimal("160.00"),
                paid=Decimal("0.00"),
            )
        ]
        * rows,
        places={"11": "Office"},
    )


def test_no_page_holds_only_the_closing_notices():
    """Wherever the services end, the last page carries the totals and the signature with
    the notices (before, 25 services left the certification and trademark lines alone on
    a second page): the closing block moves over whole or not at all."""
    boundary = None
    for rows in range(10, 60):
        pages = text_of(draw_superbill(bill_of(rows)))
        last = pages[-1]
        assert "Totals" in last and "Signature of Ana Ruiz" in last, rows
        assert "CPT is a registered trademark" in last, rows
        if len(pages) == 2 and boundary is None:
            boundary = rows
            # The first row count that needs a second page: every service fits the
            # first, and the closing block opens the second.
            assert pages[0].count("90837") == rows and last.startswith("Totals"), last
        if boundary is not None and rows >= boundary + 2:
            break
    assert boundary is not None


def test_the_client_page_links_to_the_superbill(client, clinician_user, biller_user, self_pay):
    link = f'href="{reverse("billing:superbill_form")}?client={self_pay.pk}"'
    for user in (clinician_user, biller_user):
        client.force_login(user)
        page = client.get(reverse("practice:client_detail", args=[self_pay.pk]))
        assert link in page.content.decode()
    form = client.get(reverse("billing:superbill_form") + f"?client={self_pay.pk}")
    assert form.status_code == 200
    assert f'<option value="{self_pay.pk}" selected>' in form.content.decode()


def test_the_form_lists_any_number_of_clients_in_one_query(
    client, biller_user, self_pay, django_assert_max_num_queries
):
    client.force_login(biller_user)
    form = reverse("billing:superbill_form") + f"?client={self_pay.pk}"
    # Login session, user, role groups; the chosen client; the read audit's access and
    # client; the practice; the user's clinician row (menu); the clients for the select
    # (one query, however many); the session's activity stamp; two savepoint pairs
    # (atomic requests).
    with django_assert_max_num_queries(14) as first:
        assert client.get(form).status_code == 200
    factories.ClientFactory.create_batch(15)
    with django_assert_max_num_queries(len(first.captured_queries)):
        response = client.get(form)
    assert response.content.decode().count("<option") == 17  # the empty choice and 16
