"""A clinician's day and week pages, planning, the one-tap actions, and the calendar feed
(practice/views/appointments.py, practice/calendar.py)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import icalendar
import pytest
import time_machine
from django.urls import reverse

from practice import appointments as plan
from practice import calendar
from practice.models import Appointment, ClientCharge, Session
from tests import factories

pytestmark = pytest.mark.django_db

ZONE = ZoneInfo("America/New_York")
MONDAY = datetime.date(2026, 10, 5)
DAY_URL = reverse("practice:day")


@pytest.fixture(autouse=True)
def _now():
    """ "Now" is Monday 10/05/2026 12:00 in the practice's time zone."""
    with time_machine.travel(datetime.datetime(2026, 10, 5, 12, 0, tzinfo=ZONE), tick=False):
        yield


@pytest.fixture
def office(practice_row):
    return factories.LocationFactory(practice=practice_row, name="Main office")


@pytest.fixture
def patient(clinician):
    person = factories.ClientFactory(
        primary_clinician=clinician, first_name="Ann-Marie", last_name="O'Brien"
    )
    factories.CoverageFactory(client=person, payer=factories.PayerFactory(name="Acme Health"))
    factories.DiagnosisFactory(client=person)
    return person


def book(client, office, *, day=MONDAY, hour=10, **kw):
    return plan.appointment_plan(
        clinician=kw.pop("clinician", client.primary_clinician),
        client=client,
        date=day,
        start_time=datetime.time(hour, 0),
        minutes=kw.pop("minutes", 53),
        service="individual",
        location=office if not kw.get("telehealth") else None,
        telehealth=kw.pop("telehealth", ""),
        user=None,
        **kw,
    )


def test_the_home_page_of_a_clinician_is_their_day(client, clinician_user):
    client.force_login(clinician_user)
    assert client.get("/")["Location"] == DAY_URL


def test_the_day_lists_appointments_in_time_order_with_their_taps(
    client, clinician_user, patient, office, clinician
):
    later = factories.ClientFactory(primary_clinician=clinician, first_name="Zoë")
    book(later, office, hour=15)
    book(patient, office, hour=9)
    client.force_login(clinician_user)
    page = client.get(DAY_URL).content.decode()
    assert page.index("Ann-Marie O&#x27;Brien") < page.index("Zoë")
    assert "No-show" in page.split("Zoë", 1)[0]  # 09:00 has started: no-show offered
    assert "Late cancel" in page.split("Zoë", 1)[1]  # 15:00 is inside 24 hours


def test_a_clinician_sees_only_their_own_appointments(
    client, other_clinician_user, patient, office
):
    (appointment,) = book(patient, office)
    client.force_login(other_clinician_user)
    assert "O&#x27;Brien" not in client.get(DAY_URL).content.decode()
    for name in ("appointment_edit", "appointment_attend"):
        assert client.get(reverse(f"practice:{name}", args=[appointment.pk])).status_code == 404
    for name in (
        "appointment_no_show",
        "appointment_late_cancel",
        "appointment_cancel",
        "appointment_reopen",
    ):
        assert client.post(reverse(f"practice:{name}", args=[appointment.pk])).status_code == 404
    assert Appointment.objects.get().status == "planned"


def test_a_clinician_cannot_see_another_clinicians_day_by_asking(
    client, other_clinician_user, patient, office, clinician
):
    book(patient, office)
    client.force_login(other_clinician_user)
    page = client.get(DAY_URL, {"clinician": clinician.pk}).content.decode()
    assert "O&#x27;Brien" not in page


def test_billing_staff_pick_the_clinician(client, biller_user, patient, office, clinician):
    book(patient, office)
    client.force_login(biller_user)
    assert "Choose a clinician" in client.get(DAY_URL).content.decode()
    page = client.get(DAY_URL, {"clinician": clinician.pk}).content.decode()
    assert "O&#x27;Brien" in page


def test_the_day_page_queries_do_not_grow_with_appointments(
    client, clinician_user, patient, office, clinician, django_assert_max_num_queries
):
    for hour in range(8, 18):
        other = factories.ClientFactory(primary_clinician=clinician)
        book(other, office, hour=hour)
        book(other, office, day=MONDAY - datetime.timedelta(days=7), hour=hour)  # unlogged
    client.force_login(clinician_user)
    # session, user, groups (role), clinician, practice, the day's appointments, the
    # unlogged ones, the read audit's two inserts; the session's idle-time update; and
    # the request's savepoints.
    with django_assert_max_num_queries(14):
        response = client.get(DAY_URL)
    assert response.content.decode().count('class="appointment-card') == 20


