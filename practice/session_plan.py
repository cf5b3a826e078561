"""Logging a session: what the facts a person entered bill, and what stops the save.

``session_plan`` is the one place these decisions are made for the session page, the
live proposal and an attended appointment: the form reads (``practice/forms/``), the plan
decides, ``services.session_log`` writes. Coding rules come from ``billing/coding.py`` and
payer rules from ``billing/rules.py`` through ``services.session_proposal``.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from billing import coding, rules
from billing.models import PlaceOfService, ProcedureCode
from practice.common import ZERO
from practice.formats import us_date
from practice.models import Client, Clinician, Coverage, Diagnosis, Location, Session
from practice.services import (
    GROUP_SERVICES,
    NO_DIAGNOSIS_MESSAGE,
    NOT_SEEN_STATUSES,
    PlannedLine,
    line_charge,
    pointer_letters,
    session_code_problems,
    session_proposal,
    session_warnings,
)

# Facts without which nothing is proposed: a refusal beside any of them means the
# session cannot be coded as it stands.
PROPOSAL_FACTS = (
    "start_time",
    "end_time",
    "minutes",
    "em_code",
    "psychotherapy_minutes",
    "service",
)


@dataclass(frozen=True)
class SessionFacts:
    """What the session page says about one session, as its form read it: None (or "")
    where a value is missing or could not be read. ``unreadable`` names the fields the
    form refused (``"__all__"`` for the page as a whole)."""

    client: Client | None
    clinician: Clinician | None
    date: datetime.date | None
    service: str | None
    minutes: int | None
    start_time: datetime.time | None = None
    end_time: datetime.time | None = None
    telehealth: str = ""
    client_at_home: bool = True
    location: Location | None = None
    interactive_complexity: bool = False
    em_code: str = ""
    psychotherapy_minutes: int | None = None
    diagnoses: tuple[Diagnosis, ...] = ()
    unreadable: frozenset[str] = frozenset()


@dataclass(frozen=True)
class LineChoice:
    """A service line set by hand (the override), as the page read it."""

    procedure: ProcedureCode
    modifiers: tuple[str, ...]
    units: int
    pointers: str


@dataclass(frozen=True)
class Problem:
    """Why a session cannot be saved as it stands, and where to say so: beside ``field``
    of the session form (None: the page as a whole), or, for lines set by hand, beside
    the code of line ``line`` or over the lines (``on_lines``)."""

    message: str
    field: str | None = None
    code: str = "invalid"
    line: int | None = None
    on_lines: bool = False


@dataclass
class SessionPlan:
    """What ``session_plan`` decided: the payer's proposal, the lines that will be saved,
    the place of service, warnings that do not stop the save and problems that do."""

    session: Session
    diagnoses: list[Diagnosis]
    proposal: rules.Proposal | None = None
    coverage: Coverage | None = None
    fees: Mapping[str, Decimal] = field(default_factory=dict)
    pos_code: str = ""
    place_of_service: PlaceOfService | None = None
    lines: list[PlannedLine] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    complete: bool = False  # every check ran (the facts were read and could be coded)

    @property
    def ok(self) -> bool:
        """Nothing stops the save: every fact read, coded, and no rule broken."""
        return self.complete and not self.problems

    @property
    def total(self) -> Decimal:
        return sum((line.charge for line in self.lines), ZERO)

    def refused(self, name: str) -> bool:
        return any(problem.field == name for problem in self.problems)


def session_overlap(
    *,
    clinician: Clinician,
    day: datetime.date,
    start: datetime.time,
    end: datetime.time,
    exclude_pk: int | None,
) -> Session | None:
    """The clinician's other session at the same time that day, if any: one clinician
    cannot see two clients at once. Group sessions are logged once per member at the same
    time, so they never count as overlapping (the caller leaves them out too)."""
    return (
        Session.objects.filter(
            clinician=clinician, date=day, start_time__lt=end, end_time__gt=start
        )
        .exclude(status__in=NOT_SEEN_STATUSES)
        .exclude(service__in=GROUP_SERVICES)
        .exclude(pk=exclude_pk)
        .select_related("client")
        .order_by("start_time")
        .first()
    )


def session_plan(
    *,
    session: Session,
    facts: SessionFacts,
    chosen_lines: Sequence[LineChoice] | None = None,
    override: bool = False,
    procedures: Mapping[str, ProcedureCode] | None = None,
) -> SessionPlan:
    """Decide what a session as logged bills, or why it cannot be saved (no writes).

    In order, stopping where the later steps need what failed: who may bill the E/M visit
    or the intake with medical services (docs/rules/coding.md §6); the clinician's other
    sessions at that time; the payer's proposal (``session_proposal``: coverage in force
    on the date, fee schedule, place of service); the lines — the proposal's, or
    ``chosen_lines`` when the clinician set them by hand (``override``; None there means
    the page's rows could not be read) — each in the code catalog, add-ons with their
    primaries, and the coding rules of ``session_code_problems`` (§10: nothing that
    breaks one is saved); at least one diagnosis; the place of service in the catalog;
    and, when nothing is wrong, ``session_warnings``.

    ``session`` is the session as the form built it (unsaved when new); ``procedures``
    the code catalog by code, when the caller has it already.
    """
    plan = SessionPlan(session=session, diagnoses=list(facts.diagnoses))
    _plan_credentials(plan, facts)
    _plan_overlap(plan, facts)
    _plan_proposal(plan, facts)
    if override and chosen_lines is not None:
        add_ons = coding.check_add_ons([line.procedure.code for line in chosen_lines])
        plan.problems += [Problem(message, code="add_on", on_lines=True) for message in add_ons]
        if add_ons:
            return plan
    if plan.proposal is None or (override and chosen_lines is None):
        return plan
    if procedures is None:
        procedures = {p.code: p for p in ProcedureCode.objects.all()}
    if override:
        plan.lines = [
            _planned(plan, line.procedure, line.modifiers, line.units, line.pointers)
            for line in chosen_lines
        ]
        refusal = rules.audio_only_refusal(
            telehealth=facts.telehealth, payer=plan.coverage.payer if plan.coverage else None
        )
        plan.warnings.extend([refusal] if refusal else [])
    else:
        if not _lines_from_proposal(plan, procedures):
            return plan
        plan.warnings.extend(plan.proposal.warnings)
    coding_problems = session_code_problems(
        session=session, lines=[(line.code, line.units) for line in plan.lines]
    )
    for index, message in coding_problems:
        if override:
            plan.problems.append(
                Problem(message, code="coding", line=index, on_lines=index is None)
            )
        else:
            plan.problems.append(Problem(message, field="service", code="coding"))
    if coding_problems:
        return plan
    plan.complete = True
    if plan.lines and not plan.diagnoses and "diagnoses" not in facts.unreadable:
        plan.problems.append(Problem(NO_DIAGNOSIS_MESSAGE, field="diagnoses", code="no_diagnosis"))
    plan.place_of_service = PlaceOfService.objects.filter(code=plan.pos_code).first()
    if plan.place_of_service is None:
        plan.problems.append(Problem(f"Place of service {plan.pos_code} is not in the catalog."))
    if not facts.unreadable and not plan.problems:
        plan.warnings.extend(
            session_warnings(
                session=session, coverage=plan.coverage, codes=[line.code for line in plan.lines]
            )
        )
    return plan


def _plan_credentials(plan: SessionPlan, facts: SessionFacts) -> None:
    """docs/rules/coding.md §6: an E/M visit, and the diagnostic evaluation with medical
    services (90792), are a prescriber's; anyone else's is refused with the reason."""
    clinician = facts.clinician
    if clinician is None or clinician.prescriber:
        return
    if facts.em_code:
        problems = coding.credential_problems([facts.em_code], prescriber=False, who=str(clinician))
        plan.problems += [Problem(message, "em_code", "credentials") for message in problems]
    if facts.service == Session.Service.INTAKE_MEDICAL:
        problems = coding.credential_problems(
            [coding.UNTIMED_CODES[Session.Service.INTAKE_MEDICAL]],
            prescriber=False,
            who=str(clinician),
        )
        plan.problems += [Problem(message, "service", "credentials") for message in problems]


def _plan_overlap(plan: SessionPlan, facts: SessionFacts) -> None:
    clinician, day, start, end = facts.clinician, facts.date, facts.start_time, facts.end_time
    if not (clinician and day and start and end) or facts.service in GROUP_SERVICES:
        return
    if {"start_time", "end_time"} & facts.unreadable:
        return
    other = session_overlap(
        clinician=clinician, day=day, start=start, end=end, exclude_pk=plan.session.pk
    )
    if other is not None:
        plan.problems.append(
            Problem(
                f"This overlaps another session of {clinician.full_name} on "
                f"{us_date(day)} ({other.start_time:%H:%M}–{other.end_time:%H:%M}, "
                f"{other.client}).",
                field="start_time",
                code="overlap",
            )
        )


def _plan_proposal(plan: SessionPlan, facts: SessionFacts) -> None:
    """Code the session for the client's payer once the facts are in."""
    client, clinician, day = facts.client, facts.clinician, facts.date
    if not (client and clinician and day and facts.service) or not facts.minutes:
        return
    if any(name in facts.unreadable or plan.refused(name) for name in PROPOSAL_FACTS):
        return
    plan.coverage = client.coverage_on(day)
    payer = plan.coverage.payer if plan.coverage else None
    plan.fees = rules.fee_schedule(payer, day)
    in_person_pos = facts.location.default_pos.code if facts.location else "11"
    plan.pos_code = rules.place_of_service(
        telehealth=facts.telehealth,
        client_at_home=facts.client_at_home,
        in_person_pos=in_person_pos,
        payer=payer,
    )
    try:
        plan.proposal = session_proposal(
            service=facts.service,
            minutes=facts.minutes,
            clinician=clinician,
            payer=payer,
            fees=plan.fees,
            in_person_pos=in_person_pos,
            telehealth=facts.telehealth,
            client_at_home=facts.client_at_home,
            interactive_complexity=facts.interactive_complexity,
            em_code=facts.em_code,
            psychotherapy_minutes=facts.psychotherapy_minutes,
        )
    except ValueError as error:
        plan.problems.append(Problem(str(error), "interactive_complexity", "coding"))


def _lines_from_proposal(plan: SessionPlan, procedures: Mapping[str, ProcedureCode]) -> bool:
    unusable = [
        f"{line.code} is not in the code catalog; ask the owner to add it."
        if line.code not in procedures
        else f"{line.code} is inactive in the code catalog."
        for line in plan.proposal.lines
        if line.code not in procedures or not procedures[line.code].active
    ]
    if unusable:
        plan.problems += [Problem(message) for message in unusable]
        return False
    pointers = pointer_letters(len(plan.diagnoses)) or "A"
    plan.lines = [
        _planned(plan, procedures[line.code], line.modifiers, line.units, pointers)
        for line in plan.proposal.lines
    ]
    problems = coding.check_add_ons([line.code for line in plan.lines])
    plan.problems += [Problem(message) for message in problems]
    return not problems


def _planned(plan: SessionPlan, procedure, modifiers, units, pointers) -> PlannedLine:
    return PlannedLine(
        procedure=procedure,
        modifiers=tuple(modifiers),
        units=units,
        pointers=pointers,
        charge=line_charge(fees=plan.fees, code=procedure.code, units=units),
        place_of_service=plan.pos_code,
    )
