"""Good Faith Estimates: issuing with fees from the fee schedule, immutability once given,
access, the PDF, the $400 alert and the list of clients needing one
(billing/estimates.py, billing/views/estimates.py, billing/outputs/gfe.py)."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal
from zoneinfo import ZoneInfo

import pypdf
import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from billing import estimates
from billing.models import GoodFaithEstimate, ProcedureCode
from practice.models import ServiceLine, Session
from tests import factories

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 12, 1)  # a Tuesday


@pytest.fixture(autouse=True)
def _today():
    moment = datetime.datetime(2026, 12, 1, 12, 0, tzinfo=ZoneInfo("America/New_York"))
    with time_machine.travel(moment, tick=False):
        yield


@pytest.fixture
def office(practice_row):
    return factories.LocationFactory(practice=practice_row, name="Elm Street office")


@pytest.fixture
def self_pay(clinician):
    person = factories.ClientFactory(
        primary_clinician=clinician,
        first_name="Thảo",
        last_name="Nguyễn",
        date_of_birth=datetime.date(1990, 2, 28),
        self_pay=True,
    )
    factories.DiagnosisFactory(client=person)
    return person


@pytest.fixture
def insured(clinician):
    person = factories.ClientFactory(primary_clinician=clinician, last_name="Covered")
    factories.CoverageFactory(client=person)
    return person


def fee(code: str) -> Decimal:
    return ProcedureCode.objects.get(code=code).default_charge


def issue(client, user, *, code="90834", **changes) -> GoodFaithEstimate:
    arguments = {
        "client": client,
        "clinician": client.primary_clinician,
        "location": None,
        "frequency": "weekly",
        "period_start": datetime.date(2026, 12, 2),
        "period_end": datetime.date(2027, 12, 1),
        "services": [estimates.PlannedService(procedure=ProcedureCode.objects.get(code=code))],
        "issued_by": user,
        "diagnosis_codes": "F41.1",
        "service_date": datetime.date(2026, 12, 2),
        "scheduled_on": TODAY,
    }
    arguments.update(changes)
    return estimates.estimate_create(**arguments)


def bill(client, amount: Decimal, *, on=datetime.date(2026, 12, 3), status="ready") -> None:
    """One attended session with one line charging ``amount``."""
    session = factories.SessionFactory(client=client, date=on, status=status)
    factories.ServiceLineFactory(session=session, charge=amount)


# --- issuing ------------------------------------------------------------------------


def test_weekly_for_twelve_months_prices_53_visits_at_the_standard_fee(self_pay, biller_user):
    estimate = issue(self_pay, biller_user)
    (line,) = estimate.lines.all()
    assert (line.code, line.visits, line.units) == ("90834", 53, 1)
    assert line.unit_fee == fee("90834")
    assert estimate.total == line.total == fee("90834") * 53
    assert estimate.deadline is None  # scheduled one business day ahead: the rule sets none
    assert estimate.client_name == "Thảo Nguyễn"
    assert estimate.clinician_npi == self_pay.primary_clinician.npi
    assert estimate.practice_tax_id == "12-3456789"


def test_the_estimate_fee_is_the_fee_a_logged_session_line_gets(
    self_pay, clinician_user, client, office
):
    """Same source: a session logged through the form for this client is charged what the
    estimate quotes, before and after the practice changes its fee."""
    from tests.practice.test_sessions import form_data

    diagnosis = self_pay.diagnoses.get()
    client.force_login(clinician_user)
    for day, new_fee in (("2026-11-30", None), ("2026-11-27", Decimal("142.50"))):
        if new_fee is not None:
            ProcedureCode.objects.filter(code="90834").update(default_charge=new_fee)
        response = client.post(
            reverse("practice:session_create"),
            form_data(
                self_pay,
                [diagnosis],
                date=day,
                start_time="10:00",
                end_time="10:45",
                telehealth="",
                client_at_home=None,
                location=office.pk,
            ),
        )
        assert response.status_code == 302, response.context["form"].errors
        logged = ServiceLine.objects.filter(session__client=self_pay).latest("pk")
        estimate = issue(self_pay, clinician_user)
        assert logged.procedure.code == "90834"
        assert estimate.lines.get().unit_fee == logged.charge


def test_a_given_estimate_keeps_its_fee_when_the_fee_schedule_changes(self_pay, biller_user):
    estimate = issue(self_pay, biller_user)
    old = estimate.lines.get().unit_fee
    ProcedureCode.objects.filter(code="90834").update(default_charge=old + 50)
    estimate.refresh_from_db()
    assert estimate.lines.get().unit_fee == old


def test_a_period_over_twelve_months_is_refused_and_nothing_is_saved(self_pay, biller_user):
    with pytest.raises(ValidationError) as error:
        issue(self_pay, biller_user, period_end=datetime.date(2027, 12, 2))
    assert "12 months" in str(error.value.message_dict["period_end"])
    assert not GoodFaithEstimate.objects.exists()


# --- immutability -------------------------------------------------------------------


def test_a_given_estimate_cannot_be_given_again_or_discarded(self_pay, biller_user):
    estimate = issue(self_pay, biller_user)
    estimates.estimate_deliver(estimate=estimate, method="email", user=biller_user)
    with pytest.raises(estimates.EstimateDelivered):
        estimates.estimate_deliver(estimate=estimate, method="paper", user=biller_user)
    with pytest.raises(estimates.EstimateDelivered):
        estimates.estimate_discard(estimate=estimate)
    estimate.refresh_from_db()
    assert estimate.delivery_method == "email"


def test_posting_delivery_twice_answers_409_and_keeps_the_first(self_pay, biller_user, client):
    estimate = issue(self_pay, biller_user)
    client.force_login(biller_user)
    url = reverse("billing:estimate_deliver", args=[estimate.pk])
    assert client.post(url, {"method": "portal"}).status_code == 302
    response = client.post(url, {"method": "paper"})
    assert response.status_code == 409
    assert "cannot change" in response.content.decode()
    estimate.refresh_from_db()
    assert estimate.delivery_method == "portal"


def test_a_replacement_links_the_given_estimate_and_only_once(self_pay, biller_user):
    first = issue(self_pay, biller_user)
    estimates.estimate_deliver(estimate=first, method="paper", user=biller_user)
    second = issue(self_pay, biller_user, replaces=first, code="90837")
    assert second.replaces == first
    with pytest.raises(ValidationError):
        issue(self_pay, biller_user, replaces=first)
    current = estimates.current_estimate(client=self_pay, on=TODAY)
    assert current.estimate == second


def test_an_estimate_never_given_is_discarded_not_replaced(self_pay, biller_user):
    draft = issue(self_pay, biller_user)
    with pytest.raises(ValidationError, match="discard it instead"):
        issue(self_pay, biller_user, replaces=draft)
    estimates.estimate_discard(estimate=draft)
    assert not GoodFaithEstimate.objects.exists()


# --- pages and access ---------------------------------------------------------------


def test_create_page_is_prefilled_from_the_last_session_weekly_for_a_year(
    self_pay, clinician_user, client
):
    bill(self_pay, Decimal("160.00"), on=datetime.date(2026, 11, 24))  # a 90837 line
    client.force_login(clinician_user)
    response = client.get(reverse("billing:estimate_create", args=[self_pay.pk]))
    assert response.status_code == 200
    form, lines = response.context["form"], response.context["lines"]
    assert form.initial["frequency"] == "weekly"
    assert form.initial["period_start"] == datetime.date(2026, 12, 2)
    assert form.initial["period_end"] == datetime.date(2027, 12, 1)
    assert form.initial["diagnosis_codes"] == "F41.1"
    assert lines.initial == [{"code": "90837", "units": 1}]


def test_a_planned_series_gives_the_first_date_booking_day_clinician_and_codes(
    self_pay, clinician_user, office, client
):
    """Booked today (Tuesday 12/01) every two weeks from Tuesday 12/15, 60 minutes: the
    estimate starts 12/15, was scheduled 12/01, codes 90837 from the appointment (no
    session yet), and its deadline is 3 business days later (10 ahead)."""
    from practice.appointments import appointment_plan

    appointment_plan(
        clinician=self_pay.primary_clinician,
        client=self_pay,
        date=datetime.date(2026, 12, 15),
        start_time=datetime.time(9, 0),
        minutes=60,
        service="individual",
        location=office,
        telehealth="",
        user=clinician_user,
        every_weeks=2,
        count=6,
    )
    draft = estimates.estimate_prefill(client=self_pay, user=clinician_user, on=TODAY)
    assert (draft.service_date, draft.scheduled_on) == (datetime.date(2026, 12, 15), TODAY)
    assert (draft.period_start, draft.period_end) == (
        datetime.date(2026, 12, 15),
        datetime.date(2027, 12, 14),
    )
    assert draft.frequency == "every_two_weeks"
    assert (draft.clinician, draft.location) == (self_pay.primary_clinician, office)
    assert draft.services == [("90837", 1)]
    client.force_login(clinician_user)
    page = client.get(reverse("billing:estimate_create", args=[self_pay.pk]))
    assert page.context["form"].initial["service_date"] == datetime.date(2026, 12, 15)


def post_estimate(client, person, **changes):
    data = {
        "clinician": person.primary_clinician.pk,
        "location": "",
        "frequency": "weekly",
        "period_start": "2026-12-02",
        "period_end": "2027-12-01",
        "service_date": "2026-12-15",
        "scheduled_on": "2026-12-01",
        "requested_on": "",
        "diagnosis_codes": "f41.1, F41.1",
        "lines-TOTAL_FORMS": "2",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "6",
        "lines-0-code": "90834",
        "lines-0-units": "1",
        "lines-0-visits": "",
        "lines-1-code": "90791",
        "lines-1-units": "1",
        "lines-1-visits": "1",
    }
    data.update(changes)
    return client.post(reverse("billing:estimate_create", args=[person.pk]), data)


def test_posting_the_form_issues_an_estimate_with_its_deadline(self_pay, clinician_user, client):
    client.force_login(clinician_user)
    response = post_estimate(client, self_pay)
    estimate = GoodFaithEstimate.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("billing:estimate_detail", args=[estimate.pk])
    # Scheduled Tuesday 12/01 for Tuesday 12/15: 10 business days ahead, 3 to deliver.
    assert estimate.deadline == datetime.date(2026, 12, 4)
    assert estimate.diagnosis_codes == "F41.1"
    assert [(line.code, line.visits) for line in estimate.lines.all()] == [
        ("90834", 53),
        ("90791", 1),
    ]
    assert estimate.total == fee("90834") * 53 + fee("90791")


def test_an_unknown_code_and_a_long_period_are_shown_next_to_their_fields(
    self_pay, clinician_user, client
):
    client.force_login(clinician_user)
    response = post_estimate(client, self_pay, **{"lines-0-code": "99999"})
    assert response.status_code == 400
    assert "99999 is not an active code" in response.content.decode()
    response = post_estimate(client, self_pay, period_end="2028-01-01")
    assert response.status_code == 400
    assert response.context["form"].errors["period_end"]
    assert not GoodFaithEstimate.objects.exists()


def test_a_clinician_gets_404_for_another_clinicians_client_and_estimate(
    self_pay, biller_user, other_clinician_user, client
):
    estimate = issue(self_pay, biller_user)
    client.force_login(other_clinician_user)
    for url in (
        reverse("billing:estimate_create", args=[self_pay.pk]),
        reverse("billing:estimate_detail", args=[estimate.pk]),
        reverse("billing:estimate_pdf", args=[estimate.pk]),
    ):
        assert client.get(url).status_code == 404, url
    response = client.post(
        reverse("billing:estimate_deliver", args=[estimate.pk]), {"method": "paper"}
    )
    assert response.status_code == 404
    estimate.refresh_from_db()
    assert not estimate.is_delivered


def test_clinicians_do_not_get_the_billing_list(clinician_user, client):
    client.force_login(clinician_user)
    assert client.get(reverse("billing:estimate_list")).status_code == 403


def test_the_pdf_needs_a_login_and_is_never_cached(self_pay, biller_user, client):
    estimate = issue(self_pay, biller_user)
    url = reverse("billing:estimate_pdf", args=[estimate.pk])
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    client.force_login(biller_user)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "no-store" in response["Cache-Control"]


def test_viewing_and_printing_an_estimate_are_recorded_in_the_read_audit(
    self_pay, biller_user, client
):
    from practice.models import AccessEvent

    estimate = issue(self_pay, biller_user)
    client.force_login(biller_user)
    client.get(reverse("billing:estimate_detail", args=[estimate.pk]))
    client.get(reverse("billing:estimate_pdf", args=[estimate.pk]))
    events = AccessEvent.objects.order_by("pk")
    assert [(e.kind, e.what, e.object_ids) for e in events] == [
        ("view", "Good Faith Estimate", [estimate.pk]),
        ("print", "Good Faith Estimate PDF", [estimate.pk]),
    ]
    assert all(
        list(e.client_links.values_list("client_id", flat=True)) == [self_pay.pk] for e in events
    )


def pdf_text(data: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def test_the_pdf_holds_the_required_content_and_prints_an_accented_name(
    self_pay, biller_user, office
):
    from billing.outputs.gfe import render_estimate

    estimate = issue(self_pay, biller_user, location=office)
    text = pdf_text(render_estimate(estimate))
    for expected in (
        "Thảo Nguyễn",
        "02/28/1990",
        "90834",
        "F41.1",
        self_pay.primary_clinician.npi,
        "12-3456789",
        "Elm Street office",
        "Weekly",
        f"{estimate.total:,.2f}",
        "not a contract",
        "billed separately",
        "$400 or more",
        "patient-provider dispute resolution",
        "120 calendar days",
        "1-800-985-3059",
        "Keep a copy",
    ):
        assert expected in text, expected


# --- the $400 alert -----------------------------------------------------------------


@pytest.mark.parametrize(("above", "alert"), [("399.99", False), ("400.00", True)])
def test_the_client_page_and_the_list_alert_from_400_dollars_above(
    self_pay, biller_user, client, above, alert
):
    estimate = issue(self_pay, biller_user)
    estimates.estimate_deliver(estimate=estimate, method="paper", user=biller_user)
    bill(self_pay, estimate.total)
    bill(self_pay, Decimal(above), on=datetime.date(2026, 12, 10))
    bill(self_pay, Decimal("999.00"), on=datetime.date(2026, 12, 11), status="draft")
    bill(self_pay, Decimal("999.00"), on=datetime.date(2026, 11, 30))  # before the period
    client.force_login(biller_user)
    page = client.get(reverse("practice:client_detail", args=[self_pay.pk])).content.decode()
    assert ("the client may dispute the bill" in page) is alert
    rows = client.get(reverse("billing:estimate_list")).context["rows"]
    assert [row.client for row in rows if row.over is not None] == ([self_pay] if alert else [])


# --- the list -----------------------------------------------------------------------


def test_the_list_shows_who_needs_an_estimate_most_urgent_first(
    self_pay, insured, biller_user, client, clinician
):
    # No coverage at all: uninsured.
    factories.ClientFactory(primary_clinician=clinician, last_name="Aardvark")
    overdue = factories.ClientFactory(primary_clinician=clinician, self_pay=True, last_name="Late")
    issue(overdue, biller_user, scheduled_on=datetime.date(2026, 11, 20))
    given = factories.ClientFactory(primary_clinician=clinician, self_pay=True, last_name="Given")
    estimates.estimate_deliver(estimate=issue(given, biller_user), method="email", user=biller_user)
    asked = factories.ClientFactory(primary_clinician=clinician, last_name="Asked")
    factories.CoverageFactory(client=asked)
    issue(asked, biller_user, scheduled_on=None, service_date=None, requested_on=TODAY)
    factories.ClientFactory(primary_clinician=clinician, self_pay=True, active=False)
    client.force_login(biller_user)
    rows = client.get(reverse("billing:estimate_list")).context["rows"]
    names = [row.client.last_name for row in rows]
    assert names == ["Late", "Asked", "Aardvark", self_pay.last_name]
    assert "passed" in rows[0].reason
    assert "due by 12/04/2026" in rows[1].reason


def test_the_list_takes_the_same_queries_for_many_clients(
    biller_user, client, clinician, django_assert_max_num_queries
):
    for n in range(12):
        person = factories.ClientFactory(primary_clinician=clinician, self_pay=True)
        if n % 2:
            estimate = issue(person, biller_user)
            estimates.estimate_deliver(estimate=estimate, method="paper", user=biller_user)
            bill(person, estimate.total + 500)
    client.force_login(biller_user)
    # 12, none per row: read the session, the user; SAVEPOINT; role groups; the user's
    # clinician row; the clients with their clinician, current estimate and billed
    # charges (one query); the read audit's access and its clients (two); RELEASE;
    # SAVEPOINT, UPDATE django_session, RELEASE.
    with django_assert_max_num_queries(12):
        response = client.get(reverse("billing:estimate_list"))
    assert len(response.context["rows"]) == 12


def test_a_self_pay_client_page_offers_an_estimate_and_an_insured_one_does_not_need_it(
    self_pay, insured, clinician_user, client
):
    client.force_login(clinician_user)
    page = client.get(reverse("practice:client_detail", args=[self_pay.pk])).content.decode()
    assert "has no current estimate" in page
    assert reverse("billing:estimate_create", args=[self_pay.pk]) in page
    page = client.get(reverse("practice:client_detail", args=[insured.pk])).content.decode()
    assert "Not needed while insurance is in force" in page


def test_a_client_whose_coverage_ended_needs_an_estimate(clinician, biller_user, client):
    person = factories.ClientFactory(primary_clinician=clinician)
    factories.CoverageFactory(client=person, effective_to=datetime.date(2026, 11, 30))
    assert estimates.needs_estimate(person, TODAY)
    client.force_login(biller_user)
    rows = client.get(reverse("billing:estimate_list")).context["rows"]
    assert [row.client for row in rows] == [person]


def test_billed_charges_count_ready_and_billed_sessions_in_the_period_only(self_pay):
    bill(self_pay, Decimal("100.00"), on=datetime.date(2026, 12, 2))
    bill(self_pay, Decimal("50.00"), on=datetime.date(2026, 12, 3), status="billed")
    bill(self_pay, Decimal("70.00"), on=datetime.date(2026, 12, 4), status="draft")
    bill(self_pay, Decimal("30.00"), on=datetime.date(2027, 12, 2))
    total = estimates.billed_charges(
        client=self_pay, start=datetime.date(2026, 12, 2), end=datetime.date(2027, 12, 1)
    )
    assert total == Decimal("150.00")
    assert Session.objects.filter(client=self_pay).count() == 4
