"""The starter catalog as data: procedure codes, modifiers and places of service.

``python manage.py load_catalog`` writes these rows; this module only describes them.
Time ranges, add-on primaries and short descriptions come from ``billing/coding.py``,
so a coding rule is changed in one place and the catalog follows.

Descriptions are our own plain words, never the AMA's CPT descriptors (docs/rules/coding.md §1).
A practice that holds a CPT license imports the official text into
``ProcedureCode.official_descriptor`` in the admin. POS names follow the CMS list, which
is public (docs/rules/coding.md §8).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from billing import coding
from billing.models import Modifier, ProcedureCode

__all__ = [
    "ICD10_THERAPY_SCOPE",
    "MODIFIERS",
    "PLACES_OF_SERVICE",
    "PROCEDURE_CODES",
    "CatalogModifier",
    "CatalogPlaceOfService",
    "CatalogProcedure",
    "in_icd10_therapy_scope",
]

Kind = ProcedureCode.Kind


@dataclass(frozen=True)
class CatalogProcedure:
    code: str
    description: str
    kind: str
    min_minutes: int | None
    max_minutes: int | None
    default_charge: Decimal
    add_on_to: frozenset[str]


@dataclass(frozen=True)
class CatalogModifier:
    code: str
    description: str
    kind: str


@dataclass(frozen=True)
class CatalogPlaceOfService:
    code: str
    name: str
    is_telehealth: bool


# The procedure codes of docs/rules/coding.md §1, each with a starting charge a small practice might
# set. The practice sets its own in the admin; re-running load_catalog keeps them.
DEFAULT_CHARGES: dict[str, str] = {
    "90785": "25.00",
    "90791": "200.00",
    "90792": "250.00",
    "90832": "100.00",
    "90833": "80.00",
    "90834": "140.00",
    "90836": "110.00",
    "90837": "180.00",
    "90838": "140.00",
    "90839": "200.00",
    "90840": "95.00",
    "90846": "140.00",
    "90847": "150.00",
    "90849": "60.00",
    "90853": "60.00",
    "96127": "10.00",
    "96130": "150.00",
    "96131": "120.00",
    "96136": "60.00",
    "96137": "50.00",
    "96138": "50.00",
    "96139": "45.00",
    "99202": "110.00",
    "99203": "160.00",
    "99204": "240.00",
    "99205": "310.00",
    "99211": "30.00",
    "99212": "80.00",
    "99213": "130.00",
    "99214": "190.00",
    "99215": "260.00",
}

# What coding.DESCRIPTIONS does not say: 96127 is not there, and it names every E/M
# code alike, which is enough in a message but not in a list to choose from.
_DESCRIPTION_DETAIL: dict[str, str] = {
    "99202": "new client, straightforward",
    "99203": "new client, low complexity",
    "99204": "new client, moderate complexity",
    "99205": "new client, high complexity",
    "99211": "established client, minimal",
    "99212": "established client, straightforward",
    "99213": "established client, low complexity",
    "99214": "established client, moderate complexity",
    "99215": "established client, high complexity",
}
_EXTRA_DESCRIPTIONS: dict[str, str] = {
    "96127": "brief emotional/behavioral assessment, per instrument",
}

# docs/rules/coding.md §2.4: psychological testing and assessment (the add-ons among
# them are ADD_ON).
TESTING_CODES: frozenset[str] = frozenset(
    {"96127", "96130", "96131", "96136", "96137", "96138", "96139"}
)


def _minutes_ranges() -> dict[str, tuple[int, int | None]]:
    """Minutes ranges of the time-based codes: coding.py's one table (docs/rules/coding.md §2)."""
    return dict(coding.TIME_RANGES)


def _kind(code: str, *, timed: bool) -> str:
    """docs/rules/coding.md §1 sorted into ProcedureCode.Kind. Group and multiple-family group
    psychotherapy have no time rule, so they are OTHER rather than time-based."""
    if coding.is_add_on(code):
        return Kind.ADD_ON
    if code in coding.EM_CODES:
        return Kind.EM
    if code in coding.INTAKE_CODES:
        return Kind.EVALUATION
    if code in TESTING_CODES:
        return Kind.TESTING
    if timed:
        return Kind.PSYCHOTHERAPY
    return Kind.OTHER


