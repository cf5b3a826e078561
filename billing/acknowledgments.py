"""Acknowledgments of our 837P files: the 999 and the 277CA (docs/837p.md, "Acknowledgments").

- A **999** (ASC X12 005010X231A1, implementation acknowledgment) says whether the
  clearinghouse could read a file: per transaction set (AK2 … IK5) accepted, accepted with
  errors noted, or rejected, with the segments in error (IK3) and their elements (IK4).
  It names our file by its group control number (AK102 = our GS06) and transaction
  control number (AK202 = our ST02).
- A **277CA** (ASC X12 005010X214, claim acknowledgment) says, per claim (loop 2200D,
  TRN02 = our CLM01), whether the claim was taken into the payer's system (STC01-1
  category A0/A1/A2/A5, action WQ) or turned back (A3/A4/A6/A7/A8 or action U), with
  status codes, and the payer's own claim number (REF*1K) when it has one. Loop 2200B
  TRN02 repeats our BHT03, which names the batch.

Parsing is pure: pyx12 validates the file against the guide its GS08 names, then we
read its segments. ``acknowledgment_import`` matches and records in one transaction,
with a statement count that does not grow with the number of claims. A malformed file,
or one that answers nothing of ours, changes nothing and says why, naming the segment.
The same sender and interchange number (ISA06, ISA13) import once.
"""

from __future__ import annotations

import datetime
import io
import re
from dataclasses import dataclass, field

import pyx12.x12file
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from billing.models import (
    Acknowledgment,
    Batch,
    BatchAcknowledgment,
    Claim,
    ClaimAcknowledgment,
)
from billing.remittance import pyx12_problems
from practice.formats import us_date
from practice.history import acting_user

GUIDE_999 = ("005010X231A1", "005010X231")
GUIDE_277CA = "005010X214"
NOTE_LENGTH = Claim._meta.get_field("status_note").max_length
# Our BHT03 is "SL" + the interchange control number (billing/outputs/x837.py).
OUR_BHT03 = re.compile(r"^SL(\d{9})$")

# ---------------------------------------------------------------------------------------
# Codes in our own short words. Any code not listed shows as itself.

