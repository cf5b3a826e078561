"""The demo's payers answering its past claims with real 835 files (005010X221A1).

``python manage.py demo`` sends its past claims and lets each payer answer them a few
weeks later with an 835 written here and imported by ``billing.posting.remittance_post``,
the path ``import_835`` and the upload use, so every screen that reads postings (claim
pages, ledger, statements, reports, remittances) has real data: payments at the contract
rate with write-offs, copays, coinsurance, deductibles, denials, a line left unpaid, one
underpaid contract, one reversal and re-payment, and the secondary claims that follow.

Nothing here decides what a posting means; it only writes what a payer would send.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from billing.models import Claim, ClaimLine, ClaimPosting, Payer
from billing.outputs.x837 import amount, transliterate
from practice.common import ZERO

CENT = Decimal("0.01")
COINSURANCE = Decimal("0.20")  # Medicare Part B and the plans with coinsurance: 20 %
UNDERPAID_BY = Decimal("7.50")

# How the demo's payers answer, by claim number (deterministic): mostly paid, some with a
# line left unpaid, a few denied, one in twenty still waiting.
PAID, PARTIAL, DENIED, WAITING = "paid", "partial", "denied", "waiting"
ANSWERS = [PAID] * 16 + [PARTIAL] * 2 + [DENIED, WAITING]
# Denials a therapy practice meets, rotated (CARC group and reason).
DENIALS = [("CO", "197"), ("CO", "50"), ("CO", "16"), ("PR", "96")]


@dataclass
class LineAnswer:
    line: ClaimLine
    paid: Decimal
    cas: list[tuple[str, str, Decimal]] = field(default_factory=list)
    allowed: Decimal | None = None
    sign: int = 1

    @property
    def charge(self) -> Decimal:
        return self.sign * self.line.charge


@dataclass
class ClaimAnswer:
    claim: Claim
    lines: list[LineAnswer]
    status: str = "1"
    payer_claim_number: str = ""

    @property
    def charge(self) -> Decimal:
        return sum((a.charge for a in self.lines), ZERO)

    @property
    def paid(self) -> Decimal:
        return sum((a.paid for a in self.lines), ZERO)

    @property
    def patient_responsibility(self) -> Decimal:
        return sum((amt for a in self.lines for g, _r, amt in a.cas if g == "PR"), ZERO)


def answer_kind(ordinal: int) -> str:
    """The answer to the demo's ``ordinal``-th claim (counted from 0 in the order built)."""
    return ANSWERS[ordinal % len(ANSWERS)]


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, ROUND_HALF_UP)


def _paid_line(
    line: ClaimLine, *, claim: Claim, first: bool, short: Decimal, ordinal: int
) -> LineAnswer:
    """Paid at the contract's allowed amount (less ``short``: an underpayment), the rest
    of the charge written off (CO-45), the client's share as the plan says: Medicare's 20 %
    coinsurance; on a commercial plan, now and then a deductible not yet met or 20 %
    coinsurance once it is; else the copay, once a claim."""
    allowed = line.expected_allowed if line.expected_allowed is not None else line.charge
    allowed = min(max(allowed - short, ZERO), line.charge)
    cas: list[tuple[str, str, Decimal]] = []
    if line.charge > allowed:
        cas.append(("CO", "45", line.charge - allowed))
    share = ZERO
    payer = claim.payer
    if payer.filing_indicator == Payer.FilingIndicator.MEDICARE_B:
        share = _cents(allowed * COINSURANCE)
        reason = "2"
    elif first and payer.filing_indicator == "CI" and ordinal % 7 == 0:
        share, reason = allowed, "1"  # not yet met this year's deductible: the client pays
    elif payer.filing_indicator == "CI" and ordinal % 7 == 3:
        share, reason = _cents(allowed * COINSURANCE), "2"  # deductible met: coinsurance
    elif first and claim.coverage.copay:
        share, reason = min(claim.coverage.copay, allowed), "3"
    if share:
        cas.append(("PR", reason, share))
    return LineAnswer(line, allowed - share, cas, allowed=allowed)


