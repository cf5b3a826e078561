"""Scrubber rules for values that would break an 837P file (billing.scrubber x12_text,
x12_addresses, payer_id): each fires on one broken value, names the field, and stays
quiet on a clean claim and for a payer billed on paper."""

from __future__ import annotations

import pytest

from billing.scrubber import ERROR
from tests import factories
from tests.billing.test_scrubber import build, found, ready_session, save_parties

pytestmark = pytest.mark.django_db


@pytest.fixture
def claim(practice_row):
    ready_session(factories.CoverageFactory().client)
    return build()


def paper_only(claim):
    claim.payer.accepts_electronic_claims = False
    claim.payer.save(update_fields=["accepts_electronic_claims"])


def test_the_x12_rules_are_quiet_on_a_clean_claim(claim):
    assert found(claim, "x12_text") == []
    assert found(claim, "x12_addresses") == []
    assert found(claim, "payer_id") == []


def test_a_separator_in_the_patients_name_is_an_error_naming_the_field(claim):
    save_parties(claim, "patient", last_name="Smith~Jones")
    (problem,) = found(claim, "x12_text")
    assert problem.severity == ERROR
    assert problem.message.startswith("Patient last name “Smith~Jones” contains ~")


@pytest.mark.parametrize("separator", ["*", ":", "^", "~"])
def test_every_separator_in_an_address_is_an_error(claim, separator):
    save_parties(claim, "subscriber", address_line1=f"9 Elm St {separator} Apt 2")
    (problem,) = found(claim, "x12_text")
    assert problem.message.startswith("Subscriber address")
    assert f"contains {separator}" in problem.message


def test_a_billing_name_longer_than_the_element_is_an_error(claim):
    save_parties(claim, "billing", name="R" * 61)
    (problem,) = found(claim, "x12_text")
    assert "is 61 characters long; the 837P allows 60" in problem.message


def test_an_accented_name_is_fine_because_it_is_transliterated(claim):
    save_parties(claim, "patient", last_name="Nguyễn", first_name="Zoë")
    assert found(claim, "x12_text") == []


def test_a_five_digit_billing_zip_is_an_error_for_electronic_claims(claim):
    save_parties(claim, "billing", zip_code="62701")
    (problem,) = found(claim, "x12_addresses")
    assert "billing provider's ZIP code 62701 needs all nine digits" in problem.message


def test_a_service_facility_needs_zip_plus_four_too(claim):
    claim.parties["facility"] = {
        "name": "North",
        "npi": "",
        "address_line1": "5 North Rd",
        "city": "Springfield",
        "state": "IL",
        "zip_code": "62703",
    }
    claim.save(update_fields=["parties"])
    (problem,) = found(claim, "x12_addresses")
    assert "service facility's ZIP code" in problem.message


def test_a_patient_without_an_address_is_an_error(claim):
    save_parties(claim, "patient", address_line1="", city="", zip_code="")
    problems = found(claim, "x12_addresses")
    assert "The patient's street address, city is missing." in [p.message for p in problems]


def test_a_payer_without_an_electronic_id_is_an_error(claim):
    claim.payer.payer_id = ""
    claim.payer.save(update_fields=["payer_id"])
    save_parties(claim, "payer", payer_id="")
    (problem,) = found(claim, "payer_id")
    assert "has no electronic payer id" in problem.message


def test_a_payer_id_added_after_the_claim_was_built_is_used(claim):
    save_parties(claim, "payer", payer_id="")
    assert found(claim, "payer_id") == []


def test_a_paper_only_payer_skips_every_x12_rule(claim):
    save_parties(claim, "patient", last_name="Smith*Jones")
    save_parties(claim, "billing", zip_code="62701")
    claim.payer.payer_id = ""
    claim.payer.save(update_fields=["payer_id"])
    save_parties(claim, "payer", payer_id="")
    paper_only(claim)
    assert found(claim, "x12_text") == []
    assert found(claim, "x12_addresses") == []
    assert found(claim, "payer_id") == []
