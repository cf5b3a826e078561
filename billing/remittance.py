"""Reading an 835 remittance (ASC X12 005010X221A1): validation and parsing, no database.

pyx12 checks the file against the implementation guide (``x12n_document``) and reads its
segments (``X12Reader``); what the file means for our claims is ours: the amounts must
balance (X12 835 TR3 §1.10.2: per line, charge − Σ CAS = paid; per claim,
CLP03 − CLP04 = Σ CAS; BPR02 = Σ CLP04 − Σ PLB) or the whole file is refused, naming the
segment. Matching and posting are in ``billing.posting``.
"""

from __future__ import annotations

import datetime
import io
import json
import logging
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import pyx12.errors
import pyx12.params
import pyx12.x12file
import pyx12.x12n_document

from practice.common import ZERO

# Claim adjustment reason codes (X12 CARC list) a therapy practice meets most, in our own
# short words for the denial queue and the claim page. Any other code shows as itself.
REASONS: dict[str, str] = {
    "1": "Deductible: the client pays",
    "2": "Coinsurance: the client's share",
    "3": "Copay: the client's share",
    "16": "Missing or wrong information on the claim",
    "18": "Duplicate of a claim already sent",
    "29": "Sent after the filing deadline",
    "45": "Above the payer's fee schedule (write off)",
    "50": "Payer judged it not medically necessary",
    "96": "Not a covered service",
    "97": "Paid as part of another service (bundled)",
    "197": "No prior authorization on file",
}

STATUS_PAID = {"1", "2", "3", "19", "20", "21"}  # processed as primary/secondary/tertiary
STATUS_DENIED = "4"
STATUS_REVERSAL = "22"


def reason_words(code: str) -> str:
    """Our short words for a CARC code, or the code itself when we have none."""
    return REASONS.get(code, f"Reason code {code}")


class RemittanceError(Exception):
    """The file is refused: nothing was posted. The message names the segment."""


@dataclass
class CasAmount:
    group: str
    reason_code: str
    amount: Decimal
    quantity: Decimal | None = None


@dataclass
class ServiceLine:
    segment: str
    procedure_code: str
    modifiers: list[str]
    charge: Decimal
    paid: Decimal
    units: int
    date_of_service: datetime.date | None = None
    line_control_number: str = ""
    allowed: Decimal | None = None
    adjustments: list[CasAmount] = field(default_factory=list)
    remarks: list[str] = field(default_factory=list)

    @property
    def patient_responsibility(self) -> Decimal:
        return sum((a.amount for a in self.adjustments if a.group == "PR"), ZERO)

    @property
    def allowed_amount(self) -> Decimal:
        """AMT*B6 when the payer sends it; else the charge less the non-patient
        adjustments (what the payer allowed is paid + the patient's share)."""
        if self.allowed is not None:
            return self.allowed
        return self.paid + self.patient_responsibility


@dataclass
class ClaimPayment:
    segment: str
    control_number: str
    status_code: str
    charge: Decimal
    paid: Decimal
    patient_responsibility: Decimal
    payer_claim_number: str
    adjustments: list[CasAmount] = field(default_factory=list)
    lines: list[ServiceLine] = field(default_factory=list)

    def all_adjustments(self) -> list[CasAmount]:
        return self.adjustments + [a for line in self.lines for a in line.adjustments]


@dataclass
class ProviderAdjustmentData:
    segment: str
    provider_id: str
    fiscal_period_end: datetime.date
    reason_code: str
    reference: str
    amount: Decimal


@dataclass
class Transaction:
    """One ST–SE 835 transaction: one payment (BPR/TRN) and its claims."""

    amount: Decimal = ZERO
    credit_debit: str = "C"
    method: str = "NON"
    payment_date: datetime.date | None = None
    trace_number: str = ""
    payer_identifier: str = ""  # TRN03
    payer_name: str = ""
    payer_id: str = ""  # REF*2U
    claims: list[ClaimPayment] = field(default_factory=list)
    provider_adjustments: list[ProviderAdjustmentData] = field(default_factory=list)
    bpr_segment: str = ""


def _errors(node, segment: dict | None = None) -> list[tuple[dict | None, dict]]:
    """Every error in pyx12's JSON error document with the segment it sits in, if any."""
    found: list[tuple[dict | None, dict]] = []
    if isinstance(node, dict):
        if "seg_id" in node:
            segment = node
        for key, value in node.items():
            if key == "errors" and isinstance(value, list):
                found += [(segment, e) for e in value if isinstance(e, dict)]
            else:
                found += _errors(value, segment)
    elif isinstance(node, list):
        for item in node:
            found += _errors(item, segment)
    return found


