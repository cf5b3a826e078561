"""Correcting claims: discard a draft never sent, correct a sent claim (unlock its
sessions, rebuild as frequency 7 carrying the payer's claim number), void one, and
never bill a sent service again as an original (docs/rules/claims.md "Corrections")."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from billing.models import Claim, ClaimLine, ProcedureCode
from billing.scrubber import scrub
from billing.services import (
    ClaimError,
    claim_correct,
    claim_discard,
    claim_record_payer_number,
    claim_replace,
    claim_submit,
    claim_void,
    claims_build,
)
from practice import services as session_services
from practice.models import Session
from tests import factories
from tests.billing.test_services import bill_again, ready_session

pytestmark = pytest.mark.django_db


@pytest.fixture
def insured(practice_row):
    return factories.CoverageFactory().client


@pytest.fixture
def recent():
    return timezone.localdate() - datetime.timedelta(days=3)


@pytest.fixture
def sent(insured, recent):
    """A submitted claim for one 90837 session, with the payer's claim number on file."""
    session = ready_session(insured, date=recent)
    claim = claim_submit(claim=claims_build().claims[0])
    claim_record_payer_number(claim=claim, number="PAYER-5551212")
    claim.refresh_from_db()
    return claim, session


def _recode(session: Session, code: str) -> None:
    """Correct the session to 45 minutes of ``code``, the way the session form saves it."""
    session.refresh_from_db()  # as the edit page reads it, after the correction opened
    line = session.lines.get()
    session.end_time, session.minutes = datetime.time(10, 45), 45
    session_services.session_save(
        session=session,
        diagnoses=[link.diagnosis for link in session.session_diagnoses.all()],
        lines=[
            session_services.PlannedLine(
                procedure=ProcedureCode.objects.get(code=code),
                modifiers=(),
                units=1,
                pointers="A",
                charge=Decimal("120.00"),
                place_of_service="11",
            )
        ],
        user=None,
    )
    assert line.pk == session.lines.get().pk  # the line keeps its identity


# --- a draft never sent ------------------------------------------------------------------


def test_a_draft_never_sent_is_discarded_and_its_sessions_are_ready_again(insured):
    session = ready_session(insured)
    claim = claims_build().claims[0]

    claim_discard(claim=claim)

    claim.refresh_from_db()
    session.refresh_from_db()
    assert claim.status == Claim.Status.DISCARDED
    assert session.status == Session.Status.READY
    assert Claim.objects.count() == 1  # no frequency-8 claim: nothing was sent
    assert len(claims_build().claims) == 1


def test_a_draft_cannot_be_voided_only_discarded(insured):
    ready_session(insured)
    claim = claims_build().claims[0]
    with pytest.raises(ClaimError, match="never sent: discard it"):
        claim_void(claim=claim, reason="wrong payer")


def test_a_sent_claim_cannot_be_discarded(sent):
    claim, _ = sent
    with pytest.raises(ClaimError, match="was sent"):
        claim_discard(claim=claim)


# --- correcting a sent claim ---------------------------------------------------------------


def test_correcting_a_sent_claim_unlocks_its_sessions_for_editing(sent):
    claim, session = sent

    claim_correct(claim=claim, reason="60 minutes, not 53", payer_claim_number="PAYER-5551212")

    claim.refresh_from_db()
    session.refresh_from_db()
    assert claim.status == Claim.Status.CORRECTING
    assert claim.status_note == "60 minutes, not 53"
    assert session.status == Session.Status.READY
    _recode(session, "90834")
    assert session.lines.get().procedure.code == "90834"


@pytest.mark.parametrize(
    ("reason", "number", "message"),
    [
        ("  ", "PAYER-1", "Say why the claim is corrected."),
        ("wrong code", " ", "Enter the payer's claim number"),
    ],
)
def test_a_correction_needs_a_reason_and_the_payers_claim_number(sent, reason, number, message):
    claim, session = sent
    with pytest.raises(ClaimError, match=message):
        claim_correct(claim=claim, reason=reason, payer_claim_number=number)
    claim.refresh_from_db()
    session.refresh_from_db()
    assert claim.status == Claim.Status.SUBMITTED
    assert session.status == Session.Status.BILLED


def test_a_draft_cannot_be_corrected(insured):
    ready_session(insured)
    with pytest.raises(ClaimError, match="sent to the payer"):
        claim_correct(claim=claims_build().claims[0], reason="x", payer_claim_number="P1")


def test_building_claims_during_a_correction_bills_nothing_as_an_original(sent):
    claim, session = sent
    claim_correct(claim=claim, reason="wrong code", payer_claim_number="PAYER-5551212")
    _recode(session, "90834")

    assert claims_build().claims == []
    assert not Claim.objects.filter(frequency=Claim.Frequency.ORIGINAL).exclude(pk=claim.pk)


def test_the_replacement_bills_the_corrected_session_as_frequency_7(sent):
    claim, session = sent
    claim_correct(claim=claim, reason="wrong code", payer_claim_number="PAYER-5551212")
    _recode(session, "90834")

    replacement = claim_replace(claim=claim)

    claim.refresh_from_db()
    session.refresh_from_db()
    assert claim.status == Claim.Status.REPLACED
    assert replacement.frequency == Claim.Frequency.REPLACEMENT
    assert replacement.original == claim
    assert replacement.payer_claim_number == "PAYER-5551212"
    assert [line.procedure_code for line in replacement.lines.all()] == ["90834"]
    assert ClaimLine.objects.filter(live=True).get().claim == replacement
    assert session.status == Session.Status.BILLED
    assert not [p for p in scrub(replacement) if p.is_error]


