"""CPT coding rules for psychotherapy sessions: pure Python, no database.

Every rule here is explained, with its primary source, in ``docs/rules/coding.md``; each
function names the section it implements. Rules are data tables (time ranges, add-on
primaries and units, same-day pairs, daily limits, codes only prescribers bill), each row
naming its source, so that a rule change is a one-row edit. The session form, the claim
scrubber and the claim builder all read these tables: a rule has this one home.

Descriptions are our own short words. They are deliberately not the AMA's CPT
descriptors, which are copyrighted; a licensed practice imports the official text into
the catalog through the admin.
"""

from __future__ import annotations

import datetime
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

__all__ = [
    "ADD_ON_PRIMARIES",
    "ADD_ON_UNITS",
    "DAILY_LIMITS",
    "DESCRIPTIONS",
    "EM_ADD_ONS",
    "EM_CODES",
    "PRESCRIBER_CODES",
    "SAME_DAY_PAIRS",
    "SERVICES",
    "TIME_RANGES",
    "DayLine",
    "add_interactive_complexity",
    "add_on_problems",
    "add_on_unit_problems",
    "add_on_units",
    "check_add_ons",
    "credential_problems",
    "daily_limit_problems",
    "is_add_on",
    "minutes_between",
    "minutes_for",
    "same_day_pair_problems",
    "same_day_problems",
    "suggest",
    "time_problems",
]

# A time range is (first minute, last minute or None for "and more", code).
TimeRange = tuple[int, int | None, str]

SERVICES: tuple[str, ...] = (
    "individual",
    "family",
    "family_without_client",
    "group",
    "multi_family_group",
    "crisis",
    "intake",
    "intake_medical",
    "testing_evaluation",
    "testing_administration",
    "testing_technician",
)

# E/M office visits a prescriber may bill. 99201 was retired in 2021 and 99206-99210
# were never assigned, so "99202-99215" means these nine codes.
EM_CODES: frozenset[str] = frozenset(
    {"99202", "99203", "99204", "99205", "99211", "99212", "99213", "99214", "99215"}
)
# docs/rules/coding.md §5: psychotherapy beside an E/M visit.
EM_ADD_ONS: frozenset[str] = frozenset({"90833", "90836", "90838"})

DESCRIPTIONS: dict[str, str] = {
    "90785": "interactive complexity add-on",
    "90791": "intake evaluation",
    "90792": "intake evaluation with medical services",
    "90832": "individual psychotherapy, about 30 min",
    "90833": "psychotherapy with an E/M visit, about 30 min",
    "90834": "individual psychotherapy, about 45 min",
    "90836": "psychotherapy with an E/M visit, about 45 min",
    "90837": "individual psychotherapy, about 60 min",
    "90838": "psychotherapy with an E/M visit, about 60 min",
    "90839": "crisis psychotherapy, first hour",
    "90840": "crisis add-on, each extra 30 min",
    "90846": "family psychotherapy without the client",
    "90847": "family psychotherapy with the client",
    "90849": "multiple-family group psychotherapy",
    "90853": "group psychotherapy",
    "96130": "psychological testing evaluation, first hour",
    "96131": "psychological testing evaluation, each extra hour",
    "96136": "test administration by the clinician, first 30 min",
    "96137": "test administration by the clinician, each extra 30 min",
    "96138": "test administration by a technician, first 30 min",
    "96139": "test administration by a technician, each extra 30 min",
} | dict.fromkeys(EM_CODES, "E/M office visit")

# docs/rules/coding.md §2.1: time ranges of the individual codes (inclusive).
INDIVIDUAL_RANGES: tuple[TimeRange, ...] = (
    (16, 37, "90832"),
    (38, 52, "90834"),
    (53, None, "90837"),
)
# docs/rules/coding.md §5: the E/M add-on codes use the same ranges as 90832/90834/90837,
# counted over the psychotherapy minutes alone.
INDIVIDUAL_WITH_EM_RANGES: tuple[TimeRange, ...] = (
    (16, 37, "90833"),
    (38, 52, "90836"),
    (53, None, "90838"),
)
# docs/rules/coding.md §2.2: family codes need time past the midpoint of 50 minutes.
FAMILY_RANGES: tuple[TimeRange, ...] = ((26, None, "90847"),)
FAMILY_WITHOUT_CLIENT_RANGES: tuple[TimeRange, ...] = ((26, None, "90846"),)

