"""Session workflows: what a session will bill, what to warn about, and saving it.

Views stay thin: the forms read what a person typed (``practice/forms/``),
``practice/session_plan.py`` decides what a logged session bills with the functions
here, and these functions write (``session_log``). Coding rules come from
``billing/coding.py`` and payer rules from ``billing/rules.py``; nothing here repeats
them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import transaction

from billing import coding, rules
from billing.models import ClaimLine, Payer, ProcedureCode
from practice.common import MAX_DIAGNOSES, MAX_POINTERS, POINTER_LETTERS, ZERO
from practice.formats import us_date
from practice.models import (
    Clinician,
    Coverage,
    Diagnosis,
    ServiceLine,
    Session,
    SessionDiagnosis,
)
from practice.versions import StaleEdit, ensure_all_current, ensure_current, refuse_stale

if TYPE_CHECKING:
    from django.forms import BaseModelFormSet, ModelForm

    from practice import session_plan

CENT = Decimal("0.01")
MAX_MODIFIERS = 4
GROUP_SERVICES = frozenset({Session.Service.GROUP, Session.Service.MULTI_FAMILY_GROUP})
NOT_SEEN_STATUSES = frozenset(
    {Session.Status.NO_SHOW, Session.Status.LATE_CANCEL, Session.Status.CANCELLED}
)

EM_MINUTES_MESSAGE = (
    "With an E/M visit, enter the psychotherapy minutes (not counting the E/M "
    "service): the add-on code comes from them."
)
NO_DIAGNOSIS_MESSAGE = "Choose at least one diagnosis: every service line points at one."

# Who may move a session where: billed and closed sessions belong to the claim process.
STATUS_TRANSITIONS: dict[str, frozenset[str]] = {
    Session.Status.DRAFT: frozenset(
        {
            Session.Status.READY,
            Session.Status.NO_SHOW,
            Session.Status.LATE_CANCEL,
            Session.Status.CANCELLED,
        }
    ),
    Session.Status.READY: frozenset(
        {
            Session.Status.DRAFT,
            Session.Status.NO_SHOW,
            Session.Status.LATE_CANCEL,
            Session.Status.CANCELLED,
        }
    ),
    Session.Status.NO_SHOW: frozenset({Session.Status.DRAFT}),
    Session.Status.LATE_CANCEL: frozenset({Session.Status.DRAFT}),
    Session.Status.CANCELLED: frozenset({Session.Status.DRAFT}),
}


class SessionLocked(Exception):
    """The session is billed: it changes only through its claim (void or replace)."""


@dataclass(frozen=True)
class PlannedLine:
    """A service line as it will be saved: the charge is the fee schedule × units."""

    procedure: ProcedureCode
    modifiers: tuple[str, ...]
    units: int
    pointers: str
    charge: Decimal
    place_of_service: str

    @property
    def code(self) -> str:
        return self.procedure.code

    @property
    def description(self) -> str:
        return self.procedure.description


def billed_reason(session: Session) -> str:
    """Why a billed session cannot be edited, in words a clinician can act on."""
    return (
        f"This session is {session.get_status_display().lower()}: it is on a claim. "
        "Void or replace the claim to change it."
    )


def pointer_letters(count: int) -> str:
    """Default pointers: the session's first diagnoses, up to the four a line may carry."""
    return POINTER_LETTERS[: min(count, MAX_POINTERS)]


def session_proposal(
    *,
    service: str,
    minutes: int,
    clinician: Clinician,
    payer: Payer | None,
    fees: Mapping[str, Decimal],
    in_person_pos: str,
    telehealth: str,
    client_at_home: bool,
    interactive_complexity: bool,
    em_code: str = "",
    psychotherapy_minutes: int | None = None,
) -> rules.Proposal:
    """``billing.rules.propose`` plus, for a prescriber, the E/M visit code they chose.

    docs/rules/coding.md §5: an E/M visit (99202-99215) turns the psychotherapy codes
    into their add-on forms (90833/90836/90838), coded from the psychotherapy minutes
    alone (never the whole visit); the E/M code itself is the prescriber's choice, so it
    comes from the form and leads the lines. §6: only a prescriber bills E/M codes.
    Raises ValueError, like ``propose``, with the reason.
    """
    if em_code:
        problems = coding.credential_problems(
            [em_code], prescriber=clinician.prescriber, who=str(clinician)
        )
        if problems:
            raise ValueError(problems[0])
        if psychotherapy_minutes is None:
            raise ValueError(EM_MINUTES_MESSAGE)
    proposal = rules.propose(
        service=service,
        minutes=psychotherapy_minutes if em_code else minutes,
        clinician=clinician,
        payer=payer,
        fees=fees,
        in_person_pos=in_person_pos,
        telehealth=telehealth,
        client_at_home=client_at_home,
        interactive_complexity=interactive_complexity,
        with_em=bool(em_code),
    )
    if not em_code:
        return proposal
    pos = rules.place_of_service(
        telehealth=telehealth,
        client_at_home=client_at_home,
        in_person_pos=in_person_pos,
        payer=payer,
    )
    em_line = rules.ProposedLine(
        code=em_code,
        units=1,
        modifiers=rules.line_modifiers(telehealth=telehealth, payer=payer, clinician=clinician),
        place_of_service=pos,
        charge=fees.get(em_code, ZERO).quantize(CENT),
        description="E/M office visit",
    )
    return rules.Proposal(
        lines=(em_line, *proposal.lines), warnings=proposal.warnings, notes=proposal.notes
    )


