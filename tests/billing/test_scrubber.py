"""The claim scrubber (billing.scrubber): each rule fires on one broken thing and stays
quiet on a clean claim; scrub() orders problems, blocks the claim life cycle on errors
and runs in a fixed number of queries.

Claims are built the way the app builds them (billing.services.claims_build from ready
sessions); a test then breaks one thing in the claim's snapshot, its lines or the catalog.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from billing.models import Claim, ClaimDiagnosis, ClaimLine, DiagnosisCode, ProcedureCode
from billing.scrubber import ERROR, RULES, WARNING, Problem, scrub
from billing.services import ClaimError, claim_discard, claim_mark_ready, claim_submit, claims_build
from practice.models import Session
from tests import factories

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 10, 5)  # the usual date of service (a Monday)
SOON = DAY + datetime.timedelta(days=7)  # "today" for most scrubs: a week later
DEADLINE = DAY + datetime.timedelta(days=90)  # the factory payer's 90-day filing limit
MODIFIER_FIELDS = ("modifier_1", "modifier_2", "modifier_3", "modifier_4")


def ready_session(
    client,
    *,
    date=DAY,
    codes=("F41.1",),
    lines=("90837",),
    pointers="A",
    minutes=53,
    modifiers=(),
    charge=None,
    **kw,
):
    """A ready session with its diagnoses and one service line per code in ``lines``,
    charged at the catalog's standard charge unless ``charge`` is given."""
    session = factories.SessionFactory(
        client=client, date=date, minutes=minutes, status=Session.Status.READY, **kw
    )
    for position, icd in enumerate(codes, start=1):
        diagnosis = client.diagnoses.filter(code__code=icd).first() or factories.DiagnosisFactory(
            client=client, code=DiagnosisCode.objects.get(code=icd), rank=position
        )
        factories.SessionDiagnosisFactory(session=session, diagnosis=diagnosis, position=position)
    for position, code in enumerate(lines, start=1):
        procedure = ProcedureCode.objects.get(code=code)
        factories.ServiceLineFactory(
            session=session,
            position=position,
            procedure=procedure,
            charge=procedure.default_charge if charge is None else charge,
            diagnosis_pointers=pointers,
            **dict(zip(MODIFIER_FIELDS, modifiers, strict=False)),
        )
    return session


def build() -> Claim:
    """Build the one claim the ready sessions make, read back as a view would load it."""
    (claim,) = claims_build().claims
    return Claim.objects.get(pk=claim.pk)


def found(claim: Claim, rule: str, *, today: datetime.date = SOON) -> list[Problem]:
    return [problem for problem in scrub(claim, today=today) if problem.rule == rule]


def save_parties(claim: Claim, role: str, **changes) -> None:
    claim.parties[role] |= changes
    claim.save(update_fields=["parties"])


@pytest.fixture
def insured(practice_row):
    """A client whose own commercial policy (relationship 18) is in force since 2020."""
    return factories.CoverageFactory().client


@pytest.fixture
def coverage(insured):
    return insured.coverages.get()


def test_the_scrubber_runs_exactly_the_rules_tested_here():
    assert [name for name, _ in RULES] == [
        "npi",
        "tax_id",
        "diagnoses",
        "pointers",
        "add_ons",
        "time_rule",
        "add_on_units",
        "same_day",
        "daily_limit",
        "prescriber_codes",
        "license_modifier",
        "telehealth",
        "coverage_dates",
        "subscriber",
        "prior_authorization",
        "zero_charge",
        "duplicates",
        "timely_filing",
        "x12_text",
        "x12_addresses",
        "payer_id",
        "already_sent",
        "resubmission_reference",
        # tests/billing/test_claim_parties.py
        "signatures",
        "referring_provider",
        "billing_address",
    ]


def test_a_clean_claim_from_a_realistic_session_has_no_problems_at_all(practice_row, time_machine):
    time_machine.move_to(datetime.datetime(2026, 10, 12, 15, 0, tzinfo=datetime.UTC), tick=False)
    payer = factories.PayerFactory(requires_prior_authorization=True)
    coverage = factories.CoverageFactory(
        payer=payer,
        relationship="19",
        subscriber_first_name="Jordan",
        subscriber_last_name="Parent",
        subscriber_date_of_birth=datetime.date(1960, 2, 29),
        subscriber_sex="M",
        prior_auth_number="PA123456",
        prior_auth_visits=12,
        prior_auth_from=datetime.date(2026, 9, 1),
        prior_auth_to=datetime.date(2026, 12, 31),
    )
    location = factories.LocationFactory(
        practice=practice_row, npi=factories.make_npi(4321, first="2")
    )
    ready_session(coverage.client, codes=("F43.10", "F32.A"), pointers="AB", location=location)
    ready_session(
        coverage.client,
        date=DAY + datetime.timedelta(days=2),
        codes=("F43.10",),
        lines=("90834", "90785"),
        minutes=45,
        telehealth="video",
        place_of_service=factories.pos("10"),
        modifiers=("95",),
        location=location,
    )
    claim = build()
    assert claim.lines.count() == 3
    assert scrub(claim) == []


