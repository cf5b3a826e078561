"""Matching a read 999 or 277CA to our batches and claims and recording it, in one
transaction; what a 999 error means for the file as we sent it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from billing.acknowledgments.codes import (
    ACCEPTING,
    ELEMENT_ERRORS,
    ENTITIES,
    SEGMENT_ERRORS,
    SET_ERRORS,
    VERDICTS,
    _words,
)
from billing.acknowledgments.parsing import (
    AcknowledgmentError,
    Parsed,
    SegmentError,
    SetAnswer,
    _codes,
    _status_words,
    parse_acknowledgment,
)
from billing.models import (
    Acknowledgment,
    Batch,
    BatchAcknowledgment,
    Claim,
    ClaimAcknowledgment,
)
from practice.history import acting_user

NOTE_LENGTH = Claim._meta.get_field("status_note").max_length
# Our BHT03 is "SL" + the interchange control number (billing/outputs/x837.py).
OUR_BHT03 = re.compile(r"^SL(\d{9})$")


# ---------------------------------------------------------------------------------------
# What a 999 error means for our file: the segment it names in the batch as sent.


def _batch_segments(batch: Batch) -> tuple[list[str], list[str]]:
    """The batch's transaction set segments (ST first) and, for each, the CLM01 of the
    claim it belongs to ('' before the first claim)."""
    segments = [s.strip() for s in batch.text.split("~") if s.strip()]
    start = next((i for i, s in enumerate(segments) if s.startswith("ST*")), 0)
    segments = segments[start:]
    # A subscriber level (HL*…*22) opens a claim's block: its subscriber, payer and
    # patient segments come before the claim's CLM and belong to that claim too.
    owners: list[str] = []
    block: list[int] = []
    current = ""

    def close() -> None:
        clm = next((segments[i] for i in block if segments[i].startswith("CLM*")), "")
        owner = clm.split("*")[1] if clm else ""
        for i in block:
            if segments[i].startswith("CLM*"):
                break
            owners[i] = owner

    for index, segment in enumerate(segments):
        parts = segment.split("*")
        if parts[0] == "HL" and len(parts) > 3 and parts[3] in {"20", "22"}:
            close()
            block, current = [], ""
        if parts[0] == "CLM":
            current = parts[1]
        if (parts[0] == "HL" and len(parts) > 3 and parts[3] == "22") or block:
            block.append(index)
        owners.append(current)
    close()
    return segments, owners


def _describe(error: SegmentError, segments: list[str]) -> str:
    """One sentence for a biller: which segment, what is wrong, which elements."""
    sent = ""
    if error.position and 0 < error.position <= len(segments):
        sent = segments[error.position - 1]
    parts = sent.split("*") if sent else [error.segment_id]
    label = error.segment_id
    if len(parts) > 1 and error.segment_id in {"NM1", "REF", "DTP", "HL", "SBR", "HI"}:
        label = f"{error.segment_id}*{parts[1]}"
    who = ENTITIES.get(parts[1], "") if error.segment_id == "NM1" and len(parts) > 1 else ""
    where = f"segment {error.position} ({label}{', ' + who if who else ''})"
    if error.loop:
        where += f" in loop {error.loop}"
    sentence = f"{where} {_words(SEGMENT_ERRORS, error.code, 'has error')}"
    for element in error.elements:
        name = (
            f"{error.segment_id}{int(element.position.split('-')[0]):02d}"
            if (element.position.split("-")[0].isdigit())
            else error.segment_id
        )
        if "-" in element.position:
            name += "-" + element.position.split("-", 1)[1]
        bad = f" ({element.value!r})" if element.value else ""
        sentence += f"; {name}{bad} {_words(ELEMENT_ERRORS, element.code, 'has error')}"
    return sentence


# ---------------------------------------------------------------------------------------
# Importing (one transaction).


@dataclass
class ImportResult:
    """What an import did, as ``import_999 --json`` / ``import_277ca --json`` print it."""

    kind: str
    already_imported: bool = False
    batches_accepted: int = 0
    batches_rejected: int = 0
    claims_accepted: int = 0
    claims_rejected: int = 0
    claims_sent_back: int = 0
    payer_numbers: int = 0
    unmatched: list[str] = field(default_factory=list)
    acknowledgment: Acknowledgment | None = None

    def as_json(self) -> dict:
        return {
            "kind": self.kind,
            "already_imported": self.already_imported,
            "batches_accepted": self.batches_accepted,
            "batches_rejected": self.batches_rejected,
            "claims_accepted": self.claims_accepted,
            "claims_rejected": self.claims_rejected,
            "claims_sent_back": self.claims_sent_back,
            "payer_claim_numbers": self.payer_numbers,
            "unmatched": self.unmatched,
        }

    def summary(self) -> str:
        if self.already_imported:
            return (
                f"Already imported: this {self.kind} (same sender and interchange number) "
                "was imported before. Nothing changed."
            )
        if self.kind == Acknowledgment.Kind.FILE:
            text = (
                f"999 imported: {self.batches_accepted} file(s) accepted, "
                f"{self.batches_rejected} rejected"
            )
        else:
            text = (
                f"277CA imported: {self.claims_accepted} claim(s) accepted, "
                f"{self.claims_rejected} rejected"
            )
            if self.payer_numbers:
                text += f", {self.payer_numbers} payer's claim number(s) recorded"
        if self.claims_sent_back:
            text += (
                f"; {self.claims_sent_back} claim(s) back in the work queue as "
                "“Rejected: fix and resend”"
            )
        if self.unmatched:
            text += f". Not ours (kept with the file): {'; '.join(self.unmatched[:5])}"
        return text + "."


def acknowledgment_import(
    *, text: str, file_name: str = "", user=None, kind: str | None = None
) -> ImportResult:
    """Validate, match and record a 999 or 277CA file, all of it or nothing.

    Raises AcknowledgmentError (nothing changed) for a malformed file, a file of the
    other kind when ``kind`` is given, or one that answers nothing we sent. A file
    already imported (same sender ISA06 and interchange ISA13) changes nothing and
    reports ``already_imported``; the unique constraint decides, so two imports of one
    file at the same time record it once."""
    parsed = parse_acknowledgment(text, kind=kind)
    with transaction.atomic():
        if parsed.kind == Acknowledgment.Kind.FILE:
            plan = _match_999(parsed)
        else:
            plan = _match_277ca(parsed)
        result = ImportResult(kind=parsed.kind, unmatched=plan.unmatched)
        try:
            with transaction.atomic():  # a savepoint: a duplicate undoes only itself
                acknowledgment = Acknowledgment.objects.create(
                    kind=parsed.kind,
                    sender_id=parsed.sender_id[:15],
                    interchange_control_number=parsed.interchange[:9],
                    file_name=file_name[:255],
                    text=text,
                    unmatched=plan.unmatched,
                    imported_at=timezone.now(),
                    imported_by=acting_user(user),
                )
        except IntegrityError:
            result.already_imported = True
            result.unmatched = []
            return result
        result.acknowledgment = acknowledgment
        _record(plan, acknowledgment, result, user=user, file_name=file_name)
    return result


@dataclass
class _Plan:
    """Rows to write, before the acknowledgment row exists."""

    batch_rows: list[BatchAcknowledgment] = field(default_factory=list)
    claim_rows: list[ClaimAcknowledgment] = field(default_factory=list)
    claims: dict[int, Claim] = field(default_factory=dict)
    latest_batch: dict[int, int] = field(default_factory=dict)
    unmatched: list[str] = field(default_factory=list)


def _latest_batches(claim_ids) -> dict[int, int]:
    """Each claim's most recent batch (the one a late acknowledgment must be about for
    it to move the claim): one query."""
    through = Batch.claims.through
    return dict(
        through.objects.filter(claim_id__in=claim_ids)
        .values("claim_id")
        .annotate(last=Max("batch_id"))
        .values_list("claim_id", "last")
    )


def _match_999(parsed: Parsed) -> _Plan:
    plan = _Plan()
    numbers = {int(g.group_number) for g in parsed.groups if g.group_number.isdigit()}
    batches = {
        b.group_control_number: b for b in Batch.objects.filter(group_control_number__in=numbers)
    }
    answered: list[tuple[Batch, str, list[str], list[SegmentError], str]] = []
    first = None
    for group in parsed.groups:
        first = first or group.segment
        batch = batches.get(int(group.group_number)) if group.group_number.isdigit() else None
        if group.functional_id != "HC" or batch is None:
            plan.unmatched.append(f"{group.segment}: no 837P file of ours has this group number")
            continue
        sets = group.sets or [
            SetAnswer(
                group.segment,
                "837",
                str(batch.transaction_control_number),
                group.code,
                group.group_codes,
            )
        ]
        for answer in sets:
            number = answer.control_number
            if (
                answer.set_id != "837"
                or not number.isdigit()
                or int(number) != batch.transaction_control_number
            ):
                plan.unmatched.append(
                    f"{answer.segment}: file {batch.file_name} has no transaction set {number}"
                )
                continue
            code = answer.code or group.code
            answered.append(
                (batch, code, answer.set_codes or group.group_codes, answer.errors, group.code)
            )
    if not answered:
        raise AcknowledgmentError(
            f"Segment {first or 'AK1'}: this 999 answers no 837P file sent from SessionLedger "
            "(its group and transaction control numbers match no batch); nothing was imported."
        )
    through = Batch.claims.through
    batch_ids = {batch.pk for batch, *_ in answered}
    members: dict[int, list[int]] = {}
    for batch_id, claim_id in through.objects.filter(batch_id__in=batch_ids).values_list(
        "batch_id", "claim_id"
    ):
        members.setdefault(batch_id, []).append(claim_id)
    claim_ids = {c for ids in members.values() for c in ids}
    plan.claims = {
        c.pk: c for c in Claim.objects.select_for_update().filter(pk__in=claim_ids).order_by("pk")
    }
    plan.latest_batch = _latest_batches(claim_ids)
    by_number = {c.control_number: c for c in plan.claims.values()}
    for batch, code, set_codes, errors, group_code in answered:
        segments, owners = _batch_segments(batch)
        accepted = code in ACCEPTING
        result = (
            BatchAcknowledgment.Result.ACCEPTED
            if code == "A"
            else BatchAcknowledgment.Result.ACCEPTED_WITH_ERRORS
            if code == "E"
            else BatchAcknowledgment.Result.REJECTED
        )
        described = []
        per_claim: dict[str, list[str]] = {}
        for error in errors:
            sentence = _describe(error, segments)
            owner = error.claim or (
                owners[error.position - 1]
                if error.position and 0 < error.position <= len(owners)
                else ""
            )
            described.append(
                {
                    "segment": error.segment_id,
                    "position": error.position,
                    "loop": error.loop,
                    "code": error.code,
                    "claim": owner,
                    "elements": [e.__dict__ for e in error.elements],
                    "words": sentence,
                }
            )
            per_claim.setdefault(owner, []).append(sentence)
        why = "; ".join(_words(SET_ERRORS, c, "code") for c in set_codes)
        verdict = _words(VERDICTS, code, "code")
        reason = f"The clearinghouse {verdict} file {batch.file_name} (999)"
        if why:
            reason += f": {why}"
        plan.batch_rows.append(
            BatchAcknowledgment(
                batch=batch,
                result=result,
                code=code[:1],
                group_code=group_code[:1],
                reason=reason + ".",
                errors=described,
            )
        )
        for claim_id in members.get(batch.pk, []):
            claim = plan.claims[claim_id]
            own = per_claim.get(claim.control_number, [])
            header = per_claim.get("", [])
            if own or header:
                words = f"{reason}. In this claim: {'; '.join(own + header)}."
            elif not accepted and errors:
                others = sorted({o for o in per_claim if o and o in by_number})
                words = (
                    f"{reason}, because of errors in other claims ({', '.join(others)}); "
                    "this claim had none: send it again."
                )
            else:
                words = reason + "."
            plan.claim_rows.append(
                ClaimAcknowledgment(
                    claim=claim,
                    batch=batch,
                    result=(
                        ClaimAcknowledgment.Result.ACCEPTED
                        if accepted
                        else ClaimAcknowledgment.Result.REJECTED
                    ),
                    codes=" ".join(filter(None, [code, *set_codes]))[:200],
                    reason=words,
                )
            )
    return plan


def _match_277ca(parsed: Parsed) -> _Plan:
    plan = _Plan()
    numbers = {c.control_number for c in parsed.claims}
    plan.claims = {
        c.pk: c
        for c in Claim.objects.select_for_update().filter(control_number__in=numbers).order_by("pk")
    }
    if not plan.claims:
        first = parsed.claims[0].segment if parsed.claims else "TRN*2"
        raise AcknowledgmentError(
            f"Segment {first}: this 277CA answers no claim sent from SessionLedger (no claim "
            "has this number); nothing was imported."
        )
    interchanges = [
        int(m.group(1)) for ref in parsed.batch_references if (m := OUR_BHT03.match(ref))
    ]
    named = (
        {b.pk for b in Batch.objects.filter(interchange_control_number__in=interchanges).only("pk")}
        if interchanges
        else set()
    )
    plan.latest_batch = _latest_batches(list(plan.claims))
    by_number = {c.control_number: c for c in plan.claims.values()}
    through = Batch.claims.through
    in_named = (
        set(
            through.objects.filter(batch_id__in=named, claim_id__in=list(plan.claims)).values_list(
                "claim_id", "batch_id"
            )
        )
        if named
        else set()
    )
    named_for = dict(in_named)
    for status in parsed.claims:
        claim = by_number.get(status.control_number)
        if claim is None:
            plan.unmatched.append(f"{status.segment}: no claim of ours has this number")
            continue
        reason = _status_words(status.statuses)
        if status.line_notes:
            reason += "; " + "; ".join(status.line_notes)
        if status.messages:
            reason += " — " + " ".join(status.messages)
        verdict = "rejected" if status.rejected else "accepted"
        reason = f"The 277CA {verdict} the claim — {reason}"
        plan.claim_rows.append(
            ClaimAcknowledgment(
                claim=claim,
                batch_id=named_for.get(claim.pk) or plan.latest_batch.get(claim.pk),
                result=(
                    ClaimAcknowledgment.Result.REJECTED
                    if status.rejected
                    else ClaimAcknowledgment.Result.ACCEPTED
                ),
                codes=_codes(status.statuses),
                reason=reason,
                payer_claim_number=status.payer_claim_number,
                effective_on=status.effective_on,
            )
        )
    return plan


def _record(
    plan: _Plan, acknowledgment: Acknowledgment, result: ImportResult, *, user, file_name
) -> None:
    """Write the rows and move the claims: a constant number of statements."""
    for row in plan.batch_rows:
        row.acknowledgment = acknowledgment
        if row.result == BatchAcknowledgment.Result.REJECTED:
            result.batches_rejected += 1
        else:
            result.batches_accepted += 1
    BatchAcknowledgment.objects.bulk_create(plan.batch_rows)
    for row in plan.claim_rows:
        row.acknowledgment = acknowledgment
    ClaimAcknowledgment.objects.bulk_create(plan.claim_rows)
    changed: dict[int, Claim] = {}
    label = f"{acknowledgment.kind} {file_name}".strip()
    for row in plan.claim_rows:
        claim = plan.claims[row.claim_id]
        current = row.batch_id is None or plan.latest_batch.get(claim.pk) == row.batch_id
        if row.result == ClaimAcknowledgment.Result.REJECTED:
            result.claims_rejected += 1
            if claim.status == Claim.Status.SUBMITTED and current:
                claim.status = Claim.Status.REJECTED
                claim.status_note = row.reason[:NOTE_LENGTH]
                changed[claim.pk] = claim
                result.claims_sent_back += 1
        else:
            result.claims_accepted += 1
            number = row.payer_claim_number
            if number and number != claim.payer_claim_number and claim.is_live:
                claim.payer_claim_number = number
                changed[claim.pk] = claim
                result.payer_numbers += 1
    if changed:
        rows = list(changed.values())
        for claim in rows:
            claim.version += 1
        Claim.objects.bulk_update(rows, ["status", "status_note", "payer_claim_number", "version"])
        Claim.history.bulk_history_create(
            rows,
            update=True,
            default_user=acting_user(user),
            default_change_reason=f"Acknowledgment imported ({label})"[:100],
        )
