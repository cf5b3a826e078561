"""The biller's "Send claims" page, the batch list and the batch download."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from billing.models import Batch, Claim
from billing.services import claims_build
from billing.submission import claims_send, sendable_claims
from practice.models import AccessEvent
from tests import factories
from tests.billing.test_scrubber import ready_session
from tests.x12 import assert_valid_837

pytestmark = pytest.mark.django_db

SEND = reverse("billing:send_claims")
BATCHES = reverse("billing:batch_list")


@pytest.fixture(autouse=True)
def _today(time_machine):
    time_machine.move_to(datetime.datetime(2026, 10, 12, 15, 0, tzinfo=datetime.UTC), tick=False)


@pytest.fixture
def setup(practice_row):
    factories.ClearinghouseFactory()
    payer = factories.PayerFactory(name="Acme Health")
    for _ in range(2):
        ready_session(factories.CoverageFactory(payer=payer).client)
    claims = claims_build().claims
    Claim.objects.filter(pk__in=[c.pk for c in claims]).update(status=Claim.Status.READY)
    return payer


def test_the_page_lists_payers_with_their_waiting_claims(biller, setup):
    response = biller.get(SEND)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Acme Health" in html
    assert "Clearwater Claims" in html
    assert 'style="' not in html and "<script>" not in html


def test_checking_payers_shows_the_files_and_the_claims_held_back(biller, setup):
    broken = Claim.objects.order_by("pk").first()
    broken.parties["billing"]["zip_code"] = "62701"
    broken.save(update_fields=["parties"])
    response = biller.get(SEND, {"payers": [setup.pk]})
    assert response.status_code == 200
    plan = response.context["plan"]
    assert [len(f.claims) for f in plan.files] == [1]
    ((held, _reasons),) = plan.held
    assert held == broken
    assert "needs all nine digits" in response.content.decode()
    assert not Batch.objects.exists()  # a preview sends nothing


def test_no_payer_chosen_is_a_400_with_the_message_by_the_field(biller, setup):
    response = biller.get(SEND, {"include_drafts": "on"})
    assert response.status_code == 400
    assert "Pick at least one payer." in response.content.decode()


def test_sending_makes_a_batch_marks_claims_submitted_and_lists_it(biller, setup, biller_user):
    response = biller.post(SEND, {"payers": [setup.pk]})
    assert response.status_code == 302
    assert response["Location"] == BATCHES
    batch = Batch.objects.get()
    assert batch.created_by == biller_user
    assert set(Claim.objects.values_list("status", flat=True)) == {Claim.Status.SUBMITTED}
    assert_valid_837(batch.text)
    listing = biller.get(BATCHES)
    assert batch.file_name in listing.content.decode()


def test_a_batch_sent_by_the_command_lists_command_as_its_sender(biller, setup):
    """`manage.py send_claims` makes batches with no user; the list said so with a 500."""
    claims_send(claims=sendable_claims(), user=None)
    response = biller.get(BATCHES)
    assert response.status_code == 200
    assert ">command</td>" in response.content.decode()


def test_sending_again_finds_nothing_left(biller, setup):
    biller.post(SEND, {"payers": [setup.pk]})
    response = biller.post(SEND, {"payers": [setup.pk]})
    assert response.status_code == 200
    assert "Nothing was sent" in response.content.decode()
    assert Batch.objects.count() == 1


def test_a_download_is_the_exact_file_never_cached_and_audited(biller, setup):
    biller.post(SEND, {"payers": [setup.pk]})
    batch = Batch.objects.get()
    response = biller.get(reverse("billing:batch_download", args=[batch.pk]))
    assert response.status_code == 200
    assert response.content.decode() == batch.text
    assert "no-store" in response["Cache-Control"]
    assert f'filename="{batch.file_name}"' in response["Content-Disposition"]
    event = AccessEvent.objects.get(what="837P file")
    assert event.client_count == 2


def test_an_unknown_batch_is_a_404(biller, db):
    assert biller.get(reverse("billing:batch_download", args=[999])).status_code == 404


@pytest.mark.parametrize("url", [SEND, BATCHES])
def test_clinicians_may_not_send_or_see_batches(client, clinician_user, url):
    client.force_login(clinician_user)
    assert client.get(url).status_code == 403


def test_clinicians_may_not_download_a_batch(client, clinician_user, biller, setup):
    biller.post(SEND, {"payers": [setup.pk]})
    client.force_login(clinician_user)
    batch = Batch.objects.get()
    assert client.get(reverse("billing:batch_download", args=[batch.pk])).status_code == 403


@pytest.mark.parametrize("batches", [1, 12])
def test_the_batch_list_runs_the_same_queries_for_1_or_12_batches(
    biller, practice_row, django_assert_max_num_queries, batches
):
    factories.ClearinghouseFactory()
    for _ in range(batches):
        payer = factories.PayerFactory()
        ready_session(factories.CoverageFactory(payer=payer).client)
        (claim,) = claims_build().claims
        Claim.objects.filter(pk=claim.pk).update(status=Claim.Status.READY)
        biller.post(SEND, {"payers": [payer.pk]})
    biller.get(BATCHES)  # warm the session
    # the login session, the user, the user's roles, the menu's clinician row, the count
    # for the pager, one page of batches (payer, clearinghouse, creator joined in), the
    # session save, the request's savepoints (ATOMIC_REQUESTS), and the page's 999
    # verdicts and 277CA counts (one query each): none per batch.
    with django_assert_max_num_queries(14):
        response = biller.get(BATCHES)
    assert len(response.context["batches"]) == batches
