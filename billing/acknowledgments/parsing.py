"""Reading a 999 or a 277CA file into plain data (no database)."""

from __future__ import annotations

import datetime
import io
import re
from dataclasses import dataclass, field

import pyx12.x12file

from billing.acknowledgments.codes import (
    CATEGORIES,
    ENTITIES,
    REJECTING_CATEGORIES,
    STATUSES,
    _words,
)
from billing.models import (
    Acknowledgment,
)
from billing.remittance import pyx12_problems
from practice.formats import us_date

GUIDE_999 = ("005010X231A1", "005010X231")
GUIDE_277CA = "005010X214"


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
