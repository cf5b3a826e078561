"""Appointment workflows (practice/appointments.py): planning and overlaps, series, edit
one or all future, attended, no-show and late cancellation with the practice's fee."""

from __future__ import annotations

import datetime
import threading
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, close_old_connections, connection, transaction

from billing.models import ClaimLine
from billing.services import claims_build
from practice import appointments as plan
from practice import session_plan
from practice.forms.session_entry import SessionEntry
from practice.models import Appointment, ClientCharge, Session
from tests import factories

pytestmark = pytest.mark.django_db

ZONE = ZoneInfo("America/New_York")
MONDAY = datetime.date(2026, 10, 5)
TEN = datetime.time(10, 0)


@pytest.fixture(autouse=True)
def _now():
    """ "Now" is Monday 10/05/2026 08:00 in the practice's time zone."""
    with time_machine.travel(datetime.datetime(2026, 10, 5, 8, 0, tzinfo=ZONE), tick=False):
        yield


@pytest.fixture
def office(practice_row):
    return factories.LocationFactory(practice=practice_row)


@pytest.fixture
def payer(db):
    return factories.PayerFactory(name="Acme Health")


@pytest.fixture
def patient(clinician, payer):
    person = factories.ClientFactory(
        primary_clinician=clinician, first_name="Róisín", last_name="O'Neil"
    )
    factories.CoverageFactory(client=person, payer=payer)
    factories.DiagnosisFactory(client=person)
    return person


@pytest.fixture
def medicare_patient(clinician):
    person = factories.ClientFactory(primary_clinician=clinician, first_name="Walt")
    medicare = factories.PayerFactory(name="Medicare Part B (test)", filing_indicator="MB")
    factories.CoverageFactory(client=person, payer=medicare)
    return person


def book(client, office, *, day=MONDAY, start=TEN, minutes=53, service="individual", **kw):
    return plan.appointment_plan(
        clinician=client.primary_clinician,
        client=client,
        date=day,
        start_time=start,
        minutes=minutes,
        service=service,
        location=kw.pop("location", office),
        telehealth=kw.pop("telehealth", ""),
        user=None,
        **kw,
    )


def at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=ZONE)


# --- planning and overlaps -------------------------------------------------------------


def test_a_planned_appointment_ends_after_its_planned_minutes(patient, office):
    (appointment,) = book(patient, office)
    assert appointment.end_time == datetime.time(10, 53)
    assert appointment.status == Appointment.Status.PLANNED


def test_an_overlapping_appointment_is_refused_with_the_reason(patient, office, clinician):
    book(patient, office)
    other = factories.ClientFactory(primary_clinician=clinician, first_name="Zoë")
    with pytest.raises(ValidationError) as refused:
        book(other, office, start=datetime.time(10, 30))
    message = refused.value.message_dict["start_time"][0]
    assert "already has an appointment on 10/05/2026 from 10:00 to 10:53" in message
    assert "Róisín O'Neil" in message
    assert Appointment.objects.count() == 1


def test_back_to_back_appointments_do_not_overlap(patient, office, clinician):
    book(patient, office, minutes=60)
    other = factories.ClientFactory(primary_clinician=clinician)
    (second,) = book(other, office, start=datetime.time(11, 0))
    assert second.pk


def test_another_clinicians_appointment_at_the_same_time_is_fine(patient, office, other_clinician):
    book(patient, office)
    theirs = factories.ClientFactory(primary_clinician=other_clinician)
    assert book(theirs, office)[0].pk


def test_a_cancelled_appointment_frees_its_slot(patient, office, clinician):
    (first,) = book(patient, office)
    plan.appointment_cancel(appointment=first, user=None)
    other = factories.ClientFactory(primary_clinician=clinician)
    assert book(other, office)[0].pk


