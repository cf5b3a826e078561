"""Account pages: two-step sign-in (code, enrolment, recovery codes) for everyone, and
the owner's Sign-ins page with failed and successful sign-ins and lock-outs."""

from __future__ import annotations

import ipaddress
from base64 import b32encode

import segno
from axes.handlers.proxy import AxesProxyHandler
from axes.models import AccessFailureLog, AccessLog
from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib import auth, messages
from django.contrib.auth.models import Group, User
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_otp import verify_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from practice import mfa, roles, signin
from practice.forms.account import CodeForm, DefaultOfficeForm
from practice.params import next_path

SIGNIN_EVENTS = 200


def _next_url(request: HttpRequest) -> str:
    return next_path(request, request.POST.get("next") or request.GET.get("next") or "", "/")


def account(request: HttpRequest) -> HttpResponse:
    """Your sign-in: whether the second step is on, and the buttons to change it; for a
    clinician, the default office of new sessions and appointments."""
    user = request.user
    clinician = roles.clinician_of(user)
    return render(
        request,
        "registration/account.html",
        {
            "authenticator": mfa.authenticator_of(user),
            "recovery_codes_left": StaticToken.objects.filter(device__user=user).count(),
            "mfa_required": mfa.mfa_required(user),
            "office_form": DefaultOfficeForm(instance=clinician) if clinician else None,
        },
    )


@require_POST
def default_office(request: HttpRequest) -> HttpResponse:
    """A clinician sets their own default office (nobody else's: there is no id to pass)."""
    clinician = roles.clinician_of(request.user)
    if clinician is None:
        raise PermissionDenied
    form = DefaultOfficeForm(request.POST, instance=clinician)
    if not form.is_valid():
        return render(
            request,
            "registration/account.html",
            {
                "authenticator": mfa.authenticator_of(request.user),
                "recovery_codes_left": StaticToken.objects.filter(
                    device__user=request.user
                ).count(),
                "mfa_required": mfa.mfa_required(request.user),
                "office_form": form,
            },
            status=400,
        )
    form.save()
    office = clinician.default_location
    messages.success(
        request,
        f"New sessions and appointments start at {office}." if office else "No default office.",
    )
    return redirect("account:account")


@never_cache
def mfa_verify(request: HttpRequest) -> HttpResponse:
    """The second step: a code from the authenticator app, or one recovery code.
    A wrong code counts as a failed sign-in for django-axes, so guessing codes locks the
    username like guessing passwords does (django-otp also slows each device down)."""
    user = request.user
    if mfa.pending_step(request) != mfa.VERIFY:
        return redirect(_next_url(request))
    credentials = {"username": user.get_username()}
    if not AxesProxyHandler.is_allowed(request, credentials):
        auth.logout(request)
        return signin.lockout_response(request)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        devices = (
            TOTPDevice.objects.devices_for_user(user, confirmed=True)
            if form.is_app_code
            else StaticDevice.objects.devices_for_user(user, confirmed=True)
        )
        code = form.cleaned_data["code"]
        device = next(
            (d for d in devices if verify_token(user, d.persistent_id, code) is not None), None
        )
        if device is not None:
            mfa.step_done(request, device)
            if isinstance(device, StaticDevice):
                messages.warning(
                    request,
                    f"You used a recovery code; {device.token_set.count()} left. "
                    "Make new ones on your account page if you are running out.",
                )
            return redirect(_next_url(request))
        user_login_failed.send(sender=__name__, credentials=credentials, request=request)
        if getattr(request, "axes_locked_out", False):
            auth.logout(request)
            return signin.lockout_response(request)
        form.add_error("code", "That code is not right, or was used already. Try the next one.")
    return render(
        request, "registration/mfa_verify.html", {"form": form, "next": _next_url(request)}
    )


def _qr_svg(device: TOTPDevice) -> str:
    """The authenticator's set-up link as an inline SVG QR code, drawn here (no network)."""
    return segno.make(device.config_url, error="m").svg_inline(
        scale=4, title="QR code for your authenticator app"
    )


