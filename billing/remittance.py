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
import pyx12.map_if
import pyx12.map_walker
import pyx12.nodeCounter
import pyx12.params
import pyx12.path
import pyx12.segment
import pyx12.validation
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


# pyx12 parses the guide's XML map and its code lists afresh for every file it validates
# (``x12n_document`` calls ``map_if.load_map_file``): a tenth of the time of a 350-claim
# 835. A loaded map is only read while a file is walked (the walker keeps its counts
# apart), so the maps built with our parameters, which nothing changes, are kept per
# process; any other caller's parameters get pyx12's own loading.
_PARAMS = pyx12.params.params()
_MAPS: dict[tuple[str, str | None], object] = {}
_load_map_file = pyx12.map_if.load_map_file


def _map_file(map_file: str, param, map_path: str | None = None):
    if param is not _PARAMS:
        return _load_map_file(map_file, param, map_path)
    key = (map_file, map_path)
    if key not in _MAPS:
        _MAPS[key] = _load_map_file(map_file, param, map_path)
    return _MAPS[key]


pyx12.map_if.load_map_file = _map_file


# Two of pyx12's helpers answer the same with less work: a fifth of its time on a
# 1,000-claim 835, which it still validates whole. ``contains_control_character`` builds
# two dicts of control characters for each of the file's ~45,000 elements; a printable
# value has none of them (they are all below 0x20), and any other value gets pyx12's own
# answer. A segment parses the reference designator it is asked for (``CLP01``,
# ``SVC01-2``) into an X12Path each time (~90,000 times); a designator always parses to
# the same indexes, so they are kept (the map's few hundred), and a designator of another
# segment is refused as pyx12 refuses it.
_contains_control_character = pyx12.validation.contains_control_character
_REFDES: dict[str, tuple[str | None, int | None, int | None]] = {}


def _control_character(str_val: str, charset: str = "B", icvn: str = "00401"):
    if str_val.isprintable():
        return (False, None)
    return _contains_control_character(str_val, charset, icvn)


def _parse_refdes(self, ref_des: str) -> tuple[int | None, int | None]:
    parsed = _REFDES.get(ref_des)
    if parsed is None:
        path = pyx12.path.X12Path(ref_des)
        parsed = (path.seg_id, path.ele_idx, path.subele_idx)
        if len(_REFDES) < 10_000:
            _REFDES[ref_des] = parsed
    seg_id, element, component = parsed
    if seg_id is not None and seg_id != self.seg_id:
        raise pyx12.errors.EngineError(
            f"Invalid Reference Designator: {ref_des}, seg_id: {self.seg_id}"
        )
    return (
        element - 1 if element is not None else None,
        component - 1 if component is not None else None,
    )


_pyx12_parse_refdes = pyx12.segment.Segment._parse_refdes
pyx12.validation.contains_control_character = _control_character
pyx12.segment.Segment._parse_refdes = _parse_refdes


# Three more of pyx12's steps answer the same with less work; together they were half of
# its time on the bench's 1,000-claim 835, which it still validates whole.
#
# 1. The walker counts the loops and segments it has entered (``NodeCounter``) in a dict
#    keyed by X12Path, whose hash formats the path again at every lookup, and entering a
#    loop clears the counts under it by formatting every key twice (~400,000 paths
#    formatted a file). ``_NodeCounter`` keeps the counts by the path's text, which is
#    what pyx12's hash and child test read: a map node's path, made once and never
#    changed, keeps its text (``_path_text``); a path given as text is parsed and
#    formatted as pyx12 would.
# 2. A segment finds its element for a position by scanning its children (~100,000 scans);
#    the children of a loaded map do not change, so each segment node keeps them by
#    position once, and any other question gets pyx12's own answer.
# 3. Validating an element value, or a whole segment, reads only the value (the
#    segment's elements and its sub-element separator) and the map node, which does not
#    change: the answer for a value a node has seen is kept on the node (up to
#    _KEPT_PER_NODE values each) and given again. An 835's dates, codes, amounts and
#    adjustments repeat from claim to claim; a map loaded with other parameters keeps its
#    own answers, and they go when it does.
_KEPT_PER_NODE = 2_000
_NodeCounterBase = pyx12.nodeCounter.NodeCounter


