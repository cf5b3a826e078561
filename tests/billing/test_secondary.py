"""Secondary claims (billing/secondary.py): the primary's answer posted from an 835 builds
a draft claim to the client's second payer with the primary's decision, scrubbed like any
claim and exported as 837P with the other-payer loops (validated by pyx12)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from billing.models import Claim, ClaimLine
from billing.posting import remittance_post
from billing.scrubber import scrub
from billing.secondary import adjudication_of, adjudications_for
from billing.services import claim_discard, claims_build
from billing.submission import claims_send
from practice.models import Session
from tests import factories
from tests.billing.test_scrubber import ready_session
from tests.billing.test_x837 import file_for, starting
from tests.x835 import ClaimAnswer, LineAnswer, build_835, reversal_of

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def two_coverages(practice_row):
    factories.ClearinghouseFactory()
    first = factories.PayerFactory(name="First Health", payer_id="FH100")
    second = factories.PayerFactory(name="Second Mutual", payer_id="SM001")
    primary = factories.CoverageFactory(payer=first, member_id="FH998877")
    secondary = factories.CoverageFactory(
        payer=second, client=primary.client, priority=2, member_id="SM4455"
    )
    return primary, secondary


def primary_claim(client) -> Claim:
    ready_session(client, lines=("90834", "90785"), minutes=45)
    (claim,) = claims_build().claims
    Claim.objects.filter(pk=claim.pk).update(status=Claim.Status.SUBMITTED)
    return Claim.objects.get(pk=claim.pk)


def answer_for(claim: Claim) -> ClaimAnswer:
    first, second = claim.lines.order_by("position")
    return ClaimAnswer(
        claim,
        [
            LineAnswer(
                first,
                D("90.00"),
                [("CO", "45", first.charge - D("110.00")), ("PR", "2", D("20.00"))],
            ),
            LineAnswer(second, D("10.00"), [("CO", "45", second.charge - D("10.00"))]),
        ],
        payer_claim_number="FHCLAIM1",
    )


def test_the_primarys_answer_builds_a_draft_claim_to_the_second_payer(two_coverages):
    primary, secondary = two_coverages
    claim = primary_claim(primary.client)
    remittance_post(text=build_835(primary.payer, [answer_for(claim)]))

    (follow,) = Claim.objects.filter(primary_claim=claim)
    assert (follow.status, follow.payer, follow.coverage) == (
        Claim.Status.DRAFT,
        secondary.payer,
        secondary,
    )
    assert follow.total_charge == claim.total_charge
    assert follow.parties["subscriber"]["member_id"] == "SM4455"
    assert follow.parties["other_insurance"]["member_id"] == "FH998877"
    lines = list(follow.lines.order_by("position"))
    assert [(line.procedure_code, line.charge, line.live) for line in lines] == [
        (line.procedure_code, line.charge, False) for line in claim.lines.order_by("position")
    ]
    # The service stays billed once: the primary's lines are the live ones.
    assert ClaimLine.objects.filter(live=True).count() == 2

    other = adjudication_of(follow)
    assert (other.payer_name, other.payer_id, other.paid) == ("First Health", "FH100", D("100"))
    assert [line.line_control_number for line in other.lines] == [
        line.line_control_number for line in lines
    ]
    assert other.lines[0].adjustments[1].group == "PR"


def test_the_secondary_claim_is_scrubbed_clean_and_exports_with_the_other_payer_loops(
    two_coverages,
):
    primary, _secondary = two_coverages
    claim = primary_claim(primary.client)
    remittance_post(text=build_835(primary.payer, [answer_for(claim)]))
    follow = Claim.objects.get(primary_claim=claim)
    assert [p.message for p in scrub(follow) if p.is_error] == []

    text = file_for(follow, adjudications=adjudications_for([follow]))  # pyx12: valid
    assert starting(text, "SBR")[0].startswith("SBR*S*")
    assert starting(text, "AMT*D") == ["AMT*D*100"]
    assert starting(text, "NM1*PR")[1] == "NM1*PR*2*FIRST HEALTH*****PI*FH100"
    assert starting(text, "SVD") == ["SVD*FH100*90*HC:90834**1", "SVD*FH100*10*HC:90785**1"]
    assert starting(text, "CAS*PR") == ["CAS*PR*2*20"]

    # The send screen's own path finds the primary's answer on the claim.
    plan = claims_send(claims=[follow], dry_run=True)
    (planned,) = plan.files
    assert "AMT*D*100~" in planned.text


def test_no_second_coverage_no_secondary_claim_and_only_once(two_coverages, practice_row):
    primary, _secondary = two_coverages
    alone = factories.CoverageFactory(payer=primary.payer)
    lone_claim = primary_claim(alone.client)
    remittance_post(text=build_835(primary.payer, [answer_for(lone_claim)], trace="T1"))
    assert not Claim.objects.filter(primary_claim=lone_claim).exists()

    claim = primary_claim(primary.client)
    answer = answer_for(claim)
    remittance_post(text=build_835(primary.payer, [answer], trace="T2"))
    remittance_post(text=build_835(primary.payer, [reversal_of(answer)], trace="T3"))
    remittance_post(text=build_835(primary.payer, [answer], trace="T4"))
    # The reversal discarded the draft built from the first answer; the new answer drafts
    # one again: one claim to the second payer that counts.
    follows = Claim.objects.filter(primary_claim=claim)
    assert sorted(follows.values_list("status", flat=True)) == [
        Claim.Status.DISCARDED,
        Claim.Status.DRAFT,
    ]


def test_a_reversal_of_the_primary_discards_the_unsent_secondary_claim(two_coverages):
    primary, _secondary = two_coverages
    claim = primary_claim(primary.client)
    answer = answer_for(claim)
    remittance_post(text=build_835(primary.payer, [answer], trace="T1"))
    follow = Claim.objects.get(primary_claim=claim)
    remittance_post(text=build_835(primary.payer, [reversal_of(answer)], trace="T2"))
    follow.refresh_from_db()
    assert follow.status == Claim.Status.DISCARDED
    assert follow.history.first().history_change_reason == (
        "The primary payer took back its answer"
    )
    # Its lines never billed the session: the primary's lines still do.
    assert ClaimLine.objects.filter(live=True, claim=claim).count() == 2


def test_discarding_the_secondary_claim_by_hand_leaves_the_primarys_sessions_billed(
    two_coverages,
):
    primary, _secondary = two_coverages
    claim = primary_claim(primary.client)
    remittance_post(text=build_835(primary.payer, [answer_for(claim)], trace="T1"))
    follow = Claim.objects.get(primary_claim=claim)
    sessions = Session.objects.filter(lines__claim_lines__claim=claim).distinct()
    assert {s.status for s in sessions} == {Session.Status.BILLED}

    claim_discard(claim=follow, reason="Billing the secondary on paper")

    follow.refresh_from_db()
    assert follow.status == Claim.Status.DISCARDED
    # The primary still bills these sessions: they must not come back as ready to bill,
    # or the next claim run would bill them a second time.
    assert {s.status for s in sessions.all()} == {Session.Status.BILLED}
    assert ClaimLine.objects.filter(live=True, claim=claim).count() == 2


def test_a_reversal_leaves_a_secondary_claim_already_sent(two_coverages):
    primary, _secondary = two_coverages
    claim = primary_claim(primary.client)
    answer = answer_for(claim)
    remittance_post(text=build_835(primary.payer, [answer], trace="T1"))
    Claim.objects.filter(primary_claim=claim).update(status=Claim.Status.SUBMITTED)
    remittance_post(text=build_835(primary.payer, [reversal_of(answer)], trace="T2"))
    assert Claim.objects.get(primary_claim=claim).status == Claim.Status.SUBMITTED


def test_the_secondary_claims_page_and_cms1500_open(two_coverages, client, biller_user):
    from django.urls import reverse

    primary, _secondary = two_coverages
    claim = primary_claim(primary.client)
    remittance_post(text=build_835(primary.payer, [answer_for(claim)]))
    follow = Claim.objects.get(primary_claim=claim)
    client.force_login(biller_user)
    page = client.get(reverse("billing:claim_detail", args=[follow.pk]))
    assert page.status_code == 200 and "Second Mutual" in page.content.decode()
    pdf = client.get(reverse("billing:claim_cms1500", args=[follow.pk]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_the_upload_preview_says_a_secondary_claim_will_be_drafted(
    two_coverages, client, biller_user
):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    primary, _secondary = two_coverages
    claim = primary_claim(primary.client)
    text = build_835(primary.payer, [answer_for(claim)])
    client.force_login(biller_user)
    response = client.post(
        reverse("billing:remittance_list"), {"file": SimpleUploadedFile("a.835", text.encode())}
    )
    page = client.get(response.url).content.decode()
    assert "Drafts a secondary claim to <strong>Second Mutual</strong>" in page
    assert not Claim.objects.filter(primary_claim=claim).exists()  # a preview only
