"""A biller uploads an 835 in the browser, checks the preview, posts it and sees the
claim paid."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from billing.models import Claim, Remittance
from tests import factories
from tests.billing.test_claim_views import make_claim
from tests.e2e.conftest import log_in
from tests.x835 import ClaimAnswer, LineAnswer, build_835

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_biller_uploads_previews_and_posts_an_835(
    page, live_server, practice_row, biller_user, tmp_path
):
    coverage = factories.CoverageFactory(client__last_name="O'Brien")
    claim = make_claim(coverage)
    (line,) = claim.lines.all()
    answer = ClaimAnswer(
        claim,
        [
            LineAnswer(
                line, Decimal("100.00"), [("CO", "45", Decimal("40")), ("PR", "3", Decimal("20"))]
            )
        ],
        payer_claim_number="PCN-E2E",
    )
    path = tmp_path / "era.835"
    path.write_text(build_835(coverage.payer, [answer]), encoding="ascii")

    log_in(page, live_server, "biller")
    page.goto(live_server.url + "/billing/")
    page.get_by_role("link", name="Remittances").click()
    page.get_by_label("835 file").set_input_files(str(path))
    page.get_by_role("button", name="Preview").click()

    row = page.locator(f'tr[data-claim="{claim.control_number}"]')
    expect(row).to_contain_text("$160.00")  # charge
    expect(row).to_contain_text("$120.00")  # allowed
    expect(row).to_contain_text("Copay: the client's share")
    expect(row).to_contain_text("Submitted → Paid")
    assert not Remittance.objects.exists()

    page.get_by_role("button", name="Post").click()
    expect(page.get_by_text("Posted 1 claim(s): paid 100.00")).to_be_visible()
    page.get_by_role("link", name=claim.control_number).first.click()
    expect(page.get_by_role("heading", name=f"Claim {claim.control_number}")).to_be_visible()
    expect(page.locator(".badge", has_text="Paid")).to_be_visible()
    expect(page.locator('tr[data-money="paid"]')).to_contain_text("$100.00")
    expect(page.get_by_text("Payer's claim number PCN-E2E")).to_be_visible()
    claim.refresh_from_db()
    assert claim.status == Claim.Status.PAID
