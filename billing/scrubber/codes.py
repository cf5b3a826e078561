"""Rules over identifiers and codes: NPIs, tax id, diagnoses and pointers, add-ons and
time, same-day pairs and daily limits, who may bill a code, license and telehealth
modifiers (docs/rules/coding.md).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator

from django.core.exceptions import ValidationError

from billing import coding, rules
from billing.scrubber.core import (
    CLIENT,
    CLINICIAN,
    ERROR,
    LOCATION,
    PRACTICE,
    SESSION,
    ClaimContext,
    Fix,
    Problem,
    _line_label,
    rule,
)
from billing.validators import (
    validate_npi,
    validate_tax_id,
)
from practice.common import MAX_POINTERS, POINTER_LETTERS
from practice.formats import us_date
from practice.models import (
    Clinician,
)

TELEHEALTH_MODIFIERS = frozenset({"95", "93", "GT", "FQ"})
# docs/rules/coding.md §7.2: level-of-license modifiers.
LICENSE_MODIFIERS = frozenset(Clinician.LicenseLevel.values)


@rule("npi")
def check_npis(ctx: ClaimContext) -> Iterator[Problem]:
    """docs/rules/identifiers.md §1: every NPI on the claim has a valid check digit."""
    party = ctx.claim.party
    named = [
        ("billing provider", party.billing.npi, Fix(PRACTICE)),
        ("rendering provider", party.rendering.npi, Fix(CLINICIAN, ctx.claim.rendering_id)),
        ("supervising provider", party.value("supervising", "npi"), Fix(CLINICIAN)),
        ("service facility", party.value("facility", "npi"), Fix(LOCATION)),
    ]
    for role, npi, fix in named:
        if role in {"supervising provider", "service facility"} and not npi:
            continue
        try:
            validate_npi(npi or "")
        except ValidationError as error:
            yield Problem(
                "npi", ERROR, f"The {role} NPI {npi or '(missing)'}: {error.messages[0]}", fix=fix
            )


@rule("tax_id", fix=PRACTICE)
def check_tax_id(ctx: ClaimContext) -> Iterator[Problem]:
    """docs/rules/identifiers.md §2: the billing provider's EIN or SSN is well formed (box 25,
    REF*EI)."""
    billing = ctx.claim.party.billing
    try:
        validate_tax_id(billing.tax_id, billing.tax_id_type)
    except ValidationError as error:
        yield Problem("tax_id", ERROR, f"Billing provider tax id: {error.messages[0]}")


@rule("diagnoses", fix=CLIENT)
def check_diagnoses(ctx: ClaimContext) -> Iterator[Problem]:
    """docs/rules/identifiers.md §5: at least one diagnosis; each is a billable ICD-10-CM code."""
    if not ctx.diagnoses:
        yield Problem("diagnoses", ERROR, "The claim has no diagnosis code (box 21).")
    for code in ctx.diagnoses:
        row = ctx.catalog_diagnoses.get(code)
        if row is None:
            yield Problem("diagnoses", ERROR, f"Diagnosis {code} is not a valid ICD-10-CM code.")
        elif not row.billable:
            yield Problem(
                "diagnoses",
                ERROR,
                f"Diagnosis {code} is a category, not billable; use a more specific code.",
            )
        elif not row.active:
            yield Problem("diagnoses", ERROR, f"Diagnosis {code} is no longer valid.")


@rule("pointers", fix=SESSION)
def check_pointers(ctx: ClaimContext) -> Iterator[Problem]:
    """docs/rules/identifiers.md §6: each line points at 1–4 of the claim's diagnoses (box 24E)."""
    letters = POINTER_LETTERS[: len(ctx.diagnoses)]
    for line in ctx.lines:
        pointers = line.diagnosis_pointers
        if not 1 <= len(pointers) <= MAX_POINTERS:
            yield Problem(
                "pointers",
                ERROR,
                f"{_line_label(line)} must point at 1 to 4 diagnoses.",
                line.position,
            )
        bad = [p for p in pointers if p not in letters]
        if bad:
            yield Problem(
                "pointers",
                ERROR,
                f"{_line_label(line)} points at diagnosis {', '.join(bad)}, which the claim "
                "does not have.",
                line.position,
            )


@rule("add_ons")
def check_add_ons(ctx: ClaimContext) -> Iterator[Problem]:
    """docs/rules/coding.md §3.1, §2.1: an add-on code needs its primary on the same
    claim, for the same date and clinician; individual time codes are never summed."""
    for (date, _), visit in ctx.visits.items():
        for message in coding.add_on_problems([line.procedure_code for _, line in visit]):
            fix = ctx.fix_session(visit[0][1])
            yield Problem("add_ons", ERROR, f"{us_date(date)}: {message}", fix=fix)


@rule("time_rule", fix=SESSION)
def check_time_rule(ctx: ClaimContext) -> Iterator[Problem]:
    """docs/rules/coding.md §2: a time-based code must match the minutes recorded for
    it (``coding.time_problems``, which also holds the crisis exception)."""
    for visit in ctx.visits.values():
        codes = [(line.procedure_code, line.minutes) for _, line in visit]
        for index, message in coding.time_problems(codes):
            line = visit[index][1]
            yield Problem("time_rule", ERROR, f"{_line_label(line)}: {message}", line.position)


