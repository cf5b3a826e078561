"""Tests for billing.coding: CPT time rules, add-on rules, same-day rules and who may
bill what (docs/rules/coding.md).

Expected codes are written out literally here rather than read from the module's
tables, so a wrong table fails a test instead of agreeing with itself.
"""

from __future__ import annotations

import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing.coding import (
    ADD_ON_PRIMARIES,
    ADD_ON_UNITS,
    DAILY_LIMITS,
    DESCRIPTIONS,
    SAME_DAY_PAIRS,
    SERVICES,
    TIME_RANGES,
    DayLine,
    add_interactive_complexity,
    add_on_unit_problems,
    add_on_units,
    check_add_ons,
    credential_problems,
    is_add_on,
    is_prescriber_credential,
    minutes_between,
    same_day_problems,
    suggest,
    time_problems,
)

# --- services -------------------------------------------------------------------------


def test_services_include_every_kind_the_forms_offer():
    assert set(SERVICES) >= {
        "individual",
        "family",
        "family_without_client",
        "group",
        "crisis",
        "intake",
        "intake_medical",
    }


@pytest.mark.parametrize("service", ["Individual", "therapy", "", "individual "])
def test_unknown_service_raises_value_error(service):
    with pytest.raises(ValueError, match="Unknown service"):
        suggest(service, 53)


@pytest.mark.parametrize("service", SERVICES)
def test_negative_minutes_raise_value_error_for_every_service(service):
    with pytest.raises(ValueError, match="negative"):
        suggest(service, -1)


@pytest.mark.parametrize("service", SERVICES)
def test_zero_minutes_suggests_nothing_for_every_service(service):
    assert suggest(service, 0) == []
    assert suggest(service, 0, with_em=True) == []


# --- individual psychotherapy -----------------------------------------------------------


@pytest.mark.parametrize(
    ("minutes", "expected"),
    [
        (1, []),
        (15, []),
        (16, [("90832", 1)]),
        (37, [("90832", 1)]),
        (38, [("90834", 1)]),
        (52, [("90834", 1)]),
        (53, [("90837", 1)]),
        (90, [("90837", 1)]),
        (240, [("90837", 1)]),
    ],
)
def test_individual_minutes_suggest_the_code_for_their_range(minutes, expected):
    assert suggest("individual", minutes) == expected


@pytest.mark.parametrize(
    ("minutes", "expected"),
    [
        (15, []),
        (16, [("90833", 1)]),
        (37, [("90833", 1)]),
        (38, [("90836", 1)]),
        (52, [("90836", 1)]),
        (53, [("90838", 1)]),
        (120, [("90838", 1)]),
    ],
)
def test_individual_with_em_suggests_the_e_m_add_on_for_the_range(minutes, expected):
    assert suggest("individual", minutes, with_em=True) == expected


def test_15_minutes_suggests_no_psychotherapy_code():
    assert suggest("individual", 15) == []


def test_16_minutes_suggests_90832():
    assert suggest("individual", 16) == [("90832", 1)]


def test_38_minutes_suggests_90834():
    assert suggest("individual", 38) == [("90834", 1)]


def test_53_minutes_suggests_90837():
    assert suggest("individual", 53) == [("90837", 1)]


def test_52_minutes_still_suggests_90834_not_90837():
    assert suggest("individual", 52) == [("90834", 1)]


def test_with_em_never_suggests_the_e_m_code_itself():
    for minutes in (16, 45, 60):
        codes = [code for code, _ in suggest("individual", minutes, with_em=True)]
        assert not any(code.startswith("992") for code in codes)


def _expected_individual(minutes: int, *, with_em: bool) -> str | None:
    # Independent restatement of docs/rules/coding.md §2.1 for the property test.
    if minutes < 16:
        return None
    if minutes <= 37:
        return "90833" if with_em else "90832"
    if minutes <= 52:
        return "90836" if with_em else "90834"
    return "90838" if with_em else "90837"


@given(minutes=st.integers(min_value=0, max_value=600), with_em=st.booleans())
def test_individual_suggests_at_most_one_code_consistent_with_the_time(minutes, with_em):
    lines = suggest("individual", minutes, with_em=with_em)
    assert len(lines) <= 1
    expected = _expected_individual(minutes, with_em=with_em)
    if expected is None:
        assert lines == []
    else:
        assert lines == [(expected, 1)]


