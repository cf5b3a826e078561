"""Billing workflows: build claims from billable sessions, and move claims through their life.

Each function is one transaction. Claims copy everything they print, so later edits to
clients, clinicians, the catalog or fees never rewrite them (see `Claim` in
billing/models/claims.py).
"""

from __future__ import annotations

import datetime
import secrets
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from django.db import transaction
from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from billing import coding, contracts
from billing.models import Claim, ClaimDiagnosis, ClaimLine, Payer, PayerRate
from billing.parties import claim_parties
from billing.rules import billing_clinicians
from practice.common import (
    MAX_DIAGNOSES,
    ZERO,
    pointed_codes,
    pointer_letter,
    present_modifiers,
)
from practice.formats import us_date
from practice.history import acting_user, create_with_history, update_with_history
from practice.models import (
    Clinician,
    Coverage,
    Practice,
    ServiceLine,
    Session,
    SessionDiagnosis,
)
from practice.versions import StaleEdit, ensure_current

MAX_LINES_PER_CLAIM = 50


class ClaimError(Exception):
    """A claim action that is not allowed in the claim's state, with the reason."""


@dataclass
class BuildResult:
    claims: list[Claim] = field(default_factory=list)
    skipped: list[tuple[Session, str]] = field(default_factory=list)


def new_control_number() -> str:
    """A claim control number (837P CLM01, at most 20 characters) that never repeats:
    random, so two app servers never pick the same one; the unique index is the guard."""
    return "SL" + secrets.token_hex(6).upper()


def _expected_rates(payer_id: int | None = None) -> dict[tuple[int, str], list[PayerRate]]:
    """Fee schedule rows by (payer, code), newest first, in one query: one payer's, or
    every payer's (a practice has a few payers and a few dozen codes each)."""
    table: dict[tuple[int, str], list[PayerRate]] = defaultdict(list)
    rates = PayerRate.objects.select_related("procedure").order_by("-effective_from")
    if payer_id is not None:
        rates = rates.filter(payer_id=payer_id)
    for rate in rates:
        table[(rate.payer_id, rate.procedure.code)].append(rate)
    return table


def billing_lines() -> QuerySet[ClaimLine]:
    """Claim lines that bill their service to a payer: on a live claim, or sent on an
    original claim that was not voided (being corrected or replaced: the payer has it).
    A service with such a line must not be billed again on a new original claim, nor
    put on a client's superbill (docs/rules/claims.md "Corrections")."""
    return ClaimLine.objects.filter(Q(live=True) | Q(original_billing=True))


def billable() -> Q:
    """What makes a session billable on a new original claim (``billable_sessions``), as a
    condition on sessions: for a count beside others in one statement (the dashboard)."""
    # NOT EXISTS, an anti-join on the claim lines' index; Django's exclude() across the
    # relation writes NOT IN (subquery), which PostgreSQL re-runs per row once the
    # claimed lines outgrow work_mem (minutes per build after a year of claims).
    claimed = billing_lines().filter(service_line__session=OuterRef("pk"))
    return Q(status=Session.Status.READY, client__self_pay=False) & ~Exists(claimed)


def billable_sessions(*, through: datetime.date | None = None):
    """Sessions ready to go on a new original claim: status ready, not self-pay, not on a
    live claim, and not already sent on an original claim (a session being corrected goes
    on the replacement, never on a new original: docs/rules/claims.md "Corrections")."""
    sessions = Session.objects.filter(billable())
    if through is not None:
        sessions = sessions.filter(date__lte=through)
    return sessions


