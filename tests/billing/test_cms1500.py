"""CMS-1500 PDFs: what each box prints, page breaks, modes, and the download views."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from billing.models import Claim, DiagnosisCode, Payer, ProcedureCode
from billing.outputs import cms1500
from billing.outputs.cms1500 import claims_for_print, render_cms1500
from billing.services import claim_correct, claim_replace, claim_submit, claims_build
from billing.views.outputs import MAX_BATCH
from practice.models import Session
from tests import factories

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 10, 5)


def billed_session(client, *, date=DAY, code="90837", modifiers=(), pos="11", codes=("F41.1",),
                   **kw):  # fmt: skip
    """A ready session with one service line, the way the session form leaves it."""
    session = factories.SessionFactory(
        client=client,
        date=date,
        status=Session.Status.READY,
        place_of_service=factories.pos(pos),
        **kw,
    )
    for position, icd in enumerate(codes, start=1):
        diagnosis = client.diagnoses.filter(code__code=icd).first() or factories.DiagnosisFactory(
            client=client, code=DiagnosisCode.objects.get(code=icd), rank=position
        )
        factories.SessionDiagnosisFactory(session=session, diagnosis=diagnosis, position=position)
    mods = {f"modifier_{n}": modifier for n, modifier in enumerate(modifiers, start=1)}
    factories.ServiceLineFactory(
        session=session, position=1, procedure=ProcedureCode.objects.get(code=code), **mods
    )
    return session


def build_one(client, sessions: int = 1, **kw) -> Claim:
    for n in range(sessions):
        billed_session(client, date=DAY + datetime.timedelta(days=n), **kw)
    (claim,) = claims_build().claims
    return claims_for_print().get(pk=claim.pk)


def pdf_pages(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def placed_text(data: bytes, page: int = 0) -> list[tuple[float, float, str]]:
    """Every string drawn on a page with its position (x, y of its baseline start)."""
    found: list[tuple[float, float, str]] = []

    def visit(text, cm, tm, font, size):
        if text.strip():
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            found.append((x, y, text.strip()))

    PdfReader(io.BytesIO(data)).pages[page].extract_text(visitor_text=visit)
    return found


def printed_at(data: bytes, spot: cms1500.Spot, page: int = 0) -> str:
    """The data string that starts at a spot of the coordinate table ("" if none)."""
    x, y = cms1500.col_x(spot.col), cms1500.baseline(spot.line)
    for px, py, text in placed_text(data, page):
        if abs(px - x) < 0.5 and abs(py - y) < 0.5:
            return text
    return ""


@pytest.fixture
def insured(practice_row):
    coverage = factories.CoverageFactory(
        client__first_name="Alex", client__last_name="Rivera", member_id="XYZ900100"
    )
    return coverage.client


def test_a_one_line_telehealth_claim_prints_one_form_with_every_box(insured):
    claim = build_one(insured, modifiers=("95",), pos="10", telehealth="video")
    data = render_cms1500([claim], mode="data")
    pages = pdf_pages(data)
    assert len(pages) == 1
    text = pages[0]
    billing = claim.parties["billing"]
    for expected in (
        "RIVERA, ALEX",
        "XYZ900100",
        "F411",
        "90837",
        "160 00",
        claim.lines.get().rendering_npi,
        billing["npi"],
        "123456789",  # box 25 without the hyphen (NUCC)
        "SIGNATURE ON FILE",
        "PO BOX 1000",
        "RIVERBEND COUNSELING GROUP PLLC",
        insured.account_number,
    ):
        assert expected in text, expected
    assert printed_at(data, cms1500.line_spot("modifiers", 1)) == "95"
    assert printed_at(data, cms1500.line_spot("pos", 1)) == "10"
    assert printed_at(data, cms1500.line_spot("from", 1)) == "10 05 26"
    assert printed_at(data, cms1500.line_spot("pointers", 1)) == "A"
    assert printed_at(data, cms1500.FIELDS["3_dob"]) == "04 12 1988"
    assert printed_at(data, cms1500.FIELDS["21_ind"]) == "0"
    assert printed_at(data, cms1500.DIAGNOSIS_FIELDS[0]) == "F411"
    assert printed_at(data, cms1500.FIELDS["28"]) == "160 00"
    for tick in ("1_group", "3_f", "6_self", "10a_no", "11d_no", "25_ein", "27_yes"):
        assert printed_at(data, cms1500.TICKS[tick]) == "X", tick
    assert printed_at(data, cms1500.TICKS["6_spouse"]) == ""
    assert printed_at(data, cms1500.FIELDS["22_code"]) == ""


def test_claim_with_seven_lines_prints_two_pages(insured):
    claim = build_one(insured, sessions=7)
    pages = pdf_pages(render_cms1500([claim], mode="data"))
    assert len(pages) == 2
    seventh = claim.lines.get(position=7)
    assert seventh.date_of_service == DAY + datetime.timedelta(days=6)
    assert "10 11 26" in pages[1] and "10 11 26" not in pages[0]
    assert "10 05 26" in pages[0] and "10 05 26" not in pages[1]
    assert "1120 00" in pages[1] and "1120 00" not in pages[0]
    assert "CONTINUED" in pages[0] and "CONTINUED" not in pages[1]
    # Every other box repeats on the continuation form.
    for page in pages:
        assert "RIVERA, ALEX" in page and "F411" in page and "SIGNATURE ON FILE" in page


def test_thirteen_lines_print_three_pages_and_six_is_one(insured):
    claim = build_one(insured, sessions=13)
    pages = pdf_pages(render_cms1500([claim], mode="data"))
    assert len(pages) == 3
    assert ["CONTINUED" in page for page in pages] == [True, True, False]
    assert "2080 00" in pages[2]
    six = build_one(factories.CoverageFactory().client, sessions=6)
    assert len(pdf_pages(render_cms1500([six], mode="data"))) == 1


def test_the_facsimile_draws_the_form_and_data_mode_does_not(insured):
    claim = build_one(insured)
    facsimile = pdf_pages(render_cms1500([claim], mode="facsimile"))[0]
    data = pdf_pages(render_cms1500([claim], mode="data"))[0]
    for label in ("INSURED'S I.D. NUMBER", "HEALTH INSURANCE CLAIM FORM", "FEDERAL TAX I.D."):
        assert label in facsimile
        assert label not in data
    # Same data in both.
    assert "RIVERA, ALEX" in facsimile and "RIVERA, ALEX" in data


def test_both_modes_print_the_data_at_the_same_places(insured):
    claim = build_one(insured)
    facsimile = render_cms1500([claim], mode="facsimile")
    data = render_cms1500([claim], mode="data")
    for spot in (cms1500.FIELDS["2"], cms1500.FIELDS["1a"], cms1500.line_spot("code", 1)):
        assert printed_at(facsimile, spot) == printed_at(data, spot) != ""


def test_an_offset_moves_everything_for_a_misaligned_printer(insured):
    claim = build_one(insured)
    data = render_cms1500([claim], mode="data", offset=(3, -2))
    x, y = cms1500.col_x(1), cms1500.baseline(10)
    assert any(abs(px - x - 3) < 0.5 and abs(py - y + 2) < 0.5 for px, py, _ in placed_text(data))


def test_a_replacement_claim_prints_code_7_and_the_payers_reference(insured):
    billed_session(insured, date=timezone.localdate() - datetime.timedelta(days=3))
    original = claim_submit(claim=claims_build().claims[0])
    claim_correct(claim=original, reason="wrong code", payer_claim_number="PAYER-REF-77")
    replacement = claims_for_print().get(pk=claim_replace(claim=original).pk)
    data = render_cms1500([replacement], mode="data")
    assert printed_at(data, cms1500.FIELDS["22_code"]) == "7"
    assert printed_at(data, cms1500.FIELDS["22_ref"]) == "PAYER-REF-77"


def test_box_22_never_prints_our_own_control_number(insured):
    """Finding 7: box 22 printed our control number when the payer's was missing."""
    billed_session(insured, date=timezone.localdate() - datetime.timedelta(days=3))
    original = claim_submit(claim=claims_build().claims[0])
    claim_correct(claim=original, reason="wrong code", payer_claim_number="PAYER-REF-77")
    replacement = claim_replace(claim=original)
    Claim.objects.filter(pk=replacement.pk).update(payer_claim_number="")
    data = render_cms1500([claims_for_print().get(pk=replacement.pk)], mode="data")
    assert printed_at(data, cms1500.FIELDS["22_code"]) == "7"
    assert not printed_at(data, cms1500.FIELDS["22_ref"])


