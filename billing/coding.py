"""CPT coding rules for psychotherapy sessions: pure Python, no database.

Everything here follows /work/shared/DOMAIN.md §1 ("CPT codes a therapy practice uses").
Rules are written as data tables so that a rule change is a one-line edit, and each
public function names the section it implements.

Descriptions are our own short words. They are deliberately not the AMA's CPT
descriptors, which are copyrighted (DOMAIN.md §13); a licensed practice imports the
official text into the catalog through the admin.
"""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Iterable

__all__ = [
    "ADD_ON_PRIMARIES",
    "DESCRIPTIONS",
    "EM_CODES",
    "SERVICES",
    "add_interactive_complexity",
    "check_add_ons",
    "is_add_on",
    "minutes_between",
    "suggest",
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
)

# E/M office visits a prescriber may bill. 99201 was retired in 2021 and 99206-99210
# were never assigned, so "99202-99215" means these nine codes.
EM_CODES: frozenset[str] = frozenset(
    {"99202", "99203", "99204", "99205", "99211", "99212", "99213", "99214", "99215"}
)

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

# DOMAIN.md §1: time ranges of the individual codes (inclusive).
INDIVIDUAL_RANGES: tuple[TimeRange, ...] = (
    (16, 37, "90832"),
    (38, 52, "90834"),
    (53, None, "90837"),
)
# DOMAIN.md §1: the E/M add-on codes use the same ranges as 90832 / 90834 / 90837.
INDIVIDUAL_WITH_EM_RANGES: tuple[TimeRange, ...] = (
    (16, 37, "90833"),
    (38, 52, "90836"),
    (53, None, "90838"),
)
# DOMAIN.md §1: family codes need time past the midpoint of a 50-minute session.
FAMILY_RANGES: tuple[TimeRange, ...] = ((26, None, "90847"),)
FAMILY_WITHOUT_CLIENT_RANGES: tuple[TimeRange, ...] = ((26, None, "90846"),)

# DOMAIN.md §1: services with no time rule report one unit for any time spent.
UNTIMED_CODES: dict[str, str] = {
    "group": "90853",
    "multi_family_group": "90849",
    "intake": "90791",
    "intake_medical": "90792",
}

# DOMAIN.md §1: crisis psychotherapy.
CRISIS_CODE = "90839"
CRISIS_ADD_ON = "90840"
CRISIS_FIRST_MINUTE = 30  # under this, the session is billed as individual time
CRISIS_ADD_ON_FIRST_MINUTE = 75  # 90840 starts here
CRISIS_ADD_ON_BLOCK = 30  # one more 90840 unit per further 30 minutes

INTERACTIVE_COMPLEXITY = "90785"

# DOMAIN.md §1: which primary codes each add-on may accompany on the same claim.
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

# DOMAIN.md §1: interactive complexity is never billed with crisis or family codes.
INTERACTIVE_COMPLEXITY_FORBIDDEN: frozenset[str] = frozenset({"90839", "90840", "90846", "90847"})

# DOMAIN.md §1: the time-based individual codes, of which a session reports one.
INDIVIDUAL_TIME_CODES: frozenset[str] = frozenset(
    code for ranges in (INDIVIDUAL_RANGES, INDIVIDUAL_WITH_EM_RANGES) for _, _, code in ranges
)

INTAKE_CODES: frozenset[str] = frozenset({"90791", "90792"})

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

    DOMAIN.md §1:
    - individual: 16-37 minutes reports 90832, 38-52 reports 90834, 53 or more 90837;
      under 16 minutes no psychotherapy code is reportable. With `with_em=True` (a
      prescriber also bills an E/M visit) the codes are 90833 / 90836 / 90838 over the
      same ranges; the E/M code itself is the prescriber's choice and is not suggested.
    - family (client present): 26 minutes or more reports 90847.
    - family_without_client: 26 minutes or more reports 90846.
    - crisis: 30-74 minutes reports 90839; from 75 minutes add 90840, one unit at 75-104,
      two at 105-134, one more per further 30 minutes. A crisis session of 16-29 minutes
      is reported with the individual code for that time (90832, or 90833 with E/M).
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
        return _crisis(minutes, individual)
    return [(UNTIMED_CODES[service], 1)] if minutes > 0 else []


def _crisis(minutes: int, individual: Iterable[TimeRange]) -> list[tuple[str, int]]:
    """DOMAIN.md §1: 90839 at 30-74 minutes, plus one 90840 per 30 minutes from 75;
    under 30 minutes the session falls back to the individual code for its time."""
    if minutes < CRISIS_FIRST_MINUTE:
        return _timed(minutes, individual)
    lines = [(CRISIS_CODE, 1)]
    if minutes >= CRISIS_ADD_ON_FIRST_MINUTE:
        units = (minutes - CRISIS_ADD_ON_FIRST_MINUTE) // CRISIS_ADD_ON_BLOCK + 1
        lines.append((CRISIS_ADD_ON, units))
    return lines