# npi ---------------------------------------------------------------------------------------


def test_a_rendering_npi_with_a_bad_check_digit_is_an_error(insured):
    ready_session(insured)
    claim = build()
    save_parties(claim, "rendering", npi="1234567890")  # 1234567893 is the valid one
    (problem,) = found(claim, "npi")
    assert problem.severity == ERROR
    assert problem.line is None
    assert problem.message.startswith("The rendering provider NPI 1234567890:")
    assert "check digit" in problem.message


def test_a_missing_billing_npi_is_an_error(insured):
    ready_session(insured)
    claim = build()
    save_parties(claim, "billing", npi="")
    (problem,) = found(claim, "npi")
    assert problem.severity == ERROR
    assert "The billing provider NPI (missing)" in problem.message


def test_npis_are_quiet_when_valid_and_an_optional_facility_npi_is_blank(insured, practice_row):
    location = factories.LocationFactory(practice=practice_row)
    ready_session(insured, location=location)
    claim = build()
    assert claim.parties["facility"]["npi"] == ""
    assert claim.parties["supervising"] is None
    assert found(claim, "npi") == []


# tax_id ------------------------------------------------------------------------------------


def test_a_malformed_billing_tax_id_is_an_error(insured):
    ready_session(insured)
    claim = build()
    save_parties(claim, "billing", tax_id="123456789")
    (problem,) = found(claim, "tax_id")
    assert problem.severity == ERROR
    assert problem.message == "Billing provider tax id: An EIN is written 12-3456789."


def test_a_solo_clinician_billing_under_an_ssn_is_quiet(insured, practice_row):
    practice_row.tax_id, practice_row.tax_id_type = "123-45-6789", "SSN"
    practice_row.save()
    ready_session(insured)
    claim = build()
    assert claim.parties["billing"]["tax_id_type"] == "SSN"
    assert found(claim, "tax_id") == []


# diagnoses ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "phrase"),
    [
        ("F41", "Diagnosis F41 is a category, not billable"),
        ("F41.99", "Diagnosis F41.99 is not a valid ICD-10-CM code"),
    ],
)
def test_a_category_or_unknown_diagnosis_is_an_error(insured, code, phrase):
    ready_session(insured)
    claim = build()
    ClaimDiagnosis.objects.filter(claim=claim).update(code=code)
    (problem,) = found(claim, "diagnoses")
    assert problem.severity == ERROR
    assert phrase in problem.message


def test_a_retired_diagnosis_is_an_error(insured):
    ready_session(insured)
    claim = build()
    DiagnosisCode.objects.filter(code="F41.1").update(active=False)
    (problem,) = found(claim, "diagnoses")
    assert (problem.severity, problem.message) == (ERROR, "Diagnosis F41.1 is no longer valid.")


def test_a_claim_without_diagnoses_is_an_error(insured):
    ready_session(insured)
    claim = build()
    claim.diagnoses.all().delete()
    (problem,) = found(claim, "diagnoses")
    assert problem.severity == ERROR
    assert "no diagnosis code (box 21)" in problem.message


def test_specific_billable_diagnoses_are_quiet(insured):
    ready_session(insured, codes=("F43.10", "F32.A", "Z63.0"), pointers="ABC")
    assert found(build(), "diagnoses") == []


# pointers ----------------------------------------------------------------------------------


def test_a_pointer_past_the_claims_diagnoses_is_an_error_on_its_line(insured):
    ready_session(insured)
    claim = build()
    claim.lines.update(diagnosis_pointers="AB")
    (problem,) = found(claim, "pointers")
    assert (problem.severity, problem.line) == (ERROR, 1)
    assert "points at diagnosis B, which the claim does not have" in problem.message


