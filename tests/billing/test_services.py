"""Claim building and the claim life cycle, through billing.services."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from billing.models import Claim, ClaimLine, DiagnosisCode, ProcedureCode
from billing.services import (
    ClaimError,
    claim_correct,
    claim_discard,
    claim_replace,
    claim_submit,
    claim_void,
    claims_build,
)
from practice.models import Session
from tests import factories
from tests.threads import at_once

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 10, 5)


def ready_session(client, *, date=DAY, codes=("F41.1",), code="90837", pointers="A", **kw):
    session = factories.SessionFactory(client=client, date=date, status=Session.Status.READY, **kw)
    for position, icd in enumerate(codes, start=1):
        diagnosis = client.diagnoses.filter(code__code=icd).first() or factories.DiagnosisFactory(
            client=client, code=DiagnosisCode.objects.get(code=icd), rank=position
        )
        factories.SessionDiagnosisFactory(session=session, diagnosis=diagnosis, position=position)
    factories.ServiceLineFactory(
        session=session,
        position=1,
        procedure=ProcedureCode.objects.get(code=code),
        diagnosis_pointers=pointers,
    )
    return session


@pytest.fixture
def insured(practice_row):
    coverage = factories.CoverageFactory()
    return coverage.client


def test_one_claim_per_client_with_every_ready_session(insured):
    for week in range(3):
        ready_session(insured, date=DAY + datetime.timedelta(days=7 * week))
    result = claims_build()
    assert len(result.claims) == 1
    claim = result.claims[0]
    assert claim.lines.count() == 3
    assert claim.total_charge == Decimal("480.00")
    assert claim.frequency == Claim.Frequency.ORIGINAL
    assert set(Session.objects.values_list("status", flat=True)) == {Session.Status.BILLED}


def test_two_clients_make_two_claims(practice_row):
    first, second = factories.CoverageFactory().client, factories.CoverageFactory().client
    ready_session(first)
    ready_session(second)
    assert {c.client_id for c in claims_build().claims} == {first.pk, second.pk}


def test_self_pay_and_draft_sessions_stay_off_claims(practice_row):
    self_pay = factories.ClientFactory(self_pay=True)
    ready_session(self_pay)
    covered = factories.CoverageFactory().client
    draft = ready_session(covered)
    Session.objects.filter(pk=draft.pk).update(status=Session.Status.DRAFT)
    result = claims_build()
    assert result.claims == []
    assert not ClaimLine.objects.exists()


def test_a_session_without_coverage_on_its_date_is_reported(practice_row):
    coverage = factories.CoverageFactory(effective_from=DAY + datetime.timedelta(days=1))
    session = ready_session(coverage.client)
    result = claims_build()
    assert result.claims == []
    assert result.skipped == [(session, "no insurance coverage on the date of service")]
    session.refresh_from_db()
    assert session.status == Session.Status.READY


def test_building_twice_bills_nothing_twice(insured):
    ready_session(insured)
    assert len(claims_build().claims) == 1
    assert claims_build().claims == []
    assert ClaimLine.objects.count() == 1


def test_fifty_one_lines_split_into_two_claims(insured):
    for n in range(51):
        ready_session(insured, date=DAY - datetime.timedelta(days=n))
    claims = claims_build().claims
    assert sorted(c.lines.count() for c in claims) == [1, 50]


def test_thirteen_diagnoses_split_and_pointers_are_remapped(insured):
    codes = ["F41.1", "F32.A", "F43.10", "F43.23", "F33.1", "F90.0", "F42.2", "Z63.0",
             "F40.10", "F34.1", "F41.0", "F43.21", "F51.01"]  # fmt: skip
    for n, code in enumerate(codes):
        ready_session(insured, date=DAY + datetime.timedelta(days=n), codes=(code,))
    claims = sorted(claims_build().claims, key=lambda c: c.lines.count())
    assert [c.diagnoses.count() for c in claims] == [1, 12]
    big, small = claims[1], claims[0]
    assert list(big.diagnoses.values_list("code", flat=True)) == codes[:12]
    # The twelfth session's only diagnosis is the claim's twelfth: letter L.
    assert big.lines.get(position=12).diagnosis_pointers == "L"
    assert small.lines.get().diagnosis_pointers == "A"


def test_pointers_follow_the_claims_diagnosis_order(insured):
    ready_session(insured, date=DAY, codes=("F41.1",))
    ready_session(insured, date=DAY + datetime.timedelta(days=7), codes=("F32.A", "F41.1"),
                  pointers="BA")  # fmt: skip
    claim = claims_build().claims[0]
    assert list(claim.diagnoses.values_list("code", flat=True)) == ["F41.1", "F32.A"]
    # Session 2's B (F41.1) is the claim's A; its A (F32.A) is the claim's B.
    assert claim.lines.get(position=2).diagnosis_pointers == "AB"


def test_a_claim_keeps_its_snapshot_when_the_client_changes(insured):
    ready_session(insured)
    claim = claims_build().claims[0]
    insured.last_name = "Renamed"
    insured.save()
    claim.refresh_from_db()
    assert claim.parties["patient"]["last_name"] != "Renamed"


def test_the_database_refuses_a_service_line_on_two_live_claims(insured):
    ready_session(insured)
    claim = claims_build().claims[0]
    line = claim.lines.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        bill_again(line, claim=claim, position=2, control_number="X-2")


def bill_again(line: ClaimLine, *, claim: Claim, position: int, control_number: str) -> None:
    """Save another claim line (model defaults) for ``line``'s session line."""
    ClaimLine.objects.create(
        claim=claim,
        service_line=line.service_line,
        position=position,
        line_control_number=control_number,
        date_of_service=line.date_of_service,
        place_of_service="11",
        procedure_code="90837",
        charge=Decimal("1.00"),
        diagnosis_pointers="A",
        rendering_npi=line.rendering_npi,
    )