@transaction.atomic
def claims_build(
    *,
    user=None,
    payer: Payer | None = None,
    through: datetime.date | None = None,
    session_ids: Iterable[int] | None = None,
) -> BuildResult:
    """Group ready sessions into claims per client, coverage and rendering provider
    (docs/rules/claim-forms.md §1), at most 50 lines and 12 diagnoses each, and mark the sessions
    billed.

    The sessions are locked first (``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL), so
    two billers building at once split the work instead of billing a session twice; the
    partial unique index on live claim lines is the last guard.
    """
    result = BuildResult()
    practice = Practice.current()
    if practice is None:
        raise ClaimError("Set up the practice (name, tax id, address) before building claims.")
    candidates = billable_sessions(through=through)
    if session_ids is not None:
        candidates = candidates.filter(pk__in=list(session_ids))
    locked = list(
        Session.objects.filter(pk__in=candidates.values("pk"))
        .select_for_update(skip_locked=True)
        .order_by("client_id", "pk")
        .values_list("pk", "client_id")
    )
    rates = _expected_rates(payer_id=payer.pk if payer else None)
    for batch in _client_batches(locked):
        drafts, billed = _draft_batch(
            session_ids=batch, payer=payer, practice=practice, rates=rates, user=user, result=result
        )
        result.claims += _save_claims(drafts, user=user, reason="Claim built")
        update_with_history(billed, user=user, reason="Claim built", status=Session.Status.BILLED)
    return result


def claims_check(*, claims: Iterable[Claim]) -> None:
    """Scrub claims just built, so the claim list shows their errors from the start
    (``Claim.scrub_errors``). About ten queries a claim: the build itself stays a few
    statements per batch, and callers that build history in bulk (the demo) skip this."""
    from billing.scrubber import scrub

    for claim in claims:
        scrub(claim)


BATCH_SESSIONS = 2000


def _client_batches(locked: list[tuple[int, int]]) -> Iterator[list[int]]:
    """Session ids in batches of about BATCH_SESSIONS, never splitting a client's sessions
    (they may share a claim). Bounds memory and keeps IN lists within SQLite's limits."""
    batch: list[int] = []
    previous_client = None
    for session_id, client_id in locked:
        if len(batch) >= BATCH_SESSIONS and client_id != previous_client:
            yield batch
            batch = []
        batch.append(session_id)
        previous_client = client_id
    if batch:
        yield batch


class LineToBill(NamedTuple):
    """A session's service line as a claim bills it, read as plain values: a month of the
    benchmark practice is 40,000 lines, and a model object each (with its code's) cost
    more than drafting their claims."""

    pk: int
    procedure_code: str
    modifier_1: str
    modifier_2: str
    modifier_3: str
    modifier_4: str
    units: int
    charge: Decimal
    diagnosis_pointers: str

    @property
    def modifiers(self) -> list[str]:
        return present_modifiers(self.modifier_1, self.modifier_2, self.modifier_3, self.modifier_4)


LINE_TO_BILL = list(LineToBill._fields)
LINE_TO_BILL[LINE_TO_BILL.index("procedure_code")] = "procedure__code"


def _for_drafting(sessions: QuerySet[Session]) -> list[Session]:
    """The sessions (in the queryset's order) with what drafting their claims reads: the
    client with its coverages, the clinician with the supervisor, the location and the
    place of service, prefetched (one object each, shared by its sessions); and set on
    each session, ``lines_to_bill`` (``LineToBill``, in line order) and ``codes_to_bill``
    (its diagnosis codes, in claim order), read as plain values in one query each."""
    sessions = list(
        sessions.prefetch_related(
            "client",
            Prefetch("client__coverages", queryset=Coverage.objects.select_related("payer")),
            Prefetch("clinician", queryset=Clinician.objects.select_related("supervisor")),
            "location",
            "place_of_service",
        )
    )
    ids = [session.pk for session in sessions]
    lines: dict[int, list[LineToBill]] = defaultdict(list)
    rows = (
        ServiceLine.objects.filter(session_id__among=ids)
        .order_by("session_id", *ServiceLine._meta.ordering)
        .values_list("session_id", *LINE_TO_BILL)
    )
    make = LineToBill._make
    for row in rows:
        lines[row[0]].append(make(row[1:]))
    codes: dict[int, list[str]] = defaultdict(list)
    rows = (
        SessionDiagnosis.objects.filter(session_id__among=ids)
        .order_by("session_id", *SessionDiagnosis._meta.ordering)
        .values_list("session_id", "diagnosis__code__code")
    )
    for session_id, code in rows:
        codes[session_id].append(code)
    for session in sessions:
        session.lines_to_bill = lines.get(session.pk, [])
        session.codes_to_bill = codes.get(session.pk, [])
    return sessions