def test_pointers_at_every_diagnosis_of_the_claim_are_quiet(insured):
    ready_session(insured, codes=("F41.1", "F32.A", "F43.10", "Z63.0"), pointers="DCBA")
    claim = build()
    assert claim.lines.get().diagnosis_pointers == "DCBA"
    assert found(claim, "pointers") == []


# add_ons -----------------------------------------------------------------------------------


def test_an_add_on_without_its_primary_on_that_date_is_an_error(insured):
    ready_session(insured)
    ready_session(insured, date=DAY + datetime.timedelta(days=1), lines=("90785",))
    (problem,) = found(build(), "add_ons")
    assert problem.severity == ERROR
    assert problem.message.startswith("10/06/2026: 90785 (interactive complexity add-on) needs")


def test_an_add_on_beside_its_primary_is_quiet(insured):
    ready_session(insured, lines=("90834", "90785"), minutes=45)
    ready_session(
        insured, date=DAY + datetime.timedelta(days=1), lines=("90839", "90840"), minutes=80
    )
    assert found(build(), "add_ons") == []


# time_rule ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "minutes", "phrase"),
    [
        ("90834", 60, "90834 needs 38–52 minutes but the session recorded 60."),
        ("90837", 45, "90837 needs 53 or more minutes but the session recorded 45."),
        ("90847", 20, "90847 needs 26 or more minutes but the session recorded 20."),
    ],
)
def test_a_time_based_code_that_does_not_fit_the_minutes_is_an_error(
    insured, code, minutes, phrase
):
    ready_session(insured, lines=(code,), minutes=minutes)
    (problem,) = found(build(), "time_rule")
    assert (problem.severity, problem.line) == (ERROR, 1)
    assert problem.message == f"Line 1 ({code}, 10/05/2026): {phrase}"


def test_time_based_codes_at_the_edges_of_their_ranges_are_quiet(insured):
    for days, (code, minutes) in enumerate(
        [
            ("90832", 16),
            ("90832", 37),
            ("90834", 38),
            ("90834", 52),
            ("90837", 53),
            ("90837", 180),
            ("90839", 30),
            ("90839", 74),
            ("90791", 90),
        ]
    ):
        ready_session(
            insured, date=DAY + datetime.timedelta(days=days), lines=(code,), minutes=minutes
        )
    assert found(build(), "time_rule") == []


def test_a_long_crisis_session_billed_with_its_add_on_is_quiet(insured):
    # docs/rules/coding.md §2.3: 80 minutes of crisis psychotherapy is 90839 plus one unit of 90840;
    # the time past 74 minutes is what the add-on reports.
    ready_session(insured, lines=("90839", "90840"), minutes=80)
    assert found(build(), "time_rule") == []


# add_on_units (docs/rules/coding.md §3.2) --------------------------------------------------


def test_an_80_minute_crisis_with_three_units_of_90840_is_an_error(insured):
    ready_session(insured, lines=("90839", "90840"), minutes=80)
    claim = build()
    claim.lines.filter(procedure_code="90840").update(units=3)
    (problem,) = found(claim, "add_on_units")
    assert (problem.severity, problem.line) == (ERROR, 2)
    assert problem.message == (
        "Line 2 (90840, 10/05/2026): 90840 ×3 needs at least 135 minutes; "
        "80 minutes allow at most 1."
    )


def test_a_40_minute_evaluation_with_three_units_of_96131_is_an_error(insured):
    ready_session(insured, lines=("96130", "96131"), minutes=40)
    claim = build()
    claim.lines.filter(procedure_code="96131").update(units=3)
    (problem,) = found(claim, "add_on_units")
    assert problem.message.endswith("96131 ×3 needs at least 211 minutes; 40 minutes allow none.")


def test_add_on_units_the_minutes_allow_are_quiet(insured):
    ready_session(insured, lines=("90839", "90840"), minutes=80)
    ready_session(
        insured, date=DAY + datetime.timedelta(days=1), lines=("96130", "96131"), minutes=91
    )
    assert found(build(), "add_on_units") == []


# same_day and daily_limit (docs/rules/coding.md §4) ----------------------------------------


@pytest.fixture
def prescriber(practice_row):
    return factories.ClinicianFactory(
        first_name="Noor", credentials="MD", license_level="", prescriber=True
    )


def test_90834_and_90839_for_one_client_on_one_date_is_an_error(insured):
    ready_session(insured, lines=("90834", "90839"), minutes=60)
    (problem,) = found(build(), "same_day")
    assert problem.severity == ERROR
    assert problem.message.startswith(
        "10/05/2026: 90834 (individual psychotherapy, about 45 min) cannot be billed with 90839"
    )


