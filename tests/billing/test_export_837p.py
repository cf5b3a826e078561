"""``manage.py export_837p`` and the submission services behind it (billing.submission):
one file per clearinghouse and payer, each kept as an immutable batch; claims with
errors never leave; control numbers never repeat."""

from __future__ import annotations

import datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from billing.models import Batch, Claim, ControlCounter
from billing.payments import client_payment_record, client_refund_record
from billing.services import claims_build
from billing.submission import control_numbers_next, sendable_claims, submission_plan
from practice.models import Session
from tests import factories
from tests.billing.test_scrubber import DAY, ready_session
from tests.threads import at_once
from tests.x12 import assert_valid_837

pytestmark = pytest.mark.django_db

TODAY = datetime.datetime(2026, 10, 12, 15, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def _today(time_machine):
    time_machine.move_to(TODAY, tick=False)


@pytest.fixture
def clearinghouse(db):
    return factories.ClearinghouseFactory()


def ready_claims(payer, n=1):
    for _ in range(n):
        ready_session(factories.CoverageFactory(payer=payer).client)
    claims = claims_build(payer=payer).claims
    Claim.objects.filter(pk__in=[c.pk for c in claims]).update(status=Claim.Status.READY)
    return claims


def export(tmp_path, *args):
    out = StringIO()
    call_command("export_837p", "--out", str(tmp_path), *args, stdout=out)
    return out.getvalue()


def test_ready_claims_go_out_in_one_file_per_payer_and_become_submitted(
    practice_row, clearinghouse, tmp_path
):
    acme, zenith = factories.PayerFactory(payer_id="ACME1"), factories.PayerFactory()
    ready_claims(acme, 2)
    ready_claims(zenith, 1)
    output = export(tmp_path)
    files = sorted(tmp_path.iterdir())
    assert len(files) == 2
    for path in files:
        text = path.read_text()
        assert_valid_837(text)
        batch = Batch.objects.get(file_name=path.name)
        assert batch.text == text
        assert f"{path}  {batch.claim_count} claim" in output
    assert any("-acme1-" in path.name for path in files)
    assert set(Claim.objects.values_list("status", flat=True)) == {Claim.Status.SUBMITTED}
    batch = Batch.objects.get(payer=acme)
    assert batch.claims.count() == 2
    assert batch.total_charge == sum(c.total_charge for c in batch.claims.all())
    latest = batch.claims.first().history.first()
    assert latest.status == Claim.Status.SUBMITTED
    assert latest.history_change_reason == f"Sent in {batch.file_name}"
    assert "Sent 3 claim(s) in 2 file(s)." in output


def test_a_dry_run_writes_the_files_and_records_nothing(practice_row, clearinghouse, tmp_path):
    ready_claims(factories.PayerFactory(), 2)
    counters = dict(ControlCounter.objects.values_list("name", "value"))
    output = export(tmp_path, "--dry-run")
    (path,) = tmp_path.iterdir()
    assert_valid_837(path.read_text())
    assert "dry run: nothing recorded" in output
    assert not Batch.objects.exists()
    assert set(Claim.objects.values_list("status", flat=True)) == {Claim.Status.READY}
    assert dict(ControlCounter.objects.values_list("name", "value")) == counters


def test_drafts_go_only_when_asked_and_only_when_clean(practice_row, clearinghouse, tmp_path):
    payer = factories.PayerFactory()
    clean = ready_session(factories.CoverageFactory(payer=payer).client)
    broken_client = factories.CoverageFactory(payer=payer).client
    ready_session(broken_client, date=DAY + datetime.timedelta(days=1))
    claims_build()
    broken = Claim.objects.get(client=broken_client)
    broken.parties["patient"]["last_name"] = "Smith*Jones"
    broken.save(update_fields=["parties"])
    assert "Nothing to export" in export(tmp_path)
    output = export(tmp_path, "--include-clean-drafts")
    assert Claim.objects.get(client=clean.client).status == Claim.Status.SUBMITTED
    broken.refresh_from_db()
    assert broken.status == Claim.Status.DRAFT
    assert f"  {broken.control_number}  " in output
    assert "Patient last name “Smith*Jones” contains *" in output


def test_nothing_exported_because_of_errors_exits_non_zero(practice_row, clearinghouse, tmp_path):
    (claim,) = ready_claims(factories.PayerFactory())
    claim.parties["billing"]["zip_code"] = "62701"
    claim.save(update_fields=["parties"])
    with pytest.raises(CommandError, match="every claim has errors"):
        export(tmp_path)
    assert list(tmp_path.iterdir()) == []
    assert not Batch.objects.exists()


def test_a_payer_billed_on_paper_is_left_out(practice_row, clearinghouse, tmp_path):
    paper = factories.PayerFactory(accepts_electronic_claims=False)
    ready_claims(paper)
    assert "Nothing to export" in export(tmp_path)
    assert Claim.objects.get().status == Claim.Status.READY


def test_payer_narrows_the_export_and_an_unknown_one_is_refused(
    practice_row, clearinghouse, tmp_path
):
    acme, zenith = factories.PayerFactory(), factories.PayerFactory()
    ready_claims(acme)
    ready_claims(zenith)
    export(tmp_path, "--payer", str(acme.pk))
    assert Batch.objects.get().payer == acme
    assert Claim.objects.get(payer=zenith).status == Claim.Status.READY
    with pytest.raises(CommandError, match="No payer with id 999999"):
        export(tmp_path, "--payer", "999999")


def test_without_a_clearinghouse_claims_are_held_with_the_reason(practice_row, tmp_path):
    ready_claims(factories.PayerFactory())
    with pytest.raises(CommandError):
        export(tmp_path)
    plan = submission_plan(claims=sendable_claims())
    ((_, reasons),) = plan.held
    assert [reason.message for reason in reasons] == [
        "No clearinghouse is set up: add one in the admin (Clearinghouses) and make it the default."
    ]


def test_a_payer_can_name_its_own_clearinghouse(practice_row, clearinghouse, tmp_path):
    other = factories.ClearinghouseFactory(name="Other House", is_default=False)
    payer = factories.PayerFactory(clearinghouse=other)
    ready_claims(payer)
    export(tmp_path)
    assert Batch.objects.get().clearinghouse == other
    assert "*OTHER HOUSE*" in Batch.objects.get().text


def test_control_numbers_never_repeat_across_exports(practice_row, clearinghouse, tmp_path):
    payer = factories.PayerFactory()
    ready_claims(payer)
    export(tmp_path)
    ready_claims(payer)
    export(tmp_path)
    first, second = Batch.objects.order_by("pk")
    assert second.interchange_control_number == first.interchange_control_number + 1
    assert second.group_control_number > first.group_control_number
    assert f"*{second.interchange_control_number:09d}*1*T*:~" in second.text


@pytest.mark.django_db(transaction=True)
def test_control_numbers_must_be_taken_inside_a_transaction():
    with pytest.raises(RuntimeError):
        control_numbers_next()


def test_control_numbers_survive_a_database_that_lost_its_counters(db):
    ControlCounter.objects.all().delete()
    with transaction.atomic():
        assert control_numbers_next() == (1, 1, 1)
        assert control_numbers_next() == (2, 2, 2)


def test_a_batch_is_never_changed_or_deleted(practice_row, clearinghouse, tmp_path):
    ready_claims(factories.PayerFactory())
    export(tmp_path)
    batch = Batch.objects.get()
    batch.text = "changed"
    with pytest.raises(ValueError, match="cannot change"):
        batch.save()
    with pytest.raises(ValueError, match="cannot be deleted"):
        batch.delete()
    assert Batch.objects.get().text.startswith("ISA*")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_exports_at_once_never_share_a_control_number():
    ControlCounter.objects.bulk_create(
        [ControlCounter(name=n) for n in ("ISA", "GS", "ST")], ignore_conflicts=True
    )
    taken: list[tuple[int, int, int]] = []

    def take():
        for _ in range(5):
            with transaction.atomic():
                taken.append(control_numbers_next())

    at_once(take, take, take, take)
    assert len({numbers[0] for numbers in taken}) == 20
    assert len({numbers[2] for numbers in taken}) == 20


def amounts_paid_by_client(text: str) -> dict[str, str]:
    """AMT*F5 per claim (CLM01) in an 837P; a claim without one is absent."""
    found, claim = {}, None
    for segment in (s.strip() for s in text.split("~")):
        if segment.startswith("CLM*"):
            claim = segment.split("*")[1]
        elif segment.startswith("AMT*F5*"):
            found[claim] = segment.split("*")[2]
    return found


def test_the_clients_copay_at_the_session_goes_out_as_the_patient_amount_paid(
    practice_row, clearinghouse, tmp_path
):
    payer = factories.PayerFactory()
    copay, refunded, nothing = ready_claims(payer, 3)
    paid = {}
    for claim in (copay, refunded):
        paid[claim] = client_payment_record(
            client=claim.client,
            amount=Decimal("30.00"),
            method="card",
            received_on=DAY,
            session=Session.objects.get(client=claim.client),
        )
    client_refund_record(
        payment=paid[refunded], amount=Decimal("10.00"), method="card", refunded_on=DAY
    )
    export(tmp_path)
    text = Batch.objects.get().text
    assert_valid_837(text)
    assert amounts_paid_by_client(text) == {
        copay.control_number: "30",
        refunded.control_number: "20",
    }
    assert nothing.control_number in text