def _draft_batch(
    *,
    session_ids: list[int],
    payer: Payer | None,
    practice: Practice,
    rates: dict[tuple[int, str], list[PayerRate]],
    user,
    result: BuildResult,
) -> tuple[list[ClaimDraft], list[Session]]:
    """Claims drafted for one batch of locked sessions, and the sessions billed."""
    sessions = _for_drafting(
        Session.objects.filter(pk__among=session_ids, status=Session.Status.READY).order_by(
            "client_id", "date", "start_time", "pk"
        )
    )
    groups: dict[tuple, list[Session]] = defaultdict(list)
    coverages_billed: dict[tuple, Coverage] = {}  # the coverage each group bills
    days: dict[tuple, list[coding.DayLine]] = defaultdict(list)
    for session in sessions:
        coverage = session.client.coverage_on(session.date)
        if coverage is None:
            result.skipped.append((session, "no insurance coverage on the date of service"))
            continue
        if payer is not None and coverage.payer_id != payer.pk:
            continue
        if not session.lines_to_bill:
            result.skipped.append((session, "the session has no service lines"))
            continue
        conflict = _same_day_conflict(session, days[(session.client_id, session.date)])
        if conflict:
            result.skipped.append((session, conflict))
            continue
        rendering, supervising = billing_clinicians(session.clinician, coverage.payer)
        key = (
            session.client_id,
            coverage.pk,
            rendering.pk,
            supervising.pk if supervising else None,
            session.location_id,
        )
        groups[key].append(session)
        coverages_billed.setdefault(key, coverage)

    drafts: list[ClaimDraft] = []
    for key, group in groups.items():
        first = group[0]
        coverage = coverages_billed[key]
        other = next((c for c in first.client.coverages_on(first.date) if c != coverage), None)
        rendering, supervising = billing_clinicians(first.clinician, coverage.payer)
        for chunk in _chunks(group):
            drafts.append(
                _draft_claim(
                    practice=practice,
                    coverage=coverage,
                    other=other,
                    rendering=rendering,
                    supervising=supervising,
                    sessions=chunk,
                    rates=rates,
                    user=user,
                )
            )
    return drafts, [s for group in groups.values() for s in group]


def _same_day_conflict(session: Session, day: list[coding.DayLine]) -> str:
    """docs/rules/coding.md §4: the same-day rule this session would break beside the
    client's sessions already drafted for that date, or "" (then it joins them)."""
    own = [
        coding.DayLine(line.procedure_code, session.clinician_id, line.units)
        for line in session.lines_to_bill
    ]
    known = set(coding.same_day_problems(day)) | set(coding.same_day_problems(own))
    new = [m for m in coding.same_day_problems([*day, *own]) if m not in known]
    if new:
        return f"same-day rule: {new[0]}"
    day.extend(own)
    return ""


def _chunks(sessions: list[Session]) -> Iterable[list[Session]]:
    """Split a group so each claim holds at most 50 lines and 12 distinct diagnoses;
    a session's lines never straddle two claims."""
    chunk: list[Session] = []
    codes: set[str] = set()
    lines = 0
    for session in sessions:
        session_codes = set(session.codes_to_bill)
        session_lines = len(session.lines_to_bill)
        if chunk and (
            lines + session_lines > MAX_LINES_PER_CLAIM
            or len(codes | session_codes) > MAX_DIAGNOSES
        ):
            yield chunk
            chunk, codes, lines = [], set(), 0
        chunk.append(session)
        codes |= session_codes
        lines += session_lines
    if chunk:
        yield chunk


@dataclass
class ClaimDraft:
    """A claim with its diagnoses and lines, built in memory and saved in bulk."""

    claim: Claim
    diagnoses: list[ClaimDiagnosis]
    lines: list[ClaimLine]