def _denied_line(line: ClaimLine, ordinal: int) -> LineAnswer:
    group, reason = DENIALS[(ordinal // len(ANSWERS)) % len(DENIALS)]
    return LineAnswer(line, ZERO, [(group, reason, line.charge)])


def answer_for(claim: Claim, *, ordinal: int, underpay: bool = False) -> ClaimAnswer | None:
    """The payer's answer to the demo's ``ordinal``-th claim (its lines prefetched, payer
    and coverage loaded), or None while it waits."""
    kind = answer_kind(ordinal)
    if kind == WAITING:
        return None
    lines = list(claim.lines.all())
    number = f"{claim.payer.payer_id or 'PAYER'}{claim.pk:09d}"
    if kind == DENIED:
        return ClaimAnswer(claim, [_denied_line(line, ordinal) for line in lines], "4", number)
    answers = []
    for index, line in enumerate(lines):
        if kind == PARTIAL and index > 0:
            answers.append(LineAnswer(line, ZERO, [("CO", "97", line.charge)]))
        else:
            short = UNDERPAID_BY if underpay and index == 0 else ZERO
            answers.append(
                _paid_line(line, claim=claim, first=index == 0, short=short, ordinal=ordinal)
            )
    return ClaimAnswer(claim, answers, "1", number)


def reversal_and_repayment(posting: ClaimPosting) -> list[ClaimAnswer]:
    """The payer takes back a posted payment (CLP02 = 22, its amounts negated) and pays
    the claim again $10 less, written off as over its fee schedule: a re-processing."""
    claim = posting.claim
    lines = {line.pk: line for line in claim.lines.all()}
    by_allocation: dict[int, list] = {}
    for adjustment in posting.adjustments.all():
        by_allocation.setdefault(adjustment.allocation_id, []).append(adjustment)
    back, again = [], []
    lowered = False
    for allocation in posting.allocations.all():
        line = lines[allocation.claim_line_id]
        cas = [(a.group, a.reason_code, a.amount) for a in by_allocation.get(allocation.pk, [])]
        back.append(
            LineAnswer(line, -allocation.paid, [(g, r, -amt) for g, r, amt in cas], sign=-1)
        )
        paid = allocation.paid
        if not lowered and paid >= 10:
            paid, lowered = paid - 10, True
            written_off = [c for c in cas if c[:2] == ("CO", "45")]
            rest = [c for c in cas if c[:2] != ("CO", "45")]
            cas = [("CO", "45", sum((c[2] for c in written_off), ZERO) + 10), *rest]
        again.append(
            LineAnswer(line, paid, cas, allowed=allocation.allowed - (allocation.paid - paid))
        )
    return [
        ClaimAnswer(claim, back, "22", posting.payer_claim_number),
        ClaimAnswer(claim, again, "1", posting.payer_claim_number),
    ]


def _cas(triples: list[tuple[str, str, Decimal]]) -> list[str]:
    segments = []
    for group in ("CO", "PR", "OA", "PI"):
        parts = [f"{r}*{amount(a)}" for g, r, a in triples if g == group]
        for start in range(0, len(parts), 6):  # six reasons to a CAS segment
            segments.append(f"CAS*{group}*" + "**".join(parts[start : start + 6]))
    return segments


def render_835(
    payer: Payer,
    answers: list[ClaimAnswer],
    *,
    paid_on: datetime.date,
    trace: str,
    payee_name: str,
    payee_npi: str,
    control: int,
) -> str:
    """One interchange holding one 835 transaction: ``payer``'s payment answering
    ``answers``, balanced as X12 835 TR3 §1.10.2 requires (BPR02 = Σ CLP04)."""
    total = sum((a.paid for a in answers), ZERO)
    date = f"{paid_on:%Y%m%d}"
    body = [
        "ST*835*0001",
        f"BPR*{'I' if total else 'H'}*{amount(total)}*C*{'ACH' if total else 'NON'}"
        + "*" * 12
        + date,
        f"TRN*1*{trace}*1999999999",
        f"DTM*405*{date}",
        f"N1*PR*{transliterate(payer.name)[:60]}",
        f"N3*{transliterate(payer.address_line1 or 'PO BOX 1')[:55]}",
        f"N4*{transliterate(payer.city or 'CHICAGO')[:30]}*{payer.state or 'IL'}*"
        f"{(payer.zip_code or '60601')[:9]}",
    ]
    if payer.payer_id:
        body.append(f"REF*2U*{payer.payer_id}")
    body += [
        "PER*BL*PROVIDER SERVICES*TE*8005550100",
        f"N1*PE*{transliterate(payee_name)[:60]}*XX*{payee_npi}",
        "LX*1",
    ]
    for answer in answers:
        claim = answer.claim
        patient = claim.party.patient
        share = answer.patient_responsibility
        body.append(
            f"CLP*{claim.control_number}*{answer.status}*{amount(answer.charge)}"
            f"*{amount(answer.paid)}*{amount(share) if share else ''}*12"
            f"*{answer.payer_claim_number}"
        )
        last = transliterate(patient.last_name or claim.client.last_name)[:60]
        first = transliterate(patient.first_name or claim.client.first_name)[:35]
        member = transliterate(claim.coverage.member_id or "UNKNOWN")[:80]
        body.append(f"NM1*QC*1*{_safe(last)}*{_safe(first)}****MI*{_safe(member)}")
        for line_answer in answer.lines:
            line = line_answer.line
            code = ":".join(["HC", line.procedure_code, *line.modifiers])
            body.append(
                f"SVC*{code}*{amount(line_answer.charge)}*{amount(line_answer.paid)}**{line.units}"
            )
            body.append(f"DTM*472*{line.date_of_service:%Y%m%d}")
            body += _cas(line_answer.cas)
            body.append(f"REF*6R*{line.line_control_number}")
            if line_answer.allowed is not None and answer.status != "22":
                body.append(f"AMT*B6*{amount(line_answer.allowed)}")
    body.append(f"SE*{len(body) + 1}*0001")
    number = f"{control % 10**9:09d}"
    isa = (
        "ISA*00*          *00*          *ZZ*DEMOPAYER      *ZZ*LAKESIDE       "
        f"*{paid_on:%y%m%d}*1200*^*00501*{number}*0*T*:"
    )
    segments = [
        isa,
        f"GS*HP*DEMOPAYER*LAKESIDE*{date}*1200*{control % 10**9}*X*005010X221A1",
        *body,
        f"GE*1*{control % 10**9}",
        f"IEA*1*{number}",
    ]
    return "~\n".join(segments) + "~\n"


def _safe(value: str) -> str:
    """A name as an 835 element: no X12 separators (a demo name never has one, but a
    client's name typed with a star or tilde must not break the file)."""
    return "".join(c for c in value if c not in "*~:^") or "UNKNOWN"