def test_a_spouse_subscriber_fills_box_4_and_ticks_spouse(practice_row):
    coverage = factories.CoverageFactory(
        client__first_name="Sam",
        client__last_name="Okafor",
        relationship="01",
        subscriber_first_name="Jordan",
        subscriber_last_name="Okafor-Lee",
        subscriber_date_of_birth=datetime.date(1985, 2, 28),
        subscriber_sex="M",
    )
    data = render_cms1500([build_one(coverage.client)], mode="data")
    assert printed_at(data, cms1500.FIELDS["2"]) == "OKAFOR, SAM"
    assert printed_at(data, cms1500.FIELDS["4"]) == "OKAFOR-LEE, JORDAN"
    assert printed_at(data, cms1500.TICKS["6_spouse"]) == "X"
    assert printed_at(data, cms1500.TICKS["6_self"]) == ""
    assert printed_at(data, cms1500.FIELDS["11a_dob"]) == "02 28 1985"
    assert printed_at(data, cms1500.TICKS["11a_m"]) == "X"


def test_a_unicode_name_is_transliterated_not_dropped(practice_row):
    coverage = factories.CoverageFactory(
        client__first_name="Zoë", client__last_name="Nguyễn", member_id="ABC123"
    )
    data = render_cms1500([build_one(coverage.client)], mode="facsimile")
    assert printed_at(data, cms1500.FIELDS["2"]) == "NGUYEN, ZOE"