def _draft_claim(
    *,
    practice: Practice,
    coverage: Coverage,
    other: Coverage | None,
    rendering: Clinician,
    supervising: Clinician | None,
    sessions: list[Session],
    rates: dict[tuple[int, str], list[PayerRate]],
    user,
    frequency: str = Claim.Frequency.ORIGINAL,
    original: Claim | None = None,
) -> ClaimDraft:
    first = sessions[0]
    claim = Claim(
        control_number=new_control_number(),
        frequency=frequency,
        original=original,
        payer_claim_number=original.payer_claim_number if original else "",
        client=first.client,
        coverage=coverage,
        payer=coverage.payer,
        rendering=rendering,
        parties=claim_parties(
            practice=practice,
            client=first.client,
            coverage=coverage,
            rendering=rendering,
            supervising=supervising,
            seen_by=first.clinician,
            session=first,
            other=other,
        ),
        prior_auth_number=coverage.prior_auth_number,
        created_by=acting_user(user),
    )
    # Merge the sessions' diagnoses in order of first use; re-map each line's letters.
    positions: dict[str, int] = {}
    for session in sessions:
        for code in session.codes_to_bill:
            positions.setdefault(code, len(positions) + 1)
    diagnoses = [
        ClaimDiagnosis(position=position, code=code) for code, position in positions.items()
    ]
    claim_lines: list[ClaimLine] = []
    for session in sessions:
        session_codes = session.codes_to_bill
        for line in session.lines_to_bill:
            letters = "".join(
                pointer_letter(positions[code])
                for code in pointed_codes(line.diagnosis_pointers, session_codes)
            )
            position = len(claim_lines) + 1
            claim_lines.append(
                ClaimLine(
                    service_line_id=line.pk,
                    original_billing=frequency == Claim.Frequency.ORIGINAL,
                    position=position,
                    line_control_number=f"{claim.control_number}-{position}",
                    date_of_service=session.date,
                    place_of_service=session.place_of_service.code,
                    procedure_code=line.procedure_code,
                    modifier_1=line.modifier_1,
                    modifier_2=line.modifier_2,
                    modifier_3=line.modifier_3,
                    modifier_4=line.modifier_4,
                    units=line.units,
                    minutes=session.minutes_for(line.procedure_code),
                    charge=line.charge,
                    expected_allowed=contracts.expected_allowed(
                        rates.get((coverage.payer_id, line.procedure_code), []),
                        code=line.procedure_code,
                        modifiers=line.modifiers,
                        license_level=session.clinician.license_level,
                        on=session.date,
                        units=line.units,
                    ),
                    diagnosis_pointers=letters or "A",
                    rendering_npi=rendering.npi,
                )
            )
    claim.total_charge = sum((line.charge for line in claim_lines), ZERO)
    return ClaimDraft(claim=claim, diagnoses=diagnoses, lines=claim_lines)


def _save_claims(drafts: list[ClaimDraft], *, user, reason: str) -> list[Claim]:
    """Insert claims, then all their diagnoses and lines, and the creation history of the
    claims and lines: five bulk statements per batch, whatever the number of claims (the
    database returns the new claims' ids)."""
    claims = create_with_history(
        Claim, [draft.claim for draft in drafts], user=user, reason=reason, batch_size=1000
    )
    for draft in drafts:
        for row in (*draft.diagnoses, *draft.lines):
            row.claim = draft.claim
    ClaimDiagnosis.objects.bulk_create(
        [row for draft in drafts for row in draft.diagnoses], batch_size=5000
    )
    create_with_history(
        ClaimLine, [row for draft in drafts for row in draft.lines], user=user, reason=reason
    )
    return claims


def _release_sessions(claim: Claim, *, user, reason: str) -> None:
    """Give a claim's sessions back for editing and billing (status ready); its lines no
    longer count."""
    session_ids = claim.lines.values("service_line__session_id")
    sessions = list(Session.objects.filter(pk__in=session_ids, status=Session.Status.BILLED))
    update_with_history(list(claim.lines.all()), user=user, reason=reason, live=False)
    update_with_history(sessions, user=user, reason=reason, status=Session.Status.READY)


class ClaimChanged(ClaimError):
    """The claim changed since the page the action came from was read: nothing was done."""


