"""A biller sends claims electronically in the browser and downloads the 837P file."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from billing.models import Batch, Claim
from billing.services import claims_build
from tests import factories
from tests.billing.test_scrubber import ready_session
from tests.e2e.conftest import log_in
from tests.x12 import assert_valid_837

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_biller_sends_the_ready_claims_and_downloads_the_file(
    page, live_server, practice_row, biller_user
):
    factories.ClearinghouseFactory()
    payer = factories.PayerFactory(name="Prairie Mutual", timely_filing_days=3650)
    client = factories.CoverageFactory(payer=payer, client__last_name="Nguyễn").client
    ready_session(client)
    (claim,) = claims_build().claims
    Claim.objects.filter(pk=claim.pk).update(status=Claim.Status.READY)

    log_in(page, live_server, "biller")
    page.goto(live_server.url + "/billing/send/")
    page.get_by_label("Prairie Mutual").check()
    page.get_by_role("button", name="Check claims").click()
    expect(page.get_by_role("heading", name="Held back (0)")).to_be_visible()
    page.get_by_role("button", name="Generate 1 file and mark 1 claim submitted").click()
    expect(page.get_by_role("heading", name="Batches sent")).to_be_visible()

    batch = Batch.objects.get()
    with page.expect_download() as download:
        page.get_by_role("link", name=batch.file_name).click()
    text = download.value.path().read_text()
    assert text == batch.text
    assert_valid_837(text)
    assert "NM1*QC" not in text and "*NGUYEN*ALEX*" in text


def test_a_biller_imports_the_acknowledgments_and_finds_the_rejected_claim(
    page, live_server, practice_row, biller_user, tmp_path
):
    from billing.submission import claims_send, sendable_claims
    from tests.x12_acks import ClaimAnswer, build_277ca, build_999

    factories.ClearinghouseFactory()
    payer = factories.PayerFactory(name="Prairie Mutual", timely_filing_days=3650)
    ready_session(factories.CoverageFactory(payer=payer).client)
    (claim,) = claims_build().claims
    Claim.objects.filter(pk=claim.pk).update(status=Claim.Status.READY)
    batch = claims_send(claims=sendable_claims()).files[0].batch
    claim.refresh_from_db()
    (tmp_path / "file.999").write_text(build_999(batch))
    (tmp_path / "claims.277").write_text(
        build_277ca(batch, [ClaimAnswer(claim, "A7", "562", "85", message="NPI NOT ON FILE")])
    )

    log_in(page, live_server, "biller")
    page.goto(live_server.url + "/billing/batches/")
    expect(page.get_by_role("cell", name="none yet").first).to_be_visible()
    page.get_by_label("999 or 277CA file").set_input_files(str(tmp_path / "file.999"))
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_text("999 imported: 1 file(s) accepted, 0 rejected.")).to_be_visible()
    page.get_by_label("999 or 277CA file").set_input_files(str(tmp_path / "claims.277"))
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_text("1 claim(s) back in the work queue")).to_be_visible()
    page.get_by_role("link", name="1 rejected").click()
    page.get_by_role("link", name=claim.control_number).click()
    expect(page.get_by_role("heading", name="Acknowledgments")).to_be_visible()
    expect(page.get_by_text("billing provider's NPI").first).to_be_visible()
    expect(page.get_by_role("button", name="Mark ready")).to_be_visible()
