"""835 remittances (005010X221A1) built from claims in the test database, as a payer
would answer them; every file made here is checked with pyx12 (0 errors)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from billing.models import Claim, ClaimLine, Payer
from billing.remittance import pyx12_problems

ZERO = Decimal("0.00")
PAID_ON = datetime.date(2026, 11, 2)


@dataclass
class LineAnswer:
    """What the payer says about one of our claim lines. ``cas`` is (group, reason,
    amount) triples; by default the line is matched by its control number (REF*6R),
    with ``by_code`` by code and date of service only."""

    line: ClaimLine
    paid: Decimal
    cas: list[tuple[str, str, Decimal]] = field(default_factory=list)
    allowed: Decimal | None = None
    by_code: bool = False
    charge: Decimal | None = None
    code: str | None = None
    sign: int = 1

    @property
    def line_charge(self) -> Decimal:
        return self.sign * (self.charge if self.charge is not None else self.line.charge)


@dataclass
class ClaimAnswer:
    claim: Claim
    lines: list[LineAnswer]
    status: str = "1"
    payer_claim_number: str = "PCN0001"
    claim_cas: list[tuple[str, str, Decimal]] = field(default_factory=list)
    control_number: str | None = None

    @property
    def charge(self) -> Decimal:
        return sum((a.line_charge for a in self.lines), ZERO)

    @property
    def paid(self) -> Decimal:
        return sum((a.paid for a in self.lines), ZERO)

    @property
    def patient_responsibility(self) -> Decimal:
        amounts = [c for a in self.lines for c in a.cas] + self.claim_cas
        return sum((amount for group, _r, amount in amounts if group == "PR"), ZERO)


def paid_in_full(claim: Claim, **kw) -> ClaimAnswer:
    return ClaimAnswer(claim, [LineAnswer(line, line.charge) for line in claim.lines.all()], **kw)


def reversal_of(answer: ClaimAnswer) -> ClaimAnswer:
    """CLP02 = 22: the same claim with every amount negated (X12 835 TR3 §1.10.2.8)."""
    return ClaimAnswer(
        answer.claim,
        [
            LineAnswer(
                a.line,
                -a.paid,
                [(g, r, -amt) for g, r, amt in a.cas],
                None if a.allowed is None else -a.allowed,
                a.by_code,
                a.charge,
                a.code,
                sign=-1,
            )
            for a in answer.lines
        ],
        status="22",
        payer_claim_number=answer.payer_claim_number,
        claim_cas=[(g, r, -amt) for g, r, amt in answer.claim_cas],
        control_number=answer.control_number,
    )


def _amount(value: Decimal) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text or "0"


def _cas(triples: list[tuple[str, str, Decimal]]) -> list[str]:
    segments = []
    for group in ("CO", "PR", "OA", "PI"):
        parts = [f"{r}*{_amount(a)}" for g, r, a in triples if g == group]
        if parts:
            segments.append(f"CAS*{group}*" + "**".join(parts))
    return segments


def build_835(
    payer: Payer,
    answers: list[ClaimAnswer],
    *,
    trace: str = "TRACE0001",
    plb: list[tuple[str, Decimal]] = (),
    method: str = "CHK",
    amount: Decimal | None = None,
    check: bool = True,
) -> str:
    """One interchange with one 835 transaction answering ``answers``; BPR02 balances
    unless ``amount`` says otherwise. ``check`` asserts pyx12 finds nothing wrong."""
    total = sum((a.paid for a in answers), ZERO) - sum((amt for _r, amt in plb), ZERO)
    amount = total if amount is None else amount
    date = PAID_ON.strftime("%Y%m%d")
    body = [
        "ST*835*0001",
        f"BPR*{'I' if amount else 'H'}*{_amount(amount)}*C*{method if amount else 'NON'}"
        + "*" * 12
        + date,
        f"TRN*1*{trace}*1999999999",
        f"DTM*405*{date}",
        f"N1*PR*{payer.name.upper()[:60]}",
        "N3*1 PAYER WAY",
        "N4*HARTFORD*CT*061550001",
    ]
    if payer.payer_id:
        body.append(f"REF*2U*{payer.payer_id}")
    body += ["PER*BL*PROVIDER SERVICES*TE*8005550100", "N1*PE*TEST PRACTICE*XX*1234567893", "LX*1"]
    for answer in answers:
        claim = answer.claim
        patient = claim.parties.get("patient", {})
        body.append(
            f"CLP*{answer.control_number or claim.control_number}*{answer.status}"
            f"*{_amount(answer.charge)}*{_amount(answer.paid)}"
            f"*{_amount(answer.patient_responsibility) if answer.patient_responsibility else ''}"
            f"*12*{answer.payer_claim_number}".rstrip("*")
            if answer.patient_responsibility
            else f"CLP*{answer.control_number or claim.control_number}*{answer.status}"
            f"*{_amount(answer.charge)}*{_amount(answer.paid)}**12*{answer.payer_claim_number}"
        )
        body += _cas(answer.claim_cas)
        last = (patient.get("last_name") or "DOE").upper()
        first = (patient.get("first_name") or "JANE").upper()
        body.append(f"NM1*QC*1*{last}*{first}****MI*W123456789")
        for line_answer in answer.lines:
            line = line_answer.line
            code = ":".join(["HC", line_answer.code or line.procedure_code, *line.modifiers])
            body.append(
                f"SVC*{code}*{_amount(line_answer.line_charge)}*{_amount(line_answer.paid)}"
                f"**{line.units}"
            )
            body.append(f"DTM*472*{line.date_of_service:%Y%m%d}")
            body += _cas(line_answer.cas)
            if not line_answer.by_code:
                body.append(f"REF*6R*{line.line_control_number}")
            if line_answer.allowed is not None:
                body.append(f"AMT*B6*{_amount(line_answer.allowed)}")
    if plb:  # one PLB segment holds up to six adjustments
        pairs = "*".join(f"{reason}:REF{n}*{_amount(amt)}" for n, (reason, amt) in enumerate(plb))
        body.append(f"PLB*1234567893*{PAID_ON.year}1231*{pairs}")
    body.append(f"SE*{len(body) + 1}*0001")
    isa = (
        "ISA*00*          *00*          *ZZ*PAYERSENDER    *ZZ*PRACTICE       "
        f"*{PAID_ON:%y%m%d}*1200*^*00501*000000905*0*T*:"
    )
    assert len(isa) + 1 == 106, len(isa)
    text = "~\n".join(
        [
            isa,
            f"GS*HP*PAYERSENDER*PRACTICE*{date}*1200*905*X*005010X221A1",
            *body,
            "GE*1*905",
            "IEA*1*000000905",
        ]
    )
    text += "~\n"
    if check:
        problems = pyx12_problems(text)
        assert not problems, "\n".join(problems) + "\n\n" + text
    return text