def _locked(claim: Claim) -> Claim:
    """The claim under a row lock, for an action. ``claim.read_version``, when set, is the
    version the action's page showed: a claim changed since is refused (ClaimChanged,
    saying what changed, who and when), so no action lands twice or on a claim the user
    did not see. The action takes the next version, whichever fields it saves."""
    locked = Claim.objects.select_for_update().get(pk=claim.pk)
    read = getattr(claim, "read_version", None)
    try:
        ensure_current(
            claim,
            locked_version=locked.version,
            read_version=locked.version if read is None else read,
        )
    except StaleEdit as stale:
        raise ClaimChanged(str(stale)) from stale
    Claim.objects.filter(pk=locked.pk).update(version=F("version") + 1)
    locked.version += 1
    return locked


def _save_status(claim: Claim, *, user, reason: str, fields: list[str]) -> None:
    """Save a claim's changed fields with its history row naming who and why."""
    claim._history_user = acting_user(user)
    claim._change_reason = reason
    claim.save(update_fields=fields)


def _family_ids(claim: Claim) -> list[int]:
    """The claim, the claims it corrects, and every correction of those (one chain)."""
    root = claim
    while root.original_id is not None:
        root = Claim.objects.only("pk", "original_id").get(pk=root.original_id)
    family, frontier = [root.pk], [root.pk]
    while frontier:
        frontier = list(Claim.objects.filter(original__in=frontier).values_list("pk", flat=True))
        family += frontier
    return family


@transaction.atomic
def claim_mark_ready(*, claim: Claim) -> Claim:
    """Draft → ready, only when the scrubber finds no errors. A claim rejected by an
    acknowledgment (999/277CA) is made ready the same way, to be sent again, and its
    rejection note is cleared (the acknowledgment keeps it)."""
    from billing.scrubber import scrub

    claim = _locked(claim)
    if claim.status not in {Claim.Status.DRAFT, Claim.Status.REJECTED}:
        raise ClaimError(
            "Only a draft or rejected claim can be marked ready; this one is "
            f"{claim.get_status_display().lower()}."
        )
    errors = [p for p in scrub(claim) if p.is_error]
    if errors:
        raise ClaimError(f"Fix {len(errors)} error(s) first: {errors[0].message}")
    fields = ["status"]
    if claim.status == Claim.Status.REJECTED:
        claim.status_note = ""
        fields.append("status_note")
    claim.status = Claim.Status.READY
    claim.save(update_fields=fields)
    return claim


@transaction.atomic
def claim_submit(*, claim: Claim) -> Claim:
    """Ready (or draft or rejected, without errors) → submitted; records when."""
    from billing.scrubber import scrub

    claim = _locked(claim)
    if not claim.is_editable:
        raise ClaimError(f"This claim is already {claim.get_status_display().lower()}.")
    errors = [p for p in scrub(claim) if p.is_error]
    if errors:
        raise ClaimError(f"Fix {len(errors)} error(s) first: {errors[0].message}")
    claim.status = Claim.Status.SUBMITTED
    claim.submitted_at = timezone.now()
    claim.save(update_fields=["status", "submitted_at"])
    return claim


def _payer_number(number: str) -> str:
    number = number.strip()
    limit = Claim._meta.get_field("payer_claim_number").max_length
    if len(number) > limit:
        raise ClaimError(f"The payer's claim number has at most {limit} characters.")
    return number


@transaction.atomic
def claim_record_payer_number(*, claim: Claim, number: str, user=None) -> Claim:
    """Record the payer's own claim number (from its remittance or portal), which a
    replacement or void must carry (NUCC 1500 item 22; X12 837P loop 2300 REF*F8)."""
    claim = _locked(claim)
    claim.payer_claim_number = _payer_number(number)
    _save_status(
        claim, user=user, reason="Payer's claim number recorded", fields=["payer_claim_number"]
    )
    return claim