# docs/rules/coding.md §2.5: services with no time rule report one unit for any time.
UNTIMED_CODES: dict[str, str] = {
    "group": "90853",
    "multi_family_group": "90849",
    "intake": "90791",
    "intake_medical": "90792",
}

# docs/rules/coding.md §2.3: crisis psychotherapy.
CRISIS_CODE = "90839"
CRISIS_ADD_ON = "90840"
CRISIS_FIRST_MINUTE = 30  # under this, the session is billed as individual time
CRISIS_LAST_MINUTE = 74  # from 75 minutes the 90840 add-on reports the further time

# docs/rules/coding.md §2.4: testing services, their first-unit code and its add-on.
TESTING_SERVICES: dict[str, tuple[str, str]] = {
    "testing_evaluation": ("96130", "96131"),
    "testing_administration": ("96136", "96137"),
    "testing_technician": ("96138", "96139"),
}
TESTING_RANGES: tuple[TimeRange, ...] = (
    (31, None, "96130"),  # the first hour is attained past its midpoint
    (16, None, "96136"),  # the first 30 minutes likewise
    (16, None, "96138"),
)

INTERACTIVE_COMPLEXITY = "90785"

# docs/rules/coding.md §2: every time-based code and its range, in one table. Checks
# (session form, scrubber) and the catalog's minutes columns all read this one.
TIME_RANGES: dict[str, tuple[int, int | None]] = {
    code: (first, last)
    for table in (
        INDIVIDUAL_RANGES,
        INDIVIDUAL_WITH_EM_RANGES,
        FAMILY_RANGES,
        FAMILY_WITHOUT_CLIENT_RANGES,
        TESTING_RANGES,
        ((CRISIS_FIRST_MINUTE, CRISIS_LAST_MINUTE, CRISIS_CODE),),
    )
    for first, last, code in table
}

# docs/rules/coding.md §3.1: which primary codes each add-on may accompany (same client,
# clinician, date and claim). Source: CPT add-on code conventions; CMS NCCI add-on
# code edits (Medicare Claims Processing Manual, Pub. 100-04, ch. 12 §30 and the
# quarterly add-on code file).
ADD_ON_PRIMARIES: dict[str, frozenset[str]] = {
    "90785": frozenset(
        {"90791", "90792", "90832", "90833", "90834", "90836", "90837", "90838", "90853"}
    ),
    "90840": frozenset({"90839"}),
    "90833": EM_CODES,
    "90836": EM_CODES,
    "90838": EM_CODES,
    "96131": frozenset({"96130"}),
    "96137": frozenset({"96136"}),
    "96139": frozenset({"96138"}),
}


@dataclass(frozen=True)
class AddOnUnits:
    """How many units of a time add-on the minutes allow: the first unit from
    ``first_minute``, one more per further ``block`` minutes."""

    primary: str
    first_minute: int
    block: int
    source: str


# docs/rules/coding.md §3.2: add-on units follow the minutes.
ADD_ON_UNITS: dict[str, AddOnUnits] = {
    "90840": AddOnUnits(
        "90839", 75, 30, "CPT crisis psychotherapy time table (90839 + 90840 from 75 minutes)"
    ),
    "96131": AddOnUnits(
        "96130", 91, 60, "CPT psychological testing guidelines; CPT time rule (past the midpoint)"
    ),
    "96137": AddOnUnits(
        "96136", 46, 30, "CPT test administration guidelines; CPT time rule (past the midpoint)"
    ),
    "96139": AddOnUnits(
        "96138", 46, 30, "CPT test administration guidelines; CPT time rule (past the midpoint)"
    ),
}

# docs/rules/coding.md §2.1: the time-based individual codes, of which a session reports one.
INDIVIDUAL_TIME_CODES: frozenset[str] = frozenset(
    code for ranges in (INDIVIDUAL_RANGES, INDIVIDUAL_WITH_EM_RANGES) for _, _, code in ranges
)
INTAKE_CODES: frozenset[str] = frozenset({"90791", "90792"})
CRISIS_CODES: frozenset[str] = frozenset({CRISIS_CODE, CRISIS_ADD_ON})
PSYCHOTHERAPY_CODES: frozenset[str] = INDIVIDUAL_TIME_CODES | frozenset(
    {"90839", "90840", "90846", "90847", "90849", "90853"}
)


