"""The scrubber's frame: problems and where they are fixed, the claim as the rules read
it (``ClaimContext``), the rule registry and ``scrub``, which runs every rule.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property

from django.db.models import Q, QuerySet
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone

from billing import coding
from billing.models import Claim, ClaimLine, DiagnosisCode, Payer
from practice.formats import us_date
from practice.models import (
    Clinician,
    Coverage,
    Session,
)

ERROR = "error"
WARNING = "warning"


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


def forget_errors(claims: QuerySet[Claim]) -> int:
    """The counts kept on these claims (``Claim.scrub_errors``) may no longer be what a
    check would find: clear them, so the claim list shows "not checked" (opening the claim
    checks it again) and the errors filter does not trust them. Sent claims keep theirs."""
    unsent = claims.filter(status__in=Claim.EDITABLE_STATUSES, scrub_errors__isnull=False)
    return unsent.update(scrub_errors=None)


# What a claim keeps (its parties, lines and diagnoses) is fixed when it is built; the
# rules also read a few things live: the payer's settings, the coverage, the catalog's
# diagnosis codes and the clinicians who saw the client. A change to one of those makes
# the counts kept on the unsent claims that read it stale.
@receiver(post_save, sender=Payer, dispatch_uid="billing.scrubber.payer_saved")
def _payer_saved(instance: Payer, raw: bool = False, **kwargs) -> None:
    if not raw:
        forget_errors(Claim.objects.filter(payer=instance))


@receiver(post_save, sender=Coverage, dispatch_uid="billing.scrubber.coverage_saved")
def _coverage_saved(instance: Coverage, raw: bool = False, **kwargs) -> None:
    if not raw:
        forget_errors(Claim.objects.filter(coverage=instance))


@receiver(post_save, sender=DiagnosisCode, dispatch_uid="billing.scrubber.diagnosis_saved")
def _diagnosis_code_saved(instance: DiagnosisCode, raw: bool = False, **kwargs) -> None:
    if not raw:
        forget_errors(Claim.objects.filter(diagnoses__code=instance.code))


@receiver(post_save, sender=Clinician, dispatch_uid="billing.scrubber.clinician_saved")
def _clinician_saved(instance: Clinician, raw: bool = False, **kwargs) -> None:
    if not raw:
        forget_errors(Claim.objects.filter(lines__service_line__session__clinician=instance))


def _line_label(line: ClaimLine) -> str:
    return f"Line {line.position} ({line.procedure_code}, {us_date(line.date_of_service)})"