def session_code_problems(
    *, session: Session, lines: Sequence[tuple[str, int]]
) -> list[tuple[int | None, str]]:
    """Coding rules a session's lines (code, units) break, as (line index or None, reason):
    the same checks the scrubber makes on a claim, made before the session is saved.

    From ``billing/coding.py``'s tables (docs/rules/coding.md): who may bill the code
    (§6), each time-based code's range over the session's coded minutes (§2, §5),
    add-on units against the minutes (§3.2), and the same-day rules (§4) against the
    client's other attended sessions that date (one query). Problems among the session's
    own codes alone are ``coding.check_add_ons``'s to report, so they are left out here.
    ``session`` may be unsaved.
    """
    codes = [code for code, _ in lines]
    clinician = session.clinician
    problems: list[tuple[int | None, str]] = []
    first_line: dict[str, int] = {}
    for index, code in enumerate(codes):
        first_line.setdefault(code, index)
    for code, index in first_line.items():
        problems += [
            (index, message)
            for message in coding.credential_problems(
                [code], prescriber=clinician.prescriber, who=str(clinician)
            )
        ]
    problems += coding.time_problems([(code, session.minutes_for(code)) for code in codes])
    problems += coding.add_on_unit_problems(
        [(code, units, session.minutes_for(code)) for code, units in lines]
    )
    others = [
        coding.DayLine(code, clinician_id, units)
        for code, clinician_id, units in ServiceLine.objects.filter(
            session__client_id=session.client_id,
            session__date=session.date,
            session__status__in=Session.ATTENDED_STATUSES,
        )
        .exclude(session_id=session.pk)
        .values_list("procedure__code", "session__clinician_id", "units")
    ]
    own = [coding.DayLine(code, clinician.pk, units) for code, units in lines]
    known = set(coding.same_day_problems(own)) | set(coding.same_day_problems(others))
    problems += [
        (None, message)
        for message in coding.same_day_problems([*others, *own])
        if message not in known
    ]
    return problems


def line_charge(*, fees: Mapping[str, Decimal], code: str, units: int) -> Decimal:
    """The charge stored on a line: the unit fee on the date of service × units."""
    return (fees.get(code, ZERO) * units).quantize(CENT)


def session_log(
    *, plan: session_plan.SessionPlan, user, ready: bool = False
) -> tuple[Session, str]:
    """Save a session as ``session_plan`` decided it (``plan.ok``) and, when asked, mark
    it ready to bill: ``(session, why_not_ready)``, the second "" unless marking ready
    was asked for and refused.

    Raises what ``session_save`` raises (SessionLocked, StaleEdit, ValidationError): the
    save is whole or nothing. Marking ready is a second step that may be refused alone
    (``session_mark_ready``): the session stays saved.
    """
    if not plan.ok:
        raise ValueError("This session has problems to fix before it can be saved.")
    session = plan.session
    session.place_of_service = plan.place_of_service
    session_save(session=session, diagnoses=plan.diagnoses, lines=plan.lines, user=user)
    return session, session_mark_ready(session=session, user=user) if ready else ""


def session_mark_ready(*, session: Session, user) -> str:
    """Mark a just-saved session ready to bill: "" when done (or when it already was:
    saving a ready session keeps it ready, nothing to refuse), else why not."""
    if session.status == Session.Status.READY:
        return ""
    try:
        session_set_status(session=session, status=Session.Status.READY, user=user)
    except (StaleEdit, ValueError) as error:
        return str(error)
    return ""