def _path_text(xpath) -> str:
    if isinstance(xpath, str):
        return pyx12.path.X12Path(xpath).format()
    text = xpath.__dict__.get("_text")
    if text is None:
        text = xpath._text = xpath.format()
    return text


class _NodeCounter(_NodeCounterBase):
    """pyx12's NodeCounter keyed by each path's text (two X12Paths are one key for pyx12
    exactly when their texts are equal)."""

    def __init__(self, initialCounts=None) -> None:
        self._counts: dict[str, int] = {}
        for key, count in (initialCounts or {}).items():
            self._counts[_path_text(key)] = count

    def reset_to_node(self, xpath) -> None:
        root = _path_text(xpath).split("/")
        depth = len(root)
        for key in [k for k in self._counts if _under(k, root, depth)]:
            del self._counts[key]

    def increment(self, xpath) -> None:
        key = _path_text(xpath)
        self._counts[key] = self._counts.get(key, 0) + 1

    def setCount(self, xpath, ct: int) -> None:
        self._counts[_path_text(xpath)] = ct

    def get_count(self, xpath) -> int:
        return self._counts.get(_path_text(xpath), 0)

    def getState(self):
        state = _NodeCounterBase()
        for key, count in self._counts.items():
            state.setCount(key, count)
        return state.getState()


def _under(key: str, root: list[str], depth: int) -> bool:
    """pyx12's X12Path.is_child_path, on the two paths' texts."""
    parts = key.split("/")
    return len(parts) > depth and parts[:depth] == root


_pyx12_child_node_by_idx = pyx12.map_if.segment_if.get_child_node_by_idx


def _child_node_by_idx(self, idx: int):
    children = self.children
    by_position = self.__dict__.get("_by_position")
    if by_position is None or by_position[0] != len(children):
        table: dict[int, list] = {}
        for child in children:
            table.setdefault(child.seq, []).append(child)
        by_position = self._by_position = (len(children), table)
    found = by_position[1].get(idx + 1, ()) if 0 <= idx < len(children) else ()
    if len(found) == 1:
        return found[0]
    return _pyx12_child_node_by_idx(self, idx)  # its None or its error


def _kept(validate, key):
    """``validate(node, data, …)`` answered once per ``key(data, …)`` and node."""

    def kept(self, data, *more):
        found_key = key(data, *more)
        if found_key is None:
            return validate(self, data, *more)
        answers = self.__dict__.get("_answers")
        if answers is None:
            answers = self._answers = {}
        found = answers.get(found_key)
        if found is None:
            found = validate(self, data, *more)
            if len(answers) < _KEPT_PER_NODE:
                answers[found_key] = found
        valid, errors = found
        return valid, list(errors)

    return kept


def _element_key(elem, type_list=None):
    kind = type(elem)
    if kind is pyx12.segment.Element:
        value = elem.value
    elif kind is pyx12.segment.Composite and len(elem.elements) == 1:
        value = elem.elements[0].value  # a segment's simple element
    else:
        return None  # nothing there, or a composite where an element belongs
    return (kind, value, tuple(type_list) if type_list else ())


def _segment_key(seg):
    if type(seg) is not pyx12.segment.Segment:
        return None
    return (
        seg.seg_id,
        seg.ele_term,
        seg.subele_term,
        tuple(tuple(e.value for e in composite.elements) for composite in seg.elements),
    )


_pyx12_element_valid = pyx12.map_if.element_if.is_valid_errors
_pyx12_segment_valid = pyx12.map_if.segment_if.is_valid_errors
pyx12.map_walker.NodeCounter = _NodeCounter
pyx12.map_if.segment_if.get_child_node_by_idx = _child_node_by_idx
pyx12.map_if.element_if.is_valid_errors = _kept(_pyx12_element_valid, _element_key)
pyx12.map_if.segment_if.is_valid_errors = _kept(_pyx12_segment_valid, _segment_key)