def test_90791_and_90837_on_one_date_is_an_error(insured):
    ready_session(insured, lines=("90791", "90837"), minutes=60)
    (problem,) = found(build(), "same_day")
    assert "90837" in problem.message and "90791" in problem.message


def test_99213_with_90834_is_an_error(insured, prescriber):
    ready_session(insured, lines=("99213", "90834"), minutes=45, clinician=prescriber)
    (problem,) = found(build(), "same_day")
    assert "with an E/M visit, psychotherapy is the add-on 90833, 90836 or 90838" in problem.message


def test_a_crisis_beside_psychotherapy_on_another_live_claim_is_an_error(insured):
    ready_session(insured, lines=("90834",), minutes=45, start_time=datetime.time(8, 0))
    first = build()
    ready_session(insured, lines=("90839",), minutes=60)
    second = build()
    (problem,) = found(second, "same_day")
    assert "90834" in problem.message and "90839" in problem.message
    # The first claim, built before, now sits beside the crisis too.
    assert found(first, "same_day")


def test_a_discarded_claims_lines_do_not_count_for_the_same_day_rules(insured, frozen):
    ready_session(insured, lines=("90834",), minutes=45, start_time=datetime.time(8, 0))
    claim_discard(claim=build(), reason="Logged in error")
    Session.objects.update(status=Session.Status.CANCELLED)
    ready_session(insured, lines=("90839",), minutes=60)
    assert found(build(), "same_day") == []


def test_an_e_m_visit_with_its_add_on_and_next_days_crisis_are_quiet(insured, prescriber):
    ready_session(insured, lines=("99214", "90836"), minutes=45, clinician=prescriber)
    ready_session(insured, date=DAY + datetime.timedelta(days=1), lines=("90839",), minutes=60)
    claims = claims_build().claims
    assert len(claims) == 2
    for claim in claims:
        assert found(claim, "same_day") == [] and found(claim, "daily_limit") == []


def test_90839_twice_on_one_date_is_an_error_not_only_a_warning(insured):
    ready_session(insured, lines=("90839", "90839"), minutes=60)
    claim = build()
    (problem,) = found(claim, "daily_limit")
    assert problem.severity == ERROR
    assert "90839 (crisis psychotherapy, first hour) appears 2 times" in problem.message
    assert "further crisis time goes to 90840" in problem.message


def test_a_second_crisis_on_another_claim_the_same_date_is_an_error(insured):
    ready_session(insured, lines=("90839",), minutes=60, start_time=datetime.time(8, 0))
    build()
    ready_session(insured, lines=("90839",), minutes=60)
    (problem,) = found(build(), "daily_limit")
    assert problem.severity == ERROR


def test_one_crisis_with_its_add_on_is_within_the_daily_limit(insured):
    ready_session(insured, lines=("90839", "90840"), minutes=110)
    assert found(build(), "daily_limit") == []


# prescriber_codes (docs/rules/coding.md §6) -------------------------------------------------


def test_e_m_codes_by_a_social_worker_are_errors_on_their_lines(insured):
    ready_session(insured, lines=("99213", "90836"), minutes=45)
    problems = found(build(), "prescriber_codes")
    assert [(p.severity, p.line) for p in problems] == [(ERROR, 1), (ERROR, 2)]
    assert "99213 (E/M office visit) needs a prescribing license" in problems[0].message


def test_90792_by_a_counselor_is_an_error(insured):
    insured.primary_clinician.credentials = "LPC"
    insured.primary_clinician.save()
    ready_session(insured, lines=("90792",), minutes=60)
    (problem,) = found(build(), "prescriber_codes")
    assert "is not a prescriber" in problem.message


def test_e_m_codes_by_a_prescriber_are_quiet(insured, prescriber):
    ready_session(insured, lines=("99214", "90836"), minutes=45, clinician=prescriber)
    assert found(build(), "prescriber_codes") == []


# license_modifier (docs/rules/coding.md §7.2) -----------------------------------------------


@pytest.fixture
def associate_billed_under_a_psychologist(coverage):
    payer = coverage.payer
    payer.wants_license_modifier = True
    payer.supervision_billing = "supervisor"
    payer.save()
    supervisor = factories.ClinicianFactory(credentials="PhD", license_level="AH")
    return factories.ClinicianFactory(
        credentials="LPC-Associate", license_level="HO", supervisor=supervisor
    )