def _segment_texts(text: str) -> list[str]:
    terminator = text[105] if len(text) > 105 and text.startswith("ISA") else "~"
    return [s.strip() for s in text.split(terminator) if s.strip()]


def pyx12_problems(
    text: str, *, guide: str = "835 implementation guide (005010X221A1)"
) -> list[str]:
    """pyx12's findings against the implementation guide the file names in GS08 (the
    835's, 005010X221A1, or an acknowledgment's), one sentence each naming the segment;
    empty when it accepts the file."""
    logging.getLogger("pyx12").setLevel(logging.CRITICAL)  # its findings are returned
    params = pyx12.params.params()
    errors_json = io.StringIO()
    try:
        valid = pyx12.x12n_document.x12n_document(
            params, io.StringIO(text), None, None, None, errors_json
        )
    except (pyx12.errors.X12Error, pyx12.errors.EngineError, KeyError, ValueError) as error:
        return [f"The file is not a readable X12 interchange: {error}"]
    segments = _segment_texts(text)
    problems = []
    for segment, error in _errors(json.loads(errors_json.getvalue() or "{}")):
        message = str(error.get("err_str") or error)
        line = (segment or {}).get("cur_line")
        if isinstance(line, int) and 0 < line <= len(segments):
            problems.append(f"Segment {line} ({segments[line - 1][:80]}): {message}")
        else:
            problems.append(message)
    if not valid and not problems:
        problems = [f"The file does not follow the {guide}."]
    return problems


def _money(seg, ref: str, text: str, *, required: bool = True) -> Decimal:
    raw = seg.get_value(ref) or ""
    if not raw and not required:
        return ZERO
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise RemittanceError(f"Segment {text}: {ref} is not an amount ({raw!r}).") from None
    return value.quantize(Decimal("0.01"))


def _date(raw: str, text: str) -> datetime.date:
    try:
        return datetime.datetime.strptime(raw, "%Y%m%d").date()  # noqa: DTZ007 - a date
    except ValueError:
        raise RemittanceError(f"Segment {text}: {raw!r} is not a date (CCYYMMDD).") from None


def _cas(seg, text: str) -> list[CasAmount]:
    """A CAS segment holds up to six reason/amount/quantity triples for one group."""
    group = seg.get_value("CAS01") or ""
    if group not in {"CO", "PR", "OA", "PI"}:
        raise RemittanceError(f"Segment {text}: adjustment group {group!r} is not CO/PR/OA/PI.")
    found = []
    for i in range(6):
        reason = seg.get_value(f"CAS{2 + 3 * i:02d}") or ""
        if not reason:
            continue
        amount = _money(seg, f"CAS{3 + 3 * i:02d}", text)
        qty_raw = seg.get_value(f"CAS{4 + 3 * i:02d}") or ""
        quantity = Decimal(qty_raw) if qty_raw else None
        found.append(CasAmount(group, reason, amount, quantity))
    return found


def parse_835(text: str) -> list[Transaction]:
    """The 835's transactions, validated by pyx12 and checked to balance. Raises
    RemittanceError naming the first wrong segment; nothing here touches the database."""
    if not text.strip():
        raise RemittanceError("The file is empty.")
    problems = pyx12_problems(text)
    if problems:
        raise RemittanceError(problems[0])
    return read_835(text)


def read_835(text: str) -> list[Transaction]:
    """``parse_835`` without pyx12: the transactions, checked to balance. Only for files
    this program wrote itself (the demo's payers, after pyx12 passed their first file):
    pyx12 takes about as long as posting the file."""
    transactions = _read(text)
    for transaction in transactions:
        _check_balanced(transaction)
    return transactions