def test_secondary_coverage_fills_box_9_and_answers_yes_in_11d(insured):
    other_payer = factories.PayerFactory(name="Second Health")
    factories.CoverageFactory(
        client=insured, payer=other_payer, priority=2, member_id="SEC555", plan_name="Gold PPO"
    )
    data = render_cms1500([build_one(insured)], mode="data")
    assert printed_at(data, cms1500.FIELDS["9"]) == "RIVERA, ALEX"
    assert printed_at(data, cms1500.FIELDS["9a"]) == "SEC555"
    assert printed_at(data, cms1500.FIELDS["9d"]) == "GOLD PPO"
    assert printed_at(data, cms1500.TICKS["11d_yes"]) == "X"


def test_a_supervised_associate_names_the_supervisor_in_box_17_with_dq(practice_row):
    supervisor = factories.ClinicianFactory(first_name="Pat", last_name="Senior", credentials="PhD")
    associate = factories.ClinicianFactory(supervisor=supervisor)
    payer = factories.PayerFactory(supervision_billing=Payer.SupervisionBilling.SUPERVISOR_DQ)
    coverage = factories.CoverageFactory(payer=payer, client__primary_clinician=associate)
    data = render_cms1500([build_one(coverage.client)], mode="data")
    assert printed_at(data, cms1500.FIELDS["17_qual"]) == "DQ"
    assert printed_at(data, cms1500.FIELDS["17"]) == "PAT SENIOR PHD"
    assert printed_at(data, cms1500.FIELDS["17b"]) == supervisor.npi
    assert printed_at(data, cms1500.line_spot("npi", 1)) == associate.npi


@pytest.mark.parametrize(
    ("indicator", "tick"),
    [("MB", "1_medicare"), ("MC", "1_medicaid"), ("CH", "1_tricare"), ("VA", "1_champva"),
     ("BL", "1_group"), ("WC", "1_other"), ("ZZ", "1_other")],
)  # fmt: skip
def test_box_1_ticks_the_program_of_the_payers_filing_indicator(practice_row, indicator, tick):
    coverage = factories.CoverageFactory(payer=factories.PayerFactory(filing_indicator=indicator))
    data = render_cms1500([build_one(coverage.client)], mode="data")
    ticked = [name for name in cms1500.TICKS if name.startswith("1_")]
    assert [n for n in ticked if printed_at(data, cms1500.TICKS[n]) == "X"] == [tick]


def test_an_ssn_tax_id_ticks_ssn(practice_row):
    practice_row.tax_id, practice_row.tax_id_type = "123-45-6789", "SSN"
    practice_row.save()
    coverage = factories.CoverageFactory()
    data = render_cms1500([build_one(coverage.client)], mode="data")
    assert printed_at(data, cms1500.TICKS["25_ssn"]) == "X"
    assert printed_at(data, cms1500.TICKS["25_ein"]) == ""
    assert printed_at(data, cms1500.FIELDS["25"]) == "123456789"