@given(minutes=st.integers(min_value=0, max_value=599))
def test_one_more_minute_of_individual_time_never_suggests_a_shorter_code(minutes):
    order = ["90832", "90834", "90837"]
    before = [order.index(code) for code, _ in suggest("individual", minutes)]
    after = [order.index(code) for code, _ in suggest("individual", minutes + 1)]
    assert (before or [-1])[0] <= (after or [-1])[0]


# --- family -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("service", "minutes", "expected"),
    [
        ("family", 25, []),
        ("family", 26, [("90847", 1)]),
        ("family", 50, [("90847", 1)]),
        ("family", 80, [("90847", 1)]),
        ("family_without_client", 25, []),
        ("family_without_client", 26, [("90846", 1)]),
        ("family_without_client", 50, [("90846", 1)]),
    ],
)
def test_family_codes_need_26_minutes(service, minutes, expected):
    assert suggest(service, minutes) == expected


def test_26_minutes_of_family_therapy_with_the_client_suggests_90847():
    assert suggest("family", 26) == [("90847", 1)]


def test_26_minutes_of_family_therapy_without_the_client_suggests_90846():
    assert suggest("family_without_client", 26) == [("90846", 1)]


def test_with_em_does_not_change_family_codes():
    assert suggest("family", 50, with_em=True) == [("90847", 1)]


# --- untimed services -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("service", "code"),
    [
        ("group", "90853"),
        ("multi_family_group", "90849"),
        ("intake", "90791"),
        ("intake_medical", "90792"),
    ],
)
@pytest.mark.parametrize("minutes", [1, 15, 45, 90, 600])
def test_untimed_services_suggest_one_unit_for_any_time(service, code, minutes):
    assert suggest(service, minutes) == [(code, 1)]


def test_1_minute_of_group_suggests_90853():
    assert suggest("group", 1) == [("90853", 1)]


# --- crisis -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("minutes", "expected"),
    [
        (15, []),
        (16, [("90832", 1)]),
        (29, [("90832", 1)]),
        (30, [("90839", 1)]),
        (74, [("90839", 1)]),
        (75, [("90839", 1), ("90840", 1)]),
        (104, [("90839", 1), ("90840", 1)]),
        (105, [("90839", 1), ("90840", 2)]),
        (134, [("90839", 1), ("90840", 2)]),
        (135, [("90839", 1), ("90840", 3)]),
        (164, [("90839", 1), ("90840", 3)]),
        (165, [("90839", 1), ("90840", 4)]),
    ],
)
def test_crisis_boundaries(minutes, expected):
    assert suggest("crisis", minutes) == expected


def test_29_minute_crisis_with_em_falls_back_to_90833():
    assert suggest("crisis", 29, with_em=True) == [("90833", 1)]


def test_30_minute_crisis_with_em_suggests_90839():
    assert suggest("crisis", 30, with_em=True) == [("90839", 1)]


def test_15_minute_crisis_suggests_nothing():
    assert suggest("crisis", 15) == []


def test_75_minute_crisis_adds_one_unit_of_90840():
    assert suggest("crisis", 75) == [("90839", 1), ("90840", 1)]


@given(minutes=st.integers(min_value=75, max_value=600))
def test_each_90840_unit_stands_for_a_further_30_minutes(minutes):
    lines = suggest("crisis", minutes)
    assert lines[0] == ("90839", 1)
    code, units = lines[1]
    assert code == "90840"
    # First hour, then one unit per 30-minute block begun with more than 15 minutes spent.
    assert 45 + 30 * units <= minutes < 75 + 30 * units


@given(minutes=st.integers(min_value=30, max_value=600))
def test_crisis_suggestions_pass_the_add_on_check(minutes):
    assert check_add_ons([code for code, _ in suggest("crisis", minutes)]) == []


# --- add-on table -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "code", ["90785", "90833", "90836", "90838", "90840", "96131", "96137", "96139"]
)
def test_add_on_codes_are_recognised(code):
    assert is_add_on(code)


@pytest.mark.parametrize(
    "code", ["90791", "90792", "90832", "90834", "90837", "90839", "90847", "99213", "96130"]
)
def test_primary_codes_are_not_add_ons(code):
    assert not is_add_on(code)


