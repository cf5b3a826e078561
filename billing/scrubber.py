"""Checks a claim before it leaves, the way a clearinghouse would.

Each rule is a small function registered with a name and returns problems: an ``error``
blocks marking the claim ready or submitting it; a ``warning`` does not. Messages are
written for a biller, and name the line when a line is at fault. Coding rules come from
``billing/coding.py``'s tables and payer rules from ``billing/rules.py``
(docs/rules/coding.md §10): the session form checks the same tables before saving.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property

from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.utils import timezone

from billing import coding, rules
from billing.models import Claim, ClaimLine, DiagnosisCode
from billing.outputs import pdf, x837
from billing.validators import (
    is_po_box,
    validate_npi,
    validate_tax_id,
    validate_zip_plus4,
)
from practice.common import MAX_POINTERS, POINTER_LETTERS
from practice.formats import us_date
from practice.models import (
    ADULT_AGE,
    SIGNATURES,
    Clinician,
    Coverage,
    Session,
    SignerRelation,
    age_on,
)

ERROR = "error"
WARNING = "warning"
TIMELY_FILING_WARNING_DAYS = 14
TELEHEALTH_MODIFIERS = frozenset({"95", "93", "GT", "FQ"})
# docs/rules/coding.md §7.2: level-of-license modifiers.
LICENSE_MODIFIERS = frozenset(Clinician.LicenseLevel.values)


# Where a problem is fixed (``Fix.page``); billing/templatetags/fixes.py links each page.
SESSION = "session"  # the session behind the line: its codes, minutes, modifiers
CLIENT = "client"  # the client page: name, address, diagnoses
COVERAGE = "coverage"  # the client's coverages: member, subscriber, dates, authorization
SIGNATURES_ON_FILE = "signatures"  # the client page: signatures on file (boxes 12, 13)
PRACTICE = "practice"  # the practice settings: billing provider, tax id, address
PAYER = "payer"  # the payer settings
CLINICIAN = "clinician"  # a clinician's settings: NPI, license
LOCATION = "location"  # the service locations
CLEARINGHOUSE = "clearinghouse"
CLAIM = "claim"  # another claim
PAYER_NUMBER = "payer_number"  # this claim's payer's claim number


@dataclass(frozen=True)
class Fix:
    """What to open to fix a problem: a kind of page and, when known, its row."""

    page: str
    pk: int | None = None


@dataclass(frozen=True)
class Problem:
    rule: str
    severity: str
    message: str
    line: int | None = None  # claim line position, when one line is at fault
    fix: Fix | None = None  # where it is fixed; a rule's default when the rule names none

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR


class ClaimContext:
    """The claim and what the rules look up, loaded once (a fixed number of queries)."""

    def __init__(self, claim: Claim, today: datetime.date | None = None):
        self.claim = claim
        self.today = today or timezone.localdate()
        self.lines: list[ClaimLine] = list(
            claim.lines.select_related(
                "service_line__session__place_of_service", "service_line__session__clinician"
            ).order_by("position")
        )
        self.diagnoses: list[str] = list(claim.diagnoses.values_list("code", flat=True))
        self.payer = claim.payer
        self.coverage: Coverage = claim.coverage

    @cached_property
    def catalog_diagnoses(self) -> dict[str, DiagnosisCode]:
        return {d.code: d for d in DiagnosisCode.objects.filter(code__in=self.diagnoses)}

    def session(self, line: ClaimLine) -> Session | None:
        """The session behind a line; None on a dead claim whose session was corrected."""
        return line.service_line.session if line.service_line_id else None

    def seen_by(self, line: ClaimLine) -> object:
        """Who saw the client for a line: the session's clinician, or the rendering NPI
        when the line has lost its session."""
        session = self.session(line)
        return session.clinician_id if session is not None else line.rendering_npi

    @cached_property
    def visits(self) -> dict[tuple[datetime.date, object], list[tuple[int, ClaimLine]]]:
        """The claim's lines (with their index) per date of service and clinician who saw
        the client: the scope of the add-on and time rules (docs/rules/coding.md §3.1)."""
        groups: dict[tuple[datetime.date, object], list[tuple[int, ClaimLine]]] = defaultdict(list)
        for index, line in enumerate(self.lines):
            groups[(line.date_of_service, self.seen_by(line))].append((index, line))
        return groups

    @property
    def this_service(self) -> Q:
        """Lines of this claim and of the claims that bill the same services to another
        payer by coordination of benefits (its primary's, or its secondary's): not other
        billings of the service."""
        return (
            Q(claim=self.claim)
            | Q(claim_id=self.claim.primary_claim_id)
            | Q(claim__primary_claim=self.claim)
        )

    @cached_property
    def other_day_lines(self) -> dict[datetime.date, list[coding.DayLine]]:
        """The client's lines on other live claims on this claim's dates (one query): the
        same-day rules look at the client's whole day, whichever claim carries it."""
        rows = (
            ClaimLine.objects.filter(
                live=True,
                claim__client_id=self.claim.client_id,
                date_of_service__in={line.date_of_service for line in self.lines},
            )
            .exclude(self.this_service)
            .values_list(
                "date_of_service",
                "procedure_code",
                "units",
                "service_line__session__clinician_id",
                "rendering_npi",
            )
        )
        days: dict[datetime.date, list[coding.DayLine]] = defaultdict(list)
        for day, code, units, clinician_id, npi in rows:
            days[day].append(coding.DayLine(code, clinician_id or npi, units))
        return days

    def fix_on(self, page: str, position: int | None = None) -> Fix | None:
        """A fix page with this claim's row on it: the session of the line at
        ``position``, the client, the payer, this claim."""
        if page == SESSION:
            line = next((line for line in self.lines if line.position == position), None)
            return self.fix_session(line) if line is not None else None
        if page in {CLIENT, COVERAGE, SIGNATURES_ON_FILE}:
            return Fix(page, self.claim.client_id)
        if page == PAYER:
            return Fix(page, self.claim.payer_id)
        if page == PAYER_NUMBER:
            return Fix(page, self.claim.pk)
        return Fix(page)

    def fix_session(self, line: ClaimLine) -> Fix | None:
        session = self.session(line)
        return Fix(SESSION, session.pk) if session is not None else None

    def fix_session_on(self, day: datetime.date) -> Fix | None:
        """The first session of this claim on ``day`` (a day's rules name no line)."""
        line = next((line for line in self.lines if line.date_of_service == day), None)
        return self.fix_session(line) if line is not None else None

    def day_lines(self) -> dict[datetime.date, list[coding.DayLine]]:
        """This claim's lines per date of service, as the same-day rules read them."""
        days: dict[datetime.date, list[coding.DayLine]] = defaultdict(list)
        for line in self.lines:
            days[line.date_of_service].append(
                coding.DayLine(line.procedure_code, self.seen_by(line), line.units)
            )
        return days