@transaction.atomic
def claim_discard(*, claim: Claim, reason: str = "", user=None) -> Claim:
    """Throw away a claim that was never sent (draft or ready). Nothing goes to the payer.
    Its sessions are ready again: an original's for a new claim, a replacement's for more
    correction (its original goes back to being corrected). A secondary claim's sessions
    stay billed: its primary claim still bills them."""
    claim = _locked(claim)
    if not claim.is_editable:
        raise ClaimError(
            f"This claim is {claim.get_status_display().lower()}: it was sent to the payer "
            "or already taken back, so it can only be corrected or voided."
        )
    if claim.primary_claim_id is None:
        _release_sessions(claim, user=user, reason="Claim discarded")
    update_with_history(
        list(claim.lines.all()), user=user, reason="Claim discarded", original_billing=False
    )
    claim.status = Claim.Status.DISCARDED
    claim.status_note = reason.strip()[:200] or "Discarded before sending."
    claim.closed_at = timezone.now()
    _save_status(
        claim, user=user, reason="Claim discarded", fields=["status", "status_note", "closed_at"]
    )
    if claim.frequency == Claim.Frequency.REPLACEMENT and claim.original_id:
        original = Claim.objects.select_for_update().get(pk=claim.original_id)
        if original.status == Claim.Status.REPLACED:
            original.status, original.closed_at = Claim.Status.CORRECTING, None
            _save_status(
                original,
                user=user,
                reason="Replacement discarded",
                fields=["status", "closed_at"],
            )
    return claim


def _sent_or_refuse(claim: Claim, action: str) -> None:
    if claim.frequency == Claim.Frequency.VOID:
        raise ClaimError(f"A void claim cannot itself be {action}ed.")
    if claim.is_editable:
        raise ClaimError(
            f"This claim was never sent: discard it instead (nothing to {action} at the payer)."
        )


@transaction.atomic
def claim_void(*, claim: Claim, reason: str, user=None) -> Claim:
    """Cancel a claim that was sent (or is being corrected): a void claim (frequency 8)
    carrying the payer's claim number is made to send, and the sessions are ready again.
    Once voided, the services may be billed on a new original claim (NUCC 1500 item 22;
    X12 837P CLM05-3 = 8)."""
    claim = _locked(claim)
    _sent_or_refuse(claim, "void")
    if claim.status in {Claim.Status.VOID, Claim.Status.REPLACED, Claim.Status.DISCARDED}:
        raise ClaimError(f"This claim is already {claim.get_status_display().lower()}.")
    reason = reason.strip()
    if not reason:
        raise ClaimError("Say why the claim is voided.")
    _release_sessions(claim, user=user, reason="Claim voided")
    # The payer's claim is cancelled: the services are no longer billed anywhere.
    update_with_history(
        list(ClaimLine.objects.filter(claim__in=_family_ids(claim), original_billing=True)),
        user=user,
        reason="Claim voided",
        original_billing=False,
    )
    claim.status = Claim.Status.VOID
    claim.status_note = reason[:200]
    claim.closed_at = timezone.now()
    _save_status(
        claim, user=user, reason="Claim voided", fields=["status", "status_note", "closed_at"]
    )
    void = Claim(
        control_number=new_control_number(),
        status=Claim.Status.READY,
        frequency=Claim.Frequency.VOID,
        original=claim,
        payer_claim_number=claim.payer_claim_number,
        client=claim.client,
        coverage=claim.coverage,
        payer=claim.payer,
        rendering=claim.rendering,
        parties=claim.parties,
        prior_auth_number=claim.prior_auth_number,
        total_charge=claim.total_charge,
        created_by=acting_user(user),
        status_note=reason[:200],
    )
    void._history_user = acting_user(user)
    void._change_reason = "Claim voided"
    void.save()
    ClaimDiagnosis.objects.bulk_create(
        ClaimDiagnosis(claim=void, position=d.position, code=d.code) for d in claim.diagnoses.all()
    )
    void_lines = [
        line_copy(
            line,
            control_number=void.control_number,
            claim=void,
            service_line_id=line.service_line_id,
            expected_allowed=line.expected_allowed,
        )
        for line in claim.lines.all()
    ]
    create_with_history(ClaimLine, void_lines, user=user, reason="Claim voided")
    return void


# What a copy of a claim line (a void's, a secondary claim's) bills as the line did.
BILLED_LINE_FIELDS = (
    "position",
    "date_of_service",
    "place_of_service",
    "procedure_code",
    "modifier_1",
    "modifier_2",
    "modifier_3",
    "modifier_4",
    "units",
    "minutes",
    "charge",
    "diagnosis_pointers",
    "rendering_npi",
)


