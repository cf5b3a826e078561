"""No lost updates for claim actions (billing/services.py ``_locked``): an action posted
from a claim page read before someone else acted on the claim is refused, says what
changed, who and when, and moves nothing."""

from __future__ import annotations

import re

import pytest
from django.contrib.messages import get_messages
from django.test import Client as Browser
from django.urls import reverse

from billing.models import Claim
from billing.services import ClaimChanged, claim_correct, claim_submit, claim_void
from practice import roles
from practice.models import Session
from practice.services import session_set_status
from practice.versions import StaleEdit
from tests import factories
from tests.billing.test_claim_views import NOW, built_claim
from tests.html_forms import form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def frozen(time_machine):
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def insured(practice_row):
    return factories.CoverageFactory().client


def billing_browser(first: str, last: str) -> Browser:
    user = factories.UserFactory(role=roles.BILLER, first_name=first, last_name=last)
    person = Browser()
    person.force_login(user)
    return person


@pytest.fixture
def ann():
    return billing_browser("Ann", "Able")


@pytest.fixture
def bob():
    return billing_browser("Bob", "Baker")


def action_form(person: Browser, claim: Claim, action: str) -> tuple[str, dict]:
    """The URL and fields of one action's form on the claim page, as the page shows it."""
    page = person.get(reverse("billing:claim_detail", args=[claim.pk])).content.decode()
    url = reverse(f"billing:{action}", args=[claim.pk])
    form = page[page.rindex("<form", 0, page.index(f'action="{url}"')) :]
    return url, form_data(form)


