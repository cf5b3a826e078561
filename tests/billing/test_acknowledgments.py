"""Acknowledgments of our 837P files (billing/acknowledgments/, ``import_999``,
``import_277ca``): matching to our batches and claims, what they change, refusals and
idempotency. Every file here answers a batch our generator really wrote, and is checked
with pyx12 (0 errors) by tests/x12_acks.py before it is imported."""

from __future__ import annotations

import datetime
import io
import json

import pytest
from django.core.management import CommandError, call_command

from billing.acknowledgments import AcknowledgmentError, acknowledgment_import
from billing.models import (
    Acknowledgment,
    Batch,
    BatchAcknowledgment,
    Claim,
    ClaimAcknowledgment,
    Clearinghouse,
)
from billing.services import claim_discard, claim_mark_ready, claims_build
from billing.submission import claims_send, sendable_claims
from tests import factories
from tests.billing.test_scrubber import ready_session
from tests.threads import at_once
from tests.x12 import pyx12_errors
from tests.x12_acks import (
    ClaimAnswer,
    SegmentProblem,
    build_277ca,
    build_999,
    position_of,
)

pytestmark = pytest.mark.django_db

TODAY = datetime.datetime(2026, 10, 12, 15, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def _today(time_machine):
    time_machine.move_to(TODAY, tick=False)


def sent_batch(n: int = 2, payer=None) -> Batch:
    """``n`` claims built from ready sessions and sent by the real export: one batch."""
    if not Clearinghouse.objects.exists():
        factories.ClearinghouseFactory()
    payer = payer or factories.PayerFactory(payer_id="ACME1")
    for _ in range(n):
        ready_session(factories.CoverageFactory(payer=payer).client)
    claims_build(payer=payer)
    Claim.objects.filter(payer=payer, status=Claim.Status.DRAFT).update(status=Claim.Status.READY)
    plan = claims_send(claims=sendable_claims(payer=payer))
    (planned,) = plan.files
    return planned.batch


def claims_of(batch: Batch) -> list[Claim]:
    return list(batch.claims.order_by("pk"))


def run(tmp_path, command: str, text: str, name: str = "ack.txt") -> dict:
    path = tmp_path / name
    path.write_text(text, encoding="ascii")
    out = io.StringIO()
    call_command(command, str(path), "--json", stdout=out)
    (line,) = out.getvalue().strip().splitlines()
    return json.loads(line)


def nothing_recorded() -> bool:
    return not any(
        model.objects.exists()
        for model in (Acknowledgment, BatchAcknowledgment, ClaimAcknowledgment)
    )


# --- 999 -------------------------------------------------------------------------------


def test_an_accepted_999_marks_the_batch_accepted_and_leaves_claims_submitted(
    practice_row, tmp_path
):
    batch = sent_batch(2)
    summary = run(tmp_path, "import_999", build_999(batch))
    assert summary["batches_accepted"] == 1 and summary["batches_rejected"] == 0
    assert summary["claims_sent_back"] == 0 and not summary["already_imported"]
    (answer,) = batch.acknowledgments.all()
    assert answer.result == BatchAcknowledgment.Result.ACCEPTED
    assert answer.errors == []
    assert {c.status for c in claims_of(batch)} == {Claim.Status.SUBMITTED}
    for claim in claims_of(batch):
        (row,) = claim.acknowledgments.all()
        assert row.result == ClaimAcknowledgment.Result.ACCEPTED
        assert f"accepted file {batch.file_name}" in row.reason


def test_a_999_that_pyx12_itself_writes_for_our_file_is_understood(practice_row, tmp_path):
    """pyx12 answers every file it validates with its own 999: an independent writer."""
    import pyx12.params
    import pyx12.x12n_document

    batch = sent_batch(1)
    ack = io.StringIO()
    pyx12.x12n_document.x12n_document(
        pyx12.params.params(), io.StringIO(batch.text), ack, None, None, io.StringIO()
    )
    text = ack.getvalue()
    assert "IK5*A" in text and not pyx12_errors(text)
    result = acknowledgment_import(text=text, kind="999")
    assert result.batches_accepted == 1
    assert batch.acknowledgments.get().result == BatchAcknowledgment.Result.ACCEPTED


def test_a_rejected_999_sends_every_claim_back_with_the_error_in_plain_words(
    practice_row, tmp_path
):
    batch = sent_batch(2)
    first, second = claims_of(batch)
    position = position_of(batch, "NM1*IL", 1)  # the second claim's subscriber
    text = build_999(
        batch,
        code="R",
        set_codes=["5"],
        problems=[SegmentProblem("NM1", position, "8", [("2", "7", "7")])],
    )
    summary = run(tmp_path, "import_999", text)
    assert summary["batches_rejected"] == 1 and summary["claims_sent_back"] == 2
    answer = batch.acknowledgments.get()
    assert answer.result == BatchAcknowledgment.Result.REJECTED
    (error,) = answer.errors
    assert error["claim"] == second.control_number and error["segment"] == "NM1"
    assert "NM102 ('7') is not a valid code" in error["words"]
    assert error["words"] in answer.summary and answer.summary.startswith(answer.reason)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == second.status == Claim.Status.REJECTED
    assert f"segment {position} (NM1*IL, subscriber)" in second.status_note
    assert "errors in other claims" in first.status_note
    assert second.control_number in first.status_note
    latest = second.history.first()
    assert latest.status == Claim.Status.REJECTED
    assert latest.history_change_reason.startswith("Acknowledgment imported (999")


def test_a_999_accepted_with_errors_keeps_the_claims_going(practice_row):
    batch = sent_batch(1)
    position = position_of(batch, "DMG")
    text = build_999(
        batch, code="E", problems=[SegmentProblem("DMG", position, "8", [("3", "7", "X")])]
    )
    result = acknowledgment_import(text=text)
    assert result.batches_accepted == 1 and result.claims_sent_back == 0
    answer = batch.acknowledgments.get()
    assert answer.result == BatchAcknowledgment.Result.ACCEPTED_WITH_ERRORS
    assert "DMG03 ('X') is not a valid code" in answer.errors[0]["words"]
    assert claims_of(batch)[0].status == Claim.Status.SUBMITTED


def test_the_same_999_twice_changes_nothing_the_second_time(practice_row, tmp_path):
    batch = sent_batch(1)
    text = build_999(batch, code="R", set_codes=["5"])
    run(tmp_path, "import_999", text)
    claim = claims_of(batch)[0]
    version = claim.version
    summary = run(tmp_path, "import_999", text)
    assert summary["already_imported"] and summary["claims_sent_back"] == 0
    assert Acknowledgment.objects.count() == 1 and ClaimAcknowledgment.objects.count() == 1
    claim.refresh_from_db()
    assert claim.version == version


def test_a_malformed_999_changes_nothing_and_names_the_segment(practice_row, tmp_path):
    batch = sent_batch(1)
    text = build_999(batch, check=False).replace("IK5*A", "IK5*Q")
    with pytest.raises(CommandError, match=r"refused, nothing changed\. Segment \d+ \(IK5\*Q\)"):
        run(tmp_path, "import_999", text)
    assert nothing_recorded()


def test_a_999_for_no_batch_of_ours_changes_nothing_and_says_why(practice_row, tmp_path):
    batch = sent_batch(1)
    text = build_999(batch, code="R", group_number=987654)
    with pytest.raises(CommandError, match=r"Segment AK1\*HC\*987654.*answers no 837P file"):
        run(tmp_path, "import_999", text)
    assert nothing_recorded()
    assert claims_of(batch)[0].status == Claim.Status.SUBMITTED


def test_a_999_with_the_right_group_but_another_transaction_is_unmatched(practice_row):
    batch = sent_batch(1)
    text = build_999(batch, transaction_number=batch.transaction_control_number + 50)
    with pytest.raises(AcknowledgmentError, match="answers no 837P file"):
        acknowledgment_import(text=text)
    assert nothing_recorded()


def test_a_277ca_given_to_import_999_is_refused(practice_row, tmp_path):
    batch = sent_batch(1)
    text = build_277ca(batch, [ClaimAnswer(claims_of(batch)[0])])
    with pytest.raises(CommandError, match="This is a 277CA file, not a 999"):
        run(tmp_path, "import_999", text)
    assert nothing_recorded()


def test_a_late_999_rejection_does_not_move_a_claim_sent_again_since(practice_row):
    batch = sent_batch(1)
    text = build_999(batch, code="R", set_codes=["5"])
    acknowledgment_import(text=text)
    (claim,) = claims_of(batch)
    claim_mark_ready(claim=claim)
    again = claims_send(claims=sendable_claims()).files[0].batch
    assert claim in claims_of(again)
    # The same rejection again, from another interchange: old news for this claim.
    acknowledgment_import(text=build_999(batch, code="R", set_codes=["5"], interchange=701))
    claim.refresh_from_db()
    assert claim.status == Claim.Status.SUBMITTED


# --- 277CA -----------------------------------------------------------------------------


def test_an_accepted_277ca_records_the_payers_claim_number(practice_row, tmp_path):
    batch = sent_batch(2)
    first, second = claims_of(batch)
    text = build_277ca(
        batch, [ClaimAnswer(first, payer_claim_number="PCN-9001"), ClaimAnswer(second)]
    )
    summary = run(tmp_path, "import_277ca", text)
    assert summary["claims_accepted"] == 2 and summary["claims_rejected"] == 0
    assert summary["payer_claim_numbers"] == 1
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.payer_claim_number == "PCN-9001" and second.payer_claim_number == ""
    assert first.status == second.status == Claim.Status.SUBMITTED
    row = first.acknowledgments.get()
    assert row.result == ClaimAcknowledgment.Result.ACCEPTED
    assert row.codes == "A2:20" and row.batch == batch
    assert row.reason == (
        "The 277CA accepted the claim — accepted into the payer's claim system: "
        "accepted for processing"
    )
    assert first.history.first().history_change_reason.startswith("Acknowledgment imported")


def test_a_partly_rejected_277ca_sends_back_only_the_rejected_claim(practice_row, tmp_path):
    batch = sent_batch(3)
    good, bad, other = claims_of(batch)
    line = bad.lines.first()
    text = build_277ca(
        batch,
        [
            ClaimAnswer(good, payer_claim_number="PCN1"),
            ClaimAnswer(
                bad, "A7", "562", "85", message="NPI NOT ON FILE", lines=[(line, "A7", "21")]
            ),
            ClaimAnswer(other, "A6", "21", "IL"),
        ],
    )
    summary = run(tmp_path, "import_277ca", text)
    assert summary["claims_accepted"] == 1 and summary["claims_rejected"] == 2
    assert summary["claims_sent_back"] == 2
    for claim in (good, bad, other):
        claim.refresh_from_db()
    assert good.status == Claim.Status.SUBMITTED
    assert bad.status == other.status == Claim.Status.REJECTED
    assert bad.status_note.startswith(
        "The 277CA rejected the claim — information invalid: billing provider's NPI"
    )
    row = bad.acknowledgments.get()
    assert row.codes == "A7:562:85"
    assert "NPI NOT ON FILE" in row.reason
    assert f"line {line.procedure_code}" in row.reason and "information missing" in row.reason
    assert "subscriber's information missing or invalid" in other.status_note
    assert Batch.objects.get(pk=batch.pk).claim_results.filter(result="rejected").count() == 2


def test_a_rejected_claim_goes_back_to_the_queue_and_can_be_sent_again(practice_row):
    batch = sent_batch(1)
    (claim,) = claims_of(batch)
    acknowledgment_import(text=build_277ca(batch, [ClaimAnswer(claim, "A3", "21")]))
    claim.refresh_from_db()
    assert claim.status == Claim.Status.REJECTED and claim.is_editable
    assert not sendable_claims().filter(pk=claim.pk).exists()  # a person decides first
    claim_mark_ready(claim=claim)
    claim.refresh_from_db()
    assert claim.status == Claim.Status.READY and claim.status_note == ""
    again = claims_send(claims=sendable_claims()).files[0].batch
    assert list(again.claims.all()) == [claim]


def test_a_rejected_claim_may_be_discarded_to_rebuild_it(practice_row):
    batch = sent_batch(1)
    (claim,) = claims_of(batch)
    acknowledgment_import(text=build_277ca(batch, [ClaimAnswer(claim, "A7", "21", "QC")]))
    claim_discard(claim=Claim.objects.get(pk=claim.pk), reason="Wrong member id")
    (rebuilt,) = claims_build().claims
    assert rebuilt.pk != claim.pk


def test_the_same_277ca_twice_changes_nothing(practice_row, tmp_path):
    batch = sent_batch(1)
    (claim,) = claims_of(batch)
    text = build_277ca(batch, [ClaimAnswer(claim, payer_claim_number="PCN5")])
    run(tmp_path, "import_277ca", text)
    summary = run(tmp_path, "import_277ca", text)
    assert summary["already_imported"] and summary["payer_claim_numbers"] == 0
    assert ClaimAcknowledgment.objects.count() == 1


def test_a_malformed_277ca_changes_nothing_and_names_the_segment(practice_row, tmp_path):
    batch = sent_batch(1)
    (claim,) = claims_of(batch)
    text = build_277ca(batch, [ClaimAnswer(claim, "A7", "21")], check=False)
    text = text.replace("*U*", "*XX*", 1)
    with pytest.raises(CommandError, match=r"Segment \d+ \(STC\*A7:21\*\d+\*XX"):
        run(tmp_path, "import_277ca", text)
    assert nothing_recorded()
    claim.refresh_from_db()
    assert claim.status == Claim.Status.SUBMITTED


def test_a_277ca_for_no_claim_of_ours_changes_nothing_and_says_why(practice_row, tmp_path):
    batch = sent_batch(1)
    (claim,) = claims_of(batch)
    text = build_277ca(batch, [ClaimAnswer(claim, "A7", "21", control_number="NOTOURS1")])
    with pytest.raises(CommandError, match=r"Segment TRN\*2\*NOTOURS1: .*no claim"):
        run(tmp_path, "import_277ca", text)
    assert nothing_recorded()


def test_a_277ca_naming_some_unknown_claims_keeps_them_with_the_file(practice_row):
    batch = sent_batch(1)
    (claim,) = claims_of(batch)
    text = build_277ca(batch, [ClaimAnswer(claim), ClaimAnswer(claim, control_number="NOTOURS2")])
    result = acknowledgment_import(text=text, file_name="x.277")
    assert result.claims_accepted == 1
    assert result.unmatched == ["TRN*2*NOTOURS2: no claim of ours has this number"]
    assert Acknowledgment.objects.get().unmatched == result.unmatched


def test_a_999_given_to_import_277ca_is_refused(practice_row, tmp_path):
    batch = sent_batch(1)
    with pytest.raises(CommandError, match="This is a 999 file, not a 277CA"):
        run(tmp_path, "import_277ca", build_999(batch))


def test_a_file_that_is_no_x12_is_refused(practice_row, tmp_path):
    with pytest.raises(CommandError, match="no functional group"):
        run(tmp_path, "import_999", "hello\n")
    with pytest.raises(CommandError, match="The file is empty"):
        run(tmp_path, "import_277ca", "   ")


@pytest.mark.parametrize("n", [1, 50])
def test_imports_take_the_same_statements_for_1_or_50_claims(
    practice_row, django_assert_max_num_queries, n
):
    batch = sent_batch(n)
    claims = claims_of(batch)
    answers = [
        ClaimAnswer(c, "A7", "21") if i % 2 else ClaimAnswer(c, payer_claim_number=f"P{i}")
        for i, c in enumerate(claims)
    ]
    text_277 = build_277ca(batch, answers)
    text_999 = build_999(batch, code="R", set_codes=["5"])
    with django_assert_max_num_queries(14):
        acknowledgment_import(text=text_999)
    with django_assert_max_num_queries(14):
        acknowledgment_import(text=text_277)


# --- pages -----------------------------------------------------------------------------

UPLOAD = "/billing/batches/acknowledgments/"


def upload(client, text: str, name: str = "answer.txt"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(UPLOAD, {"file": SimpleUploadedFile(name, text.encode("latin-1"))})


def test_the_upload_url_is_the_one_the_batch_page_posts_to():
    from django.urls import reverse

    assert reverse("billing:acknowledgment_upload") == UPLOAD


def test_a_biller_uploads_a_999_then_a_277ca_and_the_pages_show_them(biller, practice_row):
    batch = sent_batch(2)
    first, second = claims_of(batch)
    response = upload(biller, build_999(batch))
    assert response.status_code == 302 and response["Location"] == "/billing/batches/"
    page = biller.get("/billing/batches/")
    assert "999 imported: 1 file(s) accepted, 0 rejected." in page.content.decode()
    text = build_277ca(
        batch,
        [ClaimAnswer(first, payer_claim_number="PCN77"), ClaimAnswer(second, "A7", "21", "IL")],
    )
    response = upload(biller, text, "claims.277")
    page = biller.get(response["Location"]).content.decode()
    assert "277CA imported: 1 claim(s) accepted, 1 rejected, 1 payer" in page
    assert "1 claim(s) back in the work queue" in page
    row = biller.get("/billing/batches/").context["batches"][0]
    assert row.file_ack.result == "accepted"
    assert (row.claims_accepted, row.claims_rejected) == (1, 1)
    assert ">Accepted</span>" in page and "1 accepted" in page and "1 rejected</a>" in page
    claim_page = biller.get(f"/billing/claims/{second.pk}/").content.decode()
    assert 'id="acknowledgments"' in claim_page
    assert "subscriber&#x27;s information missing or invalid" in claim_page
    assert "A7:21:IL" in claim_page and "Mark ready" in claim_page
    listed = biller.get("/billing/claims/", {"status": "rejected"}).context["claims"]
    assert [c.pk for c in listed] == [second.pk]
    assert "Rejected: fix and resend" in biller.get("/billing/").content.decode()
    second_acks = ClaimAcknowledgment.objects.filter(claim=second)
    assert second_acks.count() == 2
    assert set(second_acks.values_list("acknowledgment__imported_by", flat=True)) == {
        response.wsgi_request.user.pk
    }


def test_a_malformed_upload_is_a_400_naming_the_segment_beside_the_field(biller, practice_row):
    batch = sent_batch(1)
    text = build_999(batch, check=False).replace("IK5*A", "IK5*Q")
    response = upload(biller, text)
    assert response.status_code == 400
    errors = response.context["upload_form"].errors["file"]
    assert errors[0].startswith("Nothing was imported. Segment") and "IK5*Q" in errors[0]
    assert nothing_recorded()


def test_an_upload_matching_nothing_is_a_400_that_says_why(biller, practice_row):
    batch = sent_batch(1)
    response = upload(biller, build_999(batch, group_number=424242))
    assert response.status_code == 400
    assert "answers no 837P file" in response.context["upload_form"].errors["file"][0]
    assert nothing_recorded()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("ISA*00*caf\u00e9", "byte 10 is not ASCII"),
        ("PDF-1.4 not x12", "does not start with ISA"),
    ],
)
def test_files_that_are_no_x12_are_refused_beside_the_field(biller, practice_row, content, message):
    response = upload(biller, content)
    assert response.status_code == 400
    assert message in response.context["upload_form"].errors["file"][0]


