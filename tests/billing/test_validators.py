"""Tests for billing.validators: identifiers and codes on a claim (docs/rules/identifiers.md).

Valid NPIs are checked against a Luhn written out here, independently of the module's.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from billing.models import DiagnosisCode, validate_icd10_billable
from billing.validators import (
    npi_check_digit,
    validate_ein,
    validate_icd10_format,
    validate_member_id,
    validate_modifier,
    validate_npi,
    validate_procedure_code,
    validate_ssn,
    validate_tax_id,
    validate_taxonomy,
)

pytestmark = pytest.mark.django_db

NPI_FORMAT = "An NPI is 10 digits starting with 1 or 2 (for example 1234567893)."
NPI_CHECK = "This NPI's last digit does not match its check digit; please check for a typo."


def _luhn_valid(digits: str) -> bool:
    """Textbook Luhn: from the right, double every second digit; the sum ends in 0."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def _message(validator, *args) -> str:
    with pytest.raises(ValidationError) as caught:
        validator(*args)
    return caught.value.messages[0]


# --- NPI (docs/rules/identifiers.md §1) -----------------------------------------------------------


def test_the_domain_example_npi_is_valid():
    validate_npi("1234567893")


def test_an_npi_whose_check_digit_is_0_is_accepted():
    npi = "100000002" + npi_check_digit("100000002")

    assert npi == "1000000020"
    assert _luhn_valid("80840" + npi)
    validate_npi(npi)


def test_an_organization_npi_starting_with_2_is_accepted():
    nine = "212345678"
    validate_npi(nine + npi_check_digit(nine))


@pytest.mark.parametrize(
    "value, message",
    [
        ("1234567890", NPI_CHECK),
        ("1234567894", NPI_CHECK),
        ("123456789", NPI_FORMAT),
        ("12345678933", NPI_FORMAT),
        ("3234567893", NPI_FORMAT),
        ("0234567893", NPI_FORMAT),
        ("12345678A3", NPI_FORMAT),
        ("123-456-7893", NPI_FORMAT),
        (" 1234567893", NPI_FORMAT),
        ("1234567893\n", NPI_FORMAT),
        ("1٢34567893", NPI_FORMAT),  # an Arabic-Indic two
        ("", NPI_FORMAT),
    ],
)
def test_a_bad_npi_is_rejected_with_a_message_saying_why(value, message):
    assert _message(validate_npi, value) == message


@given(st.from_regex(r"[12][0-9]{8}", fullmatch=True))
def test_appending_the_check_digit_makes_any_nine_digits_a_valid_npi(nine):
    npi = nine + npi_check_digit(nine)

    validate_npi(npi)
    assert _luhn_valid("80840" + npi)
    for digit in "0123456789".replace(npi[-1], ""):
        with pytest.raises(ValidationError):
            validate_npi(nine + digit)


# --- ICD-10-CM (docs/rules/identifiers.md §4, §5) -------------------------------------------------

ICD10_FORMAT = (
    "Enter an ICD-10-CM code like F41.1 or Z63.0: a letter, two characters, "
    "then a dot and up to four more."
)


@pytest.mark.parametrize(
    "code", ["F41.1", "F43.10", "F32.A", "Z63.0", "U07.1", "F41", "T74.11XA", "QA0.0101"]
)
def test_icd10_codes_written_with_their_dot_have_a_valid_format(code):
    validate_icd10_format(code)


@pytest.mark.parametrize(
    "code",
    ["f41.1", "F4", "F41.", "F41.12345", "41.1", "F411", "F41 .1", "F41.1\n", "", "F41-F48"],
)
def test_badly_written_icd10_codes_are_rejected(code):
    assert _message(validate_icd10_format, code) == ICD10_FORMAT


@pytest.mark.parametrize("code", ["F41.1", "F43.10", "F32.A", "Z63.0"])
def test_the_most_specific_codes_are_billable(code):
    validate_icd10_billable(code)


@pytest.mark.parametrize("code", ["F41", "F43.1"])
def test_a_category_is_not_billable_and_the_message_says_so(code):
    message = _message(validate_icd10_billable, code)

    assert message == (
        f"{code} is a category, not a billable code; choose a more specific code under {code}."
    )


def test_a_well_formed_code_missing_from_the_catalog_is_rejected():
    assert _message(validate_icd10_billable, "F41.7") == ("F41.7 is not in the ICD-10-CM catalog.")