@dataclass(frozen=True)
class SameDayPair:
    """Codes never billed with ``never_with`` for one client on one date of service.

    ``same_clinician``: the edit applies to one clinician's services only (two
    clinicians may each bill their own side); otherwise to anyone's that day.
    """

    codes: frozenset[str]
    never_with: frozenset[str]
    same_clinician: bool
    reason: str
    source: str


# docs/rules/coding.md §4.1: pairs never billed together on one date of service.
SAME_DAY_PAIRS: tuple[SameDayPair, ...] = (
    SameDayPair(
        codes=CRISIS_CODES,
        never_with=INTAKE_CODES | INDIVIDUAL_TIME_CODES | {INTERACTIVE_COMPLEXITY},
        same_clinician=False,
        reason="crisis psychotherapy covers that day's psychotherapy and evaluation; "
        "report the crisis codes alone",
        source="CPT crisis psychotherapy guidelines; CMS NCCI procedure-to-procedure "
        "edits (modifier indicator 0)",
    ),
    SameDayPair(
        codes=INTAKE_CODES,
        never_with=(PSYCHOTHERAPY_CODES - CRISIS_CODES) | EM_CODES,
        same_clinician=False,
        reason="a diagnostic evaluation is not billed on the same day as psychotherapy "
        "or an E/M visit; bill the evaluation on its own day",
        source="CPT psychiatric diagnostic evaluation guidelines; CMS NCCI Policy Manual "
        "ch. XI (psychiatric services); NCCI procedure-to-procedure edits",
    ),
    SameDayPair(
        codes=frozenset({"90791"}),
        never_with=frozenset({"90792"}),
        same_clinician=False,
        reason="one diagnostic evaluation a day: choose 90791 or 90792",
        source="CPT psychiatric diagnostic evaluation guidelines",
    ),
    SameDayPair(
        codes=EM_CODES,
        never_with=frozenset({"90832", "90834", "90837"}),
        same_clinician=True,
        reason="with an E/M visit, psychotherapy is the add-on 90833, 90836 or 90838",
        source="CPT psychotherapy guidelines (psychotherapy with E/M); CMS NCCI "
        "procedure-to-procedure edits",
    ),
    SameDayPair(
        codes=frozenset({"90846", "90847"}),
        never_with=frozenset({INTERACTIVE_COMPLEXITY}),
        same_clinician=True,
        reason="interactive complexity is not reported with family psychotherapy",
        source="CPT interactive complexity guidelines",
    ),
)


@dataclass(frozen=True)
class DailyLimit:
    """At most ``units`` of a code for one client on one date (per clinician when
    ``same_clinician``)."""

    units: int
    same_clinician: bool
    advice: str
    source: str


# docs/rules/coding.md §4.2: codes reported at most once on a date of service.
DAILY_LIMITS: dict[str, DailyLimit] = {
    "90839": DailyLimit(
        1,
        False,
        "it is billed once per day; further crisis time goes to 90840",
        "CPT crisis psychotherapy guidelines",
    ),
    "90791": DailyLimit(
        1,
        True,
        "it is billed once per day",
        "CPT psychiatric diagnostic evaluation guidelines; CMS NCCI MUE of 1",
    ),
    "90792": DailyLimit(
        1,
        True,
        "it is billed once per day",
        "CPT psychiatric diagnostic evaluation guidelines; CMS NCCI MUE of 1",
    ),
    "90785": DailyLimit(
        1, True, "it is billed once per session", "CPT interactive complexity guidelines"
    ),
}

