"""Tests for billing.rules: what a payer wants around the CPT codes
(docs/rules/coding.md §7–§9) and the fee schedule. Expected values are written out literally."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from billing.models import Payer, PayerRate, ProcedureCode
from billing.rules import (
    Proposal,
    audio_only_refusal,
    billing_clinicians,
    fee_schedule,
    license_modifier,
    line_modifiers,
    place_of_service,
    propose,
    telehealth_modifier,
)
from practice.demo.data import PAYERS
from practice.models import Clinician
from tests import factories
from tests.factories import pos

pytestmark = pytest.mark.django_db

ON = datetime.date(2026, 10, 5)
FEES = {
    "90832": Decimal("100.00"),
    "90834": Decimal("140.00"),
    "90837": Decimal("180.00"),
    "90785": Decimal("25.00"),
    "90839": Decimal("200.00"),
    "90840": Decimal("95.00"),
}


@pytest.fixture
def payer(db):
    # POS 10 at home, 02 elsewhere; 95 for video, 93 for audio only.
    return factories.PayerFactory(name="Acme Health")


@pytest.fixture
def licensed(practice_row):
    return factories.ClinicianFactory(license_level=Clinician.LicenseLevel.SOCIAL_WORKER)


@pytest.fixture
def supervisor(practice_row):
    return factories.ClinicianFactory(
        first_name="Sup", credentials="PsyD", license_level=Clinician.LicenseLevel.DOCTORAL
    )


@pytest.fixture
def associate(supervisor):
    return factories.ClinicianFactory(
        first_name="Assoc",
        credentials="LPC-A",
        license_level=Clinician.LicenseLevel.MASTERS,
        supervisor=supervisor,
    )


def _propose(clinician, payer, **facts) -> Proposal:
    arguments = {
        "service": "individual",
        "minutes": 53,
        "clinician": clinician,
        "payer": payer,
        "fees": FEES,
        "in_person_pos": "11",
        "telehealth": "video",
        "client_at_home": True,
    }
    arguments.update(facts)
    return propose(**arguments)


# --- place of service (docs/rules/coding.md §8) -------------------------------------------


@pytest.mark.parametrize(
    ("telehealth", "at_home", "expected"),
    [("", True, "53"), ("", False, "53"), ("video", True, "10"), ("video", False, "02")],
)
def test_place_of_service_follows_the_payers_telehealth_setting(
    payer, telehealth, at_home, expected
):
    chosen = place_of_service(
        telehealth=telehealth, client_at_home=at_home, in_person_pos="53", payer=payer
    )
    assert chosen == expected


def test_a_payer_that_wants_office_pos_for_telehealth_at_home_gets_11(payer):
    payer.telehealth_home_pos = pos("11")

    assert (
        place_of_service(telehealth="video", client_at_home=True, in_person_pos="11", payer=payer)
        == "11"
    )


def test_audio_only_uses_the_same_telehealth_pos_as_video(payer):
    assert (
        place_of_service(telehealth="audio", client_at_home=False, in_person_pos="11", payer=payer)
        == "02"
    )


@pytest.mark.parametrize(("at_home", "expected"), [(True, "10"), (False, "02")])
def test_a_payer_without_telehealth_pos_and_self_pay_get_10_at_home_02_elsewhere(
    payer, at_home, expected
):
    payer.telehealth_home_pos = None
    payer.telehealth_other_pos = None

    for who in (payer, None):
        chosen = place_of_service(
            telehealth="video", client_at_home=at_home, in_person_pos="11", payer=who
        )
        assert chosen == expected


# --- telehealth modifiers (docs/rules/coding.md §7.1) ---------------------------------------


@pytest.mark.parametrize(
    ("video", "audio", "mode", "expected"),
    [
        ("95", "93", "video", "95"),
        ("95", "93", "audio", "93"),
        ("GT", "93", "video", "GT"),
        ("GT", "", "audio", ""),
        ("", "", "video", ""),
        ("", "", "audio", ""),
        ("95", "93", "", ""),
    ],
)
def test_telehealth_modifier_is_the_payers_choice(payer, video, audio, mode, expected):
    payer.telehealth_modifier = video
    payer.audio_only_modifier = audio

    assert telehealth_modifier(telehealth=mode, payer=payer) == expected


@pytest.mark.parametrize(("mode", "expected"), [("video", "95"), ("audio", "93"), ("", "")])
def test_self_pay_gets_95_for_video_and_93_for_audio(mode, expected):
    assert telehealth_modifier(telehealth=mode, payer=None) == expected


def test_a_payer_refusing_audio_only_says_so_for_audio_sessions_only(payer):
    payer.audio_only_allowed = False

    assert audio_only_refusal(telehealth="audio", payer=payer) == (
        "Acme Health does not pay for audio-only sessions."
    )
    assert audio_only_refusal(telehealth="video", payer=payer) == ""
    assert audio_only_refusal(telehealth="audio", payer=None) == ""


def test_medicare_audio_only_is_93_in_the_demo_payer_settings():
    (medicare,) = [p for p in PAYERS if p.fields["filing_indicator"] == "MB"]
    assert medicare.fields["audio_only_modifier"] == "93"
    assert all(p.fields.get("audio_only_modifier") != "FQ" for p in PAYERS)


def test_fq_is_not_a_payer_choice_for_a_practice():
    assert "FQ" not in Payer.TelehealthModifier.values


# --- license modifier and supervision (docs/rules/coding.md §7.2, §9) -------------------


def test_an_associate_billed_under_a_psychologist_keeps_their_own_level(payer, associate):
    associate.supervisor.license_level = Clinician.LicenseLevel.PSYCHOLOGIST
    payer.supervision_billing = Payer.SupervisionBilling.SUPERVISOR_RENDERS
    payer.wants_license_modifier = True

    assert billing_clinicians(associate, payer)[0] == associate.supervisor
    assert license_modifier(payer=payer, clinician=associate) == "HO"
    assert line_modifiers(telehealth="video", payer=payer, clinician=associate) == ("HO", "95")


def test_license_modifier_comes_first_when_the_payer_wants_it(payer, licensed):
    payer.wants_license_modifier = True

    modifiers = line_modifiers(telehealth="video", payer=payer, clinician=licensed)

    assert modifiers == ("AJ", "95")


def test_no_license_modifier_unless_the_payer_wants_it(payer, licensed):
    assert line_modifiers(telehealth="", payer=payer, clinician=licensed) == ()
    assert line_modifiers(telehealth="video", payer=None, clinician=licensed) == ("95",)


def test_a_clinician_without_a_license_level_gets_no_license_modifier(payer, licensed):
    payer.wants_license_modifier = True
    licensed.license_level = ""

    assert line_modifiers(telehealth="video", payer=payer, clinician=licensed) == ("95",)


@pytest.mark.parametrize(
    ("setting", "rendering", "supervising", "license_modifier"),
    [
        (Payer.SupervisionBilling.SUPERVISOR_RENDERS, "supervisor", None, "HO"),
        (Payer.SupervisionBilling.SUPERVISOR_DQ, "associate", "supervisor", "HO"),
        (Payer.SupervisionBilling.ASSOCIATE, "associate", None, "HO"),
    ],
)
def test_supervised_sessions_bill_the_way_the_payer_says(
    request, payer, associate, setting, rendering, supervising, license_modifier
):
    payer.supervision_billing = setting
    payer.wants_license_modifier = True

    assert billing_clinicians(associate, payer) == (
        request.getfixturevalue(rendering),
        request.getfixturevalue(supervising) if supervising else None,
    )
    # The license modifier describes who saw the client (the associate), whoever the
    # claim names as rendering provider: never the supervisor's level.
    assert line_modifiers(telehealth="", payer=payer, clinician=associate) == (license_modifier,)


def test_a_licensed_clinician_always_renders_their_own_sessions(payer, licensed):
    for setting in Payer.SupervisionBilling.values:
        payer.supervision_billing = setting
        assert billing_clinicians(licensed, payer) == (licensed, None)


def test_a_supervised_self_pay_session_names_the_associate(associate):
    assert billing_clinicians(associate, None) == (associate, None)


# --- fee schedule -------------------------------------------------------------------------


def test_standard_payer_is_charged_the_practices_standard_fees(payer):
    factories.PayerRateFactory(payer=payer, allowed_amount=Decimal("98.00"))

    fees = fee_schedule(payer, ON)

    assert fees["90834"] == ProcedureCode.objects.get(code="90834").default_charge
    assert fees == fee_schedule(None, ON)


def _rate(payer, code: str, amount: str, start: datetime.date, end: datetime.date | None = None):
    return PayerRate.objects.create(
        payer=payer,
        procedure=ProcedureCode.objects.get(code=code),
        allowed_amount=Decimal(amount),
        effective_from=start,
        effective_to=end,
    )


def test_contract_rate_payer_is_charged_the_rate_in_force_on_the_date(payer):
    payer.charge_basis = Payer.ChargeBasis.CONTRACT_RATE
    payer.save()
    _rate(payer, "90837", "120.00", datetime.date(2025, 1, 1), datetime.date(2025, 12, 31))
    _rate(payer, "90837", "131.00", datetime.date(2026, 1, 1))
    _rate(payer, "90837", "140.00", datetime.date(2026, 11, 1))  # not yet in force
    _rate(payer, "90834", "99.00", datetime.date(2024, 1, 1), datetime.date(2026, 10, 4))

    fees = fee_schedule(payer, ON)

    assert fees["90837"] == Decimal("131.00")
    # An expired rate falls back to the standard charge.
    assert fees["90834"] == ProcedureCode.objects.get(code="90834").default_charge
    assert fee_schedule(payer, datetime.date(2025, 6, 1))["90837"] == Decimal("120.00")
    assert fee_schedule(payer, datetime.date(2026, 11, 1))["90837"] == Decimal("140.00")


def test_two_rates_in_force_the_later_start_wins(payer):
    payer.charge_basis = Payer.ChargeBasis.CONTRACT_RATE
    _rate(payer, "90837", "120.00", datetime.date(2025, 1, 1))
    _rate(payer, "90837", "125.00", datetime.date(2026, 7, 1))

    assert fee_schedule(payer, ON)["90837"] == Decimal("125.00")


def test_another_payers_rates_do_not_apply(payer):
    payer.charge_basis = Payer.ChargeBasis.CONTRACT_RATE
    other = factories.PayerFactory(name="Other Health")
    _rate(other, "90837", "77.00", datetime.date(2025, 1, 1))

    assert (
        fee_schedule(payer, ON)["90837"] == ProcedureCode.objects.get(code="90837").default_charge
    )


# --- propose --------------------------------------------------------------------------------


def test_53_minutes_by_video_at_home_proposes_90837_95_pos_10_at_the_fee(payer, licensed):
    proposal = _propose(licensed, payer)

    (line,) = proposal.lines
    assert (line.code, line.units, line.modifiers, line.place_of_service) == (
        "90837",
        1,
        ("95",),
        "10",
    )
    assert line.charge == Decimal("180.00")
    assert line.unit_fee == Decimal("180.00")
    assert proposal.warnings == ()


def test_interactive_complexity_adds_90785_with_the_same_modifiers(payer, licensed):
    proposal = _propose(licensed, payer, minutes=45, interactive_complexity=True)

    assert [(x.code, x.modifiers, x.charge) for x in proposal.lines] == [
        ("90834", ("95",), Decimal("140.00")),
        ("90785", ("95",), Decimal("25.00")),
    ]


def test_interactive_complexity_with_crisis_is_refused_with_the_reason(payer, licensed):
    with pytest.raises(ValueError, match="cannot be billed with 90839"):
        _propose(licensed, payer, service="crisis", minutes=60, interactive_complexity=True)


def test_crisis_add_on_units_multiply_the_fee(payer, licensed):
    proposal = _propose(licensed, payer, service="crisis", minutes=110, telehealth="")

    assert [(x.code, x.units, x.charge) for x in proposal.lines] == [
        ("90839", 1, Decimal("200.00")),
        ("90840", 2, Decimal("190.00")),
    ]
    assert proposal.lines[1].unit_fee == Decimal("95.00")


def test_too_short_a_session_proposes_nothing_and_says_why(payer, licensed):
    proposal = _propose(licensed, payer, minutes=15)

    assert proposal.lines == ()
    assert proposal.warnings == (
        "15 minutes is too short for any individual code; the session cannot be billed as logged.",
    )


def test_audio_only_warns_when_the_payer_does_not_pay_for_it(payer, licensed):
    payer.audio_only_allowed = False

    proposal = _propose(licensed, payer, telehealth="audio")

    assert proposal.lines[0].modifiers == ("93",)
    assert proposal.warnings == ("Acme Health does not pay for audio-only sessions.",)


def test_a_code_without_a_fee_is_charged_zero_with_a_warning(payer, licensed):
    proposal = _propose(licensed, payer, fees={})

    assert proposal.lines[0].charge == Decimal("0.00")
    assert proposal.warnings == ("No fee on file for 90837; the charge is $0.00.",)


def test_self_pay_session_uses_the_default_telehealth_rules(licensed):
    proposal = _propose(licensed, None, telehealth="audio", client_at_home=False)

    assert (proposal.lines[0].modifiers, proposal.lines[0].place_of_service) == (("93",), "02")


def test_in_person_session_uses_the_locations_pos_and_no_telehealth_modifier(payer, licensed):
    proposal = _propose(licensed, payer, telehealth="", in_person_pos="53")

    assert (proposal.lines[0].modifiers, proposal.lines[0].place_of_service) == ((), "53")