def test_the_week_page_queries_do_not_grow_with_appointments(
    client, biller_user, patient, office, clinician, django_assert_max_num_queries
):
    for day in range(5):
        for hour in (9, 11, 14):
            book(patient, office, day=MONDAY + datetime.timedelta(days=day), hour=hour)
    client.force_login(biller_user)
    # session, user, groups, the picked clinician, practice, the week's appointments,
    # the unlogged count, the picker's choices and the biller's own clinician row; the
    # session's idle-time update, the read audit's two inserts and the request's
    # savepoints.
    with django_assert_max_num_queries(16):
        response = client.get(reverse("practice:week"), {"clinician": clinician.pk})
    assert response.content.decode().count('class="appointment-card') == 15


def test_unlogged_past_appointments_stay_listed_until_resolved(
    client, clinician_user, patient, office
):
    (old,) = book(patient, office, day=MONDAY - datetime.timedelta(days=3))
    client.force_login(clinician_user)
    assert 'id="unlogged"' in client.get(DAY_URL).content.decode()
    client.post(reverse("practice:appointment_no_show", args=[old.pk]))
    assert 'id="unlogged"' not in client.get(DAY_URL).content.decode()


def test_planning_a_series_from_the_form(client, clinician_user, patient, office):
    client.force_login(clinician_user)
    response = client.post(
        reverse("practice:appointment_create"),
        {
            "client": patient.pk,
            "date": "2026-10-06",
            "start_time": "09:00",
            "minutes": "45",
            "service": "individual",
            "telehealth": "",
            "location": office.pk,
            "repeat": "2",
            "repeat_count": "3",
        },
    )
    assert response.status_code == 302
    dates = list(Appointment.objects.values_list("date", flat=True))
    assert dates == [
        datetime.date(2026, 10, 6),
        datetime.date(2026, 10, 20),
        datetime.date(2026, 11, 3),
    ]


def test_an_overlap_is_shown_next_to_the_start_and_nothing_is_saved(
    client, clinician_user, patient, office
):
    book(patient, office)
    client.force_login(clinician_user)
    response = client.post(
        reverse("practice:appointment_create"),
        {
            "client": patient.pk,
            "date": "2026-10-05",
            "start_time": "10:30",
            "minutes": "30",
            "service": "individual",
            "location": office.pk,
        },
    )
    assert response.status_code == 400
    assert (
        "already has an appointment on 10/05/2026 from 10:00 to 10:53" in response.content.decode()
    )
    assert Appointment.objects.count() == 1


def test_planning_for_someone_elses_client_is_refused(
    client, other_clinician_user, patient, office
):
    client.force_login(other_clinician_user)
    response = client.post(
        reverse("practice:appointment_create"),
        {
            "client": patient.pk,
            "date": "2026-10-05",
            "start_time": "10:00",
            "minutes": "30",
            "service": "individual",
            "location": office.pk,
        },
    )
    assert response.status_code == 400
    assert not Appointment.objects.exists()


def test_attended_opens_the_session_form_filled_from_the_appointment(
    client, clinician_user, patient, office
):
    (appointment,) = book(patient, office)
    client.force_login(clinician_user)
    page = client.get(
        reverse("practice:appointment_attend", args=[appointment.pk])
    ).content.decode()
    assert 'value="10:00"' in page and 'value="10:53"' in page
    assert "90837" in page  # the proposal is there before any change


def test_attended_then_save_links_the_session_and_returns_to_the_day(
    client, clinician_user, patient, office
):
    from practice.forms.appointments import session_initial
    from practice.forms.session_entry import SessionEntry, session_data

    (appointment,) = book(patient, office)
    client.force_login(clinician_user)
    form = SessionEntry(
        user=clinician_user, initial=session_initial(appointment=appointment, user=clinician_user)
    ).form
    data = session_data(form)
    response = client.post(reverse("practice:appointment_attend", args=[appointment.pk]), data)
    assert response.status_code == 302
    assert response["Location"].startswith(DAY_URL)
    appointment.refresh_from_db()
    assert appointment.status == "attended"
    assert appointment.session.lines.get().procedure.code == "90837"