def test_an_associates_line_with_the_supervisors_ah_is_an_error(
    insured, associate_billed_under_a_psychologist
):
    associate = associate_billed_under_a_psychologist
    ready_session(insured, clinician=associate, modifiers=("AH",))
    (problem,) = found(build(), "license_modifier")
    assert (problem.severity, problem.line) == (ERROR, 1)
    assert f"wants level-of-license modifier HO: {associate} saw the client, not AH." in (
        problem.message
    )


def test_an_associates_line_with_their_own_level_is_quiet(
    insured, associate_billed_under_a_psychologist
):
    ready_session(insured, clinician=associate_billed_under_a_psychologist, modifiers=("HO",))
    claim = build()
    assert claim.rendering == associate_billed_under_a_psychologist.supervisor
    assert found(claim, "license_modifier") == []


def test_a_payer_that_wants_no_license_modifier_is_quiet_either_way(insured):
    ready_session(insured, modifiers=("AJ",))
    assert found(build(), "license_modifier") == []


# telehealth --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("session", "phrase"),
    [
        (
            {"telehealth": "video", "place_of_service": "10"},
            "wants modifier 95 for this telehealth session.",
        ),
        (
            {"telehealth": "video", "place_of_service": "11", "modifiers": ("95",)},
            "wants POS 10 for this telehealth session, not 11.",
        ),
        (
            {
                "telehealth": "video",
                "client_at_home": False,
                "place_of_service": "10",
                "modifiers": ("95",),
            },
            "wants POS 02 for this telehealth session, not 10.",
        ),
        (
            {"telehealth": "", "place_of_service": "11", "modifiers": ("95",)},
            "has telehealth modifier 95 but the session was in person.",
        ),
    ],
)
def test_a_telehealth_line_the_payer_would_reject_is_an_error(insured, session, phrase):
    session = dict(session, place_of_service=factories.pos(session["place_of_service"]))
    ready_session(insured, **session)
    (problem,) = found(build(), "telehealth")
    assert (problem.severity, problem.line) == (ERROR, 1)
    assert problem.message.startswith("Line 1 (90837, 10/05/2026)")
    assert phrase in problem.message


def test_an_audio_only_session_is_an_error_for_a_payer_that_refuses_them(insured, coverage):
    coverage.payer.audio_only_allowed = False
    coverage.payer.save()
    ready_session(
        insured, telehealth="audio", place_of_service=factories.pos("10"), modifiers=("93",)
    )
    (problem,) = found(build(), "telehealth")
    assert (problem.severity, problem.line) == (ERROR, 1)
    assert "does not pay for audio-only sessions" in problem.message


def test_fq_on_a_practices_audio_only_line_is_an_error(insured):
    ready_session(
        insured, telehealth="audio", place_of_service=factories.pos("10"), modifiers=("FQ",)
    )
    problems = found(build(), "telehealth")
    assert any("FQ is for rural health clinics and FQHCs" in p.message for p in problems)
    assert any("wants modifier 93" in p.message for p in problems)


def test_telehealth_lines_dressed_as_the_payer_wants_are_quiet(insured, coverage):
    # This payer wants POS 11 with 95 for a client at home (docs/rules/coding.md §8), GT elsewhere.
    payer = coverage.payer
    payer.telehealth_home_pos = factories.pos("11")
    payer.save()
    ready_session(
        insured, telehealth="video", place_of_service=factories.pos("11"), modifiers=("AJ", "95")
    )
    ready_session(
        insured,
        date=DAY + datetime.timedelta(days=1),
        telehealth="video",
        client_at_home=False,
        place_of_service=factories.pos("02"),
        modifiers=("95",),
    )
    ready_session(
        insured,
        date=DAY + datetime.timedelta(days=2),
        telehealth="audio",
        place_of_service=factories.pos("11"),
        modifiers=("93",),
    )
    ready_session(insured, date=DAY + datetime.timedelta(days=3), modifiers=("AJ",))
    assert found(build(), "telehealth") == []


# coverage_dates ----------------------------------------------------------------------------


def test_a_line_after_the_coverage_ended_is_an_error(insured, coverage):
    ready_session(insured)
    ready_session(insured, date=DAY + datetime.timedelta(days=7))
    claim = build()
    type(coverage).objects.filter(pk=coverage.pk).update(effective_to=DAY)
    (problem,) = found(claim, "coverage_dates", today=DAY + datetime.timedelta(days=10))
    assert (problem.severity, problem.line) == (ERROR, 2)
    assert "Line 2 (90837, 10/12/2026): the Acme Health" in problem.message
    assert "coverage was not in force on that date." in problem.message


