"""The demo's appointments (practice/demo/appointments.py): this week and next, a series,
telehealth, one left unlogged, no overlap with logged sessions, and idempotent."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from practice.demo.appointments import plan_demo_appointments
from practice.models import Appointment
from tests import factories

pytestmark = pytest.mark.django_db

WEDNESDAY = datetime.date(2026, 10, 7)


@pytest.fixture
def small_practice(practice_row, clinician):
    factories.LocationFactory(practice=practice_row)
    for _ in range(4):
        factories.ClientFactory(primary_clinician=clinician)
    return practice_row


def test_the_demo_plans_this_week_and_next_with_a_series_and_telehealth(small_practice, clinician):
    made = plan_demo_appointments(practice=small_practice, today=WEDNESDAY)
    rows = Appointment.objects.filter(clinician=clinician)
    assert made == rows.count() > 10
    dates = set(rows.values_list("date", flat=True))
    assert min(dates) == datetime.date(2026, 10, 6)  # the last weekday before, unlogged
    assert max(dates) >= datetime.date(2026, 10, 16)  # next week's Friday
    assert rows.filter(series__isnull=False).count() == 4
    assert rows.filter(telehealth="video").exists()
    small_practice.refresh_from_db()
    assert small_practice.no_show_fee == Decimal("75.00")


def test_a_second_run_plans_nothing(small_practice):
    plan_demo_appointments(practice=small_practice, today=WEDNESDAY)
    before = Appointment.objects.count()
    assert plan_demo_appointments(practice=small_practice, today=WEDNESDAY) == 0
    assert Appointment.objects.count() == before


def test_hours_with_a_logged_session_stay_free(small_practice, clinician):
    client = clinician.clients.first()
    for hour in range(8, 19):
        factories.SessionFactory(
            client=client,
            date=WEDNESDAY,
            start_time=datetime.time(hour, 0),
            end_time=datetime.time(hour, 50),
            minutes=50,
        )
    plan_demo_appointments(practice=small_practice, today=WEDNESDAY)
    assert not Appointment.objects.filter(date=WEDNESDAY).exists()
