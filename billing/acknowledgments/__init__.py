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

The package: ``codes`` (the code tables in words), ``parsing`` (reading a file, no
database), ``importing`` (matching and recording). Import from
``billing.acknowledgments``.
"""

from billing.acknowledgments.codes import (
    ACCEPTING,
    CATEGORIES,
    ELEMENT_ERRORS,
    ENTITIES,
    REJECTING_CATEGORIES,
    SEGMENT_ERRORS,
    SET_ERRORS,
    STATUSES,
    VERDICTS,
)
from billing.acknowledgments.importing import (
    NOTE_LENGTH,
    OUR_BHT03,
    ImportResult,
    acknowledgment_import,
)
from billing.acknowledgments.parsing import (
    GUIDE_277CA,
    GUIDE_999,
    AcknowledgmentError,
    ClaimStatus,
    ElementError,
    GroupAnswer,
    Parsed,
    SegmentError,
    SetAnswer,
    parse_acknowledgment,
)

__all__ = [
    "ACCEPTING",
    "CATEGORIES",
    "ELEMENT_ERRORS",
    "ENTITIES",
    "GUIDE_277CA",
    "GUIDE_999",
    "NOTE_LENGTH",
    "OUR_BHT03",
    "REJECTING_CATEGORIES",
    "SEGMENT_ERRORS",
    "SET_ERRORS",
    "STATUSES",
    "VERDICTS",
    "AcknowledgmentError",
    "ClaimStatus",
    "ElementError",
    "GroupAnswer",
    "ImportResult",
    "Parsed",
    "SegmentError",
    "SetAnswer",
    "acknowledgment_import",
    "parse_acknowledgment",
]