def test_a_coverage_ending_on_the_date_of_service_is_quiet(insured, coverage):
    type(coverage).objects.filter(pk=coverage.pk).update(effective_from=DAY, effective_to=DAY)
    ready_session(insured)
    assert found(build(), "coverage_dates") == []


# subscriber --------------------------------------------------------------------------------


@pytest.fixture
def spouse_coverage(practice_row):
    """The client is on a spouse's policy (relationship 01) with no address of its own."""
    return factories.CoverageFactory(
        relationship="01",
        subscriber_first_name="Sam",
        subscriber_last_name="Spouse",
        subscriber_date_of_birth=datetime.date(1985, 1, 2),
        subscriber_sex="M",
    )


def test_a_subscriber_other_than_the_client_without_an_address_is_an_error(spouse_coverage):
    ready_session(spouse_coverage.client)
    claim = build()
    save_parties(claim, "subscriber", address_line1="", sex="")
    (problem,) = found(claim, "subscriber")
    assert problem.severity == ERROR
    assert "the subscriber's sex, address is missing (boxes 4, 7, 11a)" in problem.message


def test_a_missing_member_id_is_an_error(insured):
    ready_session(insured)
    claim = build()
    save_parties(claim, "subscriber", member_id="")
    (problem,) = found(claim, "subscriber")
    assert problem.severity == ERROR
    assert "member id is missing (box 1a)" in problem.message


def test_a_spouse_subscriber_living_with_the_client_is_quiet(spouse_coverage):
    ready_session(spouse_coverage.client)
    claim = build()
    assert claim.parties["subscriber"]["address_line1"] == "9 Elm St"  # the client's
    assert found(claim, "subscriber") == []


def test_the_client_as_subscriber_needs_no_subscriber_details(insured):
    ready_session(insured)
    claim = build()
    save_parties(claim, "subscriber", address_line1="", first_name="")
    assert found(claim, "subscriber") == []


# prior_authorization -----------------------------------------------------------------------


def authorize(coverage, *, visits=None, start=DAY - datetime.timedelta(days=30), end=None):
    coverage.prior_auth_number = "PA998877"
    coverage.prior_auth_visits = visits
    coverage.prior_auth_from, coverage.prior_auth_to = start, end
    coverage.save()


def earlier_visits(client, count, status=Session.Status.CLOSED):
    for week in range(1, count + 1):
        factories.SessionFactory(
            client=client, date=DAY - datetime.timedelta(days=7 * week), status=status
        )


def test_a_payer_requiring_authorization_with_no_number_is_an_error(insured, coverage):
    coverage.payer.requires_prior_authorization = True
    coverage.payer.save()
    ready_session(insured)
    (problem,) = found(build(), "prior_authorization")
    assert problem.severity == ERROR
    assert "requires prior authorization" in problem.message
    assert "(box 23)" in problem.message


def test_a_number_added_to_the_coverage_after_the_build_is_still_missing_from_the_claim(
    insured, coverage
):
    coverage.payer.requires_prior_authorization = True
    coverage.payer.save()
    ready_session(insured)
    claim = build()
    authorize(coverage)
    # Box 23 prints the claim's own copy, which is still empty.
    assert claim.prior_auth_number == ""
    (problem,) = found(claim, "prior_authorization")
    assert problem.severity == ERROR
    assert "requires prior authorization" in problem.message


def test_authorized_visits_used_up_is_an_error(insured, coverage):
    authorize(coverage, visits=3)
    earlier_visits(insured, 3)
    ready_session(insured)
    (problem,) = found(build(), "prior_authorization")
    assert problem.severity == ERROR
    assert problem.message == "The authorization allows 3 visits and 4 have been used."


def test_authorized_visits_nearly_used_up_is_a_warning(insured, coverage):
    authorize(coverage, visits=3)
    earlier_visits(insured, 1)
    earlier_visits(insured, 2, status=Session.Status.NO_SHOW)  # not visits
    ready_session(insured)
    (problem,) = found(build(), "prior_authorization")
    assert problem.severity == WARNING
    assert problem.message == "The authorization is nearly used up: 2 of 3 visits."


def test_a_line_outside_the_authorization_dates_is_an_error(insured, coverage):
    authorize(coverage, end=DAY - datetime.timedelta(days=1))
    ready_session(insured)
    (problem,) = found(build(), "prior_authorization")
    assert (problem.severity, problem.line) == (ERROR, 1)
    assert "falls outside the authorization's dates" in problem.message


