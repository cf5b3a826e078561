"""Two-step sign-in: who needs a second factor, and the gate that holds them until done.

A password alone logs a user in (django.contrib.auth), but a user who owes a second
factor can reach nothing except the code page, the enrolment page and log-out until
django-otp marks the session verified. What is owed is decided once, when the password
is accepted, and kept in the session: "verify" (the user has an authenticator) or
"enrol" (the user must set one up first). HIPAA 45 CFR 164.312(d): person or entity
authentication.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from practice import roles

SESSION_KEY = "sl_second_factor"
VERIFY = "verify"
ENROL = "enrol"
RECOVERY_CODE_COUNT = 10

# Pages a user who still owes a second factor may open.
OPEN_WHILE_PENDING = {"login", "logout", "account:mfa_verify", "account:mfa_enrol"}


def mfa_required(user: User | AnonymousUser) -> bool:
    """Owners (who alone may open the admin site) and billers must use a second factor
    when ``SL_REQUIRE_MFA`` is on; clinicians may choose to."""
    return settings.SL_REQUIRE_MFA and roles.can_bill(user)


def authenticator_of(user: User) -> TOTPDevice | None:
    """The user's confirmed authenticator app, if any."""
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).first()


def owed_step(user: User) -> str | None:
    """What a user who just gave the right password still owes: VERIFY, ENROL or nothing.
    Recovery codes alone do not count as an enrolment: an owner resets someone's second
    factor by deleting their authenticator."""
    if authenticator_of(user) is not None:
        return VERIFY
    if mfa_required(user):
        return ENROL
    return None


def pending_step(request) -> str | None:
    """The step this session still owes, or None when it owes nothing."""
    session = getattr(request, "session", None)
    step = session.get(SESSION_KEY) if session is not None else None
    if step and request.user.is_authenticated and not request.user.is_verified():
        return step
    return None


@receiver(user_logged_in, dispatch_uid="practice.mfa.remember_owed_step")
def remember_owed_step(sender, request, user, **kwargs) -> None:
    if request is None or not hasattr(request, "session"):
        return
    step = owed_step(user)
    if step:
        request.session[SESSION_KEY] = step
    else:
        request.session.pop(SESSION_KEY, None)


def step_done(request, device) -> None:
    """The second step is done with ``device``: the session is verified from now on, under
    a new session key (the privilege changed, as at a password login)."""
    otp_login(request, device)
    request.session.pop(SESSION_KEY, None)
    request.session.cycle_key()


def new_recovery_codes(user: User) -> list[str]:
    """Replace the user's recovery codes with fresh ones and return them, to show once.
    Each works once (django-otp deletes a static token when it is used)."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name="Recovery codes", confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def forget_second_factor(user: User) -> None:
    """Remove the user's authenticator and recovery codes (a reset, or a clinician
    turning the second step off)."""
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()


class SecondFactorMiddleware:
    """Sends a signed-in user who still owes a second factor to the page that takes it."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        step = pending_step(request)
        if step is None:
            return None
        if request.resolver_match.view_name in OPEN_WHILE_PENDING:
            return None
        target = reverse("account:mfa_verify" if step == VERIFY else "account:mfa_enrol")
        return redirect(f"{target}?{urlencode({'next': request.get_full_path()})}")