def _description(code: str) -> str:
    text = _EXTRA_DESCRIPTIONS.get(code) or coding.DESCRIPTIONS[code]
    if code in _DESCRIPTION_DETAIL:
        text = f"{text}, {_DESCRIPTION_DETAIL[code]}"
    return text[:1].upper() + text[1:]


def _procedures() -> tuple[CatalogProcedure, ...]:
    ranges = _minutes_ranges()
    entries = []
    for code, charge in DEFAULT_CHARGES.items():
        first, last = ranges.get(code, (None, None))
        entries.append(
            CatalogProcedure(
                code=code,
                description=_description(code),
                kind=_kind(code, timed=code in ranges),
                min_minutes=first,
                max_minutes=last,
                default_charge=Decimal(charge),
                add_on_to=coding.ADD_ON_PRIMARIES.get(code, frozenset()),
            )
        )
    return tuple(sorted(entries, key=lambda entry: entry.code))


PROCEDURE_CODES: tuple[CatalogProcedure, ...] = _procedures()

_TELEHEALTH = Modifier.Kind.TELEHEALTH
_LICENSE = Modifier.Kind.LICENSE
_OTHER = Modifier.Kind.OTHER

# docs/rules/coding.md §7, in our words.
MODIFIERS: tuple[CatalogModifier, ...] = (
    CatalogModifier("25", "Separate E/M service on the same day", _OTHER),
    CatalogModifier("59", "Distinct service on the same day", _OTHER),
    CatalogModifier("93", "Telehealth, audio only", _TELEHEALTH),
    CatalogModifier("95", "Telehealth, live audio and video", _TELEHEALTH),
    CatalogModifier("AH", "Clinical psychologist", _LICENSE),
    CatalogModifier("AJ", "Clinical social worker", _LICENSE),
    CatalogModifier("FQ", "Audio only, rural health clinics and FQHCs only", _TELEHEALTH),
    CatalogModifier("GT", "Telehealth, older modifier some plans still want", _TELEHEALTH),
    CatalogModifier("HJ", "Employee assistance program", _OTHER),
    CatalogModifier("HN", "Bachelor's-level clinician", _LICENSE),
    CatalogModifier("HO", "Master's-level clinician", _LICENSE),
    CatalogModifier("HP", "Doctoral-level clinician", _LICENSE),
    CatalogModifier("XE", "Distinct service, separate encounter", _OTHER),
    CatalogModifier("XP", "Distinct service, different practitioner", _OTHER),
    CatalogModifier("XS", "Distinct service, separate site", _OTHER),
    CatalogModifier("XU", "Distinct service, no overlap with the main one", _OTHER),
)

# docs/rules/coding.md §8: CMS place-of-service codes a therapy practice meets.
PLACES_OF_SERVICE: tuple[CatalogPlaceOfService, ...] = (
    CatalogPlaceOfService("02", "Telehealth, client not at home", True),
    CatalogPlaceOfService("03", "School", False),
    CatalogPlaceOfService("04", "Homeless shelter", False),
    CatalogPlaceOfService("05", "Indian Health Service, free-standing", False),
    CatalogPlaceOfService("06", "Indian Health Service, provider-based", False),
    CatalogPlaceOfService("07", "Tribal 638, free-standing", False),
    CatalogPlaceOfService("08", "Tribal 638, provider-based", False),
    CatalogPlaceOfService("09", "Prison or correctional facility", False),
    CatalogPlaceOfService("10", "Telehealth, client at home", True),
    CatalogPlaceOfService("11", "Office", False),
    CatalogPlaceOfService("12", "Home", False),
    CatalogPlaceOfService("22", "Outpatient hospital, on campus", False),
    CatalogPlaceOfService("53", "Community mental health center", False),
    CatalogPlaceOfService("99", "Other place of service", False),
)

# ICD-10-CM codes a therapy practice diagnoses with (load_catalog --icd10 therapy):
# chapter 5 (F01-F99, mental and behavioural disorders), chapter 21 (Z00-Z99, factors
# such as relationship and social problems) and R40-R46 (symptoms of cognition,
# emotional state and behaviour).
ICD10_THERAPY_SCOPE = "F01-F99, Z00-Z99, R40-R46"


def in_icd10_therapy_scope(code: str) -> bool:
    """True for an ICD-10-CM code (with or without its dot) in ``ICD10_THERAPY_SCOPE``."""
    letter, category = code[:1], code[1:3]
    return letter in {"F", "Z"} or (letter == "R" and "40" <= category <= "46")
