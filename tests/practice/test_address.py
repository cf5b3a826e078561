"""One declaration of a postal address (``Address`` in practice/common.py), shared by
practices, locations, clients, coverages and payers. New input is held to what a claim
prints (55 characters a street line, 30 the city: 837P N3/N4), with the message beside
the field; the columns are wide enough to keep a payer's longer address saved before."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from billing.models import Payer
from practice.models import Client, Coverage, Location, Practice
from tests import factories
from tests.practice.test_clients import _edit_data

pytestmark = pytest.mark.django_db

STREET_56 = "1234 North Lake Shore Drive Apartment 5600 Building West"
CITY_31 = "Rancho Santa Margarita Heights."


def test_the_lengths_are_what_a_claim_prints():
    assert (len(STREET_56), len(CITY_31)) == (56, 31)


def test_a_client_street_longer_than_a_claim_prints_is_refused_beside_the_field(client, clinician):
    someone = factories.ClientFactory(primary_clinician=clinician)
    client.force_login(clinician.user)
    data = _edit_data(someone, address_line1=STREET_56, city=CITY_31)

    response = client.post(reverse("practice:client_edit", args=[someone.pk]), data)

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "at most 55 characters" in errors["address_line1"][0]
    assert "at most 30 characters" in errors["city"][0]
    someone.refresh_from_db()
    assert someone.address_line1 != STREET_56


@pytest.mark.parametrize("model", [Practice, Location, Client, Coverage, Payer])
def test_every_address_holds_new_input_to_the_printed_lengths(model):
    for name, value, limit in (
        ("address_line1", STREET_56, 55),
        ("address_line2", STREET_56, 55),
        ("city", CITY_31, 30),
    ):
        field = model._meta.get_field(name)
        with pytest.raises(ValidationError, match=f"at most {limit} characters"):
            field.clean(value, None)
        assert field.clean(value[:limit], None) == value[:limit]


def test_a_payer_address_saved_before_is_kept_whole(practice_row):
    payer = factories.PayerFactory()
    street, city = "9" * 100, "C" * 60  # the widths the payer's columns always had
    Payer.objects.filter(pk=payer.pk).update(address_line1=street, address_line2=street, city=city)
    payer.refresh_from_db()
    assert (payer.address_line1, payer.address_line2, payer.city) == (street, street, city)
