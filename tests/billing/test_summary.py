"""The claim summary per insurer (billing/views/summary.py): totals per payer on the page,
each payer's claims on a page of its own, totals per claim, per payer and overall against
hand-computed amounts, the streamed CSV and print forms, bad input, and a query count that
does not grow with the number of claims."""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.utils.html import escape

from billing.models import Claim, ProcedureCode
from billing.services import claims_build
from billing.views.summary import CSV_HEADER
from tests import factories
from tests.billing.test_claim_views import Line, make_claim
from tests.billing.test_services import ready_session

pytestmark = pytest.mark.django_db

D = Decimal
OCT = datetime.date(2026, 10, 1)
# "Now": mid-November, so the default range is October 2026.
NOW = datetime.datetime(2026, 11, 15, 15, 0, tzinfo=datetime.UTC)
URL = "/billing/summary/"


def day(n: int, month: int = 10) -> datetime.date:
    return datetime.date(2026, month, n)


def section_url(payer) -> str:
    return f"/billing/summary/payer/{payer.pk}/"


def text(response) -> str:
    """The body, read from the stream when streamed (the CSV and the print view)."""
    if response.streaming:
        return b"".join(response.streaming_content).decode("utf-8-sig")
    return response.content.decode("utf-8-sig")


@pytest.fixture(autouse=True)
def frozen(time_machine):
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def biller(client, biller_user):
    client.force_login(biller_user)
    return client


@pytest.fixture
def october(practice_row, clinician):
    """Two payers, three claims in October, and claims the summary must leave out.

    Acme Health
      Zoë O'Brien-Ångström, 7 lines: charges 965.00, expected allowed 626.50 (one line has
        no rate on file)
      Sam Lee, 1 of 2 lines in October: 130.00 / 98.00 (the November line is not counted)
      payer total 1,095.00 / 724.50
    Blue Ridge Mutual
      Ana Núñez, 2 lines: 325.00 / 250.35
    Grand total 1,420.00 / 974.85
    """
    acme = factories.PayerFactory(name="Acme Health", payer_id="60054")
    blue = factories.PayerFactory(name="Blue Ridge Mutual", payer_id="00390")

    def coverage(payer, first, last):
        return factories.CoverageFactory(
            payer=payer,
            client__first_name=first,
            client__last_name=last,
            client__primary_clinician=clinician,
        )

    zoe = coverage(acme, "Zoë", "O'Brien-Ångström")
    sam = coverage(acme, "Sam", "Lee")
    ana = coverage(blue, "Ana", "Núñez")
    seven = make_claim(
        zoe,
        [
            Line(day(1), "90837", D("160.00"), D("120.00")),
            Line(day(5), "90837", D("160.00"), D("120.00")),
            Line(day(8), "90834", D("130.00"), D("98.00"), ("95",), pos="10"),
            Line(day(12), "90834", D("130.00"), None),
            Line(day(15), "90791", D("200.00"), D("150.00")),
            Line(day(19), "90837", D("160.00"), D("120.00"), pointers="AB"),
            Line(day(19), "90785", D("25.00"), D("18.50"), ("95", "HO"), pointers="B"),
        ],
        codes=("F41.1", "F32.A"),
    )
    spanning = make_claim(
        sam,
        [
            Line(day(20), "90834", D("130.00"), D("98.00")),
            Line(day(3, 11), "90834", D("130.00"), D("98.00")),
        ],
        status=Claim.Status.PAID,
    )
    blue_claim = make_claim(
        ana,
        [
            Line(day(2), "90837", D("175.00"), D("140.25")),
            Line(day(30), "90846", D("150.00"), D("110.10"), units=1),
        ],
        codes=("F43.23",),
        status=Claim.Status.READY,
    )
    # Left out: a voided claim, the void claim (frequency 8) sent for a submitted one, and
    # a September claim.
    voided = make_claim(zoe, [Line(day(9), "90837", D("999.00"))], status=Claim.Status.VOID)
    make_claim(
        zoe,
        [Line(day(9), "90837", D("888.00"))],
        status=Claim.Status.READY,
        frequency=Claim.Frequency.VOID,
        original=voided,
    )
    make_claim(sam, [Line(day(28, 9), "90837", D("777.00"))])
    return {
        "acme": acme,
        "blue": blue,
        "seven": seven,
        "spanning": spanning,
        "blue_claim": blue_claim,
        "voided": voided,
    }