def session_warnings(
    *, session: Session, coverage: Coverage | None, codes: Sequence[str]
) -> list[str]:
    """Things a clinician or biller should know that do not stop the session being saved.

    - no coverage in force on the date of service for a client who is not self-pay;
    - the coverage billed is recorded as secondary (no primary in force that day);
    - prior authorization missing (payer requires one), not yet started, expired, or
      with every authorized visit used (``Coverage.auth_visits_used``);
    - a likely duplicate: the same client already has the same code on the same day.

    ``session`` may be unsaved; its own row is never counted against it.
    """
    client, on = session.client, session.date
    warnings: list[str] = []
    if coverage is None:
        if not client.self_pay:
            warnings.append(
                f"{client.full_name} has no primary coverage in force on {us_date(on)}: "
                "the lines use self-pay rules. Add or update the coverage before billing."
            )
    else:
        if coverage.priority != Coverage.Priority.PRIMARY:
            warnings.append(
                f"{coverage.payer.name} is billed as the payer responsible on {us_date(on)}: "
                f"it is recorded as {coverage.get_priority_display().lower()} and no primary "
                "coverage is in force. Record the new primary coverage if there is one."
            )
        warnings.extend(_authorization_warnings(session=session, coverage=coverage))
    if codes:
        others = (
            Session.objects.filter(client=client, date=on, status__in=Session.ATTENDED_STATUSES)
            .exclude(pk=session.pk)
            .filter(lines__procedure__code__in=set(codes))
            .values_list("lines__procedure__code", flat=True)
            .distinct()
        )
        repeated = sorted(set(others))
        if repeated:
            warnings.append(
                f"Possible duplicate: {client.full_name} already has {', '.join(repeated)} "
                f"on {us_date(on)} in another session."
            )
    return warnings


def _authorization_warnings(*, session: Session, coverage: Coverage) -> list[str]:
    on = session.date
    number = coverage.prior_auth_number
    if not number:
        if coverage.payer.requires_prior_authorization:
            return [
                f"{coverage.payer.name} requires prior authorization and none is on file "
                "for this coverage."
            ]
        return []
    if coverage.prior_auth_to and on > coverage.prior_auth_to:
        return [f"Prior authorization {number} expired on {us_date(coverage.prior_auth_to)}."]
    if coverage.prior_auth_from and on < coverage.prior_auth_from:
        return [
            f"Prior authorization {number} starts on {us_date(coverage.prior_auth_from)}, "
            "after this date of service."
        ]
    if coverage.prior_auth_visits is None:
        return []
    count = coverage.auth_visits_used(excluding=session.pk)
    if count >= coverage.prior_auth_visits:
        return [
            f"Prior authorization {number} is used up: {count} of "
            f"{coverage.prior_auth_visits} authorized visits are already logged."
        ]
    return []


def _lock(session: Session) -> None:
    """Re-read the status under a row lock: a claim may have billed the session, or
    someone marked it a no-show or saved it, since the page was opened. A session saved
    since ``session.version`` (the version its form was read at) is refused with a
    StaleEdit: nothing of the other person's is overwritten."""
    status, version = (
        Session.objects.select_for_update().values_list("status", "version").get(pk=session.pk)
    )
    if status in Session.BILLED_STATUSES:
        session.status = status
        raise SessionLocked(billed_reason(session))
    ensure_current(session, locked_version=version)
    session.status = status


def session_save(
    *,
    session: Session,
    diagnoses: Sequence[Diagnosis],
    lines: Sequence[PlannedLine],
    user,
) -> Session:
    """Save a session with its ordered diagnoses and service lines, all or nothing.

    The lines and diagnoses replace whatever the session had. A session the client did
    not attend (no-show, cancelled) keeps no service lines. Every row is ``full_clean``ed
    first, so a rule the models hold fails here with a ValidationError, not halfway
    through the writes. Raises SessionLocked for a billed session, and StaleEdit when
    the session was saved by someone else after ``session.version`` (its form's).
    """
    if len(diagnoses) > MAX_DIAGNOSES:
        raise ValueError(f"A session carries at most {MAX_DIAGNOSES} diagnoses.")
    adding = session.pk is None
    try:
        with refuse_stale(), transaction.atomic():
            _write(session=session, diagnoses=diagnoses, lines=lines, user=user)
    except Exception:
        if adding:  # rolled back: the form may be shown again as a new session
            session.pk = None
            session._state.adding = True
        raise
    return session


