"""The demo practice's appointments: this week and next, so ``make run`` opens on a
populated day. Called by ``manage.py demo`` when it builds the practice and on every
later run, where it adds the current fortnight only when the demo has no appointment
from this week on (idempotent: a second run adds nothing).

Planned through ``practice.appointments.appointment_plan``, the app's own rules: no
overlaps, series as the form makes them. Hours where a demo session is already logged
(the demo logs sessions through today) are left free.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from practice import appointments
from practice.models import Appointment, Client, Clinician, Location, Practice, Session

HOURS = (9, 11, 14, 16)  # one-off appointments; the series keeps 13:00 to itself
SERIES_HOUR = 13
CLINICIANS = 6  # the first six: a benchmark practice of 400 needs no calendar
POLICY = {
    "late_cancel_hours": 24,
    "no_show_fee": Decimal("75.00"),
    "late_cancel_fee": Decimal("50.00"),
}


def _weekdays(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    days = []
    day = first
    while day <= last:
        if day.weekday() < 5:
            days.append(day)
        day += datetime.timedelta(days=1)
    return days


def plan_demo_appointments(*, practice: Practice, today: datetime.date) -> int:
    """Appointments for the first clinicians from today through next week's Friday: two a
    weekday, one telehealth client, one weekly series, and one appointment on the last
    weekday before today left unlogged. Returns how many were planned (0 when the demo
    already has appointments from this week on)."""
    monday = today - datetime.timedelta(days=today.weekday())
    if Appointment.objects.filter(clinician__practice=practice, date__gte=monday).exists():
        return 0
    for name, value in POLICY.items():
        setattr(practice, name, value)
    practice.save(update_fields=list(POLICY))
    days = _weekdays(today, monday + datetime.timedelta(days=11))
    yesterday = today - datetime.timedelta(days=1)
    while yesterday.weekday() >= 5:
        yesterday -= datetime.timedelta(days=1)
    office = Location.objects.filter(practice=practice, active=True).order_by("pk").first()
    made = 0
    clinicians = Clinician.objects.filter(practice=practice, active=True).order_by("pk")
    for index, clinician in enumerate(clinicians[:CLINICIANS]):
        clients = list(
            Client.objects.filter(primary_clinician=clinician, active=True).order_by("pk")[:6]
        )
        if len(clients) < 2:
            continue
        busy = {
            (day, start.hour)
            for day, start in Session.objects.filter(
                clinician=clinician, date__gte=yesterday, date__lte=today, start_time__isnull=False
            ).values_list("date", "start_time")
        }

        mine = {"clinician": clinician, "busy": busy, "office": office}
        made += _plan_one(clients[0], days[0], SERIES_HOUR, **mine, every_weeks=1, count=4)
        # One left unlogged on the last weekday, as a busy week leaves one.
        for hour in HOURS:
            if (yesterday, hour) not in busy:
                made += _plan_one(clients[-1], yesterday, hour, **mine)
                break
        for number, day in enumerate(days):
            for slot in range(2):
                hour = HOURS[(number + slot * 2 + index) % len(HOURS)]
                client = clients[1 + (number * 2 + slot) % (len(clients) - 1)]
                video = client == clients[1]
                made += _plan_one(client, day, hour, telehealth="video" if video else "", **mine)
    return made


def _plan_one(
    client: Client,
    day: datetime.date,
    hour: int,
    *,
    clinician: Clinician,
    busy: set,
    office: Location | None,
    telehealth: str = "",
    **options,
) -> int:
    if (day, hour) in busy:
        return 0
    planned = appointments.appointment_plan(
        clinician=clinician,
        client=client,
        date=day,
        start_time=datetime.time(hour, 0),
        minutes=53,
        service="individual",
        location=None if telehealth else office,
        telehealth=telehealth,
        user=clinician.user,
        **options,
    )
    return len(planned)