def test_totals_per_claim_per_payer_and_overall_match_hand_computed_amounts(biller, october):
    response = biller.get(URL)
    assert response.status_code == 200
    summary = response.context["summary"]
    assert (summary.start, summary.end) == (OCT, day(31))  # last month by default
    assert [group.payer.name for group in summary.payers] == ["Acme Health", "Blue Ridge Mutual"]
    acme, blue = summary.payers
    assert (acme.charge, acme.allowed, acme.lines, acme.without_rate, acme.claim_count) == (
        D("1095.00"),
        D("724.50"),
        8,
        1,
        2,
    )
    assert (blue.charge, blue.allowed, blue.lines, blue.claim_count) == (
        D("325.00"),
        D("250.35"),
        2,
        1,
    )
    assert (summary.charge, summary.allowed) == (D("1420.00"), D("974.85"))
    assert summary.claim_count == 3
    body = response.content.decode()
    for amount in ["$1,095.00", "$724.50", "$325.00", "$250.35", "$1,420.00", "$974.85"]:
        assert amount in body, amount
    # The totals page names no client: each payer's claims are on its own page.
    assert "Núñez" not in body and "Brien" not in body
    query = "start=2026-10-01&amp;end=2026-10-31"
    assert f'href="{section_url(october["acme"])}?{query}' in body
    assert f'href="{section_url(october["blue"])}?{query}' in body

    page = biller.get(section_url(october["acme"]), {"start": "2026-10-01", "end": "2026-10-31"})
    assert page.status_code == 200
    group = page.context["group"]
    assert [c.pk for c in group.claims] == [october["spanning"].pk, october["seven"].pk]
    spanning, seven = group.claims
    assert (seven.range_charge, seven.range_allowed, seven.range_lines) == (
        D("965.00"),
        D("626.50"),
        7,
    )
    assert (spanning.range_charge, spanning.range_allowed, spanning.range_lines) == (
        D("130.00"),
        D("98.00"),
        1,
    )
    assert (group.charge, group.allowed, group.lines, group.claim_count) == (
        D("1095.00"),
        D("724.50"),
        8,
        2,
    )
    body = page.content.decode()
    for text_ in ["$965.00", "$626.50", "$1,095.00", "$724.50",
                  "(claim total $260.00 with 2 lines, some outside this range)"]:  # fmt: skip
        assert text_ in body, text_
    assert escape("O'Brien-Ångström, Zoë") in body and "Núñez" not in body
    assert "$999.00" not in body and "$888.00" not in body and "$777.00" not in body
    blue_body = biller.get(section_url(october["blue"])).content.decode()
    assert "Núñez, Ana" in blue_body and "$325.00" in blue_body and "Brien" not in blue_body


def test_the_seventh_line_shows_its_codes_modifiers_and_diagnoses(biller, october):
    group = biller.get(section_url(october["acme"])).context["group"]
    seventh = group.claims[1].summary_lines[6]
    assert (seventh.position, seventh.procedure_code) == (7, "90785")
    assert seventh.modifiers == ["95", "HO"]
    assert seventh.diagnosis_codes == ["F32.A"]
    sixth = group.claims[1].summary_lines[5]
    assert sixth.diagnosis_codes == ["F41.1", "F32.A"]


def test_payers_and_statuses_narrow_the_summary(biller, october):
    only_blue = biller.get(URL, {"payers": october["blue"].pk}).context["summary"]
    assert [g.payer.name for g in only_blue.payers] == ["Blue Ridge Mutual"]
    assert only_blue.charge == D("325.00")
    acme = section_url(october["acme"])
    only_paid = biller.get(acme, {"statuses": "paid"}).context["group"]
    assert [c.pk for c in only_paid.claims] == [october["spanning"].pk]
    only_void = biller.get(acme, {"statuses": "void"}).context["group"]
    assert [c.pk for c in only_void.claims] == [october["voided"].pk]
    none_for_blue = biller.get(section_url(october["blue"]), {"statuses": "paid"})
    assert none_for_blue.context["group"].claims == []
    assert "No claims for Blue Ridge Mutual in this range." in none_for_blue.content.decode()


def test_a_payer_section_for_no_such_payer_is_404_and_bad_input_shows_the_form(biller, october):
    assert biller.get("/billing/summary/payer/999999/").status_code == 404
    response = biller.get(section_url(october["acme"]), {"start": "2026-02-30"})
    assert response.status_code == 200
    assert response.context["form"].errors["start"] == ["Enter a valid date."]


def test_an_explicit_range_counts_only_its_lines(biller, october):
    summary = biller.get(URL, {"start": "2026-10-19", "end": "2026-11-30"}).context["summary"]
    acme, blue = summary.payers
    assert acme.charge == D("160.00") + D("25.00") + D("130.00") + D("130.00")
    assert blue.charge == D("150.00")