# docs/rules/coding.md §6: codes that need a prescribing license (MD/DO, psychiatric NP,
# PA). Psychologists, social workers, counselors and MFTs bill the others.
PRESCRIBER_CODES: frozenset[str] = EM_CODES | EM_ADD_ONS | {"90792"}
PRESCRIBER_SOURCE = (
    "CPT E/M guidelines; CMS Medicare Benefit Policy Manual (Pub. 100-02) ch. 15 §160 "
    "and §170 (psychologists and social workers bill no E/M services); state scope of practice"
)
# docs/rules/coding.md §6: credentials that carry a prescribing license, to set a
# clinician's "prescriber" flag when the credentials say so.
PRESCRIBER_CREDENTIALS: frozenset[str] = frozenset(
    {"MD", "DO", "NP", "PMHNP", "PMHNP-BC", "APRN", "APRN-BC", "PA", "PA-C"}
)

# How a missing primary is named in a message, in words a therapist recognises.
_NEEDS: dict[str, str] = {
    "90785": (
        "an intake evaluation (90791 or 90792), individual psychotherapy "
        "(90832-90838) or group psychotherapy (90853)"
    ),
    "90840": "90839 (crisis psychotherapy, first hour)",
    "90833": "an E/M office visit code (99202-99215)",
    "90836": "an E/M office visit code (99202-99215)",
    "90838": "an E/M office visit code (99202-99215)",
    "96131": "96130 (psychological testing evaluation, first hour)",
    "96137": "96136 (test administration by the clinician, first 30 min)",
    "96139": "96138 (test administration by a technician, first 30 min)",
}


def _named(code: str) -> str:
    """A code with our short description, e.g. "90840 (crisis add-on, each extra 30 min)"."""
    description = DESCRIPTIONS.get(code)
    return f"{code} ({description})" if description else code


def _span(first: int, last: int | None) -> str:
    return f"{first}–{last}" if last is not None else f"{first} or more"


def _code_for(minutes: int, ranges: Iterable[TimeRange]) -> str | None:
    for first, last, code in ranges:
        if minutes >= first and (last is None or minutes <= last):
            return code
    return None


def _timed(minutes: int, ranges: Iterable[TimeRange]) -> list[tuple[str, int]]:
    code = _code_for(minutes, ranges)
    return [(code, 1)] if code else []


def suggest(service: str, minutes: int, *, with_em: bool = False) -> list[tuple[str, int]]:
    """Suggest the (code, units) lines for one session of `service` lasting `minutes`.

    docs/rules/coding.md §2:
    - individual: 16-37 minutes reports 90832, 38-52 reports 90834, 53 or more 90837;
      under 16 minutes no psychotherapy code is reportable. With `with_em=True` (a
      prescriber also bills an E/M visit) the codes are 90833 / 90836 / 90838 over the
      same ranges, and `minutes` are the psychotherapy minutes alone (§5); the E/M code
      itself is the prescriber's choice and is not suggested.
    - family (client present): 26 minutes or more reports 90847.
    - family_without_client: 26 minutes or more reports 90846.
    - crisis: 30-74 minutes reports 90839; from 75 minutes add 90840, one unit at 75-104,
      two at 105-134, one more per further 30 minutes (§3.2). A crisis session of 16-29
      minutes is reported with the individual code for that time (90832, or 90833 with E/M).
    - testing_evaluation: 96130 from 31 minutes, plus 96131 per further hour (§3.2);
      testing_administration (96136 + 96137) and testing_technician
      (96138 + 96139): the first code from 16 minutes, one add-on per further 30.
    - group (90853), multi_family_group (90849), intake (90791), intake_medical (90792):
      no time rule; one unit for any time spent, nothing for 0 minutes.

    `with_em` only changes individual and short crisis sessions. Lengths too short for
    any code return []. An unknown service or negative minutes raise ValueError.
    """
    if service not in SERVICES:
        known = ", ".join(SERVICES)
        raise ValueError(f"Unknown service {service!r}; expected one of: {known}.")
    if minutes < 0:
        raise ValueError(f"Session length cannot be negative (got {minutes} minutes).")

    individual = INDIVIDUAL_WITH_EM_RANGES if with_em else INDIVIDUAL_RANGES
    if service == "individual":
        return _timed(minutes, individual)
    if service == "family":
        return _timed(minutes, FAMILY_RANGES)
    if service == "family_without_client":
        return _timed(minutes, FAMILY_WITHOUT_CLIENT_RANGES)
    if service == "crisis":
        if minutes < CRISIS_FIRST_MINUTE:
            return _timed(minutes, individual)
        return _with_add_on(CRISIS_CODE, CRISIS_ADD_ON, minutes)
    if service in TESTING_SERVICES:
        primary, add_on = TESTING_SERVICES[service]
        first, _ = TIME_RANGES[primary]
        return _with_add_on(primary, add_on, minutes) if minutes >= first else []
    return [(UNTIMED_CODES[service], 1)] if minutes > 0 else []