# IK304: what is wrong with a segment (X12 999, data element 620).
SEGMENT_ERRORS = {
    "1": "is not a segment the standard knows",
    "2": "is not expected there",
    "3": "is required and missing",
    "4": "repeats its loop too often",
    "5": "appears too often",
    "6": "is not part of this transaction",
    "7": "is out of order",
    "8": "has an element in error",
    "I4": "must not be sent in this guide",
    "I6": "is missing though the guide requires it here",
    "I7": "repeats its loop too few times",
    "I8": "appears too few times",
    "I9": "must not be sent in this situation",
}
# IK403: what is wrong with an element (data element 621).
ELEMENT_ERRORS = {
    "1": "is required and missing",
    "2": "is required here and missing",
    "3": "is one element too many",
    "4": "is too short",
    "5": "is too long",
    "6": "has a character X12 does not allow",
    "7": "is not a valid code",
    "8": "is not a valid date",
    "9": "is not a valid time",
    "10": "must not be sent together with another element",
    "12": "repeats too often",
    "13": "has too many parts",
    "I6": "is a code this guide does not use",
    "I9": "is missing though the guide requires it here",
    "I10": "must not be sent in this guide",
    "I11": "repeats too few times",
    "I12": "does not have the form the guide asks for",
    "I13": "must not be sent in this situation",
}
# IK501 and AK901: the verdict on a transaction set or a group.
VERDICTS = {
    "A": "accepted",
    "E": "accepted with errors noted",
    "P": "partly accepted",
    "M": "rejected (message authentication failed)",
    "R": "rejected",
    "W": "rejected (failed validity tests)",
    "X": "rejected (could not be read after decryption)",
}
ACCEPTING = {"A", "E"}
# IK502–IK506 and AK905–AK909: why a whole transaction set or group was refused.
SET_ERRORS = {
    "1": "this kind of transaction is not supported",
    "2": "the trailer (SE/GE) is missing",
    "3": "the control numbers in header and trailer differ",
    "4": "the segment (or transaction) count is wrong",
    "5": "one or more segments are in error",
    "6": "the transaction set identifier is missing or wrong",
    "7": "the control number is missing or wrong",
    "18": "the transaction is not in a functional group",
    "19": "the implementation guide named is wrong",
    "23": "the control number is used twice in the group",
    "I5": "one or more segments are in error",
    "I6": "this implementation guide is not supported",
}
# STC01-1 (code source 507): the kind of answer a 277CA gives.
CATEGORIES = {
    "A0": "forwarded to another entity",
    "A1": "received",
    "A2": "accepted into the payer's claim system",
    "A3": "returned as unprocessable",
    "A4": "not found",
    "A5": "split on acceptance",
    "A6": "information missing",
    "A7": "information invalid",
    "A8": "fields that contradict each other",
    "E0": "not answered: error in what was sent",
    "E1": "not answered: the payer's system is unavailable",
    "E2": "not answered: the payer is not responding, send again later",
    "E3": "not answered: fields that contradict each other",
    "E4": "not answered: a trading partner requirement is not met",
}
REJECTING_CATEGORIES = {"A3", "A4", "A6", "A7", "A8"}
# STC01-2 (code source 508): the status codes a therapy practice meets most.
STATUSES = {
    "0": "no more detail electronically",
    "1": "see the remittance for details",
    "3": "decided, waiting for the payment cycle",
    "16": "forwarded",
    "19": "receipt acknowledged",
    "20": "accepted for processing",
    "21": "information missing or invalid",
    "187": "date(s) of service",
    "400": "claim out of balance",
    "562": "NPI",
}
# STC01-3 and NM101 (data element 98): whom a status or a segment is about.
ENTITIES = {
    "03": "dependent",
    "1P": "provider",
    "36": "employer",
    "40": "receiver",
    "41": "submitter",
    "71": "attending provider",
    "72": "operating provider",
    "73": "other provider",
    "77": "service facility",
    "82": "rendering provider",
    "85": "billing provider",
    "87": "pay-to provider",
    "AY": "clearinghouse",
    "DN": "referring provider",
    "DQ": "supervising provider",
    "IL": "subscriber",
    "PR": "payer",
    "QC": "patient",
}


def _words(table: dict[str, str], code: str, what: str) -> str:
    return table.get(code, f"{what} {code}")


class AcknowledgmentError(Exception):
    """The file is refused: nothing was imported. The message names the segment."""


# ---------------------------------------------------------------------------------------
# Reading the files (no database).


@dataclass
class ElementError:
    """One IK4: an element of the segment in error."""

    position: str  # IK401: "2", or "1-2" for a component
    reference: str  # IK402: the data element's number in the X12 dictionary
    code: str  # IK403
    value: str  # IK404: a copy of the bad value, when sent


@dataclass
class SegmentError:
    """One IK3 with its IK4s and the claim it is in (CTX*CLM01, when sent)."""

    segment_id: str
    position: int | None  # IK302: segment position counted from ST = 1
    loop: str
    code: str
    claim: str = ""
    elements: list[ElementError] = field(default_factory=list)


@dataclass
class SetAnswer:
    """AK2 … IK5: the verdict on one of our transaction sets."""

    segment: str
    set_id: str
    control_number: str
    code: str = ""
    set_codes: list[str] = field(default_factory=list)
    errors: list[SegmentError] = field(default_factory=list)


@dataclass
class GroupAnswer:
    """AK1 … AK9: the verdict on one of our functional groups."""

    segment: str
    functional_id: str
    group_number: str
    code: str = ""
    group_codes: list[str] = field(default_factory=list)
    sets: list[SetAnswer] = field(default_factory=list)