def test_interactive_complexity_never_accompanies_crisis_or_family_codes():
    assert not ADD_ON_PRIMARIES["90785"] & {"90839", "90840", "90846", "90847"}


def test_e_m_add_ons_accept_every_office_visit_code_and_nothing_else():
    office_visits = {"99202", "99203", "99204", "99205", "99211", "99212", "99213", "99214"}
    office_visits.add("99215")
    for code in ("90833", "90836", "90838"):
        assert ADD_ON_PRIMARIES[code] == office_visits


def test_every_code_the_suggester_emits_has_our_own_description():
    emitted = {
        code
        for service in SERVICES
        for minutes in (16, 30, 45, 60, 120)
        for with_em in (False, True)
        for code, _ in suggest(service, minutes, with_em=with_em)
    }
    assert emitted <= DESCRIPTIONS.keys()


# --- check_add_ons ----------------------------------------------------------------------

ADD_ON_WITH_A_PRIMARY = [
    ("90785", "90834"),
    ("90785", "90791"),
    ("90785", "90792"),
    ("90785", "90853"),
    ("90840", "90839"),
    ("90833", "99213"),
    ("90836", "99202"),
    ("90838", "99215"),
    ("96131", "96130"),
    ("96137", "96136"),
    ("96139", "96138"),
]


@pytest.mark.parametrize("add_on", sorted({add_on for add_on, _ in ADD_ON_WITH_A_PRIMARY}))
def test_add_on_alone_is_an_error_naming_it(add_on):
    errors = check_add_ons([add_on])
    assert len(errors) == 1
    assert add_on in errors[0]
    assert "needs" in errors[0]


@pytest.mark.parametrize(("add_on", "primary"), ADD_ON_WITH_A_PRIMARY)
def test_add_on_with_its_primary_is_quiet(add_on, primary):
    assert check_add_ons([primary, add_on]) == []


def test_90840_alone_says_it_needs_90839():
    expected = (
        "90840 (crisis add-on, each extra 30 min) needs 90839 "
        "(crisis psychotherapy, first hour) on the same claim."
    )
    assert check_add_ons(["90840"]) == [expected]


def test_90833_without_an_e_m_visit_says_it_needs_an_e_m_code():
    (error,) = check_add_ons(["90833"])
    assert "90833" in error
    assert "E/M" in error


def test_90833_beside_90832_is_still_missing_its_e_m_primary():
    errors = check_add_ons(["90832", "90833"])
    assert any("90833" in e and "E/M" in e for e in errors)


@pytest.mark.parametrize(
    ("add_on", "wrong_primary"),
    [
        ("90840", "90834"),
        ("90840", "90837"),
        ("90833", "90832"),
        ("90836", "90791"),
        ("90785", "96130"),
        ("96131", "96136"),
        ("96131", "96138"),
        ("96137", "96130"),
        ("96137", "96138"),
        ("96139", "96130"),
        ("96139", "96136"),
    ],
)
def test_add_on_beside_someone_elses_primary_is_an_error(add_on, wrong_primary):
    errors = check_add_ons([wrong_primary, add_on])
    assert any(e.startswith(add_on) and "needs" in e for e in errors)


@pytest.mark.parametrize("forbidden", ["90839", "90846", "90847"])
def test_90785_with_crisis_or_family_code_is_an_error(forbidden):
    errors = check_add_ons([forbidden, "90785"])
    assert len(errors) == 1
    assert "90785" in errors[0]
    assert forbidden in errors[0]
    assert "cannot" in errors[0]


def test_90785_with_crisis_is_an_error_even_beside_an_allowed_primary():
    errors = check_add_ons(["90834", "90839", "90785"])
    assert any("90785" in e and "90839" in e for e in errors)


def test_90785_twice_is_an_error():
    errors = check_add_ons(["90834", "90785", "90785"])
    assert len(errors) == 1
    assert "90785" in errors[0]
    assert "once" in errors[0]


@pytest.mark.parametrize(
    "codes",
    [
        ["90832", "90834"],
        ["90834", "90837"],
        ["90834", "90834"],
        ["99213", "90833", "90836"],
        ["99213", "90832", "90833"],
    ],
)
def test_time_based_individual_codes_are_never_added_together(codes):
    errors = check_add_ons(codes)
    assert any("added together" in e for e in errors)