def explanations(service: str, minutes: int, codes: Sequence[tuple[str, int]]) -> list[str]:
    """Why ``suggest`` coded a session other than as its service's own code, in words a
    clinician can check: today a crisis session under 30 minutes, which CPT reports as
    psychotherapy for the time (docs/rules/coding.md §2.3)."""
    if service == "crisis" and codes and minutes < CRISIS_FIRST_MINUTE:
        return [
            f"A crisis session under {CRISIS_FIRST_MINUTE} minutes is billed as "
            f"psychotherapy for the time spent ({codes[0][0]}): crisis psychotherapy "
            f"({CRISIS_CODE}) starts at {CRISIS_FIRST_MINUTE} minutes."
        ]
    return []


def _with_add_on(primary: str, add_on: str, minutes: int) -> list[tuple[str, int]]:
    units = add_on_units(add_on, minutes)
    return [(primary, 1), (add_on, units)] if units else [(primary, 1)]


def minutes_for(code: str, *, minutes: int, psychotherapy_minutes: int | None) -> int:
    """The minutes a line's code is coded from (docs/rules/coding.md §5): at an E/M visit
    every code but the E/M one counts the psychotherapy minutes alone; otherwise, and for
    the E/M code, the session's minutes."""
    if psychotherapy_minutes is None or code in EM_CODES:
        return minutes
    return psychotherapy_minutes


def add_on_units(code: str, minutes: int) -> int:
    """The most units of a time add-on that `minutes` allow (docs/rules/coding.md §3.2):
    90840 one unit at 75-104 minutes, two at 105-134, one more per further 30; 96131 one
    per further hour past the first (from 91 minutes); 96137/96139 one per further 30
    minutes past the first (from 46 minutes). 0 when the minutes allow none."""
    rule = ADD_ON_UNITS[code]
    if minutes < rule.first_minute:
        return 0
    return (minutes - rule.first_minute) // rule.block + 1


def _minutes_for_units(code: str, units: int) -> int:
    rule = ADD_ON_UNITS[code]
    return rule.first_minute + (units - 1) * rule.block


def is_add_on(code: str) -> bool:
    """docs/rules/coding.md §3.1: True for a code that is paid only beside a primary code
    (90785, 90833/90836/90838, 90840, 96131, 96137, 96139)."""
    return code in ADD_ON_PRIMARIES


class DayLine(NamedTuple):
    """One billed code of one client on one date, for the same-day rules: who billed it
    (any hashable key for the clinician who saw the client) and how many units."""

    code: str
    clinician: Hashable = None
    units: int = 1


def same_day_problems(lines: Iterable[DayLine | str]) -> list[str]:
    """Problems with the same-day rules over one client's codes on one date of service
    (docs/rules/coding.md §4), from the tables ``SAME_DAY_PAIRS`` and ``DAILY_LIMITS``.

    Pass every line of that client and date (bare codes count as one clinician's).
    Returns plain-language messages, empty when the day is fine.
    """
    day = [line if isinstance(line, DayLine) else DayLine(line) for line in lines]
    return [*same_day_pair_problems(day), *daily_limit_problems(day)]


def same_day_pair_problems(lines: Iterable[DayLine]) -> list[str]:
    """docs/rules/coding.md §4.1: pairs of ``SAME_DAY_PAIRS`` found among one client's
    lines of one date."""
    day = list(lines)
    problems: list[str] = []
    for pair in SAME_DAY_PAIRS:
        problems.extend(_pair_problems(pair, day))
    return list(dict.fromkeys(problems))