def pyx12_problems(
    text: str, *, guide: str = "835 implementation guide (005010X221A1)", on_segment=None
) -> list[str]:
    """pyx12's findings against the implementation guide the file names in GS08 (the
    835's, 005010X221A1, or an acknowledgment's), one sentence each naming the segment;
    empty when it accepts the file. ``on_segment(seg)`` is called with each segment as
    pyx12 reads it (its ``callback``), so a caller can read the file in the same pass."""
    logging.getLogger("pyx12").setLevel(logging.CRITICAL)  # its findings are returned
    errors_json = io.StringIO()
    try:
        valid = pyx12.x12n_document.x12n_document(
            _PARAMS, io.StringIO(text), None, None, None, errors_json, callback=on_segment
        )
    except (pyx12.errors.X12Error, pyx12.errors.EngineError, KeyError, ValueError) as error:
        return [f"The file is not a readable X12 interchange: {error}"]
    problems = []
    segments: list[str] | None = None  # split only when there is something to name
    for segment, error in _errors(json.loads(errors_json.getvalue() or "{}")):
        message = str(error.get("err_str") or error)
        line = (segment or {}).get("cur_line")
        if segments is None:
            segments = _segment_texts(text)
        if isinstance(line, int) and 0 < line <= len(segments):
            problems.append(f"Segment {line} ({segments[line - 1][:80]}): {message}")
        else:
            problems.append(message)
    if not valid and not problems:
        problems = [f"The file does not follow the {guide}."]
    return problems


def _value(seg, element: int, component: int | None = None) -> str:
    """``seg.get_value("XXnn[-c]")`` without parsing a reference designator per call
    (the 835 reader reads some 50,000 values from a 1,000-claim file): element ``nn``
    (1-based), or its component ``c``; "" when absent."""
    elements = seg.elements
    if element > len(elements):
        return ""
    composite = elements[element - 1]
    if component is None:
        parts = composite.elements
        return parts[0].value if len(parts) == 1 else composite.format()
    return composite[component - 1].value if component <= len(composite) else ""


def _shown(seg) -> str:
    return seg.format()


def _money(seg, element: int, *, required: bool = True) -> Decimal:
    raw = _value(seg, element)
    if not raw and not required:
        return ZERO
    try:
        value = Decimal(raw)
    except InvalidOperation:
        ref = f"{seg.get_seg_id()}{element:02d}"
        raise RemittanceError(f"Segment {_shown(seg)}: {ref} is not an amount ({raw!r}).") from None
    return value.quantize(Decimal("0.01"))


def _date(raw: str, seg) -> datetime.date:
    try:
        return datetime.datetime.strptime(raw, "%Y%m%d").date()  # noqa: DTZ007 - a date
    except ValueError:
        raise RemittanceError(f"Segment {_shown(seg)}: {raw!r} is not a date (CCYYMMDD).") from None


def _cas(seg) -> list[CasAmount]:
    """A CAS segment holds up to six reason/amount/quantity triples for one group."""
    group = _value(seg, 1)
    if group not in {"CO", "PR", "OA", "PI"}:
        raise RemittanceError(
            f"Segment {_shown(seg)}: adjustment group {group!r} is not CO/PR/OA/PI."
        )
    found = []
    for i in range(6):
        reason = _value(seg, 2 + 3 * i)
        if not reason:
            continue
        amount = _money(seg, 3 + 3 * i)
        qty_raw = _value(seg, 4 + 3 * i)
        quantity = Decimal(qty_raw) if qty_raw else None
        found.append(CasAmount(group, reason, amount, quantity))
    return found


def parse_835(text: str) -> list[Transaction]:
    """The 835's transactions, validated by pyx12 and checked to balance. Raises
    RemittanceError naming the first wrong segment; nothing here touches the database.

    One pass: pyx12 hands each segment it validates to the reader (its ``callback``), so
    the file is tokenized once. pyx12's findings come first; then the reader's."""
    if not text.strip():
        raise RemittanceError("The file is empty.")
    reader = _Reader()
    problems = pyx12_problems(text, on_segment=reader.feed)
    if problems:
        raise RemittanceError(problems[0])
    if reader.error is not None:
        raise reader.error
    for transaction in reader.transactions:
        _check_balanced(transaction)
    return reader.transactions


def read_835(text: str) -> list[Transaction]:
    """``parse_835`` without pyx12: the transactions, checked to balance. Only for a text
    pyx12 has accepted already (an upload kept after ``parse_835``, billing/uploads.py) or
    that this program wrote itself (the demo's payers, after pyx12 passed their first
    file): pyx12 takes about as long as posting the file."""
    reader = _Reader()
    for seg in pyx12.x12file.X12Reader(io.StringIO(text)):
        reader.feed(seg)
        if reader.error is not None:
            raise reader.error
    for transaction in reader.transactions:
        _check_balanced(transaction)
    return reader.transactions