def test_one_time_based_individual_code_is_quiet():
    assert check_add_ons(["90837"]) == []


def test_90791_and_90792_together_is_an_error():
    errors = check_add_ons(["90791", "90792"])
    assert len(errors) == 1
    assert "90791" in errors[0]
    assert "90792" in errors[0]


def test_90791_twice_is_an_error():
    errors = check_add_ons(["90791", "90791"])
    assert len(errors) == 1
    assert "once per day" in errors[0]


def test_90792_with_an_e_m_visit_is_an_error():
    errors = check_add_ons(["90792", "99214"])
    assert len(errors) == 1
    assert "99214" in errors[0]


def test_an_ordinary_prescriber_visit_is_quiet():
    assert check_add_ons(["99214", "90836", "90785"]) == []


def test_empty_codes_and_codes_with_no_rules_are_quiet():
    assert check_add_ons([]) == []
    assert check_add_ons(["96127", "96127"]) == []


def test_messages_come_in_a_stable_order():
    codes = ["90840", "96131", "90791", "90792"]
    assert check_add_ons(codes) == check_add_ons(codes)
    errors = check_add_ons(codes)
    assert errors[0].startswith("90840")
    assert errors[1].startswith("96131")


# --- add_interactive_complexity -------------------------------------------------------


@pytest.mark.parametrize("primary", ["90791", "90792", "90832", "90834", "90837", "90853"])
def test_interactive_complexity_is_appended_after_an_allowed_primary(primary):
    assert add_interactive_complexity([(primary, 1)]) == [(primary, 1), ("90785", 1)]


def test_interactive_complexity_goes_with_a_prescriber_psychotherapy_add_on():
    lines = [("99213", 1), ("90833", 1)]
    assert add_interactive_complexity(lines) == [("99213", 1), ("90833", 1), ("90785", 1)]


def test_adding_interactive_complexity_leaves_the_input_list_alone():
    lines = [("90834", 1)]
    add_interactive_complexity(lines)
    assert lines == [("90834", 1)]


@pytest.mark.parametrize(
    "lines",
    [
        [("90839", 1)],
        [("90839", 1), ("90840", 2)],
        [("90846", 1)],
        [("90847", 1)],
    ],
)
def test_interactive_complexity_is_refused_with_crisis_or_family_codes(lines):
    with pytest.raises(ValueError, match="cannot be billed with"):
        add_interactive_complexity(lines)


def test_interactive_complexity_is_refused_without_a_primary():
    with pytest.raises(ValueError, match="needs"):
        add_interactive_complexity([])
    with pytest.raises(ValueError, match="needs"):
        add_interactive_complexity([("96127", 1)])


def test_interactive_complexity_is_refused_a_second_time():
    with pytest.raises(ValueError, match="already"):
        add_interactive_complexity([("90834", 1), ("90785", 1)])


# --- minutes_between --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "minutes"),
    [
        (datetime.time(9, 0), datetime.time(9, 53), 53),
        (datetime.time(9, 30), datetime.time(10, 22), 52),
        (datetime.time(0, 0), datetime.time(23, 59), 1439),
        (datetime.time(9, 0), datetime.time(9, 0, 59), 0),
        (datetime.time(9, 0, 30), datetime.time(9, 53, 29), 52),
    ],
)
def test_minutes_between_counts_whole_minutes(start, end, minutes):
    assert minutes_between(start, end) == minutes


def test_minutes_between_feeds_the_suggester():
    minutes = minutes_between(datetime.time(14, 0), datetime.time(14, 53))
    assert suggest("individual", minutes) == [("90837", 1)]


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (datetime.time(10, 0), datetime.time(10, 0)),
        (datetime.time(10, 0), datetime.time(9, 59)),
        (datetime.time(23, 30), datetime.time(0, 20)),
    ],
)
def test_minutes_between_refuses_an_end_not_after_the_start(start, end):
    with pytest.raises(ValueError, match="end after it starts"):
        minutes_between(start, end)


# --- time ranges: one table (docs/rules/coding.md §2) -----------------------------------