def daily_limit_problems(lines: Iterable[DayLine]) -> list[str]:
    """docs/rules/coding.md §4.2: codes of ``DAILY_LIMITS`` billed more often than allowed
    among one client's lines of one date (90839 once: further time is 90840)."""
    day = list(lines)
    problems: list[str] = []
    for code, limit in DAILY_LIMITS.items():
        groups = _by_clinician(day) if limit.same_clinician else [day]
        for group in groups:
            units = sum(line.units for line in group if line.code == code)
            if units > limit.units:
                problems.append(f"{_named(code)} appears {units} times; {limit.advice}.")
    return list(dict.fromkeys(problems))


def _by_clinician(day: list[DayLine]) -> list[list[DayLine]]:
    groups: dict[Hashable, list[DayLine]] = {}
    for line in day:
        groups.setdefault(line.clinician, []).append(line)
    return list(groups.values())


def _pair_problems(pair: SameDayPair, day: list[DayLine]) -> Iterable[str]:
    for group in _by_clinician(day) if pair.same_clinician else [day]:
        codes = list(dict.fromkeys(line.code for line in group))
        ruled = [code for code in codes if code in pair.codes]
        barred = [code for code in codes if code in pair.never_with and code not in ruled]
        if ruled and barred:
            yield (
                f"{' and '.join(_named(c) for c in barred)} cannot be billed with "
                f"{' or '.join(_named(c) for c in ruled)} for the same client on the same "
                f"day: {pair.reason}."
            )


def never_with(code: str) -> frozenset[str]:
    """Codes that ``SAME_DAY_PAIRS`` never allows beside `code` (either side of a pair)."""
    found: set[str] = set()
    for pair in SAME_DAY_PAIRS:
        if code in pair.codes:
            found |= pair.never_with
        if code in pair.never_with:
            found |= pair.codes
    return frozenset(found)


def add_on_problems(codes: Sequence[str]) -> list[str]:
    """Problems with the add-on rules for one clinician's codes of one client on one
    date (docs/rules/coding.md §3.1, §2.1):

    - an add-on needs one of its primaries (``ADD_ON_PRIMARIES``) beside it;
    - time-based individual codes (90832-90838) are never added together: one range.
    """
    return [*_missing_primary_errors(codes), *_time_code_errors(codes)]


def check_add_ons(codes: list[str]) -> list[str]:
    """Every combination problem of one session's codes (one client, one clinician, one
    date): the add-on rules (§3.1), the one-time-code rule (§2.1) and the same-day rules
    (§4) of docs/rules/coding.md. Repeat a code once per line. Returns plain-language
    error messages, empty when the combination is fine.
    """
    return [*add_on_problems(codes), *same_day_problems(codes)]


def _missing_primary_errors(codes: Sequence[str]) -> list[str]:
    """docs/rules/coding.md §3.1: an add-on is paid only with its primary code."""
    present = set(codes)
    # When 90785 sits beside a code it is never billed with, that message already says
    # so; also saying it lacks a primary would send the therapist two ways.
    ic_blocked = bool(present & never_with(INTERACTIVE_COMPLEXITY))
    return [
        f"{_named(code)} needs {_NEEDS[code]} on the same claim."
        for code in dict.fromkeys(codes)  # order of first appearance, each code once
        if is_add_on(code)
        and not present & ADD_ON_PRIMARIES[code]
        and not (code == INTERACTIVE_COMPLEXITY and ic_blocked)
    ]


def _time_code_errors(codes: Sequence[str]) -> list[str]:
    """docs/rules/coding.md §2.1: time-based individual codes are never added together
    for one session; the one range that fits the total time is reported."""
    time_codes = [code for code in codes if code in INDIVIDUAL_TIME_CODES]
    if len(time_codes) < 2:
        return []
    message = (
        "Individual psychotherapy time codes cannot be added together for one "
        f"session (found {', '.join(time_codes)}): report the single code whose "
        "time range fits the total face-to-face minutes."
    )
    return [message]


def time_problems(lines: Sequence[tuple[str, int | None]]) -> list[tuple[int, str]]:
    """(index, message) for each line whose code's time range (``TIME_RANGES``) misses
    the line's minutes, over the lines of one session (code, minutes); docs/rules/coding.md
    §2. A line with no minutes is not checked.

    The crisis exception (§2.3) lives here and only here: 90839 covers 30-74 minutes,
    and beside a 90840 it has no upper limit (the add-on reports the further time).
    """
    codes = {code for code, _ in lines}
    problems: list[tuple[int, str]] = []
    for index, (code, minutes) in enumerate(lines):
        span = TIME_RANGES.get(code)
        if span is None or minutes is None:
            continue
        first, last = span
        if code == CRISIS_CODE and CRISIS_ADD_ON in codes:
            last = None
        if minutes < first or (last is not None and minutes > last):
            message = (
                f"{code} needs {_span(first, last)} minutes but the session recorded {minutes}."
            )
            problems.append((index, message))
    return problems


