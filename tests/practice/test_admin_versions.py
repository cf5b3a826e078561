"""The admin's client and session pages carry the row's version like the app's forms
(practice/admin.py ``VersionedAdmin``, docs/concurrent-edits.md)."""

from __future__ import annotations

import pytest
from django.test import Client as Browser
from django.urls import reverse

from practice import roles
from practice.models import Client
from tests import factories
from tests.html_forms import form_data

pytestmark = pytest.mark.django_db


def owner(username: str) -> Browser:
    person = Browser()
    person.force_login(factories.UserFactory(username=username, role=roles.OWNER))
    return person


@pytest.fixture
def person(practice_row):
    client = factories.ClientFactory(phone="2175550101")
    factories.CoverageFactory(client=client)
    factories.DiagnosisFactory(client=client)
    return client


def change_page(browser: Browser, client: Client) -> dict:
    page = browser.get(reverse("admin:practice_client_change", args=[client.pk]))
    assert page.status_code == 200
    return form_data(page.content, form_id="client_form")


def test_an_older_admin_page_cannot_undo_a_new_phone_number(person):
    url = reverse("admin:practice_client_change", args=[person.pk])
    first, second = owner("owner1"), owner("owner2")
    older = change_page(second, person)
    newer = change_page(first, person)
    assert first.post(url, {**newer, "phone": "2175550199"}).status_code == 302

    refused = second.post(url, {**older, "email": "new@example.com"})

    assert refused.status_code == 200
    assert "Phone is now 2175550199, was 2175550101" in refused.content.decode()
    person.refresh_from_db()
    assert (person.phone, person.email) == ("2175550199", "")
    again = form_data(refused.content, form_id="client_form")
    assert second.post(url, {**again, "phone": "2175550199"}).status_code == 302
    person.refresh_from_db()
    assert person.email == "new@example.com"


def test_an_admin_page_leaves_alone_the_coverage_it_did_not_change(person):
    url = reverse("admin:practice_client_change", args=[person.pk])
    older = change_page(owner("owner1"), person)
    coverage = person.coverages.get()
    coverage.copay = "45.00"
    coverage.save()

    response = owner("owner2").post(url, {**older, "phone": "2175550123"})

    assert response.status_code == 302
    coverage.refresh_from_db()
    person.refresh_from_db()
    assert (str(coverage.copay), person.phone) == ("45.00", "2175550123")


def test_reverting_to_an_earlier_record_writes_over_the_current_version(person):
    first = person.history.earliest()
    person.phone = "2175550199"
    person.save()
    browser = owner("owner1")
    revert = reverse("admin:practice_client_simple_history", args=[person.pk, first.pk])
    page = browser.get(revert)
    assert page.status_code == 200

    response = browser.post(revert, form_data(page.content, form_id="historicalclient_form"))

    assert response.status_code == 302
    person.refresh_from_db()
    assert person.phone == "2175550101"