def test_group_members_share_one_slot(patient, office, clinician):
    book(patient, office, service="group", minutes=90)
    other = factories.ClientFactory(primary_clinician=clinician)
    assert book(other, office, service="group", minutes=90)[0].pk
    third = factories.ClientFactory(primary_clinician=clinician)
    with pytest.raises(ValidationError):
        book(third, office, service="individual", start=datetime.time(11, 0))


def test_the_database_refuses_a_second_live_appointment_at_the_same_start(patient, office):
    (first,) = book(patient, office)
    twin = Appointment(
        clinician=first.clinician,
        client=first.client,
        date=first.date,
        start_time=first.start_time,
        end_time=first.end_time,
        minutes=53,
        location=office,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        twin.save()


def test_an_appointment_past_midnight_is_refused(patient, office):
    with pytest.raises(ValidationError) as refused:
        book(patient, office, start=datetime.time(23, 30), minutes=45)
    assert "midnight" in refused.value.message_dict["minutes"][0]


def test_an_in_person_appointment_needs_a_location(patient):
    with pytest.raises(ValidationError):
        book(patient, None, location=None)
    assert book(patient, None, location=None, telehealth="video")[0].pk


# --- series --------------------------------------------------------------------------


def test_a_weekly_series_until_a_date_includes_that_date(patient, office):
    made = book(patient, office, every_weeks=1, until=MONDAY + datetime.timedelta(weeks=3))
    assert [a.date for a in made] == [MONDAY + datetime.timedelta(weeks=n) for n in range(4)]
    assert len({a.series_id for a in made}) == 1


def test_a_series_every_two_weeks_for_a_count(patient, office):
    made = book(patient, office, every_weeks=2, count=3)
    assert [a.date for a in made] == [
        MONDAY,
        datetime.date(2026, 10, 19),
        datetime.date(2026, 11, 2),
    ]


def test_a_series_across_the_year_end_and_a_leap_day():
    dates = plan.occurrence_dates(
        first=datetime.date(2027, 12, 27), every_weeks=1, until=None, count=3
    )
    assert dates == [
        datetime.date(2027, 12, 27),
        datetime.date(2028, 1, 3),
        datetime.date(2028, 1, 10),
    ]
    leap = plan.occurrence_dates(
        first=datetime.date(2028, 2, 22), every_weeks=1, until=None, count=2
    )
    assert leap[1] == datetime.date(2028, 2, 29)


@pytest.mark.parametrize(
    ("until", "count", "reason"),
    [
        (None, None, "Say when the series ends"),
        (datetime.date(2026, 10, 4), None, "cannot end before"),
        (None, 53, "at most 52"),
    ],
)
def test_a_series_without_a_sensible_end_is_refused(patient, office, until, count, reason):
    with pytest.raises(ValidationError) as refused:
        book(patient, office, every_weeks=1, until=until, count=count)
    assert reason in refused.value.message_dict["repeat"][0]
    assert not Appointment.objects.exists()


def test_a_series_with_one_clashing_week_plans_nothing(patient, office, clinician):
    other = factories.ClientFactory(primary_clinician=clinician)
    book(other, office, day=MONDAY + datetime.timedelta(weeks=2))
    with pytest.raises(ValidationError) as refused:
        book(patient, office, every_weeks=1, count=4)
    assert "10/19/2026" in refused.value.message_dict["start_time"][0]
    assert Appointment.objects.count() == 1


def test_editing_one_occurrence_leaves_the_others(patient, office):
    made = book(patient, office, every_weeks=1, count=3)
    plan.appointment_update(
        appointment=made[1], changes={"start_time": datetime.time(14, 0)}, future=False, user=None
    )
    times = list(Appointment.objects.values_list("start_time", flat=True))
    assert times == [TEN, datetime.time(14, 0), TEN]
    assert Appointment.objects.get(pk=made[1].pk).end_time == datetime.time(14, 53)


def test_editing_all_future_moves_this_and_later_ones_not_earlier(patient, office):
    made = book(patient, office, every_weeks=1, count=4)
    plan.appointment_update(
        appointment=made[1],
        changes={
            "date": made[1].date + datetime.timedelta(days=1),
            "minutes": 45,
            "telehealth": "video",
        },
        future=True,
        user=None,
    )
    rows = list(Appointment.objects.order_by("pk").values_list("date", "minutes", "telehealth"))
    assert rows[0] == (MONDAY, 53, "")
    assert [r[0].weekday() for r in rows[1:]] == [1, 1, 1]  # Tuesdays now
    assert {r[1:] for r in rows[1:]} == {(45, "video")}


def test_editing_all_future_skips_occurrences_already_resolved(patient, office):
    made = book(patient, office, every_weeks=1, count=3)
    plan.appointment_cancel(appointment=made[2], user=None)
    plan.appointment_update(appointment=made[0], changes={"minutes": 30}, future=True, user=None)
    assert Appointment.objects.get(pk=made[2].pk).minutes == 53


def test_an_edit_that_would_overlap_in_a_later_week_changes_nothing(patient, office, clinician):
    made = book(patient, office, every_weeks=1, count=3)
    other = factories.ClientFactory(primary_clinician=clinician)
    book(other, office, day=made[2].date, start=datetime.time(14, 0))
    with pytest.raises(ValidationError) as refused:
        plan.appointment_update(
            appointment=made[0],
            changes={"start_time": datetime.time(14, 0)},
            future=True,
            user=None,
        )
    assert "The appointment on 10/19/2026" in refused.value.messages[0]
    assert set(Appointment.objects.filter(client=patient).values_list("start_time", flat=True)) == {
        TEN
    }


def test_cancelling_all_future_keeps_earlier_ones(patient, office):
    made = book(patient, office, every_weeks=2, count=3)
    plan.appointment_cancel(appointment=made[1], user=None, future=True)
    statuses = list(Appointment.objects.order_by("date").values_list("status", flat=True))
    assert statuses == ["planned", "cancelled", "cancelled"]


# --- attended ------------------------------------------------------------------------


def _entry(appointment, user):
    from practice.forms.appointments import session_initial
    from practice.forms.session_entry import session_data

    form_entry = SessionEntry(
        user=user, initial=session_initial(appointment=appointment, user=user)
    )
    return SessionEntry(user=user, data=session_data(form_entry.form))


def test_attending_saves_the_session_and_links_it(patient, office, clinician_user):
    (appointment,) = book(patient, office)
    with time_machine.travel(at(MONDAY, 11), tick=False):
        entry = _entry(appointment, clinician_user)
        assert entry.is_valid(), entry.form.errors
        session, _ = plan.appointment_attend(
            appointment=appointment, plan=entry.plan, user=clinician_user
        )
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.ATTENDED
    assert appointment.session == session
    assert (session.date, session.start_time, session.minutes) == (MONDAY, TEN, 53)
    assert [line.procedure.code for line in session.lines.all()] == ["90837"]


def test_attending_an_appointment_already_marked_no_show_is_refused(
    patient, office, clinician_user
):
    (appointment,) = book(patient, office)
    with time_machine.travel(at(MONDAY, 11), tick=False):
        entry = _entry(appointment, clinician_user)
        entry.is_valid()
        plan.appointment_no_show(appointment=Appointment.objects.get(pk=appointment.pk), user=None)
        with pytest.raises(plan.AppointmentClosed):
            plan.appointment_attend(appointment=appointment, plan=entry.plan, user=clinician_user)
    assert Session.objects.filter(status=Session.Status.DRAFT).count() == 0


def test_a_session_for_another_client_is_not_linked(patient, office, clinician):
    (appointment,) = book(patient, office)
    stranger = factories.SessionFactory(client=factories.ClientFactory(primary_clinician=clinician))
    with pytest.raises(ValidationError):
        plan.appointment_attend(
            appointment=appointment,
            plan=session_plan.SessionPlan(session=stranger, diagnoses=[], complete=True),
            user=None,
        )


# --- no-show and late cancellation ----------------------------------------------------


@pytest.fixture
def fees(practice_row):
    practice_row.no_show_fee = Decimal("75.00")
    practice_row.late_cancel_fee = Decimal("50.00")
    practice_row.save()
    return practice_row


def test_a_no_show_charges_the_practices_fee_and_never_a_claim_line(patient, office, fees):
    (appointment,) = book(patient, office)
    with time_machine.travel(at(MONDAY, 10, 15), tick=False):
        outcome = plan.appointment_no_show(appointment=appointment, user=None)
    assert outcome.charge.amount == Decimal("75.00")
    assert outcome.charge.client == patient
    assert "$75.00" in outcome.message
    missed = appointment.session
    assert missed.status == Session.Status.NO_SHOW
    assert not missed.lines.exists()
    claims_build(through=MONDAY, user=None)
    assert not ClaimLine.objects.exists()


def test_a_no_show_without_a_fee_in_the_policy_charges_nothing(patient, office, practice_row):
    (appointment,) = book(patient, office)
    with time_machine.travel(at(MONDAY, 11), tick=False):
        outcome = plan.appointment_no_show(appointment=appointment, user=None)
    assert outcome.charge is None
    assert "charges no no-show fee" in outcome.message
    assert Session.objects.get().status == Session.Status.NO_SHOW


def test_a_no_show_before_the_start_is_refused(patient, office, fees):
    (appointment,) = book(patient, office)
    with time_machine.travel(at(MONDAY, 9, 59), tick=False), pytest.raises(ValueError):
        plan.appointment_no_show(appointment=appointment, user=None)
    with time_machine.travel(at(MONDAY, 10), tick=False):
        plan.appointment_no_show(appointment=appointment, user=None)
    assert ClientCharge.objects.count() == 1


def test_a_no_show_is_recorded_once(patient, office, fees):
    (appointment,) = book(patient, office)
    with time_machine.travel(at(MONDAY, 11), tick=False):
        plan.appointment_no_show(appointment=appointment, user=None)
        with pytest.raises(plan.AppointmentClosed):
            plan.appointment_no_show(appointment=appointment, user=None)
    assert ClientCharge.objects.count() == 1


def test_a_medicare_client_is_not_charged_unless_the_policy_covers_all_clients(
    medicare_patient, office, fees
):
    (appointment,) = book(medicare_patient, office)
    with time_machine.travel(at(MONDAY, 11), tick=False):
        outcome = plan.appointment_no_show(appointment=appointment, user=None)
    assert outcome.charge is None
    assert "Medicare" in outcome.message


def test_a_medicare_client_is_charged_when_the_policy_covers_all_clients(
    medicare_patient, office, fees
):
    fees.missed_fees_for_all_clients = True
    fees.save()
    (appointment,) = book(medicare_patient, office)
    with time_machine.travel(at(MONDAY, 11), tick=False):
        outcome = plan.appointment_no_show(appointment=appointment, user=None)
    assert outcome.charge.amount == Decimal("75.00")


@pytest.mark.parametrize(
    ("cancelled_at", "late"),
    [
        (at(MONDAY - datetime.timedelta(days=1), 10, 0), False),  # exactly 24 hours ahead
        (at(MONDAY - datetime.timedelta(days=1), 10, 1), True),  # 23 h 59 min ahead
        (at(MONDAY, 10, 30), True),  # after the start
    ],
)
def test_the_late_cancel_window_edges(cancelled_at, late):
    starts = at(MONDAY, 10)
    assert plan.is_late_cancel(starts_at=starts, cancelled_at=cancelled_at, window_hours=24) is late


def test_a_late_cancel_inside_the_window_charges_the_late_fee(patient, office, fees):
    (appointment,) = book(patient, office)  # today 10:00, cancelled at 08:00
    outcome = plan.appointment_late_cancel(appointment=appointment, user=None)
    assert outcome.appointment.status == Appointment.Status.LATE_CANCEL
    assert outcome.charge.amount == Decimal("50.00")
    assert appointment.session.status == Session.Status.LATE_CANCEL


def test_a_late_cancel_outside_the_window_is_refused(patient, office, fees):
    (appointment,) = book(patient, office, day=MONDAY + datetime.timedelta(days=2))
    with pytest.raises(ValueError) as refused:
        plan.appointment_late_cancel(appointment=appointment, user=None)
    assert "more than 24 hours ahead" in str(refused.value)
    assert Appointment.objects.get().status == Appointment.Status.PLANNED
    assert not ClientCharge.objects.exists()


def test_a_wider_window_makes_an_earlier_cancellation_late(patient, office, fees):
    fees.late_cancel_hours = 72
    fees.save()
    (appointment,) = book(patient, office, day=MONDAY + datetime.timedelta(days=2))
    outcome = plan.appointment_late_cancel(appointment=appointment, user=None)
    assert outcome.charge.amount == Decimal("50.00")


def test_a_fee_change_later_does_not_rewrite_the_charge(patient, office, fees):
    (appointment,) = book(patient, office)
    with time_machine.travel(at(MONDAY, 11), tick=False):
        outcome = plan.appointment_no_show(appointment=appointment, user=None)
    fees.no_show_fee = Decimal("100.00")
    fees.save()
    outcome.charge.refresh_from_db()
    assert outcome.charge.amount == Decimal("75.00")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_people_booking_overlapping_times_at_once_leave_one_appointment(practice_row):
    """Half-overlapping starts (10:00 and 10:30) pass the unique index; only the row lock
    on the clinician keeps the second from slipping past the overlap check."""
    office = factories.LocationFactory(practice=practice_row)
    clinician = factories.ClinicianFactory()
    clients = [factories.ClientFactory(primary_clinician=clinician) for _ in range(2)]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def plan_one(client, start):
        try:
            barrier.wait()
            book(client, office, start=start)
            outcomes.append("planned")
        except ValidationError:
            outcomes.append("refused")
        except BaseException as error:  # reported below
            outcomes.append(repr(error))
        finally:
            connection.close()

    threads = [
        threading.Thread(target=plan_one, args=(clients[0], TEN)),
        threading.Thread(target=plan_one, args=(clients[1], datetime.time(10, 30))),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    close_old_connections()
    assert sorted(outcomes) == ["planned", "refused"]
    assert Appointment.objects.count() == 1


def test_undoing_a_no_show_plans_it_again_without_the_fee_or_the_missed_session(
    patient, office, fees
):
    (appointment,) = book(patient, office)
    with time_machine.travel(at(MONDAY, 11), tick=False):
        plan.appointment_no_show(appointment=appointment, user=None)
    plan.appointment_reopen(appointment=appointment, user=None)
    appointment.refresh_from_db()
    assert (appointment.status, appointment.session) == ("planned", None)
    assert not ClientCharge.objects.exists()
    assert not Session.objects.exists()
    assert ClientCharge.history.filter(history_type="-").count() == 1  # the record stays


def test_undoing_a_cancellation_whose_slot_was_taken_is_refused(patient, office, clinician):
    (appointment,) = book(patient, office)
    plan.appointment_cancel(appointment=appointment, user=None)
    other = factories.ClientFactory(primary_clinician=clinician)
    book(other, office, start=datetime.time(10, 15))
    with pytest.raises(ValidationError):
        plan.appointment_reopen(appointment=appointment, user=None)
    assert Appointment.objects.get(pk=appointment.pk).status == "cancelled"


def test_a_planned_or_attended_appointment_has_nothing_to_undo(patient, office):
    (appointment,) = book(patient, office)
    with pytest.raises(plan.AppointmentClosed):
        plan.appointment_reopen(appointment=appointment, user=None)