def test_twelve_diagnoses_print_a_to_l(insured):
    codes = ["F41.1", "F32.A", "F43.10", "F43.23", "F33.1", "F90.0", "F42.2", "Z63.0",
             "F40.10", "F34.1", "F41.0", "F43.21"]  # fmt: skip
    for n, code in enumerate(codes):
        billed_session(insured, date=DAY + datetime.timedelta(days=n), codes=(code,))
    claim = claims_for_print().get(pk=claims_build().claims[0].pk)
    pages = render_cms1500([claim], mode="data")
    for n, code in enumerate(codes):
        assert printed_at(pages, cms1500.DIAGNOSIS_FIELDS[n]) == code.replace(".", "")
        assert printed_at(pages, cms1500.DIAGNOSIS_FIELDS[n], page=1) == code.replace(".", "")
    assert printed_at(pages, cms1500.line_spot("pointers", 6), page=1) == "L"


def test_a_batch_prints_each_claim_on_its_own_forms(practice_row):
    first = build_one(factories.CoverageFactory(client__last_name="First").client, sessions=7)
    second = build_one(factories.CoverageFactory(client__last_name="Second").client)
    pages = pdf_pages(render_cms1500([first, second], mode="data"))
    assert len(pages) == 3
    assert ["FIRST," in p for p in pages] == [True, True, False]
    assert "SECOND," in pages[2] and "160 00" in pages[2]


def test_an_unknown_mode_is_refused():
    with pytest.raises(ValueError):
        render_cms1500([], mode="fancy")  # type: ignore[arg-type]


# --- Views ---------------------------------------------------------------------------


