"""Sign-in protection on top of django-axes: the page a locked-out user sees, and the
lock-outs in force for the owner's Sign-ins page.

django-axes counts failed sign-ins per username and per address (settings
``AXES_LOCKOUT_PARAMETERS``); a count reaching ``AXES_FAILURE_LIMIT`` within the cool-off
locks that username, or that address, until the cool-off has passed since its last
failure. HIPAA 45 CFR 164.308(a)(5)(ii)(C): log-in monitoring.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Max, Sum
from django.shortcuts import render
from django.utils import timezone


def client_address(request) -> str | None:
    """The address a request came from. Behind ``TRUSTED_PROXY_COUNT`` proxies, each of
    which appends the address it saw to X-Forwarded-For, that is the entry the outermost
    proxy appended; entries further left are whatever the client sent and are not
    trusted."""
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies:
        forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        if len(forwarded) >= proxies and forwarded[-proxies]:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR")


def lockout_response(request, original_response=None, credentials=None):
    """Our page for a locked-out sign-in (login page or admin login), with status 429.
    The cool-off restarts at every failure, so it ends one cool-off from now."""
    cooloff = settings.AXES_COOLOFF_TIME
    return render(
        request,
        "registration/locked_out.html",
        {
            "retry_at": timezone.now() + cooloff,
            "cooloff_minutes": int(cooloff.total_seconds() // 60),
        },
        status=429,
    )


@dataclass(frozen=True)
class Lockout:
    kind: str  # "username" or "address"
    value: str
    failures: int
    until: datetime


def lockouts_in_force() -> list[Lockout]:
    """Usernames and addresses locked out now, longest-locked last. Two queries."""
    now = timezone.now()
    cooloff = settings.AXES_COOLOFF_TIME
    recent = AccessAttempt.objects.filter(attempt_time__gte=now - cooloff)
    found = []
    for kind, column in (("username", "username"), ("address", "ip_address")):
        rows = (
            recent.exclude(**{f"{column}__isnull": True})
            .values(column)
            .annotate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
            .filter(failures__gte=settings.AXES_FAILURE_LIMIT)
            .order_by("-last")
        )
        found += [
            Lockout(kind, row[column], row["failures"], row["last"] + cooloff) for row in rows
        ]
    return found