@rule("add_on_units", fix=SESSION)
def check_add_on_units(ctx: ClaimContext) -> Iterator[Problem]:
    """docs/rules/coding.md §3.2: units of 90840, 96131, 96137 and 96139 follow the
    minutes (an 80-minute crisis allows one 90840)."""
    for line in ctx.lines:
        for _, message in coding.add_on_unit_problems(
            [(line.procedure_code, line.units, line.minutes)]
        ):
            yield Problem("add_on_units", ERROR, f"{_line_label(line)}: {message}", line.position)


def _new_day_problems(ctx: ClaimContext, check: Callable) -> Iterator[tuple[datetime.date, str]]:
    """Problems ``check`` finds over the client's whole day that this claim's lines take
    part in (those among other claims alone are those claims' to report)."""
    for day, own in ctx.day_lines().items():
        others = ctx.other_day_lines.get(day, [])
        known = set(check(others))
        for message in check([*own, *others]):
            if message not in known:
                yield day, message


@rule("same_day")
def check_same_day(ctx: ClaimContext) -> Iterator[Problem]:
    """docs/rules/coding.md §4.1: code pairs never billed for one client on one date
    (``coding.SAME_DAY_PAIRS``), on this claim or beside another live claim's lines."""
    for day, message in _new_day_problems(ctx, coding.same_day_pair_problems):
        yield Problem("same_day", ERROR, f"{us_date(day)}: {message}", fix=ctx.fix_session_on(day))


@rule("daily_limit")
def check_daily_limit(ctx: ClaimContext) -> Iterator[Problem]:
    """docs/rules/coding.md §4.2: codes billed at most once a day (``coding.DAILY_LIMITS``:
    90839, 90791, 90792, 90785)."""
    for day, message in _new_day_problems(ctx, coding.daily_limit_problems):
        fix = ctx.fix_session_on(day)
        yield Problem("daily_limit", ERROR, f"{us_date(day)}: {message}", fix=fix)


@rule("prescriber_codes", fix=SESSION)
def check_prescriber_codes(ctx: ClaimContext) -> Iterator[Problem]:
    """docs/rules/coding.md §6: E/M visits, 90792 and 90833/90836/90838 only for a
    clinician with a prescribing license (the one who saw the client)."""
    for line in ctx.lines:
        session = ctx.session(line)
        if session is None:
            continue
        clinician = session.clinician
        for message in coding.credential_problems(
            [line.procedure_code], prescriber=clinician.prescriber, who=str(clinician)
        ):
            yield Problem(
                "prescriber_codes", ERROR, f"{_line_label(line)}: {message}", line.position
            )


@rule("license_modifier", fix=SESSION)
def check_license_modifier(ctx: ClaimContext) -> Iterator[Problem]:
    """docs/rules/coding.md §7.2: for a payer that wants a level-of-license modifier, the
    line carries the level of who saw the client, never the supervisor's (an associate
    billed under a psychologist is HO, not AH)."""
    if not ctx.payer.wants_license_modifier:
        return
    for line in ctx.lines:
        session = ctx.session(line)
        if session is None:
            continue
        want = rules.license_modifier(payer=ctx.payer, clinician=session.clinician)
        have = sorted(LICENSE_MODIFIERS.intersection(line.modifiers))
        if have == ([want] if want else []):
            continue
        wanted = f"level-of-license modifier {want}" if want else "no level-of-license modifier"
        message = f"{ctx.payer.name} wants {wanted}: {session.clinician} saw the client" + (
            f", not {', '.join(have)}." if have else "."
        )
        yield Problem("license_modifier", ERROR, f"{_line_label(line)}: {message}", line.position)


@rule("telehealth", fix=SESSION)
def check_telehealth(ctx: ClaimContext) -> Iterator[Problem]:
    """docs/rules/coding.md §7.1, §8: a telehealth line carries the POS and modifier this
    payer wants; audio-only is 93 (never FQ, which is for clinics)."""
    for line in ctx.lines:
        session = ctx.session(line)
        if session is None:
            continue
        if not session.telehealth:
            used = TELEHEALTH_MODIFIERS.intersection(line.modifiers)
            if used:
                yield Problem(
                    "telehealth",
                    ERROR,
                    f"{_line_label(line)} has telehealth modifier {', '.join(sorted(used))} "
                    "but the session was in person.",
                    line.position,
                )
            continue
        want_pos = rules.place_of_service(
            telehealth=session.telehealth,
            client_at_home=session.client_at_home,
            in_person_pos=line.place_of_service,
            payer=ctx.payer,
        )
        want_mod = rules.telehealth_modifier(telehealth=session.telehealth, payer=ctx.payer)
        if line.place_of_service != want_pos:
            yield Problem(
                "telehealth",
                ERROR,
                f"{_line_label(line)}: {ctx.payer.name} wants POS {want_pos} for this "
                f"telehealth session, not {line.place_of_service}.",
                line.position,
            )
        if want_mod and want_mod not in line.modifiers:
            yield Problem(
                "telehealth",
                ERROR,
                f"{_line_label(line)}: {ctx.payer.name} wants modifier {want_mod} for this "
                "telehealth session.",
                line.position,
            )
        refusal = rules.audio_only_refusal(telehealth=session.telehealth, payer=ctx.payer)
        if refusal:
            yield Problem("telehealth", ERROR, f"{_line_label(line)}: {refusal}", line.position)
        if "FQ" in line.modifiers:
            yield Problem(
                "telehealth",
                ERROR,
                f"{_line_label(line)}: modifier FQ is for rural health clinics and FQHCs; "
                "a practice reports audio-only services with 93.",
                line.position,
            )
