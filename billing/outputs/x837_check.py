"""Checks on a finished 837P file that a syntax validator (pyx12) does not make.

pyx12 checks each segment against the 005010X222A1 implementation guide; it does not
check NPI check digits, that a claim's total is the sum of its lines, that diagnosis
pointers point at a diagnosis, 9-digit ZIPs for the billing provider and service
facility, or that claim numbers are unique. ``check_837p`` returns those problems, one
sentence each (an empty list when the file is sound). The export runs it on every file
before saving the batch, and the test suite on every file it makes.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError

from billing.validators import validate_npi
from practice.common import MAX_DIAGNOSES, MAX_POINTERS

ISA_LENGTH = 106


def _segments(text: str) -> list[list[str]]:
    return [s.strip().split("*") for s in text.split("~") if s.strip()]


def _decimal(value: str) -> Decimal | None:
    try:
        return Decimal(value)
    except InvalidOperation:
        return None


# One pass over the segments with one branch per segment tag, in file order.
def check_837p(text: str) -> list[str]:  # noqa: C901
    """Problems in an 837P file that pyx12 does not report (see the module docstring)."""
    problems: list[str] = []
    stripped = text.lstrip()
    isa_end = stripped.find("~")
    if not stripped.startswith("ISA") or isa_end + 1 != ISA_LENGTH:
        problems.append(f"The ISA segment is {isa_end + 1} characters long, not {ISA_LENGTH}.")
    segments = _segments(text)
    claim_numbers: set[str] = set()
    transaction_count = 0
    st_index = None
    isa13 = segments[0][13] if segments and len(segments[0]) > 13 else ""
    gs06 = ""
    claim: dict | None = None
    last_nm1 = ""

    def close_claim() -> None:
        if claim is None:
            return
        if claim["lines"] != claim["total"]:
            problems.append(
                f"Claim {claim['id']}: CLM02 {claim['total']} is not the sum of its lines "
                f"({claim['lines']})."
            )

    for index, seg in enumerate(segments):
        tag = seg[0]
        if tag == "GS":
            gs06 = seg[6] if len(seg) > 6 else ""
        elif tag == "ST":
            st_index = index
            transaction_count += 1
        elif tag == "SE":
            close_claim()
            claim = None
            counted = index - (st_index or 0) + 1
            if seg[1] != str(counted):
                problems.append(f"SE01 says {seg[1]} segments; the transaction has {counted}.")
            if st_index is not None and seg[2] != segments[st_index][2]:
                problems.append("SE02 does not repeat ST02.")
        elif tag == "GE":
            if seg[1] != str(transaction_count) or seg[2] != gs06:
                problems.append("GE does not match its group (count of ST, GS06).")
        elif tag == "IEA":
            if seg[2] != isa13:
                problems.append("IEA02 does not repeat ISA13.")
        elif tag == "NM1":
            last_nm1 = seg[1]
            if len(seg) > 9 and seg[8] == "XX":
                try:
                    validate_npi(seg[9])
                except ValidationError:
                    problems.append(f"NM1*{seg[1]} carries NPI {seg[9]} with a bad check digit.")
        elif tag == "N4" and last_nm1 in {"85", "77"}:
            zip_code = seg[3] if len(seg) > 3 else ""
            if not (len(zip_code) == 9 and zip_code.isdigit()):
                role = "billing provider" if last_nm1 == "85" else "service facility"
                problems.append(f"The {role} ZIP {zip_code!r} is not 9 digits.")
        elif tag == "CLM":
            close_claim()
            if seg[1] in claim_numbers:
                problems.append(f"Claim number {seg[1]} appears twice (CLM01).")
            claim_numbers.add(seg[1])
            claim = {"id": seg[1], "total": _decimal(seg[2]), "lines": Decimal(0), "dx": 0}
        elif tag == "HI" and claim is not None:
            codes = [element.split(":")[1] for element in seg[1:] if ":" in element]
            claim["dx"] = len(codes)
            if len(codes) > MAX_DIAGNOSES:
                problems.append(f"Claim {claim['id']} has {len(codes)} diagnoses; at most 12.")
            for code in codes:
                if "." in code:
                    problems.append(f"Claim {claim['id']}: diagnosis {code} carries a dot.")
        elif tag == "SV1" and claim is not None:
            charge = _decimal(seg[2]) if len(seg) > 2 else None
            claim["lines"] += charge or Decimal(0)
            pointers = seg[7].split(":") if len(seg) > 7 and seg[7] else []
            if not 1 <= len(pointers) <= MAX_POINTERS:
                problems.append(f"Claim {claim['id']}: a line has {len(pointers)} pointers.")
            for pointer in pointers:
                if not pointer.isdigit() or not 1 <= int(pointer) <= claim["dx"]:
                    problems.append(
                        f"Claim {claim['id']}: pointer {pointer} is outside its "
                        f"{claim['dx']} diagnoses."
                    )
    return problems
