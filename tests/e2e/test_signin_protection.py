"""In Chromium: a lock-out after repeated wrong passwords, and a biller enrolling an
authenticator app (codes computed here from the key the page shows) and signing in with it."""

from __future__ import annotations

import base64
import time

import pytest
from django_otp.oath import TOTP

from tests.e2e.conftest import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _app_code(secret: str, at: float | None = None) -> str:
    """What an authenticator app shows for this key (RFC 6238: 30-second steps, 6 digits)."""
    totp = TOTP(base64.b32decode(secret), step=30, digits=6)
    totp.time = at if at is not None else time.time()
    return f"{totp.token():06d}"


def test_five_wrong_passwords_lock_the_user_out_with_a_message(page, live_server, biller_user):
    for _ in range(5):
        log_in(page, live_server, "biller", password="not the password")
    assert page.get_by_role("heading", name="Sign-in locked").is_visible()
    assert page.get_by_text("Try again after").is_visible()
    # The right password does not get through while the lock holds.
    log_in(page, live_server, "biller")
    assert page.get_by_role("heading", name="Sign-in locked").is_visible()
    assert page.get_by_text("ask the practice owner").is_visible()


def test_a_biller_enrols_an_authenticator_and_signs_in_with_its_code(
    page, live_server, biller_user, settings
):
    settings.SL_REQUIRE_MFA = True
    log_in(page, live_server, "biller")
    assert "/account/two-step/set-up/" in page.url
    assert page.locator("svg.segno").is_visible()
    secret = page.get_by_test_id("totp-secret").inner_text()
    page.get_by_label("Code").fill(_app_code(secret))
    page.get_by_role("button", name="Confirm").click()
    codes = page.get_by_test_id("recovery-codes").locator("code").all_inner_texts()
    assert len(codes) == 10
    page.get_by_role("link", name="I have kept them: continue").click()
    assert page.get_by_role("heading", name="Billing").first.is_visible()

    page.get_by_role("button", name="Log out").click()
    log_in(page, live_server, "biller")
    assert "/account/two-step/" in page.url
    assert page.get_by_role("heading", name="Enter your code").is_visible()
    # The code of the next 30-second step: the one used to enrol cannot be used again.
    page.get_by_label("Code").fill(_app_code(secret, at=time.time() + 30))
    page.get_by_role("button", name="Verify").click()
    page.wait_for_load_state("networkidle")
    assert "/billing/" in page.url
    assert page.locator("#mainnav").get_by_role("link", name="Claims").is_visible()