def test_an_empty_month_says_so_with_a_zero_grand_total(biller, october):
    response = biller.get(URL, {"start": "2027-01-01", "end": "2027-01-31"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "No claims in this range." in body
    assert response.context["summary"].charge == D("0.00")
    grand = body[body.index("Grand total") :]
    assert "$0.00" in grand[:400]
    csv_response = biller.get(URL, {"start": "2027-01-01", "end": "2027-01-31", "format": "csv"})
    assert csv_response.streaming
    assert text(csv_response).splitlines() == [",".join(CSV_HEADER)]  # the header alone
    printed = text(biller.get(URL, {"start": "2027-01-01", "end": "2027-01-31", "print": "1"}))
    assert "No claims in this range." in printed and printed.rstrip().endswith("</html>")


def test_the_csv_has_a_header_and_exactly_the_rows(biller, october):
    response = biller.get(URL, {"format": "csv"})
    assert response.status_code == 200
    assert response.streaming  # written as the claims are read, never held whole
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="summary-2026-10-01-2026-10-31.csv"'
    )
    raw = b"".join(response.streaming_content)
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    seven = october["seven"].control_number
    spanning = october["spanning"].control_number
    blue = october["blue_claim"].control_number
    zoe = "O'Brien-Ångström, Zoë"
    # Nothing paid yet: Paid 0.00, Balance the whole charge (tests/billing/test_claim_money.py
    # has a paid claim).
    assert rows[0][11:] == ["Paid", "Balance"]
    assert all(row[11:] == ["0.00", row[9]] for row in rows[1:])
    assert [row[:11] for row in rows] == [
        ["Payer", "Claim control number", "Client", "Date of service", "POS", "Code",
         "Modifiers", "Units", "Diagnosis codes", "Charge", "Expected allowed"],
        ["Acme Health", spanning, "Lee, Sam", "2026-10-20", "11", "90834", "", "1", "F41.1",
         "130.00", "98.00"],
        ["Acme Health", seven, zoe, "2026-10-01", "11", "90837", "", "1", "F41.1", "160.00",
         "120.00"],
        ["Acme Health", seven, zoe, "2026-10-05", "11", "90837", "", "1", "F41.1", "160.00",
         "120.00"],
        ["Acme Health", seven, zoe, "2026-10-08", "10", "90834", "95", "1", "F41.1", "130.00",
         "98.00"],
        ["Acme Health", seven, zoe, "2026-10-12", "11", "90834", "", "1", "F41.1", "130.00",
         ""],
        ["Acme Health", seven, zoe, "2026-10-15", "11", "90791", "", "1", "F41.1", "200.00",
         "150.00"],
        ["Acme Health", seven, zoe, "2026-10-19", "11", "90837", "", "1", "F41.1 F32.A",
         "160.00", "120.00"],
        ["Acme Health", seven, zoe, "2026-10-19", "11", "90785", "95 HO", "1", "F32.A",
         "25.00", "18.50"],
        ["Blue Ridge Mutual", blue, "Núñez, Ana", "2026-10-02", "11", "90837", "", "1",
         "F43.23", "175.00", "140.25"],
        ["Blue Ridge Mutual", blue, "Núñez, Ana", "2026-10-30", "11", "90846", "", "1",
         "F43.23", "150.00", "110.10"],
    ]  # fmt: skip
    charges = [D(row[9]) for row in rows[1:]]
    assert sum(charges) == D("1420.00")


def test_a_csv_cell_that_looks_like_a_formula_is_quoted(biller, practice_row, clinician):
    coverage = factories.CoverageFactory(
        client__first_name="x",
        client__last_name="=HYPERLINK(1)",
        client__primary_clinician=clinician,
    )
    make_claim(coverage, [Line(day(6))])
    rows = list(csv.reader(io.StringIO(text(biller.get(URL, {"format": "csv"})))))
    assert rows[1][2] == "'=HYPERLINK(1), x"


def test_the_print_view_links_the_print_stylesheet_and_has_no_navigation(
    biller, october, practice_row
):
    response = biller.get(URL, {"print": "1"})
    assert response.status_code == 200
    assert response.streaming
    body = text(response)
    assert 'href="/static/css/print.css"' in body
    assert "<nav" not in body and "navbar" not in body and "Log out" not in body
    # The practice header heads every table, so it prints at the top of every page.
    assert body.count('class="print-header"') == 3  # totals, Acme, Blue Ridge
    for words in [
        practice_row.name,
        practice_row.npi,
        practice_row.tax_id,
        "Services 10/01/2026 – 10/31/2026",
        "Printed 11/15/2026",
    ]:
        assert words in body, words
    assert body.count("page-break") == 2  # each payer starts a new page
    assert "data-print" in body and "js/app.js" in body  # the button prints (static/js/app.js)
    # Every payer's claims, in order, and the document closes.
    assert body.index("Lee, Sam") < body.index(escape("O'Brien-Ångström, Zoë"))
    assert body.index(escape("O'Brien-Ångström, Zoë")) < body.index("Núñez, Ana")
    assert "Total Acme Health: 2 claims, 8 lines" in body
    assert body.rstrip().endswith("</html>") and body.count("</main>") == 1


def test_the_screen_page_prints_too(biller, october):
    body = biller.get(URL).content.decode()
    assert 'href="/static/css/print.css" media="print"' in body
    assert "data-print" in body and "js/app.js" in body  # the button prints (static/js/app.js)
    assert "d-none d-print-table-row" in body  # the practice header, shown on paper only
    assert "print=1" in body and "format=csv" in body


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"start": "2026-10-31", "end": "2026-10-01"}, "end",
         "The end date is before the start date."),
        ({"start": "2026-02-30", "end": "2026-03-31"}, "start", "Enter a valid date."),
        ({"start": "", "end": "2026-03-31"}, "start", "This field is required."),
        ({"payers": "not-a-payer"}, "payers", "“not-a-payer” is not a valid value."),
        ({"statuses": "lost"}, "statuses",
         "Select a valid choice. lost is not one of the available choices."),
    ],
)  # fmt: skip
def test_invalid_input_shows_the_form_with_messages_and_a_400_csv(
    biller, practice_row, params, field, message
):
    factories.PayerFactory()  # a checkbox list shows its error after its last box
    response = biller.get(URL, params)
    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    assert response.context["summary"] is None
    body = response.content.decode()
    assert 'id="summary-errors"' in body  # a summary of the errors above the form
    assert f'id="id_{field}_error"' in body or f"error_1_id_{field}" in body  # and beside it
    csv_response = biller.get(URL, {**params, "format": "csv"})
    assert csv_response.status_code == 400
    assert field in csv_response.content.decode()