def line_copy(line: ClaimLine, *, control_number: str, **fields) -> ClaimLine:
    """An unsaved copy of ``line`` for the claim numbered ``control_number``: billed as the
    line was, its control number the claim's and its position, not live (it does not
    bill the session line again) and not the session's original billing. ``fields`` adds
    the rest (the claim, the service line)."""
    return ClaimLine(
        live=False,
        original_billing=False,
        line_control_number=f"{control_number}-{line.position}",
        **{name: getattr(line, name) for name in BILLED_LINE_FIELDS},
        **fields,
    )


@transaction.atomic
def claim_correct(*, claim: Claim, reason: str, payer_claim_number: str, user=None) -> Claim:
    """Open a correction of a sent claim: its sessions are unlocked (ready) so they can be
    fixed, and nothing bills them until the replacement is built (``claim_replace``).
    The payer's claim number is required: the replacement must carry it (NUCC 1500
    item 22; X12 837P loop 2300 REF*F8)."""
    claim = _locked(claim)
    if claim.is_editable:
        raise ClaimError("Only a claim that was sent to the payer can be corrected.")
    _sent_or_refuse(claim, "correct")
    if not claim.is_live:
        raise ClaimError(f"This claim is {claim.get_status_display().lower()}.")
    reason = reason.strip()
    if not reason:
        raise ClaimError("Say why the claim is corrected.")
    number = _payer_number(payer_claim_number)
    if not number:
        raise ClaimError(
            "Enter the payer's claim number (from its remittance or portal): the "
            "replacement must carry it in box 22."
        )
    _release_sessions(claim, user=user, reason="Claim being corrected")
    claim.status = Claim.Status.CORRECTING
    claim.status_note = reason[:200]
    claim.payer_claim_number = number
    _save_status(
        claim,
        user=user,
        reason="Claim being corrected",
        fields=["status", "status_note", "payer_claim_number"],
    )
    return claim


@transaction.atomic
def claim_replace(*, claim: Claim, user=None) -> Claim:
    """Build the replacement (frequency 7) of a claim being corrected, from its sessions
    as they are now, carrying the payer's claim number; the original becomes 'replaced'
    and the sessions billed again (NUCC 1500 item 22; X12 837P CLM05-3 = 7)."""
    claim = _locked(claim)
    if claim.status != Claim.Status.CORRECTING:
        raise ClaimError(
            "Correct the claim first (give the reason and the payer's claim number), fix "
            "its sessions, then build the replacement."
        )
    sessions = _for_drafting(
        Session.objects.filter(lines__claim_lines__claim=claim)
        .distinct()
        .order_by("date", "start_time", "pk")
    )
    waiting = [s for s in sessions if s.status == Session.Status.DRAFT]
    if waiting:
        raise ClaimError(
            f"The session of {us_date(waiting[0].date)} is a draft: mark it ready first."
        )
    sessions = [s for s in sessions if s.status == Session.Status.READY and s.lines_to_bill]
    if not sessions:
        raise ClaimError("No session of this claim is left to bill: void the claim instead.")
    coverage = claim.coverage
    other = next(
        (c for c in claim.client.coverages_on(sessions[0].date) if c.pk != coverage.pk), None
    )
    rendering, supervising = billing_clinicians(sessions[0].clinician, coverage.payer)
    draft = _draft_claim(
        practice=Practice.current(),
        coverage=coverage,
        other=other,
        rendering=rendering,
        supervising=supervising,
        sessions=sessions,
        rates=_expected_rates(payer_id=coverage.payer_id),
        user=user,
        frequency=Claim.Frequency.REPLACEMENT,
        original=claim,
    )
    replacement = _save_claims([draft], user=user, reason="Claim replaced")[0]
    claim.status = Claim.Status.REPLACED
    claim.closed_at = timezone.now()
    _save_status(claim, user=user, reason="Claim replaced", fields=["status", "closed_at"])
    update_with_history(sessions, user=user, reason="Claim replaced", status=Session.Status.BILLED)
    claims_check(claims=[replacement])
    return replacement