# One pass over the 835's segments with one branch per segment tag, in file order.
def _read(text: str) -> list[Transaction]:  # noqa: C901
    transactions: list[Transaction] = []
    current: Transaction | None = None
    claim: ClaimPayment | None = None
    line: ServiceLine | None = None
    n1 = ""
    for seg in pyx12.x12file.X12Reader(io.StringIO(text)):
        tag = seg.get_seg_id()
        shown = seg.format()
        if tag == "ST":
            current, claim, line = Transaction(), None, None
            transactions.append(current)
        elif current is None:
            continue
        elif tag == "BPR":
            current.bpr_segment = shown
            current.amount = _money(seg, "BPR02", shown)
            current.credit_debit = seg.get_value("BPR03") or "C"
            current.method = seg.get_value("BPR04") or "NON"
            current.payment_date = _date(seg.get_value("BPR16") or "", shown)
        elif tag == "TRN":
            current.trace_number = seg.get_value("TRN02") or ""
            current.payer_identifier = seg.get_value("TRN03") or ""
        elif tag == "N1":
            n1 = seg.get_value("N101") or ""
            if n1 == "PR":
                current.payer_name = seg.get_value("N102") or ""
        elif tag == "REF" and claim is None and n1 == "PR":
            if seg.get_value("REF01") == "2U":
                current.payer_id = seg.get_value("REF02") or ""
        elif tag == "CLP":
            line = None
            claim = ClaimPayment(
                segment=shown,
                control_number=seg.get_value("CLP01") or "",
                status_code=seg.get_value("CLP02") or "",
                charge=_money(seg, "CLP03", shown),
                paid=_money(seg, "CLP04", shown),
                patient_responsibility=_money(seg, "CLP05", shown, required=False),
                payer_claim_number=seg.get_value("CLP07") or "",
            )
            current.claims.append(claim)
        elif tag == "SVC" and claim is not None:
            code = seg.get_value("SVC01-2") or ""
            modifiers = [seg.get_value(f"SVC01-{i}") or "" for i in range(3, 7)]
            units_raw = seg.get_value("SVC05") or "1"
            try:
                units = max(1, int(Decimal(units_raw)))
            except InvalidOperation:
                raise RemittanceError(f"Segment {shown}: SVC05 is not a number.") from None
            line = ServiceLine(
                segment=shown,
                procedure_code=code,
                modifiers=[m for m in modifiers if m],
                charge=_money(seg, "SVC02", shown),
                paid=_money(seg, "SVC03", shown),
                units=units,
            )
            claim.lines.append(line)
        elif tag == "DTM" and line is not None and seg.get_value("DTM01") in {"472", "150"}:
            line.date_of_service = _date(seg.get_value("DTM02") or "", shown)
        elif tag == "CAS" and claim is not None:
            (line.adjustments if line is not None else claim.adjustments).extend(_cas(seg, shown))
        elif tag == "REF" and line is not None and seg.get_value("REF01") == "6R":
            line.line_control_number = seg.get_value("REF02") or ""
        elif tag == "AMT" and line is not None and seg.get_value("AMT01") == "B6":
            line.allowed = _money(seg, "AMT02", shown)
        elif tag == "LQ" and line is not None:
            line.remarks.append(seg.get_value("LQ02") or "")
        elif tag == "PLB":
            claim, line = None, None
            provider = seg.get_value("PLB01") or ""
            period = _date(seg.get_value("PLB02") or "", shown)
            for i in range(6):
                composite = f"PLB{3 + 2 * i:02d}"
                reason = seg.get_value(f"{composite}-1") or ""
                if not reason:
                    continue
                current.provider_adjustments.append(
                    ProviderAdjustmentData(
                        segment=shown,
                        provider_id=provider,
                        fiscal_period_end=period,
                        reason_code=reason,
                        reference=seg.get_value(f"{composite}-2") or "",
                        amount=_money(seg, f"PLB{4 + 2 * i:02d}", shown),
                    )
                )
        elif tag == "SE":
            current, claim, line = None, None, None
    return transactions


def _check_balanced(transaction: Transaction) -> None:
    for claim in transaction.claims:
        for line in claim.lines:
            adjusted = sum((a.amount for a in line.adjustments), ZERO)
            if line.charge - adjusted != line.paid:
                raise RemittanceError(
                    f"Segment {line.segment}: the line does not balance: charge {line.charge} "
                    f"− adjustments {adjusted} ≠ paid {line.paid}."
                )
        adjusted = sum((a.amount for a in claim.all_adjustments()), ZERO)
        if claim.charge - claim.paid != adjusted:
            raise RemittanceError(
                f"Segment {claim.segment}: the claim does not balance: charge {claim.charge} "
                f"− paid {claim.paid} ≠ adjustments {adjusted}."
            )
    paid = sum((c.paid for c in transaction.claims), ZERO)
    held = sum((p.amount for p in transaction.provider_adjustments), ZERO)
    if transaction.amount != paid - held:
        raise RemittanceError(
            f"Segment {transaction.bpr_segment}: BPR02 {transaction.amount} is not the claims' "
            f"paid {paid} − provider adjustments {held} ({paid - held})."
        )