def test_a_claim_built_from_sessions_shows_the_payers_expected_allowed(biller, practice_row):
    coverage = factories.CoverageFactory()
    factories.PayerRateFactory(
        payer=coverage.payer,
        procedure=ProcedureCode.objects.get(code="90837"),
        allowed_amount=D("121.37"),
    )
    ready_session(coverage.client, date=day(5))
    claims_build()
    summary = biller.get(URL).context["summary"]
    assert (summary.charge, summary.allowed) == (D("160.00"), D("121.37"))


@pytest.mark.parametrize("claims", [1, 50])
def test_the_summary_runs_the_same_queries_for_1_or_50_claims(
    biller, clinician, django_assert_max_num_queries, claims
):
    payers = [factories.PayerFactory() for _ in range(3)]
    for n in range(claims):
        coverage = factories.CoverageFactory(
            payer=payers[n % 3],
            client__first_name="Zoë" if n % 2 else "Thảo",
            client__last_name=f"Nguyễn-{n}",
            client__primary_clinician=clinician,
        )
        make_claim(coverage, [Line(day(1 + n % 28)), Line(day(2), "90785", D("25.00"))])
    # The totals page: the login session, the user, the user's roles, the user's
    # clinician row (menu), the totals per payer with what payers paid and wrote off (one
    # aggregate query), the practice for the header, the session save, and the request's
    # savepoints (ATOMIC_REQUESTS); the form's payers come from the cache after the first
    # request (billing/choices.py). None of them per claim or per payer.
    biller.get(URL)
    with django_assert_max_num_queries(11):
        response = biller.get(URL)
    assert response.context["summary"].claim_count == claims
    # A payer's section: the payer, its in-range lines with their claims and money (one
    # query), their claims' diagnoses, and the read audit (the access and its clients).
    with django_assert_max_num_queries(15):
        response = biller.get(section_url(payers[0]))
    assert len(response.context["group"].claims) == (claims + 2) // 3
    # Streamed: the totals, the ids for the audit, the audit, then the lines (one query)
    # and the diagnoses of each chunk of 500 claims.
    with django_assert_max_num_queries(16):
        response = biller.get(URL, {"format": "csv", "payers": [p.pk for p in payers]})
        body = text(response)
    assert response.streaming
    assert len(body.splitlines()) == 1 + 2 * claims
    assert "Nguyễn-0, Thảo" in body
    with django_assert_max_num_queries(16):
        body = text(biller.get(URL, {"print": "1"}))
    assert body.count("summary-claim") == claims