@pytest.mark.parametrize(
    ("code", "minutes", "fits"),
    [
        ("90832", 15, False),
        ("90832", 16, True),
        ("90832", 37, True),
        ("90832", 38, False),
        ("90834", 52, True),
        ("90834", 53, False),
        ("90837", 53, True),
        ("90837", 50, False),
        ("90838", 52, False),
        ("90847", 25, False),
        ("90847", 26, True),
        ("90839", 29, False),
        ("90839", 74, True),
        ("90839", 75, False),
        ("96130", 30, False),
        ("96130", 31, True),
        ("96136", 15, False),
        ("96138", 16, True),
    ],
)
def test_time_problems_flag_a_code_outside_its_range(code, minutes, fits):
    assert (time_problems([(code, minutes)]) == []) is fits


def test_90837_on_a_50_minute_session_says_why():
    assert time_problems([("90837", 50)]) == [
        (0, "90837 needs 53 or more minutes but the session recorded 50.")
    ]


def test_a_crisis_beside_its_add_on_has_no_upper_limit():
    assert time_problems([("90839", 110), ("90840", 110)]) == []
    assert time_problems([("90839", 110)]) == [
        (0, "90839 needs 30–74 minutes but the session recorded 110.")
    ]


def test_untimed_codes_and_lines_without_minutes_are_never_time_problems():
    assert time_problems([("90853", 1), ("90791", 240), ("99214", 5), ("90837", None)]) == []


def test_every_code_the_suggester_emits_fits_its_own_time_range():
    for service in SERVICES:
        for minutes in range(0, 241):
            lines = suggest(service, minutes)
            assert time_problems([(code, minutes) for code, _ in lines]) == [], (service, minutes)
            units = [(code, units, minutes) for code, units in lines]
            assert add_on_unit_problems(units) == [], (service, minutes)


# --- add-on units from minutes (docs/rules/coding.md §3.2) ---------------------------------


@pytest.mark.parametrize(
    ("code", "minutes", "units"),
    [
        ("90840", 74, 0),
        ("90840", 75, 1),
        ("90840", 80, 1),
        ("90840", 104, 1),
        ("90840", 105, 2),
        ("90840", 134, 2),
        ("90840", 135, 3),
        ("96131", 40, 0),
        ("96131", 90, 0),
        ("96131", 91, 1),
        ("96131", 150, 1),
        ("96131", 151, 2),
        ("96137", 45, 0),
        ("96137", 46, 1),
        ("96137", 75, 1),
        ("96137", 76, 2),
        ("96139", 46, 1),
    ],
)
def test_add_on_units_follow_the_minutes(code, minutes, units):
    assert add_on_units(code, minutes) == units


def test_an_80_minute_crisis_with_three_units_of_90840_fails():
    assert add_on_unit_problems([("90839", 1, 80), ("90840", 3, 80)]) == [
        (1, "90840 ×3 needs at least 135 minutes; 80 minutes allow at most 1.")
    ]


def test_a_40_minute_evaluation_with_three_units_of_96131_fails():
    assert add_on_unit_problems([("96130", 1, 40), ("96131", 3, 40)]) == [
        (1, "96131 ×3 needs at least 211 minutes; 40 minutes allow none.")
    ]


def test_add_on_units_the_minutes_allow_are_quiet():
    assert add_on_unit_problems([("90839", 1, 80), ("90840", 1, 80)]) == []
    assert add_on_unit_problems([("96136", 1, 76), ("96137", 2, 76)]) == []


@pytest.mark.parametrize(
    ("service", "minutes", "expected"),
    [
        ("testing_evaluation", 30, []),
        ("testing_evaluation", 40, [("96130", 1)]),
        ("testing_evaluation", 91, [("96130", 1), ("96131", 1)]),
        ("testing_evaluation", 151, [("96130", 1), ("96131", 2)]),
        ("testing_administration", 15, []),
        ("testing_administration", 45, [("96136", 1)]),
        ("testing_administration", 46, [("96136", 1), ("96137", 1)]),
        ("testing_technician", 120, [("96138", 1), ("96139", 3)]),
    ],
)
def test_testing_services_suggest_their_add_on_units_from_the_minutes(service, minutes, expected):
    assert suggest(service, minutes) == expected


def test_every_add_on_unit_rule_names_an_add_on_its_primary_and_a_source():
    for code, rule in ADD_ON_UNITS.items():
        assert rule.primary in ADD_ON_PRIMARIES[code]
        assert rule.source