def _write(
    *, session: Session, diagnoses: Sequence[Diagnosis], lines: Sequence[PlannedLine], user
) -> None:
    if session.pk is None:
        session.created_by = user
    else:
        _lock(session)
    session.full_clean()
    session.save()
    session.session_diagnoses.all().delete()
    # Lines are rewritten in place, position by position, so a line keeps its identity
    # (and its link to any earlier, voided claim) when the biller fixes a session.
    existing = {line.position: line for line in session.lines.all()}
    for position, diagnosis in enumerate(diagnoses, start=1):
        row = SessionDiagnosis(session=session, diagnosis=diagnosis, position=position)
        row.full_clean()
        row.save()
    if session.status in NOT_SEEN_STATUSES:
        lines = []
    for position, planned in enumerate(lines, start=1):
        modifiers = [*planned.modifiers, "", "", "", ""][:MAX_MODIFIERS]
        line = existing.pop(position, None) or ServiceLine(session=session, position=position)
        line.procedure = planned.procedure
        line.modifier_1, line.modifier_2, line.modifier_3, line.modifier_4 = modifiers
        line.units = planned.units
        line.charge = planned.charge
        line.diagnosis_pointers = planned.pointers
        line.full_clean()
        line.save()
    _delete_lines(ServiceLine.objects.filter(pk__in=[line.pk for line in existing.values()]))


def _delete_lines(lines) -> None:
    """Delete service lines a session no longer has. Lines on a live claim are protected
    by the database; a dead (void or replaced) claim keeps its own copy of each line, so
    its link to the service line is cleared first."""
    ClaimLine.objects.filter(service_line__in=lines, live=False).update(service_line=None)
    lines.delete()


def session_set_status(*, session: Session, status: str, user) -> Session:
    """Move a session along its workflow (draft ⇄ ready; no-show and cancellations).

    A session marked no-show or cancelled before billing loses its service lines: there
    is nothing to bill. Only a session with lines may be marked ready. Raises
    SessionLocked for a billed session, StaleEdit when it changed since
    ``session.version`` and ValueError for a move that is not allowed.
    """
    with refuse_stale(), transaction.atomic():
        _lock(session)
        allowed = STATUS_TRANSITIONS.get(session.status, frozenset())
        if status not in allowed:
            raise ValueError(
                f"A {session.get_status_display().lower()} session cannot be marked "
                f"{Session.Status(status).label.lower()}."
                if status in Session.Status.values
                else f"Unknown status {status!r}."
            )
        if status == Session.Status.READY and not session.lines.exists():
            raise ValueError(
                "This session has no service lines to bill: edit it first "
                "(check its length and service)."
            )
        if status in NOT_SEEN_STATUSES:
            _delete_lines(session.lines.all())
        session.status = status
        session.full_clean()
        session.save(update_fields=["status", "updated_at", "version"])
    return session


def session_delete(*, session: Session, user) -> None:
    """Delete a draft session. Anything past draft is history: mark it cancelled instead."""
    with refuse_stale(), transaction.atomic():
        _lock(session)
        if session.status != Session.Status.DRAFT:
            raise ValueError(
                f"Only draft sessions can be deleted; this one is "
                f"{session.get_status_display().lower()}."
            )
        if ClaimLine.objects.filter(service_line__session=session).exists():
            raise ValueError(
                "This session was on a claim (since voided); it stays on record. "
                "Mark it cancelled instead."
            )
        session.delete()


def client_save(*, form: ModelForm, diagnoses: BaseModelFormSet, coverages: BaseModelFormSet):
    """Save a valid client page in one transaction: the client, then its diagnoses and
    coverages. Any database error rolls all of it back.

    Each form carries the version its row was read at: when the client, or a diagnosis or
    coverage the page changes or removes, was saved by someone else since, nothing is
    written and StaleEdit names every such row with what changed.
    """
    # A row the page did not change (compared with the row as the page showed it) is
    # neither checked nor written: another person's change to it stays.
    creating, client_changed = form.instance.pk is None, form.has_changed()
    rows = [form.instance] if client_changed else []
    for formset in (diagnoses, coverages):
        rows += [
            f.instance
            for f in formset.initial_forms
            if f.has_changed() or formset._should_delete_form(f)
        ]
    with refuse_stale(), transaction.atomic():
        ensure_all_current(rows)
        client = form.save() if creating or client_changed else form.instance
        for formset in (diagnoses, coverages):
            formset.instance = client
            formset.save()
    return client