def test_a_biller_downloads_a_claim_as_pdf(client, biller_user, insured):
    claim = build_one(insured)
    client.force_login(biller_user)
    response = client.get(reverse("billing:claim_cms1500", args=[claim.pk]), {"mode": "data"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'attachment; filename="claim-{claim.control_number}.pdf"'
    )
    assert "RIVERA, ALEX" in pdf_pages(response.content)[0]
    assert "INSURED'S I.D. NUMBER" not in pdf_pages(response.content)[0]
    facsimile = client.get(reverse("billing:claim_cms1500", args=[claim.pk]))
    assert "INSURED'S I.D. NUMBER" in pdf_pages(facsimile.content)[0]


def test_a_clinician_cannot_print_claims(client, clinician_user, insured):
    claim = build_one(insured)
    client.force_login(clinician_user)
    assert client.get(reverse("billing:claim_cms1500", args=[claim.pk])).status_code == 403
    batch = client.get(reverse("billing:claims_cms1500_batch"), {"ids": str(claim.pk)})
    assert batch.status_code == 403


def test_an_unknown_claim_is_404_and_bad_parameters_400(client, biller_user, insured):
    claim = build_one(insured)
    client.force_login(biller_user)
    assert client.get(reverse("billing:claim_cms1500", args=[claim.pk + 99])).status_code == 404
    url = reverse("billing:claim_cms1500", args=[claim.pk])
    for params in ({"mode": "fancy"}, {"dx": "a lot"}, {"dy": "500"}):
        response = client.get(url, params)
        assert response.status_code == 400, params
        assert response["Content-Type"].startswith("text/plain")
    batch = reverse("billing:claims_cms1500_batch")
    too_many = ",".join(["1"] * (MAX_BATCH + 1))
    for params in ({}, {"ids": "1,x"}, {"ids": ""}, {"status": "nonsense"}, {"ids": too_many}):
        assert client.get(batch, params).status_code == 400, params
    assert client.get(batch, {"ids": f"{claim.pk},{claim.pk + 99}"}).status_code == 404


def test_a_batch_by_ids_keeps_the_order_asked(client, biller_user, practice_row):
    first = build_one(factories.CoverageFactory(client__last_name="First").client)
    second = build_one(factories.CoverageFactory(client__last_name="Second").client)
    client.force_login(biller_user)
    response = client.get(
        reverse("billing:claims_cms1500_batch"), {"ids": f"{second.pk},{first.pk}", "mode": "data"}
    )
    assert response.status_code == 200
    pages = pdf_pages(response.content)
    assert "SECOND," in pages[0] and "FIRST," in pages[1]


def test_a_batch_by_status_prints_every_claim_in_it(client, biller_user, practice_row):
    ready = build_one(factories.CoverageFactory(client__last_name="Ready").client)
    build_one(factories.CoverageFactory(client__last_name="Drafty").client)
    Claim.objects.filter(pk=ready.pk).update(status=Claim.Status.READY)
    client.force_login(biller_user)
    response = client.get(reverse("billing:claims_cms1500_batch"), {"status": "ready"})
    assert response.status_code == 200
    pages = pdf_pages(response.content)
    assert len(pages) == 1 and "READY," in pages[0]
    Claim.objects.filter(pk=ready.pk).update(status=Claim.Status.SUBMITTED)
    empty = client.get(reverse("billing:claims_cms1500_batch"), {"status": "ready"})
    assert empty.status_code == 400
    assert b"No ready" in empty.content


def test_batch_queries_do_not_grow_with_the_number_of_claims(
    client, biller_user, practice_row, django_assert_max_num_queries
):
    claims = [build_one(factories.CoverageFactory().client, sessions=2) for _ in range(10)]
    client.force_login(biller_user)
    url = reverse("billing:claims_cms1500_batch")
    # Login session, user, role groups; claims (with originals), lines, diagnoses; the
    # session's activity stamp; two savepoints around each (atomic requests); +2, the read
    # audit's access and its clients (one bulk insert for ten claims' clients); +2, box 29:
    # the claims' services and what other payers paid on them (billing/ledger.py).
    queries = 15
    with django_assert_max_num_queries(queries):
        one = client.get(url, {"ids": str(claims[0].pk)})
    with django_assert_max_num_queries(queries):
        ten = client.get(url, {"ids": ",".join(str(c.pk) for c in claims)})
    assert one.status_code == ten.status_code == 200
    assert len(pdf_pages(ten.content)) == 10
    with django_assert_max_num_queries(queries):
        assert client.get(reverse("billing:claim_cms1500", args=[claims[0].pk])).status_code == 200


def test_money_prints_dollars_and_cents_apart():
    assert cms1500._money(Decimal("160.00")) == "  160 00"
    assert cms1500._money(Decimal("12345.67")) == "12345 67"


def test_box_21_prints_each_code_without_its_dot(insured):
    """Finding 7: box 21 printed F32.A; NUCC item 21 wants F32A (the dot is implied)."""
    claim = build_one(insured, codes=("F32.A", "F43.10"))
    data = render_cms1500([claim], mode="data")
    assert printed_at(data, cms1500.DIAGNOSIS_FIELDS[0]) == "F32A"
    assert printed_at(data, cms1500.DIAGNOSIS_FIELDS[1]) == "F4310"
    assert "F32.A" not in pdf_pages(data)[0]


def test_medicare_primary_leaves_4_7_11a_11c_11d_blank_and_11_reads_none(practice_row):
    """Finding 7: CMS Pub. 100-04 ch. 26 items 4, 7, 11, 11a, 11c, 11d for Medicare primary."""
    medicare = factories.PayerFactory(name="Medicare Part B (J15)", filing_indicator="MB")
    client = factories.CoverageFactory(
        payer=medicare, group_number="", plan_name="Medicare Part B", client__last_name="Ng"
    ).client
    data = render_cms1500([build_one(client)], mode="data")
    assert printed_at(data, cms1500.FIELDS["11"]) == "NONE"
    for box in ("4", "7_street", "11a_dob", "11c"):
        assert printed_at(data, cms1500.FIELDS[box]) == "", box
    for tick in ("11d_yes", "11d_no", "11a_f", "11a_m"):
        assert printed_at(data, cms1500.TICKS[tick]) == "", tick
    assert printed_at(data, cms1500.TICKS["1_medicare"]) == "X"


def test_a_commercial_primary_still_fills_4_11c_and_11d(insured):
    data = render_cms1500([build_one(insured)], mode="data")
    assert printed_at(data, cms1500.FIELDS["4"]) == "RIVERA, ALEX"
    assert printed_at(data, cms1500.FIELDS["11"]) == "GRP100"
    assert printed_at(data, cms1500.TICKS["11d_no"]) == "X"