def texts(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def action_forms(person: Browser, claim: Claim) -> dict[str, dict]:
    """Every form on the claim page that posts to one of the claim's own URLs (its
    actions, whatever they are), by action URL."""
    page = person.get(reverse("billing:claim_detail", args=[claim.pk])).content.decode()
    prefix = reverse("billing:claim_detail", args=[claim.pk])
    starts = [m.start() for m in re.finditer(r"<form\b", page)]
    forms = {}
    for start in starts:
        action = re.match(r'<form[^>]*action="([^"]*)"', page[start:])
        if action and action[1].startswith(prefix) and "post" in page[start : start + 200]:
            forms[action[1]] = form_data(page[start:])
    return forms


@pytest.mark.parametrize("state", ["draft", "sent", "correcting"])
def test_every_action_on_the_claim_page_carries_the_claims_version(ann, insured, frozen, state):
    claim = built_claim(insured)
    if state != "draft":
        claim = claim_submit(claim=claim)
    if state == "correcting":
        claim = claim_correct(claim=claim, reason="wrong code", payer_claim_number="P-1")
    forms = action_forms(ann, claim)
    assert len(forms) >= 2
    assert {url: fields.get("version") for url, fields in forms.items()} == {
        url: str(claim.version) for url in forms
    }


def test_a_second_void_from_a_page_read_before_the_first_is_refused(ann, bob, insured, frozen):
    claim = claim_submit(claim=built_claim(insured))
    url, anns = action_form(ann, claim, "claim_void")
    _, bobs = action_form(bob, claim, "claim_void")
    assert ann.post(url, {**anns, "reason": "Wrong payer"}).status_code == 302

    response = bob.post(url, {**bobs, "reason": "Duplicate"})

    assert response.status_code == 302
    (message,) = texts(response)
    assert message.startswith(f"Claim {claim.control_number} was not voided. ")
    assert "Status is now Void, was Submitted (by Ann Able" in message
    claim.refresh_from_db()
    assert (claim.status, claim.status_note) == (Claim.Status.VOID, "Wrong payer")
    assert Claim.objects.filter(frequency=Claim.Frequency.VOID).count() == 1


def test_discarding_from_a_page_read_before_the_claim_was_submitted_is_refused(
    ann, bob, insured, frozen
):
    """Bob saw an unsent draft; since then Ann sent it. Discarding it now would drop a
    claim the payer has."""
    claim = built_claim(insured)
    url, bobs = action_form(bob, claim, "claim_discard")
    submit_url, anns = action_form(ann, claim, "claim_submit")
    assert ann.post(submit_url, anns).status_code == 302

    response = bob.post(url, {**bobs, "reason": "Not needed"})

    (message,) = texts(response)
    assert "Status is now Submitted, was Draft (by Ann Able" in message
    claim.refresh_from_db()
    assert claim.status == Claim.Status.SUBMITTED
    assert Claim.objects.count() == 1
    assert set(Session.objects.values_list("status", flat=True)) == {Session.Status.BILLED}


def test_correcting_from_a_page_read_before_a_void_is_refused(ann, bob, insured, frozen):
    claim = claim_submit(claim=built_claim(insured))
    correct_url, bobs = action_form(bob, claim, "claim_correct")
    void_url, anns = action_form(ann, claim, "claim_void")
    ann.post(void_url, {**anns, "reason": "Wrong payer"})

    response = bob.post(correct_url, {**bobs, "reason": "Wrong code", "payer_claim_number": "P"})

    (message,) = texts(response)
    assert message.startswith(f"Claim {claim.control_number} was not opened for correction. ")
    assert "Status is now Void" in message
    claim.refresh_from_db()
    assert claim.status == Claim.Status.VOID


def test_replacing_from_a_page_read_before_a_void_is_refused(ann, bob, insured, frozen):
    claim = claim_submit(claim=built_claim(insured))
    claim_correct(claim=claim, reason="wrong code", payer_claim_number="P-1")
    replace_url, bobs = action_form(bob, claim, "claim_replace")
    void_url, anns = action_form(ann, claim, "claim_void")
    ann.post(void_url, {**anns, "reason": "Wrong payer"})

    response = bob.post(replace_url, bobs)

    (message,) = texts(response)
    assert message.startswith(f"Claim {claim.control_number} was not replaced. ")
    assert "Status is now Void" in message
    assert not Claim.objects.filter(frequency=Claim.Frequency.REPLACEMENT).exists()


def test_an_action_with_the_current_version_goes_through(ann, insured, frozen):
    claim = built_claim(insured)
    url, fields = action_form(ann, claim, "claim_mark_ready")
    assert fields["version"] == str(claim.version)

    response = ann.post(url, fields)

    assert texts(response) == [f"Claim {claim.control_number} is ready to submit."]
    claim.refresh_from_db()
    assert claim.status == Claim.Status.READY
    assert claim.version == int(fields["version"]) + 1


@pytest.mark.parametrize("version", ["abc", "²", "-3", ""])
def test_a_damaged_version_is_checked_against_the_claim_as_it_is(ann, insured, frozen, version):
    claim = built_claim(insured)
    url, fields = action_form(ann, claim, "claim_mark_ready")
    response = ann.post(url, {**fields, "version": version})
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.status == Claim.Status.READY


def test_the_service_refuses_a_claim_read_at_an_older_version(insured, frozen):
    claim = claim_submit(claim=built_claim(insured))
    seen = Claim.objects.get(pk=claim.pk)
    seen.read_version = claim.version - 1  # read before it was submitted

    with pytest.raises(ClaimChanged, match="Status is now Submitted, was Draft"):
        claim_void(claim=seen, reason="Wrong payer")

    claim.refresh_from_db()
    assert claim.status == Claim.Status.SUBMITTED


def test_building_a_claim_moves_its_sessions_version_so_older_session_pages_are_refused(
    insured, frozen
):
    claim = built_claim(insured)
    session = Session.objects.get()
    read_at = session.history.earliest("history_date").version
    assert session.version > read_at
    claim_void(claim=claim_submit(claim=claim), reason="Wrong payer")  # ready again
    session.refresh_from_db()
    stale = Session.objects.get(pk=session.pk)
    stale.version = read_at

    with pytest.raises(StaleEdit):
        session_set_status(session=stale, status=Session.Status.DRAFT, user=None)
    session.refresh_from_db()
    assert session.status == Session.Status.READY
