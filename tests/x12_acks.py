"""999 and 277CA acknowledgments built from real batches (files our generator wrote), as
a clearinghouse and a payer would answer them; every file made here passes pyx12 with
0 errors unless ``check=False``."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from billing.models import Batch, Claim, ClaimLine
from billing.outputs.x837 import transliterate
from tests.x12 import pyx12_errors

ANSWERED_ON = datetime.date(2026, 10, 13)
REJECTING = {"A3", "A4", "A6", "A7", "A8"}


def _isa(sender: str, receiver: str, interchange: int) -> str:
    isa = (
        f"ISA*00*          *00*          *ZZ*{sender:<15}*ZZ*{receiver:<15}"
        f"*{ANSWERED_ON:%y%m%d}*1200*^*00501*{interchange:09d}*0*T*:"
    )
    assert len(isa) + 1 == 106, len(isa)
    return isa


def _envelope(batch: Batch, body: list[str], *, functional: str, version: str, interchange: int):
    house = batch.clearinghouse
    sender = house.gs_receiver_code or house.isa_receiver_id
    receiver = house.gs_sender_code or house.sender_id
    group = interchange % 1_000_000
    segments = [
        _isa(house.isa_receiver_id, house.sender_id, interchange),
        f"GS*{functional}*{sender}*{receiver}*{ANSWERED_ON:%Y%m%d}*1200*{group}*X*{version}",
        *body,
        f"SE*{len(body) + 1}*0001",
        f"GE*1*{group}",
        f"IEA*1*{interchange:09d}",
    ]
    return "~\n".join(segments) + "~\n"


def position_of(batch: Batch, prefix: str, nth: int = 0) -> int:
    """The position (ST = 1) of the nth segment of the batch starting with ``prefix``,
    as a 999's IK302 counts it."""
    segments = [s.strip() for s in batch.text.split("~") if s.strip()]
    start = next(i for i, s in enumerate(segments) if s.startswith("ST*"))
    hits = [i - start + 1 for i, s in enumerate(segments) if i >= start and s.startswith(prefix)]
    return hits[nth]


@dataclass
class SegmentProblem:
    """One IK3 (and its IK4s) for the 999: ``elements`` are (position, IK403, bad value)."""

    segment_id: str
    position: int
    code: str = "8"
    elements: list[tuple[str, str, str]] = field(default_factory=list)
    claim: str = ""  # CTX*CLM01 business unit identifier, when given


def build_999(
    batch: Batch,
    *,
    code: str = "A",
    problems: list[SegmentProblem] = (),
    set_codes: list[str] = (),
    interchange: int = 700,
    group_number: int | None = None,
    transaction_number: int | None = None,
    check: bool = True,
) -> str:
    """A 999 answering the batch's one transaction set with ``code`` (A, E, R)."""
    body = [
        "ST*999*0001*005010X231A1",
        f"AK1*HC*{group_number or batch.group_control_number}*005010X222A1",
        f"AK2*837*{transaction_number or batch.transaction_control_number:04d}*005010X222A1",
    ]
    for problem in problems:
        body.append(f"IK3*{problem.segment_id}*{problem.position}**{problem.code}")
        if problem.claim:
            body.append(f"CTX*CLM01:{problem.claim}")
        for position, element_code, value in problem.elements:
            body.append(f"IK4*{position}**{element_code}" + (f"*{value}" if value else ""))
    body.append("*".join(["IK5", code, *set_codes]))
    accepted = 1 if code in {"A", "E"} else 0
    body.append(f"AK9*{code if code in {'A', 'E'} else 'R'}*1*1*{accepted}")
    text = _envelope(batch, body, functional="FA", version="005010X231A1", interchange=interchange)
    if check:
        problems_found = pyx12_errors(text)
        assert not problems_found, "\n".join(problems_found) + "\n\n" + text
    return text