@dataclass
class ClaimStatus:
    """Loop 2200D: what a 277CA says about one claim."""

    segment: str
    control_number: str  # TRN02 = our CLM01
    statuses: list[tuple[str, str, str]] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    effective_on: datetime.date | None = None
    payer_claim_number: str = ""
    line_notes: list[str] = field(default_factory=list)

    @property
    def rejected(self) -> bool:
        return "U" in self.actions or any(
            category in REJECTING_CATEGORIES or category.startswith("E")
            for category, _status, _entity in self.statuses
        )


@dataclass
class Parsed:
    """A validated acknowledgment file: its kind, who sent it, and what it says."""

    kind: str
    sender_id: str
    interchange: str
    groups: list[GroupAnswer] = field(default_factory=list)  # 999
    batch_references: list[str] = field(default_factory=list)  # 277CA loop 2200B TRN02
    claims: list[ClaimStatus] = field(default_factory=list)  # 277CA


def _kind_of(text: str) -> str:
    """999 or 277CA from GS01/ST01/GS08, before anything else is read."""
    for raw in re.split(r"[~\n]", text[:4000]):
        parts = raw.strip().split("*")
        if parts[0] == "GS" and len(parts) > 8:
            version = parts[8]
            if parts[1] == "FA" and version in GUIDE_999:
                return Acknowledgment.Kind.FILE
            if parts[1] == "HN" and version == GUIDE_277CA:
                return Acknowledgment.Kind.CLAIMS
            raise AcknowledgmentError(
                f"Segment {raw.strip()[:80]}: this is not a 999 (005010X231A1) or a 277CA "
                f"(005010X214) but a {parts[1]} file for {version}."
            )
    raise AcknowledgmentError("The file has no functional group (GS segment): not an X12 file.")


def _date(raw: str) -> datetime.date | None:
    try:
        return datetime.datetime.strptime(raw, "%Y%m%d").date()  # noqa: DTZ007 - a date
    except ValueError:
        return None


def parse_acknowledgment(text: str, *, kind: str | None = None) -> Parsed:
    """The file's answers, validated by pyx12 against its guide. Raises
    AcknowledgmentError naming the first wrong segment; touches no database."""
    if not text.strip():
        raise AcknowledgmentError("The file is empty.")
    found = _kind_of(text)
    if kind is not None and found != kind:
        raise AcknowledgmentError(f"This is a {found} file, not a {kind}; import it as a {found}.")
    guide = "999 guide (005010X231A1)" if found == "999" else "277CA guide (005010X214)"
    problems = pyx12_problems(text, guide=guide)
    if problems:
        raise AcknowledgmentError(problems[0])
    reader = pyx12.x12file.X12Reader(io.StringIO(text))
    return _read_999(reader) if found == "999" else _read_277ca(reader)


def _read_999(reader) -> Parsed:
    parsed = Parsed(kind=Acknowledgment.Kind.FILE, sender_id="", interchange="")
    group: GroupAnswer | None = None
    answer: SetAnswer | None = None
    error: SegmentError | None = None
    for seg in reader:
        tag = seg.get_seg_id()
        shown = seg.format(seg_term="")
        value = seg.get_value
        if tag == "ISA":
            parsed.sender_id = (value("ISA06") or "").strip()
            parsed.interchange = (value("ISA13") or "").strip()
        elif tag == "AK1":
            group = GroupAnswer(shown, value("AK101") or "", value("AK102") or "")
            parsed.groups.append(group)
            answer = error = None
        elif tag == "AK2" and group is not None:
            answer = SetAnswer(shown, value("AK201") or "", value("AK202") or "")
            group.sets.append(answer)
            error = None
        elif tag == "IK3" and answer is not None:
            position = value("IK302") or ""
            error = SegmentError(
                segment_id=value("IK301") or "",
                position=int(position) if position.isdigit() else None,
                loop=value("IK303") or "",
                code=value("IK304") or "",
            )
            answer.errors.append(error)
        elif tag == "CTX" and error is not None and (value("CTX01-1") or "") == "CLM01":
            error.claim = value("CTX01-2") or ""
        elif tag == "IK4" and error is not None:
            position = value("IK401-1") or ""
            component = value("IK401-2") or ""
            error.elements.append(
                ElementError(
                    position=f"{position}-{component}" if component else position,
                    reference=value("IK402") or "",
                    code=value("IK403") or "",
                    value=value("IK404") or "",
                )
            )
        elif tag == "IK5" and answer is not None:
            answer.code = value("IK501") or ""
            answer.set_codes = [c for c in (value(f"IK50{i}") for i in range(2, 7)) if c]
            error = None
        elif tag == "AK9" and group is not None:
            group.code = value("AK901") or ""
            group.group_codes = [c for c in (value(f"AK90{i}") for i in range(5, 10)) if c]
            answer = error = None
    return parsed


