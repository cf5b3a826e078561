"""Format and check-digit rules for the identifiers on a claim.

Each validator raises ``django.core.exceptions.ValidationError`` with a message a therapist
or biller understands. They are used by model fields and forms alike, so a bad NPI is
refused wherever it is typed. Each rule is explained, with its primary source, in
docs/rules/identifiers.md.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError

# Patterns end in \Z, not $: "$" also matches before a trailing newline, which would let
# "90834\n" into a claim. re.ASCII keeps \d to 0-9 (not other scripts' digits).
NPI_RE = re.compile(r"^[12]\d{9}\Z", re.ASCII)
# docs/rules/identifiers.md §4: a letter, two characters, then optionally a dot and up to four more.
# The second character may be a letter too: FY2026 added QA0.0101 and its siblings.
ICD10_RE = re.compile(r"^[A-Z][0-9A-Z]{2}(\.[0-9A-Z]{1,4})?\Z")
CPT_RE = re.compile(r"^\d{4}[0-9FTU]\Z", re.ASCII)
HCPCS_RE = re.compile(r"^[A-V]\d{4}\Z", re.ASCII)
MODIFIER_RE = re.compile(r"^[0-9A-Z]{2}\Z")
EIN_RE = re.compile(r"^\d{2}-\d{7}\Z", re.ASCII)
SSN_RE = re.compile(r"^\d{3}-\d{2}-\d{4}\Z", re.ASCII)
TAXONOMY_RE = re.compile(r"^\d{3}[0-9A-Z]{6}X\Z", re.ASCII)
# X12 basic character set, minus the characters we use as delimiters (* ~ : ^).
MEMBER_ID_RE = re.compile(r"^[A-Za-z0-9-]{1,80}\Z")


def luhn_checksum(digits: str) -> int:
    """Luhn sum mod 10 over a string of digits (the last digit counts as a payload digit)."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10


def npi_check_digit(first_nine: str) -> str:
    """The NPI check digit: Luhn over "80840" + the first nine digits (docs/rules/identifiers.md
    §1)."""
    return str((10 - luhn_checksum("80840" + first_nine)) % 10)


def validate_npi(value: str) -> None:
    """docs/rules/identifiers.md §1: 10 digits, first digit 1 or 2, Luhn check digit with prefix
    80840."""
    value = value or ""
    if not NPI_RE.match(value):
        raise ValidationError(
            "An NPI is 10 digits starting with 1 or 2 (for example 1234567893).",
            code="npi_format",
        )
    if npi_check_digit(value[:9]) != value[9]:
        raise ValidationError(
            "This NPI's last digit does not match its check digit; please check for a typo.",
            code="npi_check_digit",
        )


def validate_icd10_format(value: str) -> None:
    """docs/rules/identifiers.md §4: ICD-10-CM code written with its dot, e.g. F41.1, F43.10,
    F32.A."""
    if not ICD10_RE.match(value or ""):
        raise ValidationError(
            "Enter an ICD-10-CM code like F41.1 or Z63.0: a letter, two characters, "
            "then a dot and up to four more.",
            code="icd10_format",
        )


def validate_procedure_code(value: str) -> None:
    """docs/rules/identifiers.md §7: CPT is five characters (digits, or four digits and F/T/U);
    HCPCS Level II is a letter and four digits."""
    if not (CPT_RE.match(value or "") or HCPCS_RE.match(value or "")):
        raise ValidationError(
            "A procedure code is a 5-character CPT code (e.g. 90834) or a HCPCS code "
            "(a letter and four digits, e.g. H0004).",
            code="procedure_code_format",
        )


def validate_modifier(value: str) -> None:
    """docs/rules/identifiers.md §7: a modifier is two letters or digits (95, GT, HO, 25)."""
    if not MODIFIER_RE.match(value or ""):
        raise ValidationError(
            "A modifier is two capital letters or digits, such as 95 or HO.",
            code="modifier_format",
        )