def test_discarding_a_draft_claim_gives_its_sessions_back(insured):
    session = ready_session(insured)
    claim = claims_build().claims[0]
    claim_discard(claim=claim, reason="fix the time")
    session.refresh_from_db()
    assert session.status == Session.Status.READY
    assert Claim.objects.get(pk=claim.pk).status == Claim.Status.DISCARDED
    assert Claim.objects.count() == 1  # nothing was sent, so no frequency-8 claim
    assert len(claims_build().claims) == 1


def test_voiding_a_submitted_claim_creates_a_frequency_8_claim(insured):
    ready_session(insured, date=timezone.localdate() - datetime.timedelta(days=3))
    claim = claim_submit(claim=claims_build().claims[0])
    void = claim_void(claim=claim, reason="sent in error")
    assert void.frequency == Claim.Frequency.VOID
    assert void.original == claim
    assert not void.lines.filter(live=True).exists()
    with pytest.raises(ClaimError):
        claim_void(claim=claim, reason="again")


def test_replacing_a_submitted_claim_moves_the_lines_to_a_frequency_7_claim(insured):
    ready_session(insured, date=timezone.localdate() - datetime.timedelta(days=3))
    claim = claim_submit(claim=claims_build().claims[0])
    claim_correct(claim=claim, reason="wrong modifier", payer_claim_number="P-1")
    replacement = claim_replace(claim=claim)
    claim.refresh_from_db()
    assert claim.status == Claim.Status.REPLACED
    assert replacement.frequency == Claim.Frequency.REPLACEMENT
    assert replacement.original == claim
    assert ClaimLine.objects.filter(live=True).get().claim == replacement


def test_a_draft_cannot_be_replaced(insured):
    ready_session(insured)
    with pytest.raises(ClaimError):
        claim_replace(claim=claims_build().claims[0])


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_billers_building_at_once_never_bill_a_line_twice(practice_row):
    clients = [factories.CoverageFactory().client for _ in range(8)]
    for client in clients:
        for week in range(5):
            ready_session(client, date=DAY + datetime.timedelta(days=7 * week))
    at_once(claims_build, claims_build)
    assert ClaimLine.objects.filter(live=True).count() == 40
    assert ClaimLine.objects.count() == 40
    assert Claim.objects.count() == 8


def test_batches_never_split_a_clients_sessions_across_claims(practice_row, monkeypatch):
    monkeypatch.setattr("billing.services.BATCH_SESSIONS", 2)
    clients = [factories.CoverageFactory().client for _ in range(3)]
    for client in clients:
        for week in range(3):
            ready_session(client, date=DAY + datetime.timedelta(days=7 * week))
    claims = claims_build().claims
    assert sorted(c.lines.count() for c in claims) == [3, 3, 3]
    assert not Session.objects.filter(status=Session.Status.READY).exists()


def test_a_session_from_a_discarded_claim_can_then_be_marked_no_show(insured):
    from practice.services import session_set_status

    session = ready_session(insured)
    claim = claims_build().claims[0]
    claim_discard(claim=claim, reason="client did not attend after all")
    session.refresh_from_db()
    session_set_status(session=session, status=Session.Status.NO_SHOW, user=None)
    assert not session.lines.exists()
    dead_line = ClaimLine.objects.get(claim=claim)
    assert dead_line.service_line_id is None
    assert dead_line.procedure_code == "90837"  # the discarded claim keeps its copy


def test_a_session_that_was_on_a_claim_cannot_be_deleted(insured):
    from practice.services import session_delete, session_set_status

    session = ready_session(insured)
    claim_discard(claim=claims_build().claims[0], reason="wrong client")
    session.refresh_from_db()
    session_set_status(session=session, status=Session.Status.DRAFT, user=None)
    with pytest.raises(ValueError, match="cancelled instead"):
        session_delete(session=session, user=None)
    assert Session.objects.filter(pk=session.pk).exists()


def test_lines_on_a_live_claim_stay_protected(insured):
    from django.db.models import ProtectedError

    session = ready_session(insured)
    claims_build()
    with pytest.raises(ProtectedError):
        session.lines.all().delete()


def test_the_scrubber_reads_a_dead_claim_whose_session_was_corrected(insured):
    from billing.scrubber import scrub
    from practice.services import session_set_status

    session = ready_session(insured)
    claim = claims_build().claims[0]
    claim_discard(claim=claim, reason="no-show")
    session.refresh_from_db()
    session_set_status(session=session, status=Session.Status.NO_SHOW, user=None)
    assert all(problem.rule != "telehealth" for problem in scrub(claim))