def test_an_authorization_with_visits_to_spare_is_quiet(insured, coverage):
    coverage.payer.requires_prior_authorization = True
    coverage.payer.save()
    authorize(coverage, visits=4, start=DAY, end=DAY)
    earlier_visits(insured, 5)  # before the authorization: not counted
    ready_session(insured)
    claim = build()
    assert claim.prior_auth_number == "PA998877"
    assert found(claim, "prior_authorization") == []


# zero_charge -------------------------------------------------------------------------------


def test_a_line_with_no_charge_is_an_error(insured):
    ready_session(insured, lines=("90834", "90785"), minutes=45, charge=Decimal("0.00"))
    problems = found(build(), "zero_charge")
    assert [(p.severity, p.line) for p in problems] == [(ERROR, 1), (ERROR, 2)]
    assert problems[1].message == "Line 2 (90785, 10/05/2026) has a charge of $0.00."


def test_a_line_with_a_cent_of_charge_is_quiet(insured):
    ready_session(insured, charge=Decimal("0.01"))
    assert found(build(), "zero_charge") == []


# duplicates --------------------------------------------------------------------------------


def test_the_same_code_on_the_same_day_on_another_claim_is_a_warning(insured):
    ready_session(insured)
    first = build()
    ready_session(insured, start_time=datetime.time(15, 0), end_time=datetime.time(15, 53))
    second = build()
    (problem,) = found(second, "duplicates")
    assert problem.severity == WARNING
    assert problem.message == f"90837 on 10/05/2026 is also on claim {first.control_number}."


def test_the_same_code_twice_on_one_day_of_one_claim_is_a_warning(insured):
    ready_session(insured)
    ready_session(insured, start_time=datetime.time(15, 0), end_time=datetime.time(15, 53))
    duplicates = found(build(), "duplicates")
    assert [(p.severity, p.message) for p in duplicates] == [
        (WARNING, "90837 appears 2 times on 10/05/2026.")
    ]


def test_a_code_on_another_claim_on_a_different_day_is_not_a_duplicate(insured):
    # The other claim has 90791 on 10/05; this one has 90837 on 10/05 and 90791 on 10/12.
    ready_session(insured, lines=("90791",))
    build()
    ready_session(insured, start_time=datetime.time(15, 0), end_time=datetime.time(15, 53))
    ready_session(insured, date=DAY + datetime.timedelta(days=7), lines=("90791",))
    assert found(build(), "duplicates") == []


def test_a_discarded_claim_is_not_a_duplicate(insured):
    ready_session(insured)
    first = build()
    ready_session(insured, start_time=datetime.time(15, 0), end_time=datetime.time(15, 53))
    second = build()
    claim_discard(claim=first, reason="entered twice")
    assert found(second, "duplicates") == []


# timely_filing -----------------------------------------------------------------------------


def test_a_claim_past_the_filing_limit_is_an_error(insured):
    ready_session(insured)
    (problem,) = found(build(), "timely_filing", today=DEADLINE + datetime.timedelta(days=1))
    assert (problem.severity, problem.line) == (ERROR, 1)
    assert "the 90-day filing limit passed on 01/03/2027" in problem.message


def test_a_claim_within_fourteen_days_of_the_filing_limit_is_a_warning(insured):
    ready_session(insured)
    claim = build()
    for today, left in [(DEADLINE - datetime.timedelta(days=14), 14), (DEADLINE, 0)]:
        (problem,) = found(claim, "timely_filing", today=today)
        assert (problem.severity, problem.line) == (WARNING, 1)
        assert f"file by 01/03/2027 ({left} days left)" in problem.message


def test_a_claim_fifteen_days_from_the_filing_limit_is_quiet(insured):
    ready_session(insured)
    claim = build()
    assert found(claim, "timely_filing", today=DEADLINE - datetime.timedelta(days=15)) == []


def test_a_submitted_claim_is_not_held_to_the_filing_limit(insured):
    ready_session(insured)
    claim = build()
    Claim.objects.filter(pk=claim.pk).update(status=Claim.Status.SUBMITTED)
    claim.refresh_from_db()
    assert found(claim, "timely_filing", today=DEADLINE + datetime.timedelta(days=30)) == []


# ordering, line labels, the claim life cycle, queries -------------------------------------