def test_no_show_tap_records_the_fee_and_says_so(client, clinician_user, patient, office):
    practice = patient.primary_clinician.practice
    practice.no_show_fee = Decimal("80.00")
    practice.save()
    (appointment,) = book(patient, office)
    client.force_login(clinician_user)
    response = client.post(
        reverse("practice:appointment_no_show", args=[appointment.pk]), follow=True
    )
    assert "$80.00" in response.content.decode()
    assert ClientCharge.objects.get().amount == Decimal("80.00")
    assert Session.objects.get().status == "no_show"


def test_undo_after_a_mistaken_no_show_tap(client, clinician_user, patient, office):
    (appointment,) = book(patient, office)
    client.force_login(clinician_user)
    client.post(reverse("practice:appointment_no_show", args=[appointment.pk]))
    page = client.get(DAY_URL).content.decode()
    assert "Undo: plan it again" in page
    response = client.post(
        reverse("practice:appointment_reopen", args=[appointment.pk]), follow=True
    )
    assert "Planned again, no fee" in response.content.decode()
    assert Appointment.objects.get().status == "planned"


def test_another_clinician_cannot_undo(client, other_clinician_user, patient, office):
    (appointment,) = book(patient, office)
    plan.appointment_cancel(appointment=appointment, user=None)
    client.force_login(other_clinician_user)
    url = reverse("practice:appointment_reopen", args=[appointment.pk])
    assert client.post(url).status_code == 404
    assert Appointment.objects.get().status == "cancelled"


def test_a_late_cancel_outside_the_window_is_a_message_not_an_error(
    client, clinician_user, patient, office
):
    (appointment,) = book(patient, office, day=MONDAY + datetime.timedelta(days=3))
    client.force_login(clinician_user)
    response = client.post(
        reverse("practice:appointment_late_cancel", args=[appointment.pk]), follow=True
    )
    assert response.status_code == 200
    assert "not a late cancellation" in response.content.decode()


def test_editing_all_future_from_the_form(client, clinician_user, patient, office):
    made = book(patient, office, every_weeks=1, count=3)
    client.force_login(clinician_user)
    response = client.post(
        reverse("practice:appointment_edit", args=[made[1].pk]),
        {
            "date": made[1].date.isoformat(),
            "start_time": "13:00",
            "minutes": "53",
            "service": "individual",
            "location": office.pk,
            "scope": "future",
        },
    )
    assert response.status_code == 302
    hours = [a.start_time.hour for a in Appointment.objects.order_by("date")]
    assert hours == [10, 13, 13]


@pytest.mark.parametrize("raw", ["2026-02-30", "x", "0001-01-01", "9999-12-31", ""])
def test_a_bad_or_far_off_date_in_the_address_shows_today(client, clinician_user, raw):
    client.force_login(clinician_user)
    for name in ("practice:day", "practice:week"):
        response = client.get(reverse(name), {"date": raw})
        assert response.status_code == 200
        assert response.context["nav_date"] <= datetime.date(2026, 10, 5)


def test_a_series_reaching_the_end_of_the_calendar_is_refused_not_a_crash(
    client, clinician_user, patient, office
):
    client.force_login(clinician_user)
    response = client.post(
        reverse("practice:appointment_create"),
        {
            "client": patient.pk,
            "date": "9999-12-30",
            "start_time": "09:00",
            "minutes": "45",
            "service": "individual",
            "location": office.pk,
            "repeat": "1",
            "repeat_count": "3",
        },
    )
    assert response.status_code == 400
    assert "Plan appointments before" in response.content.decode()
    assert not Appointment.objects.exists()


# --- the calendar feed ---------------------------------------------------------------


def test_the_feed_needs_its_token_and_a_wrong_one_is_a_404(client, clinician):
    calendar.token_make(clinician=clinician)
    assert client.get(reverse("calendar_feed", args=["not-the-token"])).status_code == 404