def test_a_replacement_is_built_only_from_a_claim_being_corrected(sent):
    claim, _ = sent
    with pytest.raises(ClaimError, match="Correct the claim first"):
        claim_replace(claim=claim)


def test_a_session_put_back_to_draft_must_be_ready_before_the_replacement(sent):
    claim, session = sent
    claim_correct(claim=claim, reason="check the date", payer_claim_number="PAYER-5551212")
    session.refresh_from_db()
    session_services.session_set_status(session=session, status=Session.Status.DRAFT, user=None)
    with pytest.raises(ClaimError, match="draft"):
        claim_replace(claim=claim)


def test_discarding_a_draft_replacement_reopens_the_correction(sent):
    """Finding 8: voiding the draft replacement set the sessions back to ready while the
    original stayed replaced, and the next build billed them again as an original."""
    claim, session = sent
    claim_correct(claim=claim, reason="wrong code", payer_claim_number="PAYER-5551212")
    replacement = claim_replace(claim=claim)

    claim_discard(claim=replacement)

    claim.refresh_from_db()
    session.refresh_from_db()
    assert claim.status == Claim.Status.CORRECTING
    assert session.status == Session.Status.READY
    assert claims_build().claims == []
    again = claim_replace(claim=claim)
    assert again.frequency == Claim.Frequency.REPLACEMENT


def test_the_database_refuses_a_sent_service_on_a_new_original_claim(sent):
    claim, _ = sent
    claim_correct(claim=claim, reason="wrong code", payer_claim_number="PAYER-5551212")
    line = claim.lines.get()
    another = Claim.objects.create(
        control_number="SLDUPLICATE",
        client=claim.client,
        coverage=claim.coverage,
        payer=claim.payer,
        rendering=claim.rendering,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        bill_again(line, claim=another, position=1, control_number="SLDUPLICATE-1")


def test_a_voided_claims_services_may_be_billed_again_as_an_original(sent):
    claim, session = sent
    void = claim_void(claim=claim, reason="billed the wrong payer")
    assert void.frequency == Claim.Frequency.VOID
    assert void.payer_claim_number == "PAYER-5551212"
    session.refresh_from_db()
    assert session.status == Session.Status.READY
    (rebuilt,) = claims_build().claims
    assert rebuilt.frequency == Claim.Frequency.ORIGINAL


def test_a_correction_may_be_given_up_by_voiding_the_claim(sent):
    claim, session = sent
    session.refresh_from_db()
    claim_correct(claim=claim, reason="client was not seen", payer_claim_number="PAYER-5551212")
    void = claim_void(claim=claim, reason="not seen after all")
    claim.refresh_from_db()
    session.refresh_from_db()
    assert claim.status == Claim.Status.VOID
    assert void.original == claim
    assert session.status == Session.Status.READY


def test_the_payers_claim_number_is_recorded_by_hand(sent):
    claim, _ = sent
    claim_record_payer_number(claim=claim, number="  ABC-123  ")
    claim.refresh_from_db()
    assert claim.payer_claim_number == "ABC-123"


def test_a_payers_claim_number_that_is_too_long_is_refused(sent):
    claim, _ = sent
    with pytest.raises(ClaimError, match="at most 50"):
        claim_record_payer_number(claim=claim, number="X" * 51)


# --- scrubber -----------------------------------------------------------------------------


def test_an_original_claim_with_services_already_sent_is_an_error(sent):
    claim, session = sent
    # A claim made before the database guard existed: the sent claim's services on a
    # second original draft.
    ClaimLine.objects.filter(claim=claim).update(live=False, original_billing=False)
    Session.objects.filter(pk=session.pk).update(status=Session.Status.READY)
    (again,) = claims_build().claims
    problems = [p for p in scrub(again) if p.rule == "already_sent"]
    assert [p.severity for p in problems] == ["error"]
    assert claim.control_number in problems[0].message
    assert problems[0].line == 1


def test_an_original_claim_of_services_never_sent_is_quiet_on_already_sent(insured):
    ready_session(insured)
    claim = claims_build().claims[0]
    assert not [p for p in scrub(claim) if p.rule == "already_sent"]


def test_a_replacement_without_the_payers_claim_number_is_an_error(sent):
    claim, _ = sent
    claim_correct(claim=claim, reason="wrong code", payer_claim_number="PAYER-5551212")
    replacement = claim_replace(claim=claim)
    Claim.objects.filter(pk=replacement.pk).update(payer_claim_number="")
    replacement.refresh_from_db()
    problems = [p for p in scrub(replacement) if p.rule == "resubmission_reference"]
    assert [p.severity for p in problems] == ["error"]
    assert "box 22" in problems[0].message


def test_a_replacement_with_the_payers_claim_number_is_quiet(sent):
    claim, _ = sent
    claim_correct(claim=claim, reason="wrong code", payer_claim_number="PAYER-5551212")
    replacement = claim_replace(claim=claim)
    assert not [p for p in scrub(replacement) if p.rule == "resubmission_reference"]