def is_add_on(code: str) -> bool:
    """DOMAIN.md §1: True for a code that is paid only beside a primary code
    (90785, 90833/90836/90838, 90840, 96131, 96137, 96139)."""
    return code in ADD_ON_PRIMARIES


def check_add_ons(codes: list[str]) -> list[str]:
    """Problems with the add-on and combination rules for one session's codes.

    Pass the codes billed for one client by one clinician on one date of service (the
    scope in which DOMAIN.md §1 applies these rules); repeat a code once per line.
    Returns plain-language error messages, empty when the combination is fine.

    DOMAIN.md §1:
    - an add-on needs one of its primaries (`ADD_ON_PRIMARIES`) on the same claim;
    - 90785 is never billed with 90839/90840 or 90846/90847, and at most once per session;
    - time-based individual codes (90832-90838) are never added together: one range;
    - 90791 and 90792 are billed once per day and not together;
    - 90792 is not billed on the same day as an E/M visit by the same clinician.
    """
    return [
        *_interactive_complexity_errors(codes),
        *_missing_primary_errors(codes),
        *_time_code_errors(codes),
        *_intake_errors(codes),
    ]


def _interactive_complexity_errors(codes: list[str]) -> list[str]:
    """DOMAIN.md §1: 90785 never with 90839/90840 or 90846/90847; once per session."""
    errors: list[str] = []
    count = codes.count(INTERACTIVE_COMPLEXITY)
    forbidden = sorted(set(codes) & INTERACTIVE_COMPLEXITY_FORBIDDEN)
    if count and forbidden:
        errors.append(
            f"{_named(INTERACTIVE_COMPLEXITY)} cannot be billed with "
            f"{' or '.join(_named(code) for code in forbidden)}: remove 90785."
        )
    if count > 1:
        errors.append(
            f"{_named(INTERACTIVE_COMPLEXITY)} appears {count} times; "
            "it is billed at most once per session."
        )
    return errors


def _missing_primary_errors(codes: list[str]) -> list[str]:
    """DOMAIN.md §1: an add-on is paid only with its primary code on the same claim."""
    present = set(codes)
    # When 90785 sits beside a crisis or family code, that message already says to
    # remove it; also saying it lacks a primary would send the therapist two ways.
    ic_blocked = bool(present & INTERACTIVE_COMPLEXITY_FORBIDDEN)
    return [
        f"{_named(code)} needs {_NEEDS[code]} on the same claim."
        for code in dict.fromkeys(codes)  # order of first appearance, each code once
        if is_add_on(code)
        and not present & ADD_ON_PRIMARIES[code]
        and not (code == INTERACTIVE_COMPLEXITY and ic_blocked)
    ]


def _time_code_errors(codes: list[str]) -> list[str]:
    """DOMAIN.md §1: time-based individual codes are never added together for one
    session; the one range that fits the total time is reported."""
    time_codes = [code for code in codes if code in INDIVIDUAL_TIME_CODES]
    if len(time_codes) < 2:
        return []
    message = (
        "Individual psychotherapy time codes cannot be added together for one "
        f"session (found {', '.join(time_codes)}): report the single code whose "
        "time range fits the total face-to-face minutes."
    )
    return [message]


def _intake_errors(codes: list[str]) -> list[str]:
    """DOMAIN.md §1: 90791/90792 once per day per clinician, not together, and 90792
    not on the same day as an E/M visit by the same clinician."""
    counts = Counter(codes)
    errors: list[str] = []
    if counts["90791"] and counts["90792"]:
        errors.append(
            f"{_named('90791')} and {_named('90792')} cannot both be billed for one "
            "session: choose one."
        )
    errors.extend(
        f"{_named(code)} appears {counts[code]} times; it is billed once per day."
        for code in sorted(INTAKE_CODES)
        if counts[code] > 1
    )
    em_present = sorted(set(codes) & EM_CODES)
    if counts["90792"] and em_present:
        errors.append(
            f"{_named('90792')} cannot be billed on the same day as an E/M office visit "
            f"({', '.join(em_present)}) by the same clinician: choose one."
        )
    return errors


def add_interactive_complexity(lines: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """Return `lines` with one unit of 90785 (interactive complexity) appended.

    DOMAIN.md §1: 90785 goes only with 90791, 90792, 90832-90838 or 90853, never with
    90839/90840 or 90846/90847, and once per session. Raises ValueError saying why when
    the session's lines do not allow it. The input list is not modified.
    """
    codes = [code for code, _ in lines]
    if INTERACTIVE_COMPLEXITY in codes:
        raise ValueError("Interactive complexity (90785) is already on this session.")
    forbidden = sorted(set(codes) & INTERACTIVE_COMPLEXITY_FORBIDDEN)
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
    """Whole minutes from `start` to `end` of one session (DOMAIN.md §1: time rules count
    face-to-face minutes).

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