@dataclass
class ClaimAnswer:
    """What the payer says about one claim: category (A1, A2 accept; A3, A6, A7 reject),
    status code, entity; the payer's claim number; rejected lines as (line, category,
    status)."""

    claim: Claim
    category: str = "A2"
    status: str = "20"
    entity: str = ""
    payer_claim_number: str = ""
    message: str = ""
    lines: list[tuple[ClaimLine, str, str]] = field(default_factory=list)
    control_number: str | None = None

    @property
    def rejected(self) -> bool:
        return self.category in REJECTING


def _amount(value) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".") or "0"


def build_277ca(
    batch: Batch,
    answers: list[ClaimAnswer],
    *,
    interchange: int = 800,
    batch_reference: str | None = None,
    check: bool = True,
) -> str:
    """A 277CA from the payer for some claims of the batch."""
    day = f"{ANSWERED_ON:%Y%m%d}"
    house = batch.clearinghouse
    accepted = [a for a in answers if not a.rejected]
    rejected = [a for a in answers if a.rejected]
    total = sum((a.claim.total_charge for a in answers), 0)
    body = [
        "ST*277*0001*005010X214",
        f"BHT*0085*08*ACK{interchange}*{day}*1200*TH",
        "HL*1**20*1",
        f"NM1*PR*2*{transliterate(batch.payer.name)[:60]}*****PI*"
        f"{batch.payer.payer_id or 'PAYER1'}",
        f"TRN*1*RCPT{interchange}",
        f"DTP*050*D8*{day}",
        f"DTP*009*D8*{day}",
        "HL*2*1*21*1",
        f"NM1*41*2*{transliterate(house.submitter_name)}*****46*{house.submitter_id}",
        f"TRN*2*{batch_reference or f'SL{batch.interchange_control_number:09d}'}",
        f"STC*A1:19*{day}*WQ*{_amount(total)}",
    ]
    if accepted:
        body.append(f"QTY*90*{len(accepted)}")
    if rejected:
        body.append(f"QTY*AA*{len(rejected)}")
    hl = 2
    billing_hl = None
    for answer in answers:
        claim = answer.claim
        parties = claim.parties
        if billing_hl is None:
            hl += 1
            billing_hl = hl
            billing = parties["billing"]
            body += [
                f"HL*{hl}*2*19*1",
                f"NM1*85*2*{transliterate(billing['name'])[:60]}*****XX*{billing['npi']}",
                "TRN*1*0",
                f"STC*A1:19**WQ*{_amount(total)}",  # no date at this level (2200C)
            ]
        hl += 1
        patient = parties.get("patient") or parties["subscriber"]
        member = parties["subscriber"].get("member_id", "W1")
        lines = list(claim.lines.all())
        first = min(line.date_of_service for line in lines)
        last = max(line.date_of_service for line in lines)
        stc = f"{answer.category}:{answer.status}" + (f":{answer.entity}" if answer.entity else "")
        action = "U" if answer.rejected else "WQ"
        body += [
            f"HL*{hl}*{billing_hl}*PT",
            f"NM1*QC*1*{transliterate(patient['last_name'])}*{transliterate(patient['first_name'])}"
            f"****MI*{member}",
            f"TRN*2*{answer.control_number or claim.control_number}",
            f"STC*{stc}*{day}*{action}*{_amount(claim.total_charge)}"
            + ("*" * 8 + answer.message if answer.message else ""),  # STC12
        ]
        if answer.payer_claim_number:
            body.append(f"REF*1K*{answer.payer_claim_number}")
        body.append(
            f"DTP*472*RD8*{first:%Y%m%d}-{last:%Y%m%d}"
            if first != last
            else f"DTP*472*D8*{first:%Y%m%d}"
        )
        for line, category, status in answer.lines:
            body += [
                f"SVC*HC:{':'.join([line.procedure_code, *line.modifiers])}*{_amount(line.charge)}",
                f"STC*{category}:{status}*{day}*U",
                f"REF*FJ*{line.line_control_number}",
                f"DTP*472*D8*{line.date_of_service:%Y%m%d}",
            ]
    text = _envelope(batch, body, functional="HN", version="005010X214", interchange=interchange)
    if check:
        problems_found = pyx12_errors(text)
        assert not problems_found, "\n".join(problems_found) + "\n\n" + text
    return text