# --- same-day rules (docs/rules/coding.md §4) ---------------------------------------------


@pytest.mark.parametrize(
    "codes",
    [
        ["90834", "90839"],
        ["90832", "90839", "90840"],
        ["90839", "90791"],
        ["90792", "90840", "90839"],
        ["90839", "90785"],
        ["90791", "90837"],
        ["90792", "90847"],
        ["90791", "90853"],
        ["90791", "99213"],
        ["90792", "99214"],
        ["90791", "90792"],
        ["99213", "90834"],
        ["99215", "90837"],
        ["90847", "90785"],
    ],
)
def test_pairs_never_billed_the_same_day_are_errors(codes):
    assert same_day_problems(codes)


def test_90834_beside_a_crisis_names_both_and_the_reason():
    (message,) = same_day_problems(["90834", "90839"])
    assert message.startswith(
        "90834 (individual psychotherapy, about 45 min) cannot be billed with 90839"
    )
    assert "crisis psychotherapy covers" in message


def test_90839_twice_on_one_date_is_an_error_even_from_two_clinicians():
    (message,) = same_day_problems([DayLine("90839", "a"), DayLine("90839", "b")])
    assert "90839" in message and "90840" in message


def test_90791_by_two_clinicians_the_same_day_is_not_a_daily_limit_problem():
    assert same_day_problems([DayLine("90791", "a"), DayLine("90791", "b")]) == []
    assert same_day_problems([DayLine("90791", "a"), DayLine("90791", "a")])


def test_an_e_m_visit_and_another_clinicians_psychotherapy_the_same_day_are_allowed():
    assert same_day_problems([DayLine("99214", "prescriber"), DayLine("90834", "therapist")]) == []
    assert same_day_problems([DayLine("99214", "prescriber"), DayLine("90834", "prescriber")])


def test_a_crisis_and_another_clinicians_psychotherapy_the_same_day_are_an_error():
    assert same_day_problems([DayLine("90839", "a"), DayLine("90834", "b")])


@pytest.mark.parametrize(
    "codes",
    [
        ["90839", "90840", "90840"],
        ["99214", "90836", "90785"],
        ["90837", "90785"],
        ["90791", "90785"],
        ["90847"],
        ["90853", "90834"],
        ["96130", "96131", "96136", "96137"],
    ],
)
def test_days_that_keep_the_same_day_rules_are_quiet(codes):
    assert same_day_problems(codes) == []


def test_every_same_day_row_and_daily_limit_names_its_source():
    for pair in SAME_DAY_PAIRS:
        assert pair.source and pair.reason
        assert not pair.codes & pair.never_with or pair.codes == pair.never_with
    for limit in DAILY_LIMITS.values():
        assert limit.source and limit.advice


# --- who may bill what (docs/rules/coding.md §6) -----------------------------------------


@pytest.mark.parametrize("code", ["99202", "99213", "99215", "90792", "90833", "90836", "90838"])
def test_prescriber_only_codes_are_refused_for_a_non_prescriber(code):
    (message,) = credential_problems([code], prescriber=False, who="Dana Lee, LCSW")
    assert message.startswith(code)
    assert "prescribing license" in message and "Dana Lee, LCSW is not a prescriber" in message
    assert credential_problems([code], prescriber=True) == []


@pytest.mark.parametrize("code", ["90791", "90832", "90837", "90839", "90847", "90853", "96130"])
def test_codes_any_licensed_clinician_bills_are_quiet(code):
    assert credential_problems([code], prescriber=False) == []


@pytest.mark.parametrize(
    ("credentials", "prescriber"),
    [
        ("MD", True),
        ("DO", True),
        ("PMHNP-BC", True),
        ("PA-C", True),
        ("M.D.", True),
        ("LCSW", False),
        ("PhD", False),
        ("LPC", False),
        ("LMFT", False),
        ("PsyD, ABPP", False),
        ("RN, PMHNP", True),
    ],
)
def test_credentials_that_name_a_prescribing_license(credentials, prescriber):
    assert is_prescriber_credential(credentials) is prescriber


def test_time_ranges_cover_every_time_based_code_the_suggester_emits():
    timed = {"90832", "90833", "90834", "90836", "90837", "90838", "90839", "90846", "90847"}
    assert timed | {"96130", "96136", "96138"} == set(TIME_RANGES)