def test_errors_sort_before_warnings_then_by_line(insured):
    ready_session(insured)
    ready_session(insured, date=DAY + datetime.timedelta(days=1), charge=Decimal("0.00"))
    claim = build()
    problems = scrub(claim, today=DEADLINE - datetime.timedelta(days=10))
    # Line 1 only warns (filing deadline); line 2 warns and has a $0.00 charge.
    assert [(p.rule, p.severity, p.line) for p in problems] == [
        ("zero_charge", ERROR, 2),
        ("timely_filing", WARNING, 1),
        ("timely_filing", WARNING, 2),
    ]


def test_the_seventh_line_of_a_claim_is_reported_as_line_7(insured):
    for days in range(7):
        ready_session(insured, date=DAY + datetime.timedelta(days=days))
    claim = build()
    claim.lines.filter(position=7).update(charge=Decimal("0.00"))
    (problem,) = scrub(claim, today=SOON)
    assert problem.line == 7
    assert problem.message == "Line 7 (90837, 10/11/2026) has a charge of $0.00."


@pytest.fixture
def frozen(time_machine):
    """Today is a week after the usual date of service (services use the real today)."""
    time_machine.move_to(datetime.datetime(2026, 10, 12, 15, 0, tzinfo=datetime.UTC), tick=False)


def test_marking_ready_is_refused_with_the_first_error_until_it_is_fixed(insured, frozen):
    ready_session(insured)
    claim = build()
    save_parties(claim, "rendering", npi="1234567890")
    ClaimLine.objects.filter(claim=claim).update(charge=Decimal("0.00"))
    with pytest.raises(ClaimError, match=r"^Fix 2 error\(s\) first: The rendering provider NPI"):
        claim_mark_ready(claim=claim)
    assert Claim.objects.get(pk=claim.pk).status == Claim.Status.DRAFT

    save_parties(claim, "rendering", npi="1234567893")
    with pytest.raises(ClaimError, match=r"^Fix 1 error\(s\) first: Line 1 \(90837"):
        claim_mark_ready(claim=claim)
    ClaimLine.objects.filter(claim=claim).update(charge=Decimal("180.00"))
    assert claim_mark_ready(claim=claim).status == Claim.Status.READY


def test_submitting_is_refused_with_the_first_error_until_it_is_fixed(insured, frozen):
    ready_session(insured, lines=("90834",), minutes=60)
    claim = build()
    with pytest.raises(ClaimError, match="90834 needs 38–52 minutes but the session recorded 60"):
        claim_submit(claim=claim)
    assert Claim.objects.get(pk=claim.pk).status == Claim.Status.DRAFT

    ClaimLine.objects.filter(claim=claim).update(procedure_code="90837")
    submitted = claim_submit(claim=claim)
    assert submitted.status == Claim.Status.SUBMITTED
    assert submitted.submitted_at is not None


def test_warnings_alone_do_not_block_a_claim(insured, time_machine):
    # Today is 10 days before the filing deadline: a warning, not an error.
    time_machine.move_to(datetime.datetime(2026, 12, 24, 15, 0, tzinfo=datetime.UTC), tick=False)
    ready_session(insured)
    claim = build()
    assert [p.severity for p in scrub(claim)] == [WARNING]
    assert claim_mark_ready(claim=claim).status == Claim.Status.READY
    assert claim_submit(claim=claim).status == Claim.Status.SUBMITTED


# The scrubber's queries, whatever the line count (every rule exercised: telehealth lines,
# an authorization with visits):
#   1 claim lines with their sessions (select_related)   2 claim diagnoses
#   3 claim.payer                                       4 claim.coverage
#   5 diagnosis catalog rows                            6 procedure catalog rows
#   7 payer.telehealth_home_pos (POS of a video session with the client at home)
#   8 attended sessions counted against the authorization
#   9 the same codes and dates on the client's other live claims
#  10 the same services on claims already sent (an original claim)
#  11 the claim's error count kept for the claim list (only when it changed)
SCRUB_QUERIES = 11


@pytest.mark.parametrize("line_count", [1, 20])
def test_scrub_runs_in_a_fixed_number_of_queries(
    insured, coverage, line_count, django_assert_max_num_queries
):
    authorize(coverage, visits=40, start=DAY - datetime.timedelta(days=60))
    for days in range(line_count):
        ready_session(
            insured,
            date=DAY - datetime.timedelta(days=days),
            telehealth="video",
            place_of_service=factories.pos("10"),
            modifiers=("95",),
        )
    claim = build()
    assert claim.lines.count() == line_count
    with django_assert_max_num_queries(SCRUB_QUERIES):
        problems = scrub(claim, today=SOON)
    assert problems == []
