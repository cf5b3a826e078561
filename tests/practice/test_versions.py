"""No lost updates: two people editing one session, client, coverage or diagnosis
(practice/versions.py, practice/services.py). Each test opens the page twice, as two
people would, and posts what each page carried with that person's changes."""

from __future__ import annotations

import datetime
import re
import threading
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import close_old_connections, connection, transaction
from django.test import Client as Browser
from django.urls import reverse
from django.utils import timezone

from billing.models import DiagnosisCode
from practice import services
from practice.models import Client, Diagnosis, Session
from practice.versions import StaleEdit, refuse_stale
from tests import factories
from tests.html_forms import form_data

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _today():
    moment = datetime.datetime(2026, 10, 6, 12, 0, tzinfo=ZoneInfo("America/New_York"))
    with time_machine.travel(moment, tick=False):
        yield


@pytest.fixture
def patient(clinician):
    person = factories.ClientFactory(
        primary_clinician=clinician, first_name="Róisín", last_name="O'Neil", phone="2175550101"
    )
    factories.CoverageFactory(client=person, payer=factories.PayerFactory(name="Acme Health"))
    factories.DiagnosisFactory(client=person, code=DiagnosisCode.objects.get(code="F41.1"))
    return person


def browser(user) -> Browser:
    person = Browser()
    person.force_login(user)
    return person


@pytest.fixture
def clinician_browser(clinician_user):
    return browser(clinician_user)


@pytest.fixture
def biller_browser(biller_user):
    biller_user.first_name, biller_user.last_name = "Bea", "Biller"
    biller_user.save()
    return browser(biller_user)


