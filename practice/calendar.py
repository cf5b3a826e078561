"""A clinician's appointments as an iCalendar feed (RFC 5545) for a phone's calendar.

The feed's address carries a secret token instead of a login (a phone calendar cannot
sign in), so it shows as little as a day plan needs: the client's initials, the kind of
session, the place — no name, no diagnosis, no note. Only a SHA-256 of the token is
stored (``Clinician.calendar_token_hash``): the address is shown once when it is made,
and revoking or making a new one makes the old address a 404.
"""

from __future__ import annotations

import datetime
import hashlib
import secrets

from django.utils import timezone
from icalendar import Calendar, Event

from practice.models import Appointment, Clinician

PAST_DAYS = 30  # the feed reaches back a month and ahead a year
FUTURE_DAYS = 366
PRODID = "-//SessionLedger//Appointments//EN"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_make(*, clinician: Clinician) -> str:
    """A new secret for the clinician's feed; the old address stops working. Returns the
    token (shown once; only its hash is kept)."""
    token = secrets.token_urlsafe(32)
    clinician.calendar_token_hash = _hash(token)
    clinician.save(update_fields=["calendar_token_hash"])
    return token


def token_revoke(*, clinician: Clinician) -> None:
    clinician.calendar_token_hash = ""
    clinician.save(update_fields=["calendar_token_hash"])


def clinician_for_token(token: str) -> Clinician | None:
    """The active clinician whose feed this token opens, or None."""
    if not token or len(token) > 100:
        return None
    return Clinician.objects.filter(calendar_token_hash=_hash(token), active=True).first()


def initials(first_name: str, last_name: str) -> str:
    """ "Ann-Marie O'Brien" → "A.O.": the first letter of each name."""
    return "".join(
        f"{name.strip()[0].upper()}." for name in (first_name, last_name) if name.strip()
    )


def feed(*, clinician: Clinician, host: str = "sessionledger") -> bytes:
    """The clinician's planned and attended appointments from a month ago to a year
    ahead, times in UTC (valid anywhere without a VTIMEZONE)."""
    today = timezone.localdate()
    appointments = (
        Appointment.objects.holding_time()
        .filter(
            clinician=clinician,
            date__gte=today - datetime.timedelta(days=PAST_DAYS),
            date__lte=today + datetime.timedelta(days=FUTURE_DAYS),
        )
        .select_related("client", "location")
        .order_by("date", "start_time", "pk")
    )
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", f"SessionLedger: {clinician.full_name}")
    stamp = timezone.now().astimezone(datetime.UTC).replace(microsecond=0)
    for appointment in appointments:
        event = Event()
        event.add("uid", f"appointment-{appointment.pk}@{host}")
        event.add("dtstamp", stamp)
        event.add("dtstart", appointment.starts_at.astimezone(datetime.UTC))
        event.add("dtend", appointment.ends_at.astimezone(datetime.UTC))
        client = appointment.client
        event.add(
            "summary",
            f"{initials(client.first_name, client.last_name)} · "
            f"{appointment.get_service_display()}",
        )
        event.add("location", appointment.place_label)
        event.add("status", "CONFIRMED")
        event.add("transp", "OPAQUE")
        calendar.add_component(event)
    return calendar.to_ical()