Rule = Callable[[ClaimContext], Iterable[Problem]]
RULES: list[tuple[str, Rule]] = []
# The page that fixes a rule's problems when a problem names none (``Fix.page``).
RULE_FIXES: dict[str, str] = {}


def rule(name: str, *, fix: str | None = None) -> Callable[[Rule], Rule]:
    def register(function: Rule) -> Rule:
        RULES.append((name, function))
        if fix is not None:
            RULE_FIXES[name] = fix
        return function

    return register


def scrub(claim: Claim, *, today: datetime.date | None = None) -> list[Problem]:
    """Run every rule over a claim; errors first, then warnings, in line order. Each
    problem names where it is fixed when its rule knows (``Problem.fix``); the number of
    errors is kept on a claim not yet sent (``Claim.scrub_errors``)."""
    context = ClaimContext(claim, today)
    problems = []
    for name, check in RULES:
        for problem in check(context):
            if problem.fix is None and name in RULE_FIXES:
                fix = context.fix_on(RULE_FIXES[name], problem.line)
                problem = dataclasses.replace(problem, fix=fix)
            problems.append(problem)
    _record_errors(claim, sum(problem.is_error for problem in problems))
    return sorted(problems, key=lambda p: (not p.is_error, p.line or 0))


def _record_errors(claim: Claim, errors: int) -> None:
    """Keep the count on a claim not yet sent (``Claim.scrub_errors``) for the claim list.
    An UPDATE, not a save: no new version (a page open on the claim stays current) and no
    history row, since nothing about the claim changed."""
    if claim.is_editable and claim.scrub_errors != errors:
        Claim.objects.filter(pk=claim.pk).update(scrub_errors=errors)
        claim.scrub_errors = errors


def _line_label(line: ClaimLine) -> str:
    return f"Line {line.position} ({line.procedure_code}, {us_date(line.date_of_service)})"


