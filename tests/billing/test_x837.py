"""837P files (billing.outputs.x837): every file here passes pyx12 and our own checks
(tests/x12.py), and says what the claim snapshot says.

Claims are built the way the app builds them (claims_build from ready sessions); the
hypothesis test at the end builds unsaved claims in memory to try many shapes quickly.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing.models import Claim, ClaimDiagnosis, ClaimLine, DiagnosisCode, Payer
from billing.outputs.x837 import (
    Adjustment,
    Envelope,
    LineAdjudication,
    OtherPayerAdjudication,
    X12ValueError,
    render_837p,
    transliterate,
    x12_problems,
)
from billing.outputs.x837_check import check_837p
from billing.services import claim_correct, claim_replace, claim_void, claims_build
from billing.submission import claims_for_file
from practice.models import Clinician, Practice
from tests import factories
from tests.billing.test_scrubber import DAY, ready_session
from tests.x12 import assert_valid_837, pyx12_errors

pytestmark = pytest.mark.django_db

CREATED = datetime.datetime(2026, 10, 12, 9, 30, tzinfo=datetime.UTC)


def envelope(number: int = 1) -> Envelope:
    return Envelope.for_clearinghouse(
        factories.ClearinghouseFactory.build(), numbers=(number, number, number), created=CREATED
    )


def file_for(*claims: Claim, **kw) -> str:
    loaded = list(claims_for_file().filter(pk__in=[c.pk for c in claims]).order_by("pk"))
    text = render_837p(loaded, envelope(), **kw)
    assert_valid_837(text)
    return text


def segments(text: str) -> list[str]:
    return [s.strip() for s in text.split("~") if s.strip()]


def starting(text: str, prefix: str) -> list[str]:
    return [s for s in segments(text) if s.startswith(prefix)]


def build_one() -> Claim:
    (claim,) = claims_build().claims
    return Claim.objects.get(pk=claim.pk)


@pytest.fixture
def insured(practice_row):
    return factories.CoverageFactory().client


def test_a_self_insured_client_has_no_patient_loop_and_the_subscriber_is_the_patient(insured):
    ready_session(insured, codes=("F43.10", "F32.A"), pointers="AB")
    claim = build_one()
    text = file_for(claim)
    assert starting(text, "HL*2*1*22*") == ["HL*2*1*22*0"]
    assert starting(text, "SBR") == ["SBR*P*18*GRP100******CI"]
    assert not starting(text, "PAT")
    assert starting(text, "HI") == ["HI*ABK:F4310*ABF:F32A"]
    (sv1,) = starting(text, "SV1")
    assert sv1.endswith("*1:2")
    assert starting(text, "REF*6R") == [f"REF*6R*{claim.control_number}-1"]
    assert starting(text, "DTP*472") == ["DTP*472*D8*20261005"]


def test_the_envelope_is_fixed_width_and_counts_its_segments(insured):
    ready_session(insured)
    text = file_for(build_one())
    isa = text.split("~")[0] + "~"
    assert len(isa) == 106
    body = segments(text)
    st_at = next(i for i, s in enumerate(body) if s.startswith("ST*"))
    se_at = next(i for i, s in enumerate(body) if s.startswith("SE*"))
    assert body[se_at] == f"SE*{se_at - st_at + 1}*0001"
    assert body[-1] == "IEA*1*000000001"


def test_a_spouse_subscriber_gets_a_patient_loop_with_the_clients_own_name(practice_row):
    coverage = factories.CoverageFactory(
        relationship="01",
        subscriber_first_name="Morgan",
        subscriber_last_name="Spouse",
        subscriber_date_of_birth=datetime.date(1980, 1, 31),
        subscriber_sex="M",
        address_line1="44 Oak Ave",
        city="Peoria",
        state="IL",
        zip_code="61602",
    )
    ready_session(coverage.client)
    claim = build_one()
    text = file_for(claim)
    assert starting(text, "SBR") == ["SBR*P**GRP100******CI"]
    assert starting(text, "HL*2*1*22*") == ["HL*2*1*22*1"]
    assert starting(text, "HL*3*2*23*0") == ["HL*3*2*23*0"]
    assert starting(text, "PAT") == ["PAT*01"]
    assert starting(text, "NM1*IL")[0].startswith("NM1*IL*1*SPOUSE*MORGAN")
    assert starting(text, "NM1*QC") == [f"NM1*QC*1*{coverage.client.last_name.upper()}*ALEX"]
    assert "N3*44 OAK AVE" in segments(text)


def test_a_child_on_a_parents_plan_is_the_patient_under_the_parent(practice_row):
    coverage = factories.CoverageFactory(
        relationship="19",
        subscriber_first_name="Jordan",
        subscriber_last_name="Parent",
        subscriber_date_of_birth=datetime.date(1960, 2, 29),
        subscriber_sex="F",
        client__date_of_birth=datetime.date(2012, 6, 1),
    )
    ready_session(coverage.client)
    text = file_for(build_one())
    assert starting(text, "PAT") == ["PAT*19"]
    assert "DMG*D8*19600229*F" in segments(text)
    assert "DMG*D8*20120601*F" in segments(text)


def test_a_secondary_claim_carries_the_primary_payers_adjudication(practice_row):
    secondary = factories.PayerFactory(name="Second Mutual", payer_id="SM001")
    coverage = factories.CoverageFactory(payer=secondary, priority=2)
    ready_session(coverage.client, lines=("90834", "90785"), minutes=45)
    claim = build_one()
    lines = list(claim.lines.order_by("position"))
    primary = OtherPayerAdjudication(
        payer_name="First Health",
        payer_id="FH100",
        member_id="FH998877",
        subscriber_last_name=coverage.client.last_name,
        subscriber_first_name=coverage.client.first_name,
        paid=Decimal("100.00"),
        adjudicated_on=datetime.date(2026, 10, 20),
        lines=(
            LineAdjudication(
                line_control_number=lines[0].line_control_number,
                paid=Decimal("90.00"),
                adjustments=(
                    Adjustment("CO", "45", lines[0].charge - Decimal("110.00")),
                    Adjustment("PR", "2", Decimal("20.00")),
                ),
            ),
            LineAdjudication(
                line_control_number=lines[1].line_control_number,
                paid=Decimal("10.00"),
                adjustments=(Adjustment("CO", "45", lines[1].charge - Decimal("10.00")),),
            ),
        ),
    )
    text = file_for(claim, adjudications={claim.pk: primary})
    assert starting(text, "SBR") == ["SBR*S*18*GRP100******CI", "SBR*P*18*******CI"]
    assert starting(text, "AMT*D") == ["AMT*D*100"]
    assert starting(text, "NM1*PR") == [
        "NM1*PR*2*SECOND MUTUAL*****PI*SM001",
        "NM1*PR*2*FIRST HEALTH*****PI*FH100",
    ]
    assert starting(text, "SVD") == ["SVD*FH100*90*HC:90834**1", "SVD*FH100*10*HC:90785**1"]
    assert starting(text, "CAS*PR") == ["CAS*PR*2*20"]
    assert starting(text, "DTP*573") == ["DTP*573*D8*20261020"] * 2


@pytest.mark.parametrize(
    ("setting", "rendering_is_supervisor", "has_dq"),
    [
        (Payer.SupervisionBilling.SUPERVISOR_RENDERS, True, False),
        (Payer.SupervisionBilling.SUPERVISOR_DQ, False, True),
    ],
)
def test_a_supervised_associates_claim_names_whom_the_payer_wants(
    practice_row, setting, rendering_is_supervisor, has_dq
):
    supervisor = factories.ClinicianFactory(last_name="Supervisor", credentials="PhD")
    associate = factories.ClinicianFactory(last_name="Associate", supervisor=supervisor)
    payer = factories.PayerFactory(supervision_billing=setting)
    coverage = factories.CoverageFactory(payer=payer, client__primary_clinician=associate)
    ready_session(coverage.client)
    text = file_for(build_one())
    (rendering,) = starting(text, "NM1*82")
    expected = supervisor if rendering_is_supervisor else associate
    assert rendering == f"NM1*82*1*{expected.last_name.upper()}*DANA****XX*{expected.npi}"
    dq = starting(text, "NM1*DQ")
    assert dq == ([f"NM1*DQ*1*SUPERVISOR*DANA****XX*{supervisor.npi}"] if has_dq else [])


def test_a_telehealth_line_carries_its_place_of_service_and_modifier(insured):
    ready_session(
        insured, telehealth="video", place_of_service=factories.pos("10"), modifiers=("95",)
    )
    text = file_for(build_one())
    (clm,) = starting(text, "CLM")
    assert "*10:B:1*" in clm
    assert starting(text, "SV1")[0].startswith("SV1*HC:90837:95*")


def test_a_line_at_another_place_than_the_claim_names_its_own(insured):
    ready_session(insured)
    ready_session(
        insured,
        date=DAY + datetime.timedelta(days=1),
        telehealth="video",
        place_of_service=factories.pos("02"),
        modifiers=("95",),
    )
    text = file_for(build_one())
    first, second = starting(text, "SV1")
    assert first == "SV1*HC:90837*180*UN*1***1"
    assert second == "SV1*HC:90837:95*180*UN*1*02**1"


def sent(claim: Claim, payer_number: str) -> Claim:
    claim.status = Claim.Status.SUBMITTED
    claim.payer_claim_number = payer_number
    claim.save(update_fields=["status", "payer_claim_number"])
    return claim


def test_a_void_names_the_payers_claim_number_with_frequency_8(insured):
    ready_session(insured)
    void = claim_void(claim=sent(build_one(), "PYR-2026-0001"), reason="Wrong client")
    text = file_for(void)
    assert "*11:B:8*" in starting(text, "CLM")[0]
    assert starting(text, "REF*F8") == ["REF*F8*PYR-2026-0001"]


def test_a_replacement_names_the_payers_claim_number_with_frequency_7(insured):
    ready_session(insured)
    original = sent(build_one(), "PYR-2026-0002")
    claim_correct(claim=original, reason="Wrong code", payer_claim_number="PYR-2026-0002")
    replacement = claim_replace(claim=original)
    text = file_for(replacement)
    assert "*11:B:7*" in starting(text, "CLM")[0]
    assert starting(text, "REF*F8") == ["REF*F8*PYR-2026-0002"]


def test_a_correction_without_the_payers_number_is_refused_not_written(insured):
    ready_session(insured)
    void = claim_void(claim=sent(build_one(), ""), reason="Wrong client")
    with pytest.raises(X12ValueError, match="payer's claim number"):
        render_837p(list(claims_for_file().filter(pk=void.pk)), envelope())


def test_a_claim_of_eight_lines_numbers_them_and_totals_them(insured):
    for day in range(8):
        ready_session(insured, date=DAY + datetime.timedelta(days=day))
    claim = build_one()
    text = file_for(claim)
    assert starting(text, "LX") == [f"LX*{n}" for n in range(1, 9)]
    assert starting(text, "CLM")[0].split("*")[2] == "1440"
    assert claim.total_charge == Decimal("1440.00")


def test_twelve_diagnoses_go_in_one_hi_segment_without_dots(insured):
    codes = list(
        DiagnosisCode.objects.billable()
        .filter(code__startswith="F4")
        .values_list("code", flat=True)[:12]
    )
    ready_session(insured, codes=tuple(codes), pointers="ABCD")
    ready_session(insured, date=DAY + datetime.timedelta(days=1), codes=tuple(codes[8:]))
    text = file_for(build_one())
    (hi,) = starting(text, "HI")
    assert hi.count("*AB") == 12
    assert "." not in hi
    assert starting(text, "SV1")[0].endswith("*1:2:3:4")


def test_accented_names_are_transliterated_never_dropped(practice_row):
    coverage = factories.CoverageFactory(
        client__first_name="Zoë",
        client__last_name="Nguyễn",
        relationship="01",
        subscriber_first_name="Łukasz",
        subscriber_last_name="Müller-Straße",
        subscriber_date_of_birth=datetime.date(1979, 3, 3),
        subscriber_sex="M",
    )
    ready_session(coverage.client)
    text = file_for(build_one())
    assert starting(text, "NM1*QC") == ["NM1*QC*1*NGUYEN*ZOE"]
    assert starting(text, "NM1*IL")[0].startswith("NM1*IL*1*MULLER-STRASSE*LUKASZ*")
    assert text.isascii()


def test_a_solo_clinician_without_a_group_npi_bills_as_a_person(insured):
    Practice.objects.update(npi="", name="Dana Clinician LCSW")
    ready_session(insured)
    claim = build_one()
    rendering = Clinician.objects.get(npi=claim.parties["rendering"]["npi"])
    text = file_for(claim)
    assert starting(text, "NM1*85") == [
        f"NM1*85*1*{rendering.last_name.upper()}*DANA****XX*{rendering.npi}"
    ]
    assert not starting(text, "NM1*82")


def test_a_service_facility_elsewhere_gets_its_own_loop(insured, practice_row):
    location = factories.LocationFactory(
        practice=practice_row,
        name="North Clinic",
        address_line1="500 North Rd",
        zip_code="627035555",
        npi=factories.make_npi(77, first="2"),
    )
    ready_session(insured, location=location)
    text = file_for(build_one())
    assert starting(text, "NM1*77") == [f"NM1*77*2*NORTH CLINIC*****XX*{location.npi}"]
    assert "N4*SPRINGFIELD*IL*627035555" in segments(text)


def test_a_facility_at_the_billing_address_is_not_repeated(insured, practice_row):
    ready_session(insured, location=factories.LocationFactory(practice=practice_row))
    assert not starting(file_for(build_one()), "NM1*77")


def test_a_referring_provider_and_prior_authorization_are_printed(practice_row):
    coverage = factories.CoverageFactory(prior_auth_number="PA-77")
    ready_session(coverage.client)
    claim = build_one()
    claim.parties["referring"] = {
        "first_name": "Pat",
        "last_name": "Referrer",
        "npi": factories.make_npi(55),
    }
    claim.save(update_fields=["parties"])
    text = file_for(claim)
    assert starting(text, "REF*G1") == ["REF*G1*PA-77"]
    assert starting(text, "NM1*DN") == [
        f"NM1*DN*1*REFERRER*PAT****XX*{claim.parties['referring']['npi']}"
    ]


def test_recorded_signatures_set_the_assignment_and_release_indicators(insured):
    ready_session(insured)
    claim = build_one()
    assert claim.parties["signatures"]["release"]["signer"] == insured.release_signer
    assert starting(file_for(claim), "CLM")[0].endswith("*Y*A*Y*Y")


def test_without_recorded_signatures_assignment_is_n_and_release_i(practice_row):
    client = factories.ClientFactory(release_signed_on=None, assignment_signed_on=None)
    factories.CoverageFactory(client=client)
    ready_session(client)
    claim = build_one()
    assert claim.parties["signatures"] == {"release": None, "assignment": None}
    assert starting(file_for(claim), "CLM")[0].endswith("*Y*A*N*I")


def test_several_claims_share_one_billing_provider_loop(practice_row):
    for _ in range(3):
        ready_session(factories.CoverageFactory().client)
    claims = claims_build().claims
    text = file_for(*claims)
    assert len(starting(text, "HL*")) == 4
    assert len(starting(text, "CLM")) == 3


def test_a_separator_inside_a_name_is_refused_not_written(insured):
    ready_session(insured)
    claim = build_one()
    claim.parties["patient"]["last_name"] = "Smith*Jones"
    claim.parties["subscriber"]["last_name"] = "Smith*Jones"
    claim.save(update_fields=["parties"])
    with pytest.raises(X12ValueError, match="separator"):
        render_837p(list(claims_for_file().filter(pk=claim.pk)), envelope())


def test_transliteration_keeps_every_letter():
    assert transliterate("  Nguyễn  Thị\tÁnh ") == "NGUYEN THI ANH"
    assert transliterate("O’Brien-Straße") == "O'BRIEN-STRASSE"
    assert x12_problems("Ünïcödé", "last name") == []
    assert x12_problems("a" * 36, "first name") == ["is 36 characters long; the 837P allows 35"]
    assert x12_problems("A~B", "address")[0].startswith("contains ~")


def test_our_checks_catch_what_pyx12_lets_through(insured):
    ready_session(insured, lines=("90834", "90785"), minutes=45)
    good = file_for(build_one())
    clm = starting(good, "CLM")[0].split("*")
    bad_total = good.replace("*".join(clm), "*".join([*clm[:2], "999", *clm[3:]]))
    assert any("CLM02" in p for p in check_837p(bad_total))
    npi = starting(good, "NM1*82")[0].split("*")[-1]
    bad_npi = good.replace(npi, npi[:-1] + str((int(npi[-1]) + 1) % 10))
    assert pyx12_errors(bad_npi) == []  # pyx12 does not know NPI check digits
    assert any("check digit" in p for p in check_837p(bad_npi))
    bad_pointer = good.replace("*UN*1***1", "*UN*1***2", 1)
    assert any("pointer 2" in p for p in check_837p(bad_pointer))
    bad_zip = good.replace("N4*SPRINGFIELD*IL*627011234", "N4*SPRINGFIELD*IL*62701")
    assert any("billing provider ZIP" in p for p in check_837p(bad_zip))
    dotted = good.replace("HI*ABK:F411", "HI*ABK:F41.1")
    assert any("dot" in p for p in check_837p(dotted))


# Hypothesis: any valid claim snapshot makes a valid file ------------------------------

NAME_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyzéèüöñçøßễł '-"
names = st.text(alphabet=NAME_ALPHABET, min_size=1, max_size=20).filter(
    lambda s: transliterate(s) and transliterate(s)[0].isalpha()
)
MODIFIERS = ["95", "93", "HO", "AJ", "GT", "59", "25"]
DX = ["F411", "F4310", "F32A", "F330", "F4321", "Z630", "F429", "F410", "F902", "F840"]


def _party(first, last):
    return {
        "first_name": first,
        "last_name": last,
        "address_line1": "1 Main St",
        "city": "Springfield",
        "state": "IL",
        "zip_code": "62701",
        "date_of_birth": "1990-01-01",
        "sex": "F",
    }


@st.composite
def claims_in_memory(draw, pk):
    relationship = draw(st.sampled_from(["18", "01", "19", "G8"]))
    patient = _party(draw(names), draw(names))
    subscriber = patient if relationship == "18" else _party(draw(names), draw(names))
    n_dx = draw(st.integers(1, 10))
    frequency = draw(st.sampled_from(["1", "7", "8"]))
    claim = Claim(
        pk=pk,
        control_number=f"SLH{pk:08d}",
        frequency=frequency,
        payer_claim_number="PCN1" if frequency != "1" else "",
        prior_auth_number=draw(st.sampled_from(["", "AUTH-1"])),
        payer=Payer(name="Acme", payer_id="60000"),
        parties={
            "billing": {
                "name": "Riverbend Counseling",
                "npi": "2000000010",
                "tax_id": "12-3456789",
                "taxonomy": "103T00000X",
                "address_line1": "120 Main St",
                "city": "Springfield",
                "state": "IL",
                "zip_code": "627011234",
            },
            "rendering": {
                "first_name": draw(names),
                "last_name": draw(names),
                "npi": "1234567893",
                "taxonomy": "1041C0700X",
            },
            "subscriber": {
                **subscriber,
                "relationship": relationship,
                "member_id": "XYZ123",
                "group_number": draw(st.sampled_from(["", "GRP1"])),
            },
            "patient": patient,
            "payer": {"name": "Acme Health", "payer_id": "60000", "filing_indicator": "CI"},
        },
    )
    lines = []
    for position in range(1, draw(st.integers(1, 12)) + 1):
        pointers = draw(
            st.lists(st.sampled_from("ABCDEFGHIJKL"[:n_dx]), min_size=1, max_size=4, unique=True)
        )
        mods = draw(st.lists(st.sampled_from(MODIFIERS), max_size=4, unique=True))
        lines.append(
            ClaimLine(
                claim=claim,
                position=position,
                line_control_number=f"SLH{pk:08d}-{position}",
                date_of_service=datetime.date(2026, 10, 1) + datetime.timedelta(days=position),
                place_of_service=draw(st.sampled_from(["11", "02", "10", "12"])),
                procedure_code=draw(st.sampled_from(["90834", "90837", "90791", "90785"])),
                units=draw(st.integers(1, 4)),
                charge=draw(st.decimals(Decimal("0.01"), Decimal("9999.99"), places=2)),
                diagnosis_pointers="".join(pointers),
                rendering_npi="1234567893",
                **dict(
                    zip(
                        ("modifier_1", "modifier_2", "modifier_3", "modifier_4"), mods, strict=False
                    )
                ),
            )
        )
    diagnoses = [ClaimDiagnosis(claim=claim, position=i + 1, code=DX[i]) for i in range(n_dx)]
    claim._prefetched_objects_cache = {"lines": lines, "diagnoses": diagnoses}
    return claim


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.integers(1, 4).flatmap(
        lambda n: st.tuples(*[claims_in_memory(pk) for pk in range(1, n + 1)])
    )
)
def test_any_valid_claims_make_a_valid_file(claims):
    assert_valid_837(render_837p(list(claims), envelope(timezone.now().second + 1)))


@pytest.mark.parametrize("claims", [1, 6])
def test_a_file_of_any_size_loads_its_claims_in_three_statements(
    practice_row, django_assert_num_queries, claims
):
    for _ in range(claims):
        ready_session(factories.CoverageFactory().client, lines=("90834", "90785"), minutes=45)
    pks = [claim.pk for claim in claims_build().claims]
    # the claims with their payer, their lines, their diagnoses: none per claim
    with django_assert_num_queries(3):
        loaded = list(claims_for_file().filter(pk__in=pks).order_by("pk"))
        text = render_837p(loaded, envelope())
    assert len(starting(text, "CLM")) == claims