@never_cache
def mfa_enrol(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator app: scan the code (or type the key), confirm with the code
    it shows. On success the session counts as verified and the recovery codes are shown,
    once."""
    user = request.user
    if mfa.pending_step(request) == mfa.VERIFY or (
        mfa.authenticator_of(user) is not None and not user.is_verified()
    ):
        # Replacing an authenticator takes the current one first.
        return redirect("account:mfa_verify")
    # The same unconfirmed device across reloads, so the QR code stays what was scanned.
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if form.is_app_code and device.verify_token(form.cleaned_data["code"]):
            TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            codes = mfa.new_recovery_codes(user)
            mfa.step_done(request, device)
            return render(
                request,
                "registration/recovery_codes.html",
                {"codes": codes, "next": _next_url(request), "enrolled": True},
            )
        form.add_error("code", "That code is not right. Type the code the app shows now.")
    return render(
        request,
        "registration/mfa_enrol.html",
        {
            "form": form,
            "qr_svg": _qr_svg(device),
            "secret": b32encode(device.bin_key).decode(),
            "next": _next_url(request),
            "mfa_required": mfa.mfa_required(user),
        },
    )


@never_cache
@require_POST
def mfa_recovery_codes(request: HttpRequest) -> HttpResponse:
    """New recovery codes replace the old ones and are shown once."""
    if not request.user.is_verified():
        raise PermissionDenied
    codes = mfa.new_recovery_codes(request.user)
    return render(request, "registration/recovery_codes.html", {"codes": codes, "next": "/"})


@require_POST
def mfa_disable(request: HttpRequest) -> HttpResponse:
    """A user for whom the second step is optional may turn it off again."""
    if mfa.mfa_required(request.user) or not request.user.is_verified():
        raise PermissionDenied
    mfa.forget_second_factor(request.user)
    messages.success(request, "Two-step sign-in is off.")
    return redirect("account:account")


def signin_list(request: HttpRequest) -> HttpResponse:
    """Owner only: lock-outs in force, and recent failed and successful sign-ins."""
    roles.require(roles.is_owner(request.user))
    username = request.GET.get("user", "").strip()[:150].replace("\0", "")
    successes = AccessLog.objects.order_by("-attempt_time")
    failures = AccessFailureLog.objects.order_by("-attempt_time")
    if username:
        successes = successes.filter(username=username)
        failures = failures.filter(username=username)
    fields = ("username", "ip_address", "user_agent", "path_info", "attempt_time")
    events = [
        {**row, "ok": True, "locked_out": False}
        for row in successes.values(*fields)[:SIGNIN_EVENTS]
    ] + [{**row, "ok": False} for row in failures.values(*fields, "locked_out")[:SIGNIN_EVENTS]]
    events.sort(key=lambda event: event["attempt_time"], reverse=True)
    people = (
        User.objects.filter(is_active=True, groups__name__in=roles.ROLES)
        .distinct()
        .annotate(
            has_authenticator=Exists(TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True))
        )
        .prefetch_related(Prefetch("groups", Group.objects.filter(name__in=roles.ROLES)))
        .order_by("username")
    )
    return render(
        request,
        "practice/signin_list.html",
        {
            "people": people,
            "require_mfa": settings.SL_REQUIRE_MFA,
            "lockouts": signin.lockouts_in_force(),
            "events": events[:SIGNIN_EVENTS],
            "username": username,
            "shown": SIGNIN_EVENTS,
        },
    )


@require_POST
def mfa_reset(request: HttpRequest) -> HttpResponse:
    """Owner only: forget someone's authenticator and recovery codes (a lost phone). Their
    next sign-in sets up a new one, if their role needs it."""
    roles.require(roles.is_owner(request.user))
    user_id = request.POST.get("user", "")
    valid_id = user_id.isascii() and user_id.isdigit() and len(user_id) < 19
    person = User.objects.filter(pk=int(user_id)).first() if valid_id else None
    if person is None:
        messages.error(request, "Choose a person whose two-step sign-in to reset.")
    else:
        mfa.forget_second_factor(person)
        messages.success(request, f"Two-step sign-in of {person.get_username()} is reset.")
    return redirect("account:signin_list")


@require_POST
def signin_unlock(request: HttpRequest) -> HttpResponse:
    """Owner only: lift a lock-out of a username or an address before its cool-off ends."""
    roles.require(roles.is_owner(request.user))
    kind = request.POST.get("kind")
    value = request.POST.get("value", "").replace("\0", "")[:150]
    if kind not in ("username", "address") or not value:
        messages.error(request, "Choose a lock-out to lift.")
        return redirect("account:signin_list")
    if kind == "username":
        axes_reset(username=value)
    else:
        try:
            value = str(ipaddress.ip_address(value))
        except ValueError:
            messages.error(request, f"{value} is not an address.")
            return redirect("account:signin_list")
        axes_reset(ip=value)
    messages.success(request, f"Unlocked {kind} {value}.")
    return redirect("account:signin_list")