@rule("npi")
def check_npis(ctx: ClaimContext) -> Iterator[Problem]:
    """docs/rules/identifiers.md §1: every NPI on the claim has a valid check digit."""
    parties = ctx.claim.parties
    named = [
        ("billing provider", (parties.get("billing") or {}).get("npi"), Fix(PRACTICE)),
        (
            "rendering provider",
            (parties.get("rendering") or {}).get("npi"),
            Fix(CLINICIAN, ctx.claim.rendering_id),
        ),
        ("supervising provider", (parties.get("supervising") or {}).get("npi"), Fix(CLINICIAN)),
        ("service facility", (parties.get("facility") or {}).get("npi"), Fix(LOCATION)),
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
    billing = ctx.claim.parties.get("billing") or {}
    try:
        validate_tax_id(billing.get("tax_id", ""), billing.get("tax_id_type", "EIN"))
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


@rule("coverage_dates", fix=COVERAGE)
def check_coverage_dates(ctx: ClaimContext) -> Iterator[Problem]:
    """docs/rules/claims.md "Coverage in force": the coverage must be in force on every date of
    service."""
    for line in ctx.lines:
        if not ctx.coverage.is_effective(line.date_of_service):
            yield Problem(
                "coverage_dates",
                ERROR,
                f"{_line_label(line)}: the {ctx.payer.name} coverage was not in force on that "
                "date.",
                line.position,
            )


@rule("subscriber", fix=COVERAGE)
def check_subscriber(ctx: ClaimContext) -> Iterator[Problem]:
    """docs/rules/claim-forms.md §4: when the client is not the subscriber, the subscriber is named
    in full."""
    subscriber = ctx.claim.parties.get("subscriber") or {}
    if not subscriber.get("member_id"):
        yield Problem("subscriber", ERROR, "The insured's member id is missing (box 1a).")
    if subscriber.get("relationship", "18") == "18":
        return
    missing = [
        label
        for key, label in [
            ("first_name", "first name"),
            ("last_name", "last name"),
            ("date_of_birth", "date of birth"),
            ("sex", "sex"),
            ("address_line1", "address"),
        ]
        if not subscriber.get(key)
    ]
    if missing:
        yield Problem(
            "subscriber",
            ERROR,
            f"The client is not the subscriber; the subscriber's {', '.join(missing)} "
            "is missing (boxes 4, 7, 11a).",
        )


@rule("prior_authorization", fix=COVERAGE)
def check_prior_authorization(ctx: ClaimContext) -> Iterator[Problem]:
    """Payer setting: an authorization number when required, dates and visits not used up."""
    coverage = ctx.coverage
    # Box 23 prints the claim's own copy of the number, taken when the claim was built.
    if ctx.payer.requires_prior_authorization and not ctx.claim.prior_auth_number:
        yield Problem(
            "prior_authorization",
            ERROR,
            f"{ctx.payer.name} requires prior authorization and the claim has no number "
            "(box 23); add it to the coverage, then void and rebuild the claim.",
        )
        return
    if not coverage.prior_auth_number:
        return
    for line in ctx.lines:
        day = line.date_of_service
        if (coverage.prior_auth_from and day < coverage.prior_auth_from) or (
            coverage.prior_auth_to and day > coverage.prior_auth_to
        ):
            yield Problem(
                "prior_authorization",
                ERROR,
                f"{_line_label(line)} falls outside the authorization's dates.",
                line.position,
            )
    if coverage.prior_auth_visits is not None:
        used = coverage.auth_visits_used()
        if used > coverage.prior_auth_visits:
            yield Problem(
                "prior_authorization",
                ERROR,
                f"The authorization allows {coverage.prior_auth_visits} visits and "
                f"{used} have been used.",
            )
        elif used >= coverage.prior_auth_visits - 1:
            yield Problem(
                "prior_authorization",
                WARNING,
                f"The authorization is nearly used up: {used} of "
                f"{coverage.prior_auth_visits} visits.",
            )


@rule("zero_charge", fix=SESSION)
def check_zero_charge(ctx: ClaimContext) -> Iterator[Problem]:
    """A line with no charge is rejected by payers; set a fee in the catalog."""
    for line in ctx.lines:
        if line.charge <= 0:
            yield Problem(
                "zero_charge", ERROR, f"{_line_label(line)} has a charge of $0.00.", line.position
            )


@rule("duplicates")
def check_duplicates(ctx: ClaimContext) -> Iterator[Problem]:
    """The same code twice on one date, here or on another live claim, is likely a duplicate."""
    keys = Counter(
        (line.date_of_service, line.procedure_code, tuple(line.modifiers)) for line in ctx.lines
    )
    for (day, code, _), count in keys.items():
        if count > 1:
            yield Problem("duplicates", WARNING, f"{code} appears {count} times on {us_date(day)}.")
    elsewhere = (
        ClaimLine.objects.filter(
            live=True,
            claim__client_id=ctx.claim.client_id,
            date_of_service__in={line.date_of_service for line in ctx.lines},
            procedure_code__in={line.procedure_code for line in ctx.lines},
        )
        .exclude(ctx.this_service)
        .values("date_of_service", "procedure_code", "claim__control_number")
        .annotate(n=Count("pk"))
    )
    here = {(line.date_of_service, line.procedure_code) for line in ctx.lines}
    for row in elsewhere:
        # The query pairs every date with every code; keep the pairs this claim has.
        if (row["date_of_service"], row["procedure_code"]) not in here:
            continue
        yield Problem(
            "duplicates",
            WARNING,
            f"{row['procedure_code']} on {us_date(row['date_of_service'])} is also on claim "
            f"{row['claim__control_number']}.",
        )


@rule("timely_filing")
def check_timely_filing(ctx: ClaimContext) -> Iterator[Problem]:
    """docs/rules/claim-forms.md §5: the payer's timely-filing limit from the date of service."""
    if not ctx.claim.is_editable:  # not yet sent, or rejected and to be sent again
        return
    limit_days = ctx.payer.timely_filing_days
    for line in ctx.lines:
        deadline = line.date_of_service + datetime.timedelta(days=limit_days)
        left = (deadline - ctx.today).days
        if left < 0:
            yield Problem(
                "timely_filing",
                ERROR,
                f"{_line_label(line)}: the {limit_days}-day filing limit passed on "
                f"{us_date(deadline)}.",
                line.position,
            )
        elif left <= TIMELY_FILING_WARNING_DAYS:
            yield Problem(
                "timely_filing",
                WARNING,
                f"{_line_label(line)}: file by {us_date(deadline)} ({left} days left).",
                line.position,
            )


def _electronic(ctx: ClaimContext) -> bool:
    return ctx.payer.accepts_electronic_claims


@rule("x12_text")
def check_x12_text(ctx: ClaimContext) -> Iterator[Problem]:
    """837P (X12 005010X222A1): every printed name, address and id fits its element and
    holds no separator (``* ~ : ^``), after accents are transliterated. Only for payers
    that take electronic claims; a paper claim prints these as they are."""
    if not _electronic(ctx):
        return
    parties = ctx.claim.parties
    for party, key, kind, label in x837.PRINTED_VALUES:
        value = (parties.get(party) or {}).get(key) or ""
        for problem in x837.x12_problems(value, kind):
            yield Problem(
                "x12_text",
                ERROR,
                f"{label} “{value}” {problem}: correct it.",
                fix=_party_fix(ctx, party),
            )
    for value, kind, label, fix in [
        (ctx.claim.prior_auth_number, "reference", "Prior authorization number", COVERAGE),
        (ctx.claim.payer_claim_number, "reference", "Payer's claim number", PAYER_NUMBER),
    ]:
        for problem in x837.x12_problems(value, kind):
            yield Problem(
                "x12_text",
                ERROR,
                f"{label} “{value}” {problem}: correct it.",
                fix=ctx.fix_on(fix),
            )


# Where each party of the claim's snapshot is kept (``claim.parties``).
PARTY_FIXES = {
    "billing": PRACTICE,
    "rendering": CLINICIAN,
    "supervising": CLINICIAN,
    "referring": COVERAGE,
    "facility": LOCATION,
    "subscriber": COVERAGE,
    "patient": CLIENT,
    "payer": PAYER,
}


def _party_fix(ctx: ClaimContext, party: str) -> Fix | None:
    page = PARTY_FIXES.get(party)
    if page is None:
        return None
    if party == "rendering":
        return Fix(CLINICIAN, ctx.claim.rendering_id)
    return ctx.fix_on(page)


@rule("x12_addresses")
def check_x12_addresses(ctx: ClaimContext) -> Iterator[Problem]:
    """837P loops 2010AA and 2310C want a street address and a 9-digit ZIP (ZIP+4) for
    the billing provider and the service facility; the patient's address (2010CA, or
    2010BA when the patient is the subscriber) is required too."""
    if not _electronic(ctx):
        return
    parties = ctx.claim.parties
    for party, label, needs_zip4 in [
        ("billing", "billing provider", True),
        ("facility", "service facility", True),
        ("patient", "patient", False),
    ]:
        values = parties.get(party)
        if party == "facility" and (not values or not values.get("address_line1")):
            continue
        values = values or {}
        missing = [
            name
            for name, key in [
                ("street address", "address_line1"),
                ("city", "city"),
                ("state", "state"),
            ]
            if len((values.get(key) or "").strip()) < 2
        ]
        fix = _party_fix(ctx, party)
        if missing:
            yield Problem(
                "x12_addresses", ERROR, f"The {label}'s {', '.join(missing)} is missing.", fix=fix
            )
        zip_digits = x837.digits(values.get("zip_code", ""))
        if needs_zip4 and len(zip_digits) != 9:
            yield Problem(
                "x12_addresses",
                ERROR,
                f"The {label}'s ZIP code {values.get('zip_code') or '(none)'} needs all nine "
                "digits (ZIP+4) on an electronic claim.",
                fix=fix,
            )
        elif len(zip_digits) not in {5, 9}:
            yield Problem(
                "x12_addresses",
                ERROR,
                f"The {label}'s ZIP code {values.get('zip_code') or '(none)'} is not 5 or 9 "
                "digits.",
                fix=fix,
            )


@rule("payer_id", fix=PAYER)
def check_payer_id(ctx: ClaimContext) -> Iterator[Problem]:
    """837P loop 2010BB: a payer that takes electronic claims needs its electronic payer
    id (from the clearinghouse's payer list) in the payer settings."""
    if _electronic(ctx) and not x837.electronic_payer_id(ctx.claim):
        yield Problem(
            "payer_id",
            ERROR,
            f"{ctx.payer.name} has no electronic payer id: add it in the payer settings, or "
            "untick “accepts electronic claims” to bill it on paper.",
        )


@rule("already_sent")
def check_already_sent(ctx: ClaimContext) -> Iterator[Problem]:
    """An original claim (frequency 1) must not carry a service already sent on another
    claim that was not voided: the payer would deny it as a duplicate, and a correction
    goes as a replacement (frequency 7) of the claim the payer has (NUCC 1500 item 22;
    docs/rules/claims.md "Corrections"). The database refuses new cases; this reports
    claims made before it did."""
    if ctx.claim.frequency != Claim.Frequency.ORIGINAL:
        return
    by_service = {line.service_line_id: line for line in ctx.lines if line.service_line_id}
    sent = (
        ClaimLine.objects.filter(
            service_line__in=list(by_service), claim__status__in=Claim.SENT_STATUSES
        )
        .exclude(ctx.this_service)
        .values_list("service_line_id", "claim__control_number", "claim__status", "claim_id")
    )
    statuses = dict(Claim.Status.choices)
    for service_line_id, control_number, status, claim_id in sent:
        line = by_service[service_line_id]
        yield Problem(
            "already_sent",
            ERROR,
            f"{_line_label(line)} was already sent on claim {control_number} "
            f"({statuses[status].lower()}): correct or void that claim instead of billing "
            "the service again.",
            line.position,
            fix=Fix(CLAIM, claim_id),
        )


@rule("resubmission_reference", fix=PAYER_NUMBER)
def check_resubmission_reference(ctx: ClaimContext) -> Iterator[Problem]:
    """A replacement (7) or void (8) names the payer's own claim number in box 22
    (NUCC 1500 item 22; X12 837P loop 2300 REF*F8), never our control number."""
    if ctx.claim.frequency == Claim.Frequency.ORIGINAL or ctx.claim.payer_claim_number:
        return
    yield Problem(
        "resubmission_reference",
        ERROR,
        f"This {ctx.claim.get_frequency_display().lower()} needs the payer's claim number "
        "for box 22: enter it from the payer's remittance or portal.",
    )


REBUILD = "then discard this draft and build the claim again (a claim keeps what it was built with)"


@rule("signatures", fix=SIGNATURES_ON_FILE)
def check_signatures(ctx: ClaimContext) -> Iterator[Problem]:
    """docs/rules/claim-forms.md §8 (NUCC 1500 items 12 and 13; X12 837P CLM08, CLM09): the
    client's release of information and assignment of benefits are recorded, and for a
    client under 18 on a date of service they were signed by a parent, guardian or other
    legal representative, not the client."""
    parties = ctx.claim.parties
    signatures = parties.get("signatures") or {}
    patient = parties.get("patient") or {}
    born = pdf.iso_date(patient.get("date_of_birth"))
    minor_on = next(
        (
            line.date_of_service
            for line in ctx.lines
            if born is not None and age_on(born, line.date_of_service) < ADULT_AGE
        ),
        None,
    )
    name = f"{patient.get('first_name', '')} {patient.get('last_name', '')}".strip()
    for kind, what, box in SIGNATURES:
        signature = signatures.get(kind)
        if not signature:
            yield Problem(
                "signatures",
                ERROR,
                f"No signed {what} is recorded for {name} ({box} would be blank): record "
                f"the date, who signed and who they are under “Signatures” on the client's "
                f"page, {REBUILD}.",
            )
            continue
        relation = signature.get("relation", "") if isinstance(signature, dict) else ""
        if minor_on is not None and relation in {"", SignerRelation.SELF}:
            signer = "the client" if relation else "a signer of unknown relation"
            yield Problem(
                "signatures",
                ERROR,
                f"{name} was {age_on(born, minor_on)} on {us_date(minor_on)}, and the {what} "
                f"({box}) was signed by {signer}: a parent or legal guardian signs for a "
                f"client under {ADULT_AGE}. Record their signature on the client's page, "
                f"{REBUILD}.",
            )


@rule("referring_provider", fix=COVERAGE)
def check_referring_provider(ctx: ClaimContext) -> Iterator[Problem]:
    """docs/rules/claim-forms.md §9 (NUCC 1500 item 17; X12 837P loop 2310A): a payer that
    requires referrals gets the referring provider's name and a valid NPI."""
    referring = ctx.claim.parties.get("referring")
    if not referring:
        if ctx.payer.requires_referring_provider:
            yield Problem(
                "referring_provider",
                ERROR,
                f"{ctx.payer.name} requires a referring provider (box 17, qualifier DN): "
                f"record the referring provider's name and NPI on the client's "
                f"{ctx.payer.name} coverage, {REBUILD}.",
            )
        return
    missing = [
        label
        for key, label in [("first_name", "first name"), ("last_name", "last name")]
        if not referring.get(key)
    ]
    if missing:
        yield Problem(
            "referring_provider",
            ERROR,
            f"The referring provider's {' and '.join(missing)} is missing (box 17).",
        )
    try:
        validate_npi(referring.get("npi", ""))
    except ValidationError as error:
        yield Problem(
            "referring_provider",
            ERROR,
            f"The referring provider NPI {referring.get('npi') or '(missing)'} (box 17b): "
            f"{error.messages[0]}",
        )


@rule("billing_address", fix=PRACTICE)
def check_billing_address(ctx: ClaimContext) -> Iterator[Problem]:
    """docs/rules/claim-forms.md §10 (NUCC 1500 item 33; X12 837P loop 2010AA): the billing
    provider's address is a street address, never a PO box, with a nine-digit ZIP. On an
    electronic claim ``x12_addresses`` already reports a missing street or ZIP+4."""
    billing = ctx.claim.parties.get("billing") or {}
    settings = "correct it in the practice settings"
    for key in ("address_line1", "address_line2"):
        value = billing.get(key) or ""
        if is_po_box(value):
            yield Problem(
                "billing_address",
                ERROR,
                f"The billing address “{value}” is a PO box: box 33 needs the practice's "
                f"street address; {settings}, {REBUILD}.",
            )
    if _electronic(ctx):
        return
    if not (billing.get("address_line1") or "").strip():
        yield Problem(
            "billing_address",
            ERROR,
            f"The billing provider's street address is missing (box 33); {settings}, {REBUILD}.",
        )
    try:
        validate_zip_plus4(billing.get("zip_code", ""))
    except ValidationError:
        yield Problem(
            "billing_address",
            ERROR,
            f"The billing provider's ZIP code {billing.get('zip_code') or '(none)'} needs all "
            f"nine digits (ZIP+4) in box 33; {settings}, {REBUILD}.",
        )