def test_an_inactive_code_is_rejected():
    DiagnosisCode.objects.filter(code="F41.1").update(active=False)

    assert _message(validate_icd10_billable, "F41.1") == "F41.1 is no longer a valid code."


def test_billability_checks_the_format_first():
    assert _message(validate_icd10_billable, "f41.1") == ICD10_FORMAT


# --- CPT / HCPCS and modifiers (docs/rules/identifiers.md §7) -------------------------------------

PROCEDURE_FORMAT = (
    "A procedure code is a 5-character CPT code (e.g. 90834) or a HCPCS code "
    "(a letter and four digits, e.g. H0004)."
)
MODIFIER_FORMAT = "A modifier is two capital letters or digits, such as 95 or HO."


@pytest.mark.parametrize("code", ["90834", "0362T", "99213", "H0004", "G0444"])
def test_cpt_and_hcpcs_codes_are_accepted(code):
    validate_procedure_code(code)


@pytest.mark.parametrize("code", ["9083", "908345", "A123", "h0004", "9083X", "W1234", "90834\n"])
def test_badly_written_procedure_codes_are_rejected(code):
    assert _message(validate_procedure_code, code) == PROCEDURE_FORMAT


@pytest.mark.parametrize("modifier", ["95", "HO", "GT", "25", "XE"])
def test_two_character_modifiers_are_accepted(modifier):
    validate_modifier(modifier)


@pytest.mark.parametrize("modifier", ["9", "955", "ho", "", "9 ", "H-"])
def test_badly_written_modifiers_are_rejected(modifier):
    assert _message(validate_modifier, modifier) == MODIFIER_FORMAT


# --- tax ids (docs/rules/identifiers.md §2) -------------------------------------------------------


def test_an_ein_written_with_its_hyphen_is_accepted():
    validate_ein("12-3456789")


@pytest.mark.parametrize("value", ["123456789", "00-1234567", "123-456789", "12-345678", ""])
def test_a_badly_written_ein_is_rejected(value):
    assert _message(validate_ein, value) == "An EIN is written 12-3456789."


def test_an_ssn_written_with_its_hyphens_is_accepted():
    validate_ssn("123-45-6789")


@pytest.mark.parametrize("value", ["123456789", "12-345-6789", "123-45-678", ""])
def test_a_badly_written_ssn_is_rejected(value):
    assert _message(validate_ssn, value) == "An SSN is written 123-45-6789."


@pytest.mark.parametrize(
    "value",
    ["000-12-3456", "666-12-3456", "900-12-3456", "999-12-3456", "123-00-1234", "123-45-0000"],
)
def test_an_ssn_number_that_is_never_issued_is_rejected(value):
    assert _message(validate_ssn, value) == "This is not a valid SSN."


@pytest.mark.parametrize(
    "value, kind, message",
    [
        ("123-45-6789", "EIN", "An EIN is written 12-3456789."),
        ("12-3456789", "SSN", "An SSN is written 123-45-6789."),
    ],
)
def test_a_tax_id_is_checked_as_the_kind_it_is_declared(value, kind, message):
    assert _message(validate_tax_id, value, kind) == message


# --- taxonomy and member id (docs/rules/identifiers.md §3, §8) ------------------------------------


@pytest.mark.parametrize(
    "code", ["103T00000X", "103TC0700X", "1041C0700X", "101YP2500X", "101YM0800X", "106H00000X"]
)
def test_the_domain_taxonomy_codes_are_accepted(code):
    validate_taxonomy(code)


@pytest.mark.parametrize(
    "code", ["103T00000", "103t00000x", "103T00000Y", "103T000000X", "ABCT00000X"]
)
def test_badly_written_taxonomy_codes_are_rejected(code):
    assert _message(validate_taxonomy, code) == (
        "A taxonomy code is 10 characters ending in X, such as 103T00000X."
    )


@pytest.mark.parametrize("value", ["XYZ123456789", "W123-456", "a1b2c3"])
def test_member_ids_of_letters_digits_and_hyphens_are_accepted(value):
    validate_member_id(value)


@pytest.mark.parametrize(
    "value", ["XYZ 123", "XYZ*123", "XYZ~123", "XYZ:123", "XYZ^123", "", "X" * 81, "Zoë123"]
)
def test_member_ids_with_spaces_or_x12_delimiters_are_rejected(value):
    assert _message(validate_member_id, value) == (
        "A member id may hold only letters, digits and hyphens (no spaces or symbols)."
    )