def _read_277ca(reader) -> Parsed:
    parsed = Parsed(kind=Acknowledgment.Kind.CLAIMS, sender_id="", interchange="")
    level = ""
    claim: ClaimStatus | None = None
    line = ""
    for seg in reader:
        tag = seg.get_seg_id()
        value = seg.get_value
        if tag == "ISA":
            parsed.sender_id = (value("ISA06") or "").strip()
            parsed.interchange = (value("ISA13") or "").strip()
        elif tag == "HL":
            level, claim, line = value("HL03") or "", None, ""
        elif tag == "TRN" and level == "21":
            parsed.batch_references.append(value("TRN02") or "")
        elif tag == "TRN" and level == "PT":
            claim = ClaimStatus(seg.format(seg_term=""), value("TRN02") or "")
            parsed.claims.append(claim)
            line = ""
        elif tag == "STC" and claim is not None:
            statuses = []
            for composite in ("STC01", "STC10", "STC11"):
                category = value(f"{composite}-1") or ""
                if category:
                    statuses.append(
                        (category, value(f"{composite}-2") or "", value(f"{composite}-3") or "")
                    )
            if line:
                claim.line_notes.append(f"{line}: {_status_words(statuses)}")
                if (value("STC03") or "") == "U":
                    claim.actions.append("U")
                continue
            claim.statuses += statuses
            claim.actions.append(value("STC03") or "")
            claim.effective_on = claim.effective_on or _date(value("STC02") or "")
            if value("STC12"):
                claim.messages.append(value("STC12"))
        elif tag == "REF" and claim is not None and not line and value("REF01") == "1K":
            claim.payer_claim_number = (value("REF02") or "")[:50]
        elif tag == "SVC" and claim is not None:
            code = ":".join(c for c in (value(f"SVC01-{i}") for i in range(2, 7)) if c)
            line = f"line {code} ({value('SVC02') or '0'})"
        elif tag == "DTP" and line and value("DTP01") == "472":
            date = _date((value("DTP03") or "")[:8])
            if date and claim is not None and claim.line_notes:
                claim.line_notes[-1] = claim.line_notes[-1].replace(
                    f"{line}:", f"{line} on {us_date(date)}:", 1
                )
    return parsed


def _status_words(statuses: list[tuple[str, str, str]]) -> str:
    """``A7:562:85`` → "information invalid: billing provider's NPI"."""
    parts = []
    for category, status, entity in statuses:
        text = _words(CATEGORIES, category, "category")
        detail = _words(STATUSES, status, "status code") if status else ""
        if entity:
            detail = f"{_words(ENTITIES, entity, 'entity')}'s {detail}".strip()
        parts.append(f"{text}: {detail}" if detail else text)
    return "; ".join(parts)


def _codes(statuses: list[tuple[str, str, str]]) -> str:
    return " ".join(":".join(c for c in s if c) for s in statuses)[:200]


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