def test_an_upload_without_a_file_asks_for_one(biller, practice_row):
    response = biller.post(UPLOAD, {})
    assert response.status_code == 400
    assert response.context["upload_form"].errors["file"] == [
        "Choose the 999 or 277CA file to upload."
    ]


def test_the_upload_answers_get_with_405(biller):
    assert biller.get(UPLOAD).status_code == 405


def test_clinicians_may_not_upload_acknowledgments(client, clinician_user, practice_row):
    batch = sent_batch(1)
    client.force_login(clinician_user)
    assert upload(client, build_999(batch, code="R")).status_code == 403
    assert nothing_recorded()
    assert claims_of(batch)[0].status == Claim.Status.SUBMITTED


def test_a_clinician_cannot_see_a_claims_acknowledgments(client, clinician_user, practice_row):
    batch = sent_batch(1)
    (claim,) = claims_of(batch)
    acknowledgment_import(text=build_277ca(batch, [ClaimAnswer(claim, "A7", "21")]))
    client.force_login(clinician_user)
    assert client.get(f"/billing/claims/{claim.pk}/").status_code == 403


@pytest.mark.parametrize("batches", [1, 4])
def test_the_batch_list_with_acknowledgments_runs_the_same_queries(
    biller, practice_row, django_assert_max_num_queries, batches
):
    for number in range(batches):
        batch = sent_batch(2)
        first, second = claims_of(batch)
        acknowledgment_import(text=build_999(batch, interchange=700 + number))
        acknowledgment_import(
            text=build_277ca(
                batch,
                [ClaimAnswer(first), ClaimAnswer(second, "A7", "21")],
                interchange=800 + number,
            )
        )
    biller.get("/billing/batches/")  # warm the session
    with django_assert_max_num_queries(14):
        response = biller.get("/billing/batches/")
    assert all(b.claims_rejected == 1 and b.file_ack for b in response.context["batches"])


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_imports_of_one_277ca_at_the_same_time_record_it_once(practice_row):
    batch = sent_batch(3)
    text = build_277ca(batch, [ClaimAnswer(c, "A7", "21") for c in claims_of(batch)])
    results = at_once(
        lambda: acknowledgment_import(text=text), lambda: acknowledgment_import(text=text)
    )
    assert sorted(r.already_imported for r in results) == [False, True]
    assert (Acknowledgment.objects.count(), ClaimAcknowledgment.objects.count()) == (1, 3)
    assert Claim.objects.filter(status=Claim.Status.REJECTED).count() == 3


def test_a_277ca_about_a_client_with_an_accented_name_is_read(practice_row):
    payer = factories.PayerFactory(payer_id="ACME1")
    factories.ClearinghouseFactory()
    coverage = factories.CoverageFactory(
        payer=payer, client__first_name="Siobhán", client__last_name="Nguyễn"
    )
    ready_session(coverage.client)
    batch = sent_batch(0, payer=payer)
    (claim,) = claims_of(batch)
    text = build_277ca(batch, [ClaimAnswer(claim, payer_claim_number="PCN-01")])
    assert "NM1*QC*1*NGUYEN*SIOBHAN" in text
    assert acknowledgment_import(text=text).payer_numbers == 1


def test_the_send_page_points_at_the_rejected_claims_waiting(biller, practice_row):
    batch = sent_batch(1)
    (claim,) = claims_of(batch)
    assert "came back rejected" not in biller.get("/billing/send/").content.decode()
    acknowledgment_import(text=build_277ca(batch, [ClaimAnswer(claim, "A7", "21")]))
    page = biller.get("/billing/send/").content.decode()
    assert "1 claim came back rejected from a 999 or 277CA and waits for you" in page
    assert 'href="/billing/claims/?status=rejected"' in page
