"""Two-step sign-in (django-otp): required for owners and billers when SL_REQUIRE_MFA is
on, optional for clinicians, with TOTP codes computed here from the device's key."""

from __future__ import annotations

import base64
import datetime
import re

import pytest
import time_machine
from axes.models import AccessFailureLog
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from practice.admin import owner_has_permission

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"
ENROL = "/account/two-step/set-up/"
VERIFY = "/account/two-step/"


@pytest.fixture
def mfa_on(settings):
    settings.SL_REQUIRE_MFA = True


def _log_in(client, username, url="/login/"):
    response = client.post(url, {"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.content[:500]
    return response


def _code(device: TOTPDevice) -> str:
    """What the user's authenticator app shows now, from the key it scanned."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():06d}"


def _enrol(client, username) -> list[str]:
    """Enrol through the pages, as a user would; returns the recovery codes shown."""
    assert "no-store" in client.get(ENROL)["Cache-Control"]  # the key is on it
    device = TOTPDevice.objects.get(user__username=username, confirmed=False)
    response = client.post(ENROL, {"code": _code(device)})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]  # so are the recovery codes
    return response.context["codes"]


@pytest.mark.parametrize(
    ("fixture", "username"), [("owner_user", "owner"), ("biller_user", "biller")]
)
def test_a_required_role_without_an_authenticator_reaches_only_enrolment(
    client, request, mfa_on, fixture, username
):
    request.getfixturevalue(fixture)
    _log_in(client, username)
    for url in ("/", "/billing/", "/practice/clients/", "/admin/", "/account/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(ENROL + "?next="), url
    page = client.get(ENROL)
    assert page.status_code == 200
    assert b"<svg" in page.content
    assert b"Sign-ins" not in page.content  # no menu to bounce around in


def test_the_enrolment_page_draws_its_qr_code_without_scripts_or_inline_styles(
    client, biller_user, mfa_on
):
    _log_in(client, "biller")
    html = client.get(ENROL).content.decode()
    device = TOTPDevice.objects.get(user=biller_user)
    assert 'class="segno"' in html
    assert " style=" not in html
    assert "<script>" not in html and "<script " not in html.replace('<script src="/static/', "")
    # The key typed by hand is the device's key.
    secret = re.search(r'data-testid="totp-secret">([A-Z2-7]+)<', html).group(1)
    assert base64.b32decode(secret) == device.bin_key


def test_enrolment_with_the_apps_code_turns_it_on_and_shows_recovery_codes_once(
    client, biller_user, mfa_on
):
    _log_in(client, "biller")
    codes = _enrol(client, "biller")
    assert len(codes) == 10 and len(set(codes)) == 10
    assert TOTPDevice.objects.get(user=biller_user).confirmed
    assert client.get("/billing/").status_code == 200
    # Nothing shows them again: the account page only counts them.
    account = client.get("/account/").content.decode()
    assert "10 recovery codes left" in account
    assert not any(code in account for code in codes)


def test_a_wrong_enrolment_code_is_refused_next_to_the_field(client, biller_user, mfa_on):
    _log_in(client, "biller")
    client.get(ENROL)
    response = client.post(ENROL, {"code": "000000"})
    assert response.status_code == 200
    assert "That code is not right" in response.context["form"].errors["code"][0]
    assert not TOTPDevice.objects.filter(user=biller_user, confirmed=True).exists()
    assert client.get("/billing/").status_code == 302


@pytest.mark.parametrize("code", ["１２３４５６", "x" * 40, ""])
def test_odd_codes_are_refused_with_a_message_not_an_error(client, biller_user, mfa_on, code):
    _log_in(client, "biller")
    client.get(ENROL)
    response = client.post(ENROL, {"code": code})
    assert response.status_code == 200
    assert response.context["form"].errors["code"]


def test_a_code_with_a_nul_is_refused_with_400(client, biller_user, mfa_on):
    """Refused before any view sees it (practice.middleware.RefuseMalformedMiddleware)."""
    _log_in(client, "biller")
    client.get(ENROL)
    assert client.post(ENROL, {"code": "12\x0034"}).status_code == 400
    assert not TOTPDevice.objects.filter(user=biller_user, confirmed=True).exists()


def test_the_next_sign_in_asks_for_the_code_and_accepts_the_apps_code(client, biller_user, mfa_on):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        _log_in(client, "biller")
        _enrol(client, "biller")
        client.logout()
        traveller.shift(datetime.timedelta(minutes=1))  # the app shows a new code
        _log_in(client, "biller")
        response = client.get("/billing/claims/")
        assert response.url == f"{VERIFY}?next=%2Fbilling%2Fclaims%2F"
        response = client.post(
            VERIFY,
            {"code": _code(TOTPDevice.objects.get(user=biller_user)), "next": "/billing/claims/"},
        )
        assert response.status_code == 302 and response.url == "/billing/claims/"
        assert client.get("/billing/claims/").status_code == 200


def test_a_code_is_not_accepted_twice(client, biller_user, mfa_on):
    with time_machine.travel(timezone.now(), tick=False):
        _log_in(client, "biller")
        _enrol(client, "biller")
        used = _code(TOTPDevice.objects.get(user=biller_user))
        client.logout()
        _log_in(client, "biller")
        response = client.post(VERIFY, {"code": used})
        assert response.status_code == 200
        assert client.get("/billing/").status_code == 302


def test_a_recovery_code_signs_in_once(client, biller_user, mfa_on):
    _log_in(client, "biller")
    codes = _enrol(client, "biller")
    client.logout()
    _log_in(client, "biller")
    response = client.post(VERIFY, {"code": codes[0].upper()}, follow=True)
    assert response.redirect_chain[-1][0].startswith("/billing/")
    assert b"You used a recovery code; 9 left." in response.content
    client.logout()
    _log_in(client, "biller")
    response = client.post(VERIFY, {"code": codes[0]})
    assert response.status_code == 200
    assert response.context["form"].errors["code"]
    assert StaticToken.objects.filter(device__user=biller_user).count() == 9


def test_wrong_codes_count_as_failed_sign_ins_and_lock_out(client, biller_user, mfa_on):
    _log_in(client, "biller")
    _enrol(client, "biller")
    client.logout()
    _log_in(client, "biller")
    for _ in range(4):
        assert client.post(VERIFY, {"code": "000000"}).status_code == 200
    response = client.post(VERIFY, {"code": "000000"})
    assert response.status_code == 429
    assert b"Sign-in locked" in response.content
    assert "_auth_user_id" not in client.session
    assert AccessFailureLog.objects.filter(username="biller", path_info=VERIFY).count() == 5


def test_new_recovery_codes_replace_the_old_ones(client, biller_user, mfa_on):
    _log_in(client, "biller")
    old = _enrol(client, "biller")
    response = client.post("/account/two-step/recovery-codes/")
    new = response.context["codes"]
    assert set(new).isdisjoint(old)
    assert set(StaticToken.objects.values_list("token", flat=True)) == set(new)


def test_the_owners_admin_login_also_asks_for_the_second_factor(client, owner_user, mfa_on):
    owner_user.is_staff = True
    owner_user.save()
    response = _log_in(client, "owner", url="/admin/login/?next=/admin/")
    assert client.get(response.url).url.startswith(ENROL)
    _enrol(client, "owner")
    assert client.get("/admin/").status_code == 200


def test_the_admin_gate_itself_refuses_an_owner_without_the_second_step(rf, owner_user, mfa_on):
    request = rf.get("/admin/")
    request.user = owner_user
    owner_user.is_verified = lambda: False
    assert not owner_has_permission(request)
    owner_user.is_verified = lambda: True
    assert owner_has_permission(request)


def test_a_clinician_is_not_asked_until_they_choose_to_enrol(client, clinician_user, mfa_on):
    _log_in(client, "clinician")
    assert client.get("/practice/sessions/").status_code == 200
    assert b"Set up two-step sign-in" in client.get("/account/").content
    _enrol(client, "clinician")
    client.logout()
    _log_in(client, "clinician")
    assert client.get("/practice/sessions/").url.startswith(VERIFY)


def test_a_clinician_may_turn_it_off_again_but_a_biller_may_not(
    client, clinician_user, biller_user, mfa_on
):
    _log_in(client, "clinician")
    _enrol(client, "clinician")
    assert client.post("/account/two-step/turn-off/").status_code == 302
    assert not TOTPDevice.objects.filter(user=clinician_user).exists()
    client.logout()
    _log_in(client, "biller")
    _enrol(client, "biller")
    assert client.post("/account/two-step/turn-off/").status_code == 403
    assert TOTPDevice.objects.filter(user=biller_user).exists()


def test_with_the_setting_off_billers_and_owners_sign_in_with_a_password(
    client, owner_user, biller_user
):
    for username in ("owner", "biller"):
        _log_in(client, username)
        assert client.get("/billing/").status_code == 200
        client.logout()


def test_an_owner_resets_a_lost_authenticator_by_deleting_it(client, biller_user, mfa_on):
    _log_in(client, "biller")
    _enrol(client, "biller")
    client.logout()
    TOTPDevice.objects.filter(user=biller_user).delete()  # what the admin's delete does
    _log_in(client, "biller")
    assert client.get("/billing/").url.startswith(ENROL)


def test_a_user_with_an_authenticator_cannot_replace_it_before_the_code(
    client, biller_user, mfa_on
):
    _log_in(client, "biller")
    _enrol(client, "biller")
    client.logout()
    _log_in(client, "biller")
    assert client.get(ENROL).url == VERIFY
    assert TOTPDevice.objects.filter(user=biller_user).count() == 1


def test_the_code_page_sends_nowhere_outside_the_site(client, biller_user, mfa_on):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        _log_in(client, "biller")
        _enrol(client, "biller")
        client.logout()
        traveller.shift(datetime.timedelta(minutes=1))
        _log_in(client, "biller")
        code = _code(TOTPDevice.objects.get(user=biller_user))
        response = client.post(VERIFY, {"code": code, "next": "https://evil.example/"})
        assert response.url == "/"


def test_the_owner_resets_a_lost_authenticator_on_the_sign_ins_page(
    client, owner_user, biller_user, settings
):
    settings.SL_REQUIRE_MFA = True
    _log_in(client, "biller")
    _enrol(client, "biller")
    client.logout()
    settings.SL_REQUIRE_MFA = False  # the owner's own second step is tested above
    client.force_login(owner_user)
    page = client.get("/account/sign-ins/")
    assert [(p.username, p.has_authenticator) for p in page.context["people"]] == [
        ("biller", True),
        ("owner", False),
    ]
    response = client.post("/account/sign-ins/reset-two-step/", {"user": biller_user.pk})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=biller_user).exists()
    assert not StaticToken.objects.filter(device__user=biller_user).exists()
    client.logout()
    settings.SL_REQUIRE_MFA = True
    _log_in(client, "biller")
    assert client.get("/billing/").url.startswith(ENROL)


@pytest.mark.parametrize("user", ["", "abc", "²", "99999999999999999999999"])
def test_a_reset_without_a_person_is_refused_with_a_message(client, owner_user, user):
    client.force_login(owner_user)
    response = client.post("/account/sign-ins/reset-two-step/", {"user": user}, follow=True)
    assert response.status_code == 200
    assert b"Choose a person whose two-step sign-in to reset." in response.content


@pytest.mark.parametrize("fixture", ["biller_user", "clinician_user"])
def test_only_the_owner_resets_someones_two_step_sign_in(client, request, fixture, owner_user):
    TOTPDevice.objects.create(user=owner_user, name="app", confirmed=True)
    client.force_login(request.getfixturevalue(fixture))
    response = client.post("/account/sign-ins/reset-two-step/", {"user": owner_user.pk})
    assert response.status_code == 403
    assert TOTPDevice.objects.filter(user=owner_user).exists()