def validate_ein(value: str) -> None:
    """docs/rules/identifiers.md §2: an EIN is written NN-NNNNNNN."""
    if not EIN_RE.match(value or "") or value.replace("-", "").startswith("00"):
        raise ValidationError("An EIN is written 12-3456789.", code="ein_format")


def validate_ssn(value: str) -> None:
    """docs/rules/identifiers.md §2: an SSN is written NNN-NN-NNNN; area 000, 666 and 9xx do not
    exist."""
    if not SSN_RE.match(value or ""):
        raise ValidationError("An SSN is written 123-45-6789.", code="ssn_format")
    area, group, serial = value.split("-")
    if area in {"000", "666"} or area.startswith("9") or group == "00" or serial == "0000":
        raise ValidationError("This is not a valid SSN.", code="ssn_invalid")


def validate_tax_id(value: str, kind: str) -> None:
    """Tax id by its declared kind: ``"EIN"`` or ``"SSN"`` (docs/rules/identifiers.md §2)."""
    if kind == "SSN":
        validate_ssn(value)
    else:
        validate_ein(value)


def validate_taxonomy(value: str) -> None:
    """docs/rules/identifiers.md §3: a NUCC taxonomy code is 10 characters ending in X
    (103T00000X)."""
    if not TAXONOMY_RE.match(value or ""):
        raise ValidationError(
            "A taxonomy code is 10 characters ending in X, such as 103T00000X.",
            code="taxonomy_format",
        )


def validate_member_id(value: str) -> None:
    """Member ids travel in X12 segments: letters, digits and hyphens only."""
    if not MEMBER_ID_RE.match(value or ""):
        raise ValidationError(
            "A member id may hold only letters, digits and hyphens (no spaces or symbols).",
            code="member_id_format",
        )


X12_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 .-]*\Z", re.ASCII)


def validate_x12_id(value: str) -> None:
    """Ids in an X12 envelope (ISA06/ISA08, GS02/GS03, NM109): letters, digits, spaces,
    dots and hyphens, so no separator (``* ~ : ^``) can end up inside one."""
    if not X12_ID_RE.match(value or ""):
        raise ValidationError(
            "Use only letters, digits, spaces, dots and hyphens, starting with a letter or digit.",
            code="x12_id_format",
        )


# docs/rules/claim-forms.md §10: "PO Box 12", "P.O. Box", "P O Box", "POBox", "Post Office
# Box", "Post-Office Box", "P.O.B. 12", in any case. \b keeps "Campo Box Rd" out.
PO_BOX_RE = re.compile(
    r"\b(?:p\.?\s*o\.?\s*b(?:ox\b|\.|\s*\d)|post[\s.-]*office\s*box\b)", re.IGNORECASE
)
ZIP_PLUS4_RE = re.compile(r"^\d{9}\Z", re.ASCII)


def is_po_box(value: str) -> bool:
    """Whether an address line names a post office box (docs/rules/claim-forms.md §10)."""
    return bool(PO_BOX_RE.search(value or ""))


def validate_street_address(value: str) -> None:
    """docs/rules/claim-forms.md §10: the billing provider's address is where it is (NUCC 1500
    item 33; X12 837P loop 2010AA N301), never a post office box."""
    if is_po_box(value):
        raise ValidationError(
            "The billing address must be the practice's street address: payers refuse a PO "
            "box in box 33.",
            code="po_box",
        )


def validate_zip_plus4(value: str) -> None:
    """docs/rules/claim-forms.md §10: the billing provider's ZIP code has all nine digits
    (ZIP+4; X12 837P loop 2010AA N403). ``value`` is stored without its hyphen."""
    if not ZIP_PLUS4_RE.match((value or "").replace("-", "")):
        raise ValidationError(
            "The billing address needs its 9-digit ZIP+4 (for example 62701-1234): "
            "look it up on the USPS site.",
            code="zip_plus4",
        )