@pytest.fixture
def session(clinician_browser, patient):
    """A 53-minute video session logged through the form by its clinician."""
    page = clinician_browser.get(reverse("practice:session_create") + f"?client={patient.pk}")
    data = form_data(page.content, form_id="session-form")
    data.update(start_time="10:00", end_time="10:53", telehealth="video", note="First note")
    data["date"] = "2026-10-05"
    response = clinician_browser.post(reverse("practice:session_create"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    return Session.objects.get()


def open_page(person: Browser, url: str, form_id: str) -> dict:
    response = person.get(url)
    assert response.status_code == 200
    return form_data(response.content, form_id=form_id)


def edit_session_page(person: Browser, session: Session) -> dict:
    return open_page(person, reverse("practice:session_edit", args=[session.pk]), "session-form")


def edit_client_page(person: Browser, client: Client) -> dict:
    return open_page(person, reverse("practice:client_edit", args=[client.pk]), "client-form")


def stale_rows(response) -> str:
    """The text of the 'what changed' tables, whitespace collapsed."""
    tables = re.findall(
        r'<table class="[^"]*stale-changes.*?</table>', response.content.decode(), re.S
    )
    assert tables, "no 'what changed' table on the page"
    return " ".join(" ".join(tables).split())


def row_index(data: dict, prefix: str, pk: int) -> int:
    return next(
        int(name.split("-")[1])
        for name, value in data.items()
        if name.startswith(f"{prefix}-") and name.endswith("-id") and value == str(pk)
    )


# --- sessions -----------------------------------------------------------------------


def test_clinician_and_biller_saving_one_session_at_once_the_second_is_refused(
    session, clinician_browser, biller_browser, clinician
):
    url = reverse("practice:session_edit", args=[session.pk])
    theirs = edit_session_page(clinician_browser, session)
    mine = edit_session_page(biller_browser, session)
    assert theirs["version"] == mine["version"] == str(session.version)

    first = clinician_browser.post(url, {**theirs, "note": "Clinician's note"})
    second = biller_browser.post(url, {**mine, "note": "Biller's note", "service": "crisis"})

    assert first.status_code == 302
    assert second.status_code == 409
    session.refresh_from_db()
    assert session.note == "Clinician's note"
    assert session.service == "individual"
    assert session.lines.get().procedure.code == "90837"
    panel = stale_rows(second)
    assert "Billing note" in panel
    assert "Clinician&#x27;s note" in panel and "Biller&#x27;s note" in panel
    assert clinician.user.get_full_name() in panel
    saved_at = timezone.localtime(session.history.first().history_date)
    assert f"{saved_at:%m/%d/%Y %H:%M}" in panel


def test_a_billers_older_form_cannot_undo_the_clinicians_minutes(
    session, clinician_browser, biller_browser
):
    url = reverse("practice:session_edit", args=[session.pk])
    older = edit_session_page(biller_browser, session)
    newer = edit_session_page(clinician_browser, session)
    assert clinician_browser.post(url, {**newer, "end_time": "11:00"}).status_code == 302

    refused = biller_browser.post(url, {**older, "note": "Checked the member id"})

    assert refused.status_code == 409
    session.refresh_from_db()
    assert (session.end_time, session.minutes) == (datetime.time(11, 0), 60)
    assert session.note == "First note"
    panel = stale_rows(refused)
    assert "End time" in panel and "11:00" in panel and "10:53" in panel
    # The biller's input is still in the form, to apply after reading the changes.
    kept = form_data(refused.content, form_id="session-form")
    assert kept["note"] == "Checked the member id"
    assert kept["version"] == str(session.version)


def test_saving_again_after_seeing_the_changes_applies_the_kept_input(
    session, clinician_browser, biller_browser
):
    url = reverse("practice:session_edit", args=[session.pk])
    older = edit_session_page(biller_browser, session)
    newer = edit_session_page(clinician_browser, session)
    clinician_browser.post(url, {**newer, "end_time": "11:00"})
    refused = biller_browser.post(url, {**older, "note": "Checked the member id"})
    kept = form_data(refused.content, form_id="session-form")

    again = biller_browser.post(url, {**kept, "end_time": "11:00"})

    assert again.status_code == 302
    session.refresh_from_db()
    assert (session.minutes, session.note) == (60, "Checked the member id")


def test_the_live_proposal_neither_saves_nor_bumps_the_version(
    session, clinician_browser, biller_browser
):
    data = edit_session_page(biller_browser, session)
    history = session.history.count()
    suggest = reverse("practice:session_suggest") + f"?session={session.pk}"

    for minutes_end in ("10:30", "11:10"):
        response = clinician_browser.post(suggest, {**data, "end_time": minutes_end})
        assert response.status_code == 200

    session.refresh_from_db()
    assert session.version == int(data["version"])
    assert session.history.count() == history
    assert (
        biller_browser.post(
            reverse("practice:session_edit", args=[session.pk]), {**data, "note": "Still mine"}
        ).status_code
        == 302
    )


def test_a_status_button_on_an_older_page_is_refused_with_what_changed(
    session, clinician_browser, biller_browser
):
    detail = biller_browser.get(reverse("practice:session_detail", args=[session.pk]))
    button = form_data(
        detail.content.decode().split('id="edit-session"', 1)[1], form_id=None
    )  # the first status form after the Edit link: "Mark ready to bill"
    assert button["status"] == "ready"
    newer = edit_session_page(clinician_browser, session)
    clinician_browser.post(
        reverse("practice:session_edit", args=[session.pk]), {**newer, "note": "Changed"}
    )

    response = biller_browser.post(
        reverse("practice:session_status", args=[session.pk]), button, follow=True
    )

    session.refresh_from_db()
    assert session.status == Session.Status.DRAFT
    assert "Note is now Changed, was First note" in response.content.decode()


def test_a_save_that_skips_the_check_is_still_refused_by_the_version_column(session):
    """The conditional UPDATE (WHERE version = read) is the last guard."""
    first = Session.objects.get(pk=session.pk)
    second = Session.objects.get(pk=session.pk)
    first.note = "Saved first"
    first.save()
    second.note = "Saved on top"

    with pytest.raises(StaleEdit), refuse_stale(), transaction.atomic():
        second.save()

    session.refresh_from_db()
    assert session.note == "Saved first"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_saves_racing_on_postgresql_exactly_one_wins(practice_row):
    session = factories.SessionFactory()
    read_at = session.version
    diagnosis = factories.DiagnosisFactory(client=session.client)
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def save(note: str) -> None:
        try:
            mine = Session.objects.get(pk=session.pk)
            mine.version = read_at
            mine.note = note
            barrier.wait()
            services.session_save(session=mine, diagnoses=[diagnosis], lines=[], user=None)
            outcomes[note] = "saved"
        except StaleEdit:
            outcomes[note] = "refused"
        except BaseException as error:  # reported below
            outcomes[note] = repr(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=save, args=(note,)) for note in ("left", "right")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    close_old_connections()

    assert sorted(outcomes.values()) == ["refused", "saved"], outcomes
    winner = next(note for note, outcome in outcomes.items() if outcome == "saved")
    session.refresh_from_db()
    assert session.note == winner
    assert session.version == read_at + 1


# --- clients, coverages, diagnoses -------------------------------------------------


def test_an_older_client_form_cannot_undo_a_new_phone_number(
    patient, clinician_browser, biller_browser, clinician
):
    url = reverse("practice:client_edit", args=[patient.pk])
    older = edit_client_page(biller_browser, patient)
    newer = edit_client_page(clinician_browser, patient)
    assert clinician_browser.post(url, {**newer, "phone": "2175550199"}).status_code == 302

    refused = biller_browser.post(url, {**older, "email": "roisin@example.com"})

    assert refused.status_code == 409
    patient.refresh_from_db()
    assert (patient.phone, patient.email) == ("2175550199", "")
    panel = stale_rows(refused)
    assert "Phone" in panel and "2175550199" in panel and "2175550101" in panel
    assert clinician.user.get_full_name() in panel
    kept = form_data(refused.content, form_id="client-form")
    assert kept["email"] == "roisin@example.com"
    assert kept["version"] == str(patient.version)


def test_an_older_coverage_row_cannot_undo_a_new_copay(patient, clinician_browser, biller_browser):
    url = reverse("practice:client_edit", args=[patient.pk])
    coverage = patient.coverages.get()
    older = edit_client_page(clinician_browser, patient)
    newer = edit_client_page(biller_browser, patient)
    i = row_index(newer, "coverages", coverage.pk)
    assert biller_browser.post(url, {**newer, f"coverages-{i}-copay": "35.00"}).status_code == 302

    j = row_index(older, "coverages", coverage.pk)
    refused = clinician_browser.post(url, {**older, f"coverages-{j}-member_id": "NEW12345"})

    assert refused.status_code == 409
    coverage.refresh_from_db()
    assert (str(coverage.copay), coverage.member_id) == ("35.00", older[f"coverages-{j}-member_id"])
    assert "Copay" in stale_rows(refused) and "35.00" in stale_rows(refused)


def test_a_coverage_the_page_did_not_touch_is_not_written_back_so_their_change_stays(
    patient, clinician_browser, biller_browser
):
    url = reverse("practice:client_edit", args=[patient.pk])
    older = edit_client_page(clinician_browser, patient)
    newer = edit_client_page(biller_browser, patient)
    i = row_index(newer, "coverages", patient.coverages.get().pk)
    assert (
        biller_browser.post(url, {**newer, f"coverages-{i}-group_number": "GRP200"}).status_code
        == 302
    )

    response = clinician_browser.post(url, {**older, "phone": "2175550177"})

    assert response.status_code == 302
    patient.refresh_from_db()
    assert (patient.coverages.get().group_number, patient.phone) == ("GRP200", "2175550177")


def test_a_client_row_the_page_did_not_touch_keeps_their_new_phone(
    patient, clinician_browser, biller_browser
):
    url = reverse("practice:client_edit", args=[patient.pk])
    older = edit_client_page(biller_browser, patient)
    newer = edit_client_page(clinician_browser, patient)
    assert clinician_browser.post(url, {**newer, "phone": "2175550199"}).status_code == 302
    i = row_index(older, "coverages", patient.coverages.get().pk)

    response = biller_browser.post(url, {**older, f"coverages-{i}-copay": "40.00"})

    assert response.status_code == 302
    patient.refresh_from_db()
    assert (patient.phone, str(patient.coverages.get().copay)) == ("2175550199", "40.00")


def test_an_older_diagnosis_row_cannot_undo_a_resolution(
    patient, clinician_browser, biller_browser
):
    url = reverse("practice:client_edit", args=[patient.pk])
    diagnosis = patient.diagnoses.get()
    older = edit_client_page(biller_browser, patient)
    newer = edit_client_page(clinician_browser, patient)
    i = row_index(newer, "diagnoses", diagnosis.pk)
    resolved = {**newer, f"diagnoses-{i}-end_date": "2026-10-01"}
    assert clinician_browser.post(url, resolved).status_code == 302

    j = row_index(older, "diagnoses", diagnosis.pk)
    refused = biller_browser.post(url, {**older, f"diagnoses-{j}-rank": "2"})

    assert refused.status_code == 409
    diagnosis.refresh_from_db()
    assert (diagnosis.end_date, diagnosis.rank) == (datetime.date(2026, 10, 1), 1)
    assert "Resolved on" in stale_rows(refused) or "End date" in stale_rows(refused)


def test_removing_a_diagnosis_someone_changed_since_is_refused(
    patient, clinician_browser, biller_browser
):
    url = reverse("practice:client_edit", args=[patient.pk])
    diagnosis = patient.diagnoses.get()
    older = edit_client_page(biller_browser, patient)
    Diagnosis.objects.get(pk=diagnosis.pk).save()  # someone saved it (history, version)
    j = row_index(older, "diagnoses", diagnosis.pk)

    refused = biller_browser.post(url, {**older, f"diagnoses-{j}-DELETE": "on"})

    assert refused.status_code == 409
    assert Diagnosis.objects.filter(pk=diagnosis.pk).exists()


def test_client_page_carries_a_version_for_the_client_and_each_row(patient, clinician_browser):
    data = edit_client_page(clinician_browser, patient)
    coverage, diagnosis = patient.coverages.get(), patient.diagnoses.get()
    assert data["version"] == str(patient.version)
    assert data[f"coverages-{row_index(data, 'coverages', coverage.pk)}-version"] == str(
        coverage.version
    )
    assert data[f"diagnoses-{row_index(data, 'diagnoses', diagnosis.pk)}-version"] == str(
        diagnosis.version
    )


@pytest.mark.parametrize("version", ["abc", "-1", "²", "99999999999999999999999"])
def test_a_damaged_version_is_a_form_error_not_a_server_error(
    session, clinician_browser, patient, version
):
    data = edit_session_page(clinician_browser, session)
    response = clinician_browser.post(
        reverse("practice:session_edit", args=[session.pk]), {**data, "version": version}
    )
    assert response.status_code == 200
    assert "This page is damaged" in response.content.decode()
    client_data = edit_client_page(clinician_browser, patient)
    response = clinician_browser.post(
        reverse("practice:client_edit", args=[patient.pk]), {**client_data, "version": version}
    )
    assert response.status_code == 200
    assert "This page is damaged" in response.content.decode()