def add_on_unit_problems(lines: Sequence[tuple[str, int, int | None]]) -> list[tuple[int, str]]:
    """(index, message) for each time add-on line (code, units, minutes) billing more
    units than its minutes allow (``ADD_ON_UNITS``, docs/rules/coding.md §3.2): an
    80-minute crisis allows one 90840, a 40-minute evaluation no 96131."""
    problems: list[tuple[int, str]] = []
    for index, (code, units, minutes) in enumerate(lines):
        if code not in ADD_ON_UNITS or minutes is None:
            continue
        allowed = add_on_units(code, minutes)
        if units > allowed:
            most = f"at most {allowed}" if allowed else "none"
            problems.append(
                (
                    index,
                    f"{code} ×{units} needs at least {_minutes_for_units(code, units)} "
                    f"minutes; {minutes} minutes allow {most}.",
                )
            )
    return problems


def credential_problems(codes: Iterable[str], *, prescriber: bool, who: str = "") -> list[str]:
    """docs/rules/coding.md §6: E/M visits (99202-99215), 90792 and the E/M add-ons
    90833/90836/90838 need a prescribing license (MD/DO, psychiatric NP, PA). One
    message per such code when the clinician is not a prescriber."""
    if prescriber:
        return []
    subject = who or "this clinician"
    return [
        f"{_named(code)} needs a prescribing license (MD/DO, psychiatric NP or PA); "
        f"{subject} is not a prescriber."
        for code in dict.fromkeys(codes)
        if code in PRESCRIBER_CODES
    ]


def is_prescriber_credential(credentials: str) -> bool:
    """docs/rules/coding.md §6: True when a credentials text ("MD", "PMHNP-BC, RN"...)
    names a prescribing license from ``PRESCRIBER_CREDENTIALS``."""
    words = credentials.upper().replace(",", " ").replace("/", " ").split()
    return any(word.replace(".", "") in PRESCRIBER_CREDENTIALS for word in words)


def add_interactive_complexity(lines: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """Return `lines` with one unit of 90785 (interactive complexity) appended.

    docs/rules/coding.md §3.1, §4.1: 90785 goes only with 90791, 90792, 90832-90838 or
    90853, never with 90839/90840 or 90846/90847, and once per session. Raises
    ValueError saying why when the session's lines do not allow it. The input list is
    not modified.
    """
    codes = [code for code, _ in lines]
    if INTERACTIVE_COMPLEXITY in codes:
        raise ValueError("Interactive complexity (90785) is already on this session.")
    forbidden = sorted(set(codes) & never_with(INTERACTIVE_COMPLEXITY))
    if forbidden:
        raise ValueError(
            f"Interactive complexity (90785) cannot be billed with {', '.join(forbidden)}."
        )
    if not set(codes) & ADD_ON_PRIMARIES[INTERACTIVE_COMPLEXITY]:
        raise ValueError(
            f"Interactive complexity (90785) needs {_NEEDS[INTERACTIVE_COMPLEXITY]} "
            "on the same session."
        )
    return [*lines, (INTERACTIVE_COMPLEXITY, 1)]


def minutes_between(start: datetime.time, end: datetime.time) -> int:
    """Whole minutes from `start` to `end` of one session (docs/rules/coding.md §2: time
    rules count face-to-face minutes).

    Partial minutes are dropped, so a session is never billed for time not spent.
    Sessions do not cross midnight: `end` at or before `start` raises ValueError.
    """
    if end <= start:
        raise ValueError(
            f"The session must end after it starts (start {start:%H:%M}, end {end:%H:%M})."
        )
    return (_seconds(end) - _seconds(start)) // 60


def _seconds(moment: datetime.time) -> int:
    return moment.hour * 3600 + moment.minute * 60 + moment.second
