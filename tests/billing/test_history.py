"""Change history of bulk workflows: building, voiding and replacing claims write a
history row per object with the acting user, in a fixed number of statements a batch."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from billing.models import Claim, ClaimLine
from billing.services import (
    claim_correct,
    claim_discard,
    claim_replace,
    claim_submit,
    claim_void,
    claims_build,
)
from practice.models import Session
from tests import factories
from tests.billing.test_services import ready_session

pytestmark = pytest.mark.django_db

RECENT = timezone.localdate() - datetime.timedelta(days=3)


@pytest.fixture
def insured(practice_row):
    return factories.CoverageFactory().client


def _latest(obj):
    return obj.history.order_by("-history_id").first()


def test_building_a_claim_records_each_session_billed_by_the_biller(insured, biller_user):
    sessions = [
        ready_session(insured, date=RECENT - datetime.timedelta(days=7 * n)) for n in range(3)
    ]
    claims_build(user=biller_user)
    for session in sessions:
        record = _latest(session)
        assert (record.history_type, record.status) == ("~", Session.Status.BILLED)
        assert record.history_user == biller_user
        assert record.history_change_reason == "Claim built"


def test_building_a_claim_records_the_claim_and_each_line_created_by_the_biller(
    insured, biller_user
):
    ready_session(insured, date=RECENT)
    ready_session(insured, date=RECENT - datetime.timedelta(days=7))
    claim = claims_build(user=biller_user).claims[0]
    created = claim.history.get()
    assert (created.history_type, created.status, created.history_user) == (
        "+",
        Claim.Status.DRAFT,
        biller_user,
    )
    lines = ClaimLine.history.filter(claim_id=claim.pk)
    assert sorted(lines.values_list("history_type", "history_user__username")) == [
        ("+", "biller"),
        ("+", "biller"),
    ]


def _build_statements(clients: int) -> int:
    for _ in range(clients):
        ready_session(factories.CoverageFactory().client, date=RECENT)
    with CaptureQueriesContext(connection) as queries:
        built = claims_build()
    assert len(built.claims) == clients
    return len(queries)


def test_the_claim_build_writes_history_in_statements_per_batch_not_per_claim(practice_row):
    one = _build_statements(1)
    assert _build_statements(6) == one


def test_discarding_a_draft_records_the_claim_its_lines_and_its_sessions(insured, biller_user):
    session = ready_session(insured, date=RECENT)
    claim = claims_build(user=biller_user).claims[0]
    claim_discard(claim=claim, reason="wrong date", user=biller_user)
    gone = _latest(claim)
    assert (gone.history_type, gone.status, gone.status_note) == ("~", "discarded", "wrong date")
    assert gone.history_user == biller_user
    line = _latest(claim.lines.get())
    assert (line.live, line.history_user) == (False, biller_user)
    released = _latest(session)
    assert (released.status, released.history_user) == (Session.Status.READY, biller_user)
    assert released.history_change_reason == "Claim discarded"


def test_voiding_a_sent_claim_records_the_new_void_claim_and_its_lines(insured, biller_user):
    ready_session(insured, date=RECENT)
    claim = claim_submit(claim=claims_build(user=biller_user).claims[0])
    void = claim_void(claim=claim, reason="sent in error", user=biller_user)
    record = void.history.get()
    assert (record.history_type, record.frequency, record.history_user) == (
        "+",
        Claim.Frequency.VOID,
        biller_user,
    )
    assert ClaimLine.history.filter(claim_id=void.pk, history_type="+").count() == 1
    assert _latest(claim).status == Claim.Status.VOID


def test_replacing_records_the_replaced_claim_the_replacement_and_the_lines(insured, owner_user):
    ready_session(insured, date=RECENT)
    claim = claim_submit(claim=claims_build().claims[0])
    claim_correct(claim=claim, reason="wrong code", payer_claim_number="P-1", user=owner_user)
    replacement = claim_replace(claim=claim, user=owner_user)
    old = _latest(claim)
    assert (old.status, old.history_user, old.history_change_reason) == (
        Claim.Status.REPLACED,
        owner_user,
        "Claim replaced",
    )
    assert replacement.history.get().history_user == owner_user
    dead = _latest(claim.lines.get())
    assert (dead.live, dead.history_user) == (False, owner_user)
    assert ClaimLine.history.filter(claim_id=replacement.pk, history_user=owner_user).count() == 1


def test_a_build_from_a_command_records_no_user(insured):
    session = ready_session(insured, date=RECENT)
    claims_build()
    record = _latest(session)
    assert record.status == Session.Status.BILLED
    assert record.history_user is None


def test_the_claim_page_lists_who_changed_the_claim(client, insured, biller_user, owner_user):
    ready_session(insured, date=RECENT)
    claim = claims_build(user=biller_user).claims[0]
    claim_discard(claim=claim, reason="wrong date", user=owner_user)
    client.force_login(biller_user)
    response = client.get(reverse("billing:claim_detail", args=[claim.pk]))
    changes = [
        (c.history_user.username, c.status, c.history_change_reason)
        for c in response.context["changes"]
    ]
    assert changes == [
        ("owner", "discarded", "Claim discarded"),
        ("biller", "draft", "Claim built"),
    ]
    assert "Claim discarded" in response.content.decode()


def test_submitting_from_the_claim_page_records_the_biller(client, insured, biller_user):
    ready_session(insured, date=RECENT)
    claim = claims_build().claims[0]
    client.force_login(biller_user)
    client.post(reverse("billing:claim_submit", args=[claim.pk]), {"version": claim.version})
    record = _latest(claim)
    assert (record.status, record.history_user) == (Claim.Status.SUBMITTED, biller_user)