class _Reader:
    """Reads an 835 one segment at a time, in file order. The first RemittanceError is
    kept in ``error`` (pyx12 swallows what its callback raises) and ends the reading."""

    def __init__(self) -> None:
        self.transactions: list[Transaction] = []
        self.error: RemittanceError | None = None
        self.current: Transaction | None = None
        self.claim: ClaimPayment | None = None
        self.line: ServiceLine | None = None
        self.n1 = ""

    def feed(self, seg, *_pyx12) -> None:
        if self.error is not None:
            return
        try:
            self._segment(seg)
        except RemittanceError as error:
            self.error = error

    # One branch per segment tag.
    def _segment(self, seg) -> None:  # noqa: C901
        tag = seg.get_seg_id()
        current, claim, line = self.current, self.claim, self.line
        if tag == "ST":
            self.current, self.claim, self.line = Transaction(), None, None
            self.transactions.append(self.current)
        elif current is None:
            return
        elif tag == "BPR":
            current.bpr_segment = _shown(seg)
            current.amount = _money(seg, 2)
            current.credit_debit = _value(seg, 3) or "C"
            current.method = _value(seg, 4) or "NON"
            current.payment_date = _date(_value(seg, 16), seg)
        elif tag == "TRN":
            current.trace_number = _value(seg, 2)
            current.payer_identifier = _value(seg, 3)
        elif tag == "N1":
            self.n1 = _value(seg, 1)
            if self.n1 == "PR":
                current.payer_name = _value(seg, 2)
        elif tag == "REF" and claim is None and self.n1 == "PR":
            if _value(seg, 1) == "2U":
                current.payer_id = _value(seg, 2)
        elif tag == "CLP":
            self.line = None
            self.claim = ClaimPayment(
                segment=_shown(seg),
                control_number=_value(seg, 1),
                status_code=_value(seg, 2),
                charge=_money(seg, 3),
                paid=_money(seg, 4),
                patient_responsibility=_money(seg, 5, required=False),
                payer_claim_number=_value(seg, 7),
            )
            current.claims.append(self.claim)
        elif tag == "SVC" and claim is not None:
            self.line = _service_line(seg)
            claim.lines.append(self.line)
        elif tag == "DTM" and line is not None and _value(seg, 1) in {"472", "150"}:
            line.date_of_service = _date(_value(seg, 2), seg)
        elif tag == "CAS" and claim is not None:
            (line.adjustments if line is not None else claim.adjustments).extend(_cas(seg))
        elif tag == "REF" and line is not None and _value(seg, 1) == "6R":
            line.line_control_number = _value(seg, 2)
        elif tag == "AMT" and line is not None and _value(seg, 1) == "B6":
            line.allowed = _money(seg, 2)
        elif tag == "LQ" and line is not None:
            line.remarks.append(_value(seg, 2))
        elif tag == "PLB":
            self.claim, self.line = None, None
            current.provider_adjustments += _provider_adjustments(seg)
        elif tag == "SE":
            self.current, self.claim, self.line = None, None, None


def _service_line(seg) -> ServiceLine:
    modifiers = [_value(seg, 1, i) for i in range(3, 7)]
    units_raw = _value(seg, 5) or "1"
    try:
        units = max(1, int(Decimal(units_raw)))
    except InvalidOperation:
        raise RemittanceError(f"Segment {_shown(seg)}: SVC05 is not a number.") from None
    return ServiceLine(
        segment=_shown(seg),
        procedure_code=_value(seg, 1, 2),
        modifiers=[m for m in modifiers if m],
        charge=_money(seg, 2),
        paid=_money(seg, 3),
        units=units,
    )


def _provider_adjustments(seg) -> list[ProviderAdjustmentData]:
    provider = _value(seg, 1)
    period = _date(_value(seg, 2), seg)
    found = []
    for i in range(6):
        composite = 3 + 2 * i
        reason = _value(seg, composite, 1)
        if not reason:
            continue
        found.append(
            ProviderAdjustmentData(
                segment=_shown(seg),
                provider_id=provider,
                fiscal_period_end=period,
                reason_code=reason,
                reference=_value(seg, composite, 2),
                amount=_money(seg, composite + 1),
            )
        )
    return found


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