def test_a_revoked_or_replaced_token_is_a_404(client, clinician, patient, office):
    old = calendar.token_make(clinician=clinician)
    new = calendar.token_make(clinician=clinician)
    assert client.get(reverse("calendar_feed", args=[old])).status_code == 404
    assert client.get(reverse("calendar_feed", args=[new])).status_code == 200
    calendar.token_revoke(clinician=clinician)
    assert client.get(reverse("calendar_feed", args=[new])).status_code == 404


def test_the_feed_is_valid_icalendar_with_initials_only(client, clinician, patient, office):
    book(patient, office)
    book(patient, office, day=MONDAY + datetime.timedelta(days=1), telehealth="video")
    token = calendar.token_make(clinician=clinician)
    response = client.get(reverse("calendar_feed", args=[token]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert "no-store" in response["Cache-Control"]
    body = response.content.decode()
    assert "O'Brien" not in body and "Ann-Marie" not in body
    assert "F41" not in body  # no diagnosis
    parsed = icalendar.Calendar.from_ical(response.content)
    events = list(parsed.walk("VEVENT"))
    assert [str(e["SUMMARY"]) for e in events] == [
        "A.O. · Individual psychotherapy",
        "A.O. · Individual psychotherapy",
    ]
    assert [str(e["LOCATION"]) for e in events] == ["Main office", "Telehealth, audio and video"]
    assert events[0].decoded("DTSTART") == datetime.datetime(
        2026, 10, 5, 14, 0, tzinfo=datetime.UTC
    )
    assert str(parsed["VERSION"]) == "2.0" and parsed["PRODID"]


def test_the_feed_leaves_out_cancelled_appointments_and_other_clinicians(
    client, clinician, patient, office, other_clinician
):
    (cancelled,) = book(patient, office)
    plan.appointment_cancel(appointment=cancelled, user=None)
    theirs = factories.ClientFactory(primary_clinician=other_clinician)
    book(theirs, office)
    token = calendar.token_make(clinician=clinician)
    parsed = icalendar.Calendar.from_ical(
        client.get(reverse("calendar_feed", args=[token])).content
    )
    assert list(parsed.walk("VEVENT")) == []


def test_the_account_page_makes_shows_once_and_revokes_the_address(client, clinician_user):
    client.force_login(clinician_user)
    page = client.post(reverse("practice:calendar_token"), {"action": "make"})
    url = page.context["url"]
    assert "/calendar/" in url and url.endswith(".ics")
    assert "no-store" in page["Cache-Control"]
    token = url.rsplit("/", 1)[1].removesuffix(".ics")
    client.logout()
    assert client.get(reverse("calendar_feed", args=[token])).status_code == 200
    client.force_login(clinician_user)
    client.post(reverse("practice:calendar_token"), {"action": "revoke"})
    client.logout()
    assert client.get(reverse("calendar_feed", args=[token])).status_code == 404


def test_initials_of_names_with_accents_hyphens_and_apostrophes():
    assert calendar.initials("Ann-Marie", "O'Brien") == "A.O."
    assert calendar.initials("élodie", "Ñúñez") == "É.Ñ."
    assert calendar.initials("", "Solo") == "S."


def test_the_day_page_records_which_clients_it_named_in_the_read_audit(
    client, clinician_user, patient, office
):
    from practice.models import AccessEvent

    (appointment,) = book(patient, office)
    client.force_login(clinician_user)
    client.get(DAY_URL)
    event = AccessEvent.objects.get(what="Day page")
    assert list(event.client_links.values_list("client_id", flat=True)) == [patient.pk]
    assert event.object_ids == [appointment.pk]
    client.get(DAY_URL, {"date": "2026-10-09"})  # a day without appointments
    assert AccessEvent.objects.filter(what="Day page").count() == 1


def test_planning_starts_at_the_clinicians_default_office(
    client, clinician, clinician_user, biller_user, practice_row, office
):
    annex = factories.LocationFactory(practice=practice_row, name="Annex")
    clinician.default_location = annex
    clinician.save()
    client.force_login(clinician_user)
    form = client.get(reverse("practice:appointment_create")).context["form"]
    assert form.initial["location"] == annex.pk
    # Billing staff planning for the clinician start at the clinician's office too.
    client.force_login(biller_user)
    url = reverse("practice:appointment_create")
    form = client.get(url, {"clinician": clinician.pk}).context["form"]
    assert (form.initial["clinician"], form.initial["location"]) == (clinician.pk, annex.pk)
