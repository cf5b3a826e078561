"""Session pages: logging with live line proposals, validation, warnings, list, status,
delete and access (practice/views/sessions.py, practice/forms/sessions.py,
practice/services.py)."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from billing.models import DiagnosisCode, Payer, PayerRate, ProcedureCode
from practice.forms.sessions import MESSAGES
from practice.models import ServiceLine, Session, SessionDiagnosis
from tests import factories
from tests.html_forms import form_data as page_form

pytestmark = pytest.mark.django_db

DATE_OF_SERVICE = datetime.date(2026, 10, 5)


@pytest.fixture(autouse=True)
def _today():
    """ "Today" is Tuesday 10/06/2026 in the practice's time zone."""
    moment = datetime.datetime(2026, 10, 6, 12, 0, tzinfo=ZoneInfo("America/New_York"))
    with time_machine.travel(moment, tick=False):
        yield


@pytest.fixture
def office(practice_row):
    return factories.LocationFactory(practice=practice_row)


@pytest.fixture
def payer(db):
    # PayerFactory: POS 10 for telehealth at home, 02 elsewhere; 95 video, 93 audio.
    return factories.PayerFactory(name="Acme Health")


@pytest.fixture
def patient(clinician, payer):
    person = factories.ClientFactory(
        primary_clinician=clinician, first_name="Róisín", last_name="O'Neil"
    )
    factories.CoverageFactory(client=person, payer=payer)
    return person


@pytest.fixture
def anxiety(patient):
    return factories.DiagnosisFactory(client=patient, code=_code("F41.1"), rank=1)


@pytest.fixture
def ptsd(patient):
    return factories.DiagnosisFactory(client=patient, code=_code("F43.10"), rank=2)


@pytest.fixture
def other_patient(other_clinician, payer):
    person = factories.ClientFactory(primary_clinician=other_clinician, last_name="Elsewhere")
    factories.DiagnosisFactory(client=person)
    return person


def _code(code: str) -> DiagnosisCode:
    return DiagnosisCode.objects.get(code=code)


def standard_fee(code: str) -> Decimal:
    return ProcedureCode.objects.get(code=code).default_charge


def form_data(patient, diagnoses, /, **changes) -> dict:
    """What the session form posts for a 53-minute video session with the client at home."""
    data = {
        "client": patient.pk,
        "rendered_client": patient.pk,
        "date": "2026-10-05",
        "start_time": "10:00",
        "end_time": "10:53",
        "minutes": "",
        "service": "individual",
        "telehealth": "video",
        "client_at_home": "on",
        "location": "",
        "diagnoses": [d.pk for d in diagnoses],
        "em_code": "",
        "note": "",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def override(*rows: tuple[str, str, int | str, str]) -> dict:
    """Form fields that replace the proposed lines with `rows` of (code, modifiers,
    units, pointers)."""
    data = {
        "override_lines": "on",
        "lines-TOTAL_FORMS": str(len(rows)),
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "12",
    }
    for i, (code, modifiers, units, pointers) in enumerate(rows):
        data.update(
            {
                f"lines-{i}-code": code,
                f"lines-{i}-modifiers": modifiers,
                f"lines-{i}-units": str(units),
                f"lines-{i}-pointers": pointers,
            }
        )
    return data


def counts() -> tuple[int, int, int]:
    return Session.objects.count(), ServiceLine.objects.count(), SessionDiagnosis.objects.count()


def create(client, data, **kwargs):
    return client.post(reverse("practice:session_create"), data, **kwargs)


def page_messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def assert_shown(response, message: str) -> None:
    assert escape(message) in response.content.decode()


def make_session(patient, *, code: str = "90837", charge: str = "180.00", **fields) -> Session:
    session = factories.SessionFactory(client=patient, **fields)
    if code:
        factories.ServiceLineFactory(
            session=session,
            position=1,
            procedure=ProcedureCode.objects.get(code=code),
            charge=Decimal(charge),
        )
    return session


# --- logging a session --------------------------------------------------------------


def test_53_minute_video_session_at_home_saves_90837_with_95_pos_10_and_standard_fee(
    client, clinician_user, patient, anxiety
):
    client.force_login(clinician_user)

    response = create(client, form_data(patient, [anxiety]))

    session = Session.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("practice:session_detail", args=[session.pk])
    assert (session.minutes, session.telehealth, session.client_at_home) == (53, "video", True)
    assert session.place_of_service.code == "10"
    assert session.status == Session.Status.DRAFT
    assert session.created_by == clinician_user
    (line,) = session.lines.all()
    assert line.procedure.code == "90837"
    assert line.modifiers == ["95"]
    assert line.units == 1
    assert line.charge == standard_fee("90837")
    assert line.diagnosis_pointers == "A"
    assert [d.diagnosis for d in session.session_diagnoses.all()] == [anxiety]


def test_suggest_endpoint_shows_90837_with_95_pos_10_and_fee_before_anything_is_saved(
    client, clinician_user, patient, anxiety
):
    client.force_login(clinician_user)

    response = client.post(reverse("practice:session_suggest"), form_data(patient, [anxiety]))

    assert response.status_code == 200
    preview = response.context["preview"]
    (line,) = preview.lines
    assert (line.code, line.modifiers, line.place_of_service) == ("90837", ("95",), "10")
    assert line.charge == standard_fee("90837")
    html = response.content.decode()
    assert 'data-code="90837"' in html and 'data-modifiers="95"' in html and 'data-pos="10"' in html
    assert "Acme Health" in html
    assert counts() == (0, 0, 0)


def test_suggest_endpoint_answers_a_get_with_the_same_fields(
    client, clinician_user, patient, anxiety
):
    client.force_login(clinician_user)

    response = client.get(reverse("practice:session_suggest"), form_data(patient, [anxiety]))

    assert [line.code for line in response.context["preview"].lines] == ["90837"]


def test_form_page_has_the_ids_and_labels_a_browser_test_relies_on(client, clinician_user, patient):
    client.force_login(clinician_user)

    html = client.get(reverse("practice:session_create")).content.decode()

    assert 'id="session-form"' in html and 'id="proposed-lines"' in html
    for field in ("client", "date", "start_time", "end_time", "minutes", "service", "note"):
        assert f'for="id_{field}"' in html and f'id="id_{field}"' in html
    assert 'id="id_telehealth_1"' in html and 'for="id_client_at_home"' in html
    assert reverse("practice:session_suggest") in html
    assert "htmx.min.js" in html


def test_changing_the_client_swaps_in_that_clients_diagnoses_with_the_first_checked(
    client, clinician, clinician_user, patient, anxiety
):
    second = factories.ClientFactory(primary_clinician=clinician, self_pay=True)
    depression = factories.DiagnosisFactory(client=second, code=_code("F32.A"))
    client.force_login(clinician_user)

    data = form_data(second, [anxiety], rendered_client=patient.pk)
    response = client.post(reverse("practice:session_suggest"), data)

    html = response.content.decode()
    assert 'id="client-fields" hx-swap-oob="true"' in html
    assert f'name="diagnoses" value="{depression.pk}"' in html
    assert f'name="diagnoses" value="{anxiety.pk}"' not in html
    assert response.context["preview"].diagnoses == [depression]
    assert [line.code for line in response.context["preview"].lines] == ["90837"]


def test_self_pay_client_gets_the_default_telehealth_pos_and_modifier(
    client, clinician, clinician_user
):
    person = factories.ClientFactory(primary_clinician=clinician, self_pay=True)
    dx = factories.DiagnosisFactory(client=person)
    client.force_login(clinician_user)

    create(client, form_data(person, [dx], telehealth="audio", client_at_home=None))

    session = Session.objects.get()
    assert session.place_of_service.code == "02"
    assert session.lines.get().modifiers == ["93"]


def test_in_person_session_takes_the_locations_pos_and_no_modifier(
    client, clinician_user, patient, anxiety, office
):
    client.force_login(clinician_user)

    create(client, form_data(patient, [anxiety], telehealth="", location=office.pk))

    session = Session.objects.get()
    assert session.place_of_service.code == "11"
    assert session.lines.get().modifiers == []


def test_minutes_alone_are_enough_without_times(client, clinician_user, patient, anxiety):
    client.force_login(clinician_user)

    create(client, form_data(patient, [anxiety], start_time="", end_time="", minutes="45"))

    session = Session.objects.get()
    assert (session.minutes, session.start_time, session.end_time) == (45, None, None)
    assert session.lines.get().procedure.code == "90834"


def test_exactly_8_hours_is_allowed(client, clinician_user, patient, anxiety):
    client.force_login(clinician_user)

    create(client, form_data(patient, [anxiety], start_time="08:00", end_time="16:00"))

    assert Session.objects.get().minutes == 480


def test_charge_is_the_unit_fee_times_units(client, clinician_user, patient, anxiety, office):
    client.force_login(clinician_user)

    data = form_data(
        patient, [anxiety], service="crisis", telehealth="", location=office.pk, end_time="11:50"
    )
    create(client, data)

    lines = {line.procedure.code: line for line in Session.objects.get().lines.all()}
    # docs/rules/coding.md §3.2: 110 minutes of crisis = 90839 + two units of 90840.
    assert lines["90840"].units == 2
    assert lines["90840"].charge == standard_fee("90840") * 2
    assert lines["90839"].charge == standard_fee("90839")


def test_payer_on_contract_rates_is_charged_its_rate_in_force(
    client, clinician_user, patient, anxiety, payer
):
    payer.charge_basis = Payer.ChargeBasis.CONTRACT_RATE
    payer.save()
    procedure = ProcedureCode.objects.get(code="90837")
    PayerRate.objects.create(payer=payer, procedure=procedure, allowed_amount=Decimal("151.25"))
    client.force_login(clinician_user)

    create(client, form_data(patient, [anxiety]))

    assert Session.objects.get().lines.get().charge == Decimal("151.25")


def test_diagnoses_keep_the_order_chosen_and_lines_point_at_them(
    client, clinician_user, patient, anxiety, ptsd
):
    client.force_login(clinician_user)

    create(client, form_data(patient, [ptsd, anxiety]))

    session = Session.objects.get()
    assert [d.diagnosis for d in session.session_diagnoses.all()] == [ptsd, anxiety]
    assert session.lines.get().diagnosis_pointers == "AB"


def test_save_and_mark_ready_saves_a_ready_session(client, clinician_user, patient, anxiety):
    client.force_login(clinician_user)

    create(client, {**form_data(patient, [anxiety]), "ready": "1"})

    assert Session.objects.get().status == Session.Status.READY


def test_biller_logs_a_session_for_a_clinician(client, biller_user, clinician, patient, anxiety):
    client.force_login(biller_user)

    response = create(client, form_data(patient, [anxiety], clinician=clinician.pk))

    assert response.status_code == 302
    session = Session.objects.get()
    assert session.clinician == clinician
    assert session.created_by == biller_user


def test_biller_must_choose_the_clinician(client, biller_user, patient, anxiety):
    client.force_login(biller_user)

    response = create(client, form_data(patient, [anxiety]))

    assert response.context["form"].errors["clinician"] == ["This field is required."]
    assert counts() == (0, 0, 0)


def test_editing_replaces_the_lines_and_keeps_one_session(client, clinician_user, patient, anxiety):
    client.force_login(clinician_user)
    create(client, form_data(patient, [anxiety]))
    session = Session.objects.get()

    response = client.post(
        reverse("practice:session_edit", args=[session.pk]),
        form_data(patient, [anxiety], end_time="10:45"),
    )

    assert response.status_code == 302
    session.refresh_from_db()
    assert session.minutes == 45
    assert [line.procedure.code for line in session.lines.all()] == ["90834"]
    assert counts() == (1, 1, 1)


def test_editing_a_session_does_not_overlap_itself(client, clinician_user, patient, anxiety):
    client.force_login(clinician_user)
    create(client, form_data(patient, [anxiety]))
    session = Session.objects.get()

    response = client.post(
        reverse("practice:session_edit", args=[session.pk]),
        form_data(patient, [anxiety], note="Rescheduled from Monday"),
    )

    assert response.status_code == 302
    session.refresh_from_db()
    assert session.note == "Rescheduled from Monday"


def test_edit_page_opens_with_the_override_on_when_lines_were_set_by_hand(
    client, clinician_user, patient, anxiety
):
    client.force_login(clinician_user)
    rows = override(("90837", "95", 1, "A"), ("90785", "95", 1, "A"))
    create(client, {**form_data(patient, [anxiety]), **rows})
    session = Session.objects.get()

    response = client.get(reverse("practice:session_edit", args=[session.pk]))

    assert response.context["form"].override
    assert [line.code for line in response.context["preview"].lines] == ["90837", "90785"]
    assert 'value="90785"' in response.content.decode()


def test_nothing_is_half_saved_when_a_line_fails_its_checks(
    client, clinician_user, patient, anxiety, monkeypatch
):
    def refuse(self, *args, **kwargs):
        raise ValidationError("The line was refused.")

    monkeypatch.setattr(ServiceLine, "full_clean", refuse)
    client.force_login(clinician_user)

    response = create(client, form_data(patient, [anxiety]))

    assert response.status_code == 200
    assert_shown(response, "The line was refused.")
    assert counts() == (0, 0, 0)
    assert response.context["form"].instance.pk is None


# --- validation: refused with a message beside the field, nothing saved ----------------


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"start_time": "10:53", "end_time": "10:00"}, "end_time", MESSAGES["ends_before_start"]),
        ({"start_time": "10:00", "end_time": "10:00"}, "end_time", MESSAGES["no_minutes"]),
        ({"start_time": "", "end_time": "", "minutes": "0"}, "minutes", MESSAGES["no_minutes"]),
        ({"start_time": "", "end_time": "", "minutes": "-20"}, "minutes", MESSAGES["no_minutes"]),
        ({"start_time": "", "end_time": "", "minutes": ""}, "minutes", MESSAGES["missing_time"]),
        ({"date": "2026-10-07"}, "date", MESSAGES["future"]),
        ({"start_time": "08:00", "end_time": "16:01"}, "end_time", MESSAGES["too_long"]),
        ({"start_time": "", "end_time": "", "minutes": "481"}, "minutes", MESSAGES["too_long"]),
        ({"diagnoses": []}, "diagnoses", MESSAGES["no_diagnosis"]),
        ({"telehealth": ""}, "location", MESSAGES["no_location"]),
        ({"service": "group"}, "group_size", MESSAGES["group_size"]),
    ],
    ids=[
        "end-before-start",
        "end-equals-start",
        "zero-minutes",
        "negative-minutes",
        "no-length",
        "future-date",
        "longer-than-8-hours-by-times",
        "longer-than-8-hours-by-minutes",
        "no-diagnosis-to-point-at",
        "in-person-without-location",
        "group-without-size",
    ],
)
def test_invalid_session_is_refused_with_a_message_beside_the_field(
    client, clinician_user, patient, anxiety, changes, field, message
):
    client.force_login(clinician_user)

    response = create(client, form_data(patient, [anxiety], **changes))

    assert response.status_code == 200
    assert message in response.context["form"].errors[field]
    assert_shown(response, message)
    assert counts() == (0, 0, 0)


def test_end_before_start_is_also_shown_by_the_live_preview(
    client, clinician_user, patient, anxiety
):
    client.force_login(clinician_user)

    data = form_data(patient, [anxiety], start_time="10:53", end_time="10:00")
    response = client.post(reverse("practice:session_suggest"), data)

    assert MESSAGES["ends_before_start"] in response.context["preview"].problems
    assert_shown(response, MESSAGES["ends_before_start"])


def test_an_inactive_client_is_refused(client, clinician_user, patient, anxiety):
    patient.active = False
    patient.save()
    client.force_login(clinician_user)

    response = create(client, form_data(patient, [anxiety]))

    assert response.context["form"].errors["client"] == [
        "Choose one of your active clients: this one is not yours or is inactive."
    ]
    assert counts() == (0, 0, 0)


def test_a_forged_client_of_another_clinician_is_a_form_error_not_a_save(
    client, clinician_user, other_patient
):
    client.force_login(clinician_user)
    their_diagnosis = other_patient.diagnoses.get()

    response = create(client, form_data(other_patient, [their_diagnosis]))

    assert response.status_code == 200
    assert "client" in response.context["form"].errors
    assert counts() == (0, 0, 0)


def test_client_choices_are_only_the_clinicians_own_active_clients(
    client, clinician, clinician_user, patient, other_patient
):
    factories.ClientFactory(primary_clinician=clinician, active=False, last_name="Gone")
    client.force_login(clinician_user)

    response = client.get(reverse("practice:session_create"))

    assert list(response.context["form"].fields["client"].queryset) == [patient]


def test_more_than_12_diagnoses_are_refused(client, clinician_user, patient):
    codes = DiagnosisCode.objects.billable().filter(code__startswith="F4")[:13]
    diagnoses = [
        factories.DiagnosisFactory(client=patient, code=code, rank=i)
        for i, code in enumerate(codes, start=1)
    ]
    client.force_login(clinician_user)

    response = create(client, form_data(patient, diagnoses))

    assert response.context["form"].errors["diagnoses"] == [MESSAGES["too_many_diagnoses"]]
    assert counts() == (0, 0, 0)


def test_an_overlapping_session_of_the_same_clinician_is_refused(
    client, clinician, clinician_user, patient, anxiety
):
    earlier = factories.ClientFactory(primary_clinician=clinician, last_name="Earlier")
    make_session(earlier, start_time=datetime.time(9, 30), end_time=datetime.time(10, 20))
    client.force_login(clinician_user)

    response = create(client, form_data(patient, [anxiety]))

    (error,) = response.context["form"].errors["start_time"]
    assert error.startswith("This overlaps another session of Dana ")
    assert "09:30–10:20" in error
    assert counts() == (1, 1, 0)


def test_cancelled_and_no_show_sessions_do_not_count_as_overlapping(
    client, clinician, clinician_user, patient, anxiety
):
    other = factories.ClientFactory(primary_clinician=clinician)
    make_session(other, code="", status=Session.Status.NO_SHOW)
    make_session(other, code="", status=Session.Status.CANCELLED)
    client.force_login(clinician_user)

    response = create(client, form_data(patient, [anxiety]))

    assert response.status_code == 302


def test_sessions_back_to_back_do_not_overlap(client, clinician, clinician_user, patient, anxiety):
    other = factories.ClientFactory(primary_clinician=clinician)
    make_session(other, start_time=datetime.time(9, 0), end_time=datetime.time(10, 0))
    client.force_login(clinician_user)

    response = create(client, form_data(patient, [anxiety]))

    assert response.status_code == 302


def test_group_members_are_logged_at_the_same_time_without_overlap(
    client, clinician, clinician_user, patient, anxiety, office
):
    member = factories.ClientFactory(primary_clinician=clinician)
    make_session(member, code="90853", service="group", group_size=6)
    client.force_login(clinician_user)

    data = form_data(
        patient, [anxiety], service="group", group_size="6", telehealth="", location=office.pk
    )
    response = create(client, data)

    assert response.status_code == 302
    assert Session.objects.latest("pk").lines.get().procedure.code == "90853"


def test_another_clinicians_session_at_the_same_time_is_not_an_overlap(
    client, clinician_user, patient, anxiety, other_patient
):
    make_session(other_patient)
    client.force_login(clinician_user)

    assert create(client, form_data(patient, [anxiety])).status_code == 302


def test_interactive_complexity_with_a_crisis_session_is_refused_with_the_reason(
    client, clinician_user, patient, anxiety
):
    client.force_login(clinician_user)

    data = form_data(patient, [anxiety], service="crisis", interactive_complexity="on")
    response = create(client, data)

    (error,) = response.context["form"].errors["interactive_complexity"]
    assert "cannot be billed with 90839" in error
    assert counts() == (0, 0, 0)


# --- overriding the proposed lines ------------------------------------------------------


def test_override_lines_are_saved_as_set_with_fees_from_the_schedule(
    client, clinician_user, patient, anxiety, ptsd
):
    client.force_login(clinician_user)

    data = {
        **form_data(patient, [anxiety, ptsd], end_time="10:45"),
        **override(("90834", "95", 1, "ab"), ("90785", "95", "", "")),
    }
    response = create(client, data)

    assert response.status_code == 302
    lines = list(Session.objects.get().lines.all())
    assert [(x.procedure.code, x.modifiers, x.units) for x in lines] == [
        ("90834", ["95"], 1),
        ("90785", ["95"], 1),
    ]
    assert [x.diagnosis_pointers for x in lines] == ["AB", "AB"]
    assert [x.charge for x in lines] == [standard_fee("90834"), standard_fee("90785")]


def test_override_with_an_add_on_alone_is_refused(client, clinician_user, patient, anxiety):
    client.force_login(clinician_user)

    data = {**form_data(patient, [anxiety]), **override(("90785", "", 1, "A"))}
    response = create(client, data)

    (error,) = response.context["formset"].non_form_errors()
    assert error.startswith("90785 (interactive complexity add-on) needs ")
    assert_shown(response, error)
    assert counts() == (0, 0, 0)


def test_override_with_interactive_complexity_beside_crisis_is_refused(
    client, clinician_user, patient, anxiety
):
    client.force_login(clinician_user)

    data = {
        **form_data(patient, [anxiety], service="crisis"),
        **override(("90839", "95", 1, "A"), ("90785", "95", 1, "A")),
    }
    response = create(client, data)

    (error,) = response.context["formset"].non_form_errors()
    assert "cannot be billed with 90839" in error
    assert counts() == (0, 0, 0)


@pytest.mark.parametrize(
    ("row", "field", "message"),
    [
        (
            ("90837", "95 HO AJ GT 25", 1, "A"),
            "modifiers",
            "A line carries at most 4 modifiers (5 entered).",
        ),
        (("99999", "", 1, "A"), "code", "Unknown code 99999: it is not in the code catalog."),
        (("90837", "ZZ", 1, "A"), "modifiers", "Unknown modifier ZZ."),
        (
            ("90837", "95", 1, "AB"),
            "pointers",
            "Pointer B points at no diagnosis: this session has 1 (A).",
        ),
        (("90837", "95", 1, "AM"), "pointers", "Use the diagnosis letters A–L."),
    ],
    ids=[
        "five-modifiers",
        "unknown-code",
        "unknown-modifier",
        "pointer-past-diagnoses",
        "bad-letter",
    ],
)
def test_override_line_breaking_a_rule_is_refused_beside_the_field(
    client, clinician_user, patient, anxiety, row, field, message
):
    client.force_login(clinician_user)

    response = create(client, {**form_data(patient, [anxiety]), **override(row)})

    assert response.context["formset"].forms[0].errors[field] == [message]
    assert_shown(response, message)
    assert counts() == (0, 0, 0)


def test_override_with_an_inactive_code_or_modifier_is_refused(
    client, clinician_user, patient, anxiety
):
    ProcedureCode.objects.filter(code="90834").update(active=False)
    client.force_login(clinician_user)

    response = create(client, {**form_data(patient, [anxiety]), **override(("90834", "", 1, "A"))})

    assert response.context["formset"].forms[0].errors["code"] == [
        "90834 is inactive in the code catalog."
    ]
    assert counts() == (0, 0, 0)


def test_an_override_that_breaks_a_time_rule_is_refused_beside_the_code(
    client, clinician_user, patient, anxiety
):
    client.force_login(clinician_user)

    data = {**form_data(patient, [anxiety], end_time="10:50"), **override(("90837", "95", 1, "A"))}
    response = create(client, {**data, "ready": "1"})

    message = "90837 needs 53 or more minutes but the session recorded 50."
    assert response.status_code == 200
    assert response.context["formset"].forms[0].errors["code"] == [message]
    assert_shown(response, message)
    assert counts() == (0, 0, 0)


def test_an_edit_that_breaks_the_time_rule_of_a_code_set_by_hand_is_refused(
    client, clinician_user, patient, anxiety
):
    """Issue 9, finding 11, on the edit page: 90837 set by hand on 53 minutes, then the
    session cut to 50 with the override kept, is refused beside the code and the saved
    session stays as it was, not saved and marked ready with a warning."""
    client.force_login(clinician_user)
    rows = override(("90837", "95", 1, "A"))
    create(client, {**form_data(patient, [anxiety]), **rows, "ready": "1"})
    session = Session.objects.get()
    saved = (session.minutes, session.status, session.version)

    response = client.post(
        reverse("practice:session_edit", args=[session.pk]),
        {**form_data(patient, [anxiety], end_time="10:50"), **rows, "ready": "1"},
    )

    message = "90837 needs 53 or more minutes but the session recorded 50."
    assert response.status_code == 200
    assert response.context["formset"].forms[0].errors["code"] == [message]
    session.refresh_from_db()
    assert (session.minutes, session.status, session.version) == saved
    assert [line.procedure.code for line in session.lines.all()] == ["90837"]


# --- coding rules: same day, add-on units, E/M time, credentials ------------------------
# docs/rules/coding.md §3-§6: the form refuses what the scrubber would, beside the field.


@pytest.fixture
def prescriber(practice_row):
    return factories.ClinicianFactory(
        user=factories.UserFactory(username="prescriber", role="Clinician"),
        first_name="Noor",
        credentials="PMHNP-BC",
        taxonomy="364SP0808X",
        license_level="",
        prescriber=True,
    )


@pytest.fixture
def med_patient(prescriber, payer):
    person = factories.ClientFactory(primary_clinician=prescriber, first_name="Mateo")
    factories.CoverageFactory(client=person, payer=payer)
    factories.DiagnosisFactory(client=person, code=_code("F41.1"))
    return person


def med_data(person, /, **changes) -> dict:
    return form_data(person, list(person.diagnoses.all()), **changes)


def test_a_60_minute_e_m_visit_codes_the_add_on_from_its_psychotherapy_minutes(
    client, prescriber, med_patient
):
    client.force_login(prescriber.user)

    data = med_data(med_patient, end_time="11:00", em_code="99214", psychotherapy_minutes="30")
    response = create(client, data)

    assert response.status_code == 302
    session = Session.objects.get()
    assert (session.minutes, session.psychotherapy_minutes) == (60, 30)
    assert [line.procedure.code for line in session.lines.all()] == ["99214", "90833"]
    detail = client.get(reverse("practice:session_detail", args=[session.pk]))
    assert "60 minutes (30 of psychotherapy)" in detail.content.decode()


def test_an_e_m_visit_without_psychotherapy_minutes_is_refused_beside_the_field(
    client, prescriber, med_patient
):
    client.force_login(prescriber.user)

    response = create(client, med_data(med_patient, end_time="11:00", em_code="99214"))

    assert response.context["form"].errors["psychotherapy_minutes"] == [MESSAGES["em_minutes"]]
    assert counts() == (0, 0, 0)


def test_psychotherapy_minutes_longer_than_the_visit_are_refused(client, prescriber, med_patient):
    client.force_login(prescriber.user)

    data = med_data(med_patient, end_time="10:40", em_code="99213", psychotherapy_minutes="41")
    response = create(client, data)

    assert response.context["form"].errors["psychotherapy_minutes"] == [
        "The psychotherapy minutes cannot exceed the session's 40 minutes."
    ]
    assert counts() == (0, 0, 0)


def test_psychotherapy_minutes_without_an_e_m_visit_are_not_kept(client, prescriber, med_patient):
    client.force_login(prescriber.user)

    create(client, med_data(med_patient, psychotherapy_minutes="20"))

    session = Session.objects.get()
    assert session.psychotherapy_minutes is None
    assert [line.procedure.code for line in session.lines.all()] == ["90837"]


def test_a_non_prescriber_gets_no_e_m_dropdown(client, clinician_user, prescriber):
    client.force_login(clinician_user)
    html = client.get(reverse("practice:session_create")).content.decode()
    assert 'name="em_code"' not in html and 'name="psychotherapy_minutes"' not in html

    client.force_login(prescriber.user)
    html = client.get(reverse("practice:session_create")).content.decode()
    assert 'name="em_code"' in html and 'name="psychotherapy_minutes"' in html


def test_an_lcsw_posting_an_e_m_code_bills_no_e_m_visit(client, clinician_user, patient, anxiety):
    client.force_login(clinician_user)

    data = form_data(patient, [anxiety], em_code="99213", psychotherapy_minutes="40")
    create(client, data)

    assert [line.procedure.code for line in Session.objects.get().lines.all()] == ["90837"]


def test_a_biller_choosing_an_e_m_code_for_an_lcsw_is_refused_with_the_reason(
    client, biller_user, clinician, patient, anxiety
):
    client.force_login(biller_user)

    data = form_data(
        patient, [anxiety], clinician=clinician.pk, em_code="99213", psychotherapy_minutes="40"
    )
    response = create(client, data)

    (error,) = response.context["form"].errors["em_code"]
    assert error.startswith("99213 (E/M office visit) needs a prescribing license")
    assert f"{clinician} is not a prescriber" in error
    assert counts() == (0, 0, 0)


def test_an_lpcs_intake_with_medical_services_is_refused_with_the_reason(
    client, clinician, clinician_user, patient, anxiety
):
    clinician.credentials = "LPC"
    clinician.save()
    client.force_login(clinician_user)

    response = create(client, form_data(patient, [anxiety], service="intake_medical"))

    (error,) = response.context["form"].errors["service"]
    assert error.startswith("90792 (intake evaluation with medical services) needs a prescribing")
    assert_shown(response, error)
    assert counts() == (0, 0, 0)


def test_a_prescribers_intake_with_medical_services_is_90792(client, prescriber, med_patient):
    client.force_login(prescriber.user)

    create(client, med_data(med_patient, service="intake_medical"))

    assert [line.procedure.code for line in Session.objects.get().lines.all()] == ["90792"]


def test_an_override_with_an_e_m_code_by_a_non_prescriber_is_refused_beside_the_code(
    client, clinician_user, patient, anxiety
):
    client.force_login(clinician_user)

    data = {
        **form_data(patient, [anxiety], end_time="10:45"),
        **override(("99213", "95", 1, "A"), ("90836", "95", 1, "A")),
    }
    response = create(client, data)

    forms = response.context["formset"].forms
    assert forms[0].errors["code"][0].startswith("99213 (E/M office visit) needs a prescribing")
    assert forms[1].errors["code"][0].startswith("90836 (psychotherapy with an E/M visit")
    assert counts() == (0, 0, 0)


def test_an_override_of_99213_with_90834_is_refused(client, prescriber, med_patient):
    client.force_login(prescriber.user)

    data = {
        **med_data(med_patient, end_time="10:45"),
        **override(("99213", "95", 1, "A"), ("90834", "95", 1, "A")),
    }
    response = create(client, data)

    (error,) = response.context["formset"].non_form_errors()
    assert error.startswith(
        "90834 (individual psychotherapy, about 45 min) cannot be billed with 99213"
    )
    assert "90833, 90836 or 90838" in error
    assert counts() == (0, 0, 0)


def test_a_crisis_the_same_day_as_individual_psychotherapy_is_refused_beside_the_service(
    client, clinician_user, patient, anxiety
):
    make_session(
        patient,
        code="90834",
        date=DATE_OF_SERVICE,
        minutes=45,
        status="ready",
        start_time=datetime.time(8, 0),
        end_time=datetime.time(8, 45),
    )
    client.force_login(clinician_user)

    response = create(client, form_data(patient, [anxiety], service="crisis", end_time="11:00"))

    (error,) = response.context["form"].errors["service"]
    assert error.startswith(
        "90834 (individual psychotherapy, about 45 min) cannot be billed with 90839"
    )
    assert_shown(response, error)
    assert Session.objects.count() == 1


def test_a_second_crisis_session_on_one_date_is_refused(client, clinician_user, patient, anxiety):
    make_session(
        patient,
        code="90839",
        date=DATE_OF_SERVICE,
        minutes=60,
        status="draft",
        start_time=datetime.time(8, 0),
        end_time=datetime.time(9, 0),
    )
    client.force_login(clinician_user)

    response = create(client, form_data(patient, [anxiety], service="crisis", end_time="11:00"))

    (error,) = response.context["form"].errors["service"]
    assert error == (
        "90839 (crisis psychotherapy, first hour) appears 2 times; it is billed once per day; "
        "further crisis time goes to 90840."
    )
    assert Session.objects.count() == 1


def test_an_intake_the_same_day_as_psychotherapy_is_refused(
    client, clinician_user, patient, anxiety
):
    make_session(
        patient,
        code="90837",
        date=DATE_OF_SERVICE,
        minutes=53,
        status="ready",
        start_time=datetime.time(8, 0),
        end_time=datetime.time(8, 53),
    )
    client.force_login(clinician_user)

    response = create(client, form_data(patient, [anxiety], service="intake"))

    (error,) = response.context["form"].errors["service"]
    assert "90837" in error and "90791" in error and "diagnostic evaluation" in error


def test_a_cancelled_session_the_same_day_does_not_count(client, clinician_user, patient, anxiety):
    make_session(
        patient,
        code="",
        date=DATE_OF_SERVICE,
        minutes=45,
        status="cancelled",
        start_time=datetime.time(8, 0),
        end_time=datetime.time(8, 45),
    )
    client.force_login(clinician_user)

    response = create(client, form_data(patient, [anxiety], service="crisis", end_time="11:00"))

    assert response.status_code == 302


def test_another_clinicians_e_m_visit_the_same_day_allows_psychotherapy(
    client, clinician_user, prescriber, patient, anxiety
):
    visit = make_session(
        patient,
        code="99214",
        date=DATE_OF_SERVICE,
        minutes=20,
        clinician=prescriber,
        start_time=datetime.time(8, 0),
        end_time=datetime.time(8, 20),
    )
    assert visit.clinician == prescriber
    client.force_login(clinician_user)

    response = create(client, form_data(patient, [anxiety]))

    assert response.status_code == 302


def test_an_80_minute_crisis_with_three_units_of_90840_is_refused_beside_the_line(
    client, clinician_user, patient, anxiety
):
    client.force_login(clinician_user)

    data = {
        **form_data(patient, [anxiety], service="crisis", end_time="11:20"),
        **override(("90839", "95", 1, "A"), ("90840", "95", 3, "A")),
    }
    response = create(client, data)

    assert response.context["formset"].forms[1].errors["code"] == [
        "90840 ×3 needs at least 135 minutes; 80 minutes allow at most 1."
    ]
    assert counts() == (0, 0, 0)


def test_a_40_minute_evaluation_with_three_units_of_96131_is_refused(
    client, clinician_user, patient, anxiety
):
    client.force_login(clinician_user)

    data = {
        **form_data(patient, [anxiety], service="testing_evaluation", end_time="10:40"),
        **override(("96130", "95", 1, "A"), ("96131", "95", 3, "A")),
    }
    response = create(client, data)

    assert response.context["formset"].forms[1].errors["code"] == [
        "96131 ×3 needs at least 211 minutes; 40 minutes allow none."
    ]
    assert counts() == (0, 0, 0)


def test_a_100_minute_crisis_is_proposed_with_one_unit_of_90840(
    client, clinician_user, patient, anxiety
):
    client.force_login(clinician_user)

    create(client, form_data(patient, [anxiety], service="crisis", end_time="11:40"))

    lines = Session.objects.get().lines.all()
    assert [(line.procedure.code, line.units) for line in lines] == [("90839", 1), ("90840", 1)]


def test_a_testing_evaluation_is_proposed_with_its_hours(client, clinician_user, patient, anxiety):
    client.force_login(clinician_user)

    create(client, form_data(patient, [anxiety], service="testing_evaluation", end_time="12:31"))

    lines = Session.objects.get().lines.all()
    assert [(line.procedure.code, line.units) for line in lines] == [("96130", 1), ("96131", 2)]


# --- warnings that do not block -----------------------------------------------------------


def test_no_coverage_on_the_date_of_service_warns(client, clinician, clinician_user, payer):
    person = factories.ClientFactory(primary_clinician=clinician, first_name="Sam")
    factories.CoverageFactory(client=person, payer=payer, effective_to=datetime.date(2026, 9, 30))
    dx = factories.DiagnosisFactory(client=person)
    client.force_login(clinician_user)

    response = create(client, form_data(person, [dx]))

    assert response.status_code == 302
    warning = (
        f"Sam {person.last_name} has no primary coverage in force on 10/05/2026: the lines "
        "use self-pay rules. Add or update the coverage before billing."
    )
    assert warning in page_messages(response)


def test_a_self_pay_client_gets_no_coverage_warning(client, clinician, clinician_user):
    person = factories.ClientFactory(primary_clinician=clinician, self_pay=True)
    dx = factories.DiagnosisFactory(client=person)
    client.force_login(clinician_user)

    response = create(client, form_data(person, [dx]))

    assert not [m for m in page_messages(response) if "coverage" in m]


def _authorize(patient, **fields):
    coverage = patient.coverages.get()
    for name, value in fields.items():
        setattr(coverage, name, value)
    coverage.save()


def test_prior_authorization_used_up_warns(client, clinician_user, patient, anxiety):
    _authorize(
        patient,
        prior_auth_number="PA-77",
        prior_auth_visits=2,
        prior_auth_from=datetime.date(2026, 9, 1),
        prior_auth_to=datetime.date(2026, 12, 31),
    )
    make_session(patient, date=datetime.date(2026, 9, 7))
    make_session(patient, date=datetime.date(2026, 9, 14))
    make_session(patient, date=datetime.date(2026, 9, 21), code="", status="no_show")
    make_session(patient, date=datetime.date(2026, 8, 31))  # before the authorization
    client.force_login(clinician_user)

    response = create(client, form_data(patient, [anxiety]))

    warning = "Prior authorization PA-77 is used up: 2 of 2 authorized visits are already logged."
    assert warning in page_messages(response)
    assert Session.objects.count() == 5


def test_prior_authorization_with_visits_left_does_not_warn(
    client, clinician_user, patient, anxiety
):
    _authorize(patient, prior_auth_number="PA-77", prior_auth_visits=3)
    make_session(patient, date=datetime.date(2026, 9, 7))
    client.force_login(clinician_user)

    response = create(client, form_data(patient, [anxiety]))

    assert not [m for m in page_messages(response) if "authorization" in m]


def test_expired_prior_authorization_warns(client, clinician_user, patient, anxiety):
    _authorize(
        patient,
        prior_auth_number="PA-77",
        prior_auth_visits=10,
        prior_auth_from=datetime.date(2026, 3, 1),
        prior_auth_to=datetime.date(2026, 9, 30),
    )
    client.force_login(clinician_user)

    response = create(client, form_data(patient, [anxiety]))

    assert "Prior authorization PA-77 expired on 09/30/2026." in page_messages(response)


def test_payer_requiring_authorization_without_one_on_file_warns(
    client, clinician_user, patient, anxiety, payer
):
    payer.requires_prior_authorization = True
    payer.save()
    client.force_login(clinician_user)

    response = create(client, form_data(patient, [anxiety]))

    expected = "Acme Health requires prior authorization and none is on file for this coverage."
    assert expected in page_messages(response)


def test_same_client_same_day_same_code_warns_of_a_likely_duplicate(
    client, clinician_user, patient, anxiety
):
    make_session(patient, start_time=datetime.time(8, 0), end_time=datetime.time(8, 53))
    client.force_login(clinician_user)

    response = create(client, form_data(patient, [anxiety]))

    assert response.status_code == 302
    warning = (
        f"Possible duplicate: {patient.full_name} already has 90837 on 10/05/2026 in "
        "another session."
    )
    assert warning in page_messages(response)


def test_warnings_show_in_the_live_preview_too(client, clinician_user, patient, anxiety):
    make_session(patient, start_time=datetime.time(8, 0), end_time=datetime.time(8, 53))
    client.force_login(clinician_user)

    response = client.post(reverse("practice:session_suggest"), form_data(patient, [anxiety]))

    assert any(w.startswith("Possible duplicate") for w in response.context["preview"].warnings)
    assert 'id="proposal-warnings"' in response.content.decode()


def test_detail_page_shows_current_warnings(client, clinician_user, patient):
    _authorize(patient, prior_auth_number="PA-77", prior_auth_to=datetime.date(2026, 9, 30))
    session = make_session(patient)
    client.force_login(clinician_user)

    response = client.get(reverse("practice:session_detail", args=[session.pk]))

    assert "Prior authorization PA-77 expired on 09/30/2026." in response.context["warnings"]


# --- repeat last session ------------------------------------------------------------------


def test_repeat_last_session_prefills_service_length_place_and_diagnoses(
    client, clinician_user, patient, anxiety, ptsd, office
):
    last = make_session(
        patient,
        code="90834",
        date=datetime.date(2026, 9, 28),
        start_time=datetime.time(14, 0),
        end_time=datetime.time(14, 45),
        minutes=45,
        telehealth="video",
        client_at_home=False,
        location=office,
    )
    factories.SessionDiagnosisFactory(session=last, diagnosis=ptsd, position=1)
    factories.SessionDiagnosisFactory(session=last, diagnosis=anxiety, position=2)
    make_session(patient, date=datetime.date(2026, 9, 30), code="", status="cancelled")
    client.force_login(clinician_user)

    response = client.get(reverse("practice:session_create"), {"repeat": patient.pk})

    form = response.context["form"]
    assert form.initial["client"] == patient.pk
    assert form.initial["date"] == datetime.date(2026, 10, 6)
    assert (form.initial["service"], form.initial["minutes"]) == ("individual", 45)
    assert (form.initial["start_time"], form.initial["end_time"]) == (
        datetime.time(14, 0),
        datetime.time(14, 45),
    )
    assert (form.initial["telehealth"], form.initial["client_at_home"]) == ("video", False)
    assert form.initial["location"] == office.pk
    assert form.initial["diagnoses"] == [ptsd.pk, anxiety.pk]
    html = response.content.decode()
    assert 'value="14:00"' in html and 'value="14:45"' in html
    (line,) = response.context["preview"].lines
    assert (line.code, line.place_of_service, line.pointers) == ("90834", "02", "AB")


def test_repeat_for_a_client_never_seen_says_so(client, clinician_user, patient, anxiety):
    client.force_login(clinician_user)

    response = client.get(reverse("practice:session_create"), {"repeat": patient.pk})

    assert response.context["form"].initial["client"] == patient.pk
    assert response.context["form"].initial["diagnoses"] == [anxiety.pk]
    assert f"{patient.full_name} has no earlier session to repeat." in page_messages(response)


def test_form_offers_repeat_last_session_once_a_client_is_chosen(client, clinician_user, patient):
    client.force_login(clinician_user)

    response = client.get(reverse("practice:session_create"), {"client": patient.pk})

    assert f'?repeat={patient.pk}"' in response.content.decode()


# --- list ---------------------------------------------------------------------------------


def test_list_filters_by_client_status_and_date_range(client, clinician, clinician_user, patient):
    other = factories.ClientFactory(primary_clinician=clinician)
    wanted = make_session(patient, date=datetime.date(2026, 9, 15), status="ready")
    make_session(patient, date=datetime.date(2026, 9, 15), status="draft", start_time=None)
    make_session(patient, date=datetime.date(2026, 8, 15), status="ready")
    make_session(other, date=datetime.date(2026, 9, 16), status="ready")
    client.force_login(clinician_user)

    response = client.get(
        reverse("practice:session_list"),
        {
            "client": patient.pk,
            "status": "ready",
            "date_from": "2026-09-01",
            "date_to": "2026-09-30",
        },
    )

    assert [s.pk for s in response.context["sessions"]] == [wanted.pk]
    assert response.context["total"] == Decimal("180.00")


def test_clinician_filter_is_for_billing_staff_only(
    client, clinician, clinician_user, biller_user, patient, other_patient
):
    mine = make_session(patient)
    make_session(other_patient)

    client.force_login(clinician_user)
    assert "clinician" not in client.get(reverse("practice:session_list")).context["filters"].fields

    client.force_login(biller_user)
    response = client.get(reverse("practice:session_list"), {"clinician": clinician.pk})
    assert [s.pk for s in response.context["sessions"]] == [mine.pk]


def test_list_pages_by_50_and_totals_the_whole_filtered_set(client, clinician_user, patient):
    for day in range(53):
        make_session(
            patient, date=datetime.date(2026, 1, 1) + datetime.timedelta(days=day), charge="100.10"
        )
    client.force_login(clinician_user)

    first = client.get(reverse("practice:session_list"))
    second = client.get(reverse("practice:session_list"), {"page": 2})

    assert len(first.context["sessions"]) == 50
    assert len(second.context["sessions"]) == 3
    assert first.context["total"] == second.context["total"] == Decimal("5305.30")
    assert all(s.total_charge == Decimal("100.10") for s in first.context["sessions"])
    assert "5,305.30" in first.content.decode()


def test_list_shows_a_clinician_only_their_own_sessions(
    client, clinician_user, biller_user, patient, other_patient
):
    mine = make_session(patient)
    theirs = make_session(other_patient)

    client.force_login(clinician_user)
    assert [s.pk for s in client.get(reverse("practice:session_list")).context["sessions"]] == [
        mine.pk
    ]

    client.force_login(biller_user)
    listed = {s.pk for s in client.get(reverse("practice:session_list")).context["sessions"]}
    assert listed == {mine.pk, theirs.pk}


@pytest.mark.parametrize("user_fixture", ["clinician_user", "biller_user"])
def test_list_runs_the_same_number_of_queries_for_5_or_60_sessions(
    client, request, patient, user_fixture, django_assert_max_num_queries
):
    user = request.getfixturevalue(user_fixture)
    client.force_login(user)
    # 1 Django session, 2 user, 3 role groups, 4 the clinician row of a clinician (their
    # sessions) or, for billing staff, the filter's clinician choices when the cache is
    # cold (practice.listing), 5 count and 6 total of charges of the filtered set, 7 the
    # page of rows (values, client/clinician/POS joined), 8 their lines with codes (the
    # row totals come from them), 9 saving the Django session (SESSION_SAVE_EVERY_REQUEST);
    # 10-13 the savepoints of ATOMIC_REQUESTS around the view and the session save.
    # Nothing per row.
    queries = 13
    for day in range(5):
        make_session(patient, date=datetime.date(2026, 9, 1) + datetime.timedelta(days=day))
    with django_assert_max_num_queries(queries):
        assert client.get(reverse("practice:session_list")).status_code == 200
    for day in range(55):
        make_session(patient, date=datetime.date(2026, 6, 1) + datetime.timedelta(days=day))
    with django_assert_max_num_queries(queries):
        response = client.get(reverse("practice:session_list"))
    assert len(response.context["sessions"]) == 50


def test_billing_staffs_list_reads_no_clinician_rows_once_the_choices_are_cached(
    client, biller_user, clinician, patient
):
    make_session(patient)
    client.force_login(biller_user)
    client.get(reverse("practice:session_list"))  # fills the cache

    with CaptureQueriesContext(connection) as queries:
        html = client.get(reverse("practice:session_list")).content.decode()

    assert not [q for q in queries.captured_queries if 'FROM "practice_clinician"' in q["sql"]]
    assert f'<option value="{clinician.pk}">{clinician}</option>' in html
    hired = factories.ClinicianFactory(first_name="Ines", last_name="Newhire")
    html = client.get(reverse("practice:session_list")).content.decode()
    assert f'<option value="{hired.pk}">{hired}</option>' in html
    chosen = client.get(reverse("practice:session_list"), {"clinician": hired.pk})
    assert f'<option value="{hired.pk}" selected>' in chosen.content.decode()


def test_a_clinician_finds_their_clients_sessions_by_name(
    client, clinician, clinician_user, patient
):
    other = factories.ClientFactory(primary_clinician=clinician, last_name="Zwicky")
    wanted = make_session(other)
    make_session(patient)
    client.force_login(clinician_user)

    response = client.get(reverse("practice:session_list"), {"name": "zwick"})

    assert [s.pk for s in response.context["sessions"]] == [wanted.pk]
    html = response.content.decode()
    assert '<select name="client"' not in html
    assert 'name="clinician"' not in html


def test_a_list_narrowed_to_one_client_says_whose_and_links_back_to_everyone(
    client, clinician_user, patient, other_patient
):
    make_session(patient)
    client.force_login(clinician_user)

    html = client.get(reverse("practice:session_list"), {"client": patient.pk}).content.decode()

    assert f'Sessions of <a href="{reverse("practice:client_detail", args=[patient.pk])}">' in html
    assert 'href="?">all clients</a>' in html
    # Someone else's client narrows nothing and names no one.
    html = client.get(
        reverse("practice:session_list"), {"client": other_patient.pk}
    ).content.decode()
    assert "Sessions of" not in html


def test_a_mistyped_filter_is_named_beside_its_field_and_ignored(client, clinician_user, patient):
    mine = make_session(patient)
    client.force_login(clinician_user)

    response = client.get(
        reverse("practice:session_list"), {"date_from": "2026-13-45", "status": "lost"}
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="id_date_from" class="form-control is-invalid"' in html
    assert '<div class="invalid-feedback" id="id_date_from_error">Enter a valid date.</div>' in html
    assert 'aria-describedby="id_status_error"' in html
    assert [s.pk for s in response.context["sessions"]] == [mine.pk]


def test_the_lists_ready_buttons_share_one_form_that_posts_the_id_and_version(
    client, biller_user, patient
):
    draft = make_session(patient, date=datetime.date(2026, 9, 2))
    make_session(patient, date=datetime.date(2026, 9, 1), status="ready")
    client.force_login(biller_user)
    list_url = reverse("practice:session_list") + "?name=neil"

    html = client.get(list_url).content.decode()

    # The log-out form's token and the list's: none per row.
    assert html.count('name="csrfmiddlewaretoken"') == 2
    assert html.count('name="ready"') == 1
    assert f'name="ready" value="{draft.pk}:{draft.version}"' in html
    data = page_form(html, form_id="session-actions")
    data["ready"] = f"{draft.pk}:{draft.version}"
    response = client.post(reverse("practice:session_ready"), data)
    assert response.url == list_url
    draft.refresh_from_db()
    assert draft.status == Session.Status.READY


def test_the_ready_form_needs_its_csrf_token(biller_user, patient):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(biller_user)
    draft = make_session(patient)
    button = {"ready": f"{draft.pk}:{draft.version}"}

    assert browser.post(reverse("practice:session_ready"), button).status_code == 403
    html = browser.get(reverse("practice:session_list")).content.decode()
    data = {**page_form(html, form_id="session-actions"), **button}
    assert browser.post(reverse("practice:session_ready"), data).status_code == 302
    draft.refresh_from_db()
    assert draft.status == Session.Status.READY


def test_a_ready_button_older_than_the_session_changes_nothing(client, biller_user, patient):
    draft = make_session(patient)
    shown = f"{draft.pk}:{draft.version}"
    draft.note = "Changed by someone else"
    draft.save()
    client.force_login(biller_user)

    response = client.post(reverse("practice:session_ready"), {"ready": shown})

    draft.refresh_from_db()
    assert draft.status == Session.Status.DRAFT
    assert any("changed" in m for m in page_messages(response))


def test_the_ready_button_reaches_only_sessions_the_user_may_see(
    client, clinician_user, other_patient
):
    theirs = make_session(other_patient)
    client.force_login(clinician_user)

    response = client.post(
        reverse("practice:session_ready"), {"ready": f"{theirs.pk}:{theirs.version}"}
    )

    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == Session.Status.DRAFT


@pytest.mark.parametrize("value", ["", "abc", "12x:0", ":3", "-1:0", "1" * 19 + ":0"])
def test_a_ready_button_value_that_names_no_session_is_a_400(client, biller_user, value):
    client.force_login(biller_user)

    response = client.post(reverse("practice:session_ready"), {"ready": value})

    assert response.status_code == 400


# --- status changes -----------------------------------------------------------------------


def status(client, session, value, **extra):
    return client.post(
        reverse("practice:session_status", args=[session.pk]), {"status": value, **extra}
    )


def test_a_draft_with_lines_can_be_marked_ready(client, clinician_user, patient):
    session = make_session(patient)
    client.force_login(clinician_user)

    response = status(client, session, "ready")

    assert response.status_code == 302
    session.refresh_from_db()
    assert session.status == "ready"


def test_ready_action_from_the_list_returns_to_the_filtered_list(client, biller_user, patient):
    session = make_session(patient)
    client.force_login(biller_user)

    back = reverse("practice:session_list") + "?status=draft"
    response = status(client, session, "ready", next=back)

    assert response.url == back
    response = status(client, make_session(patient), "ready", next="https://evil.example/")
    assert response.url.startswith("/practice/sessions/")


def test_a_session_without_lines_cannot_be_marked_ready(client, clinician_user, patient):
    session = make_session(patient, code="")
    client.force_login(clinician_user)

    response = status(client, session, "ready")

    session.refresh_from_db()
    assert session.status == "draft"
    assert any("no service lines to bill" in m for m in page_messages(response))


@pytest.mark.parametrize("not_seen", ["no_show", "late_cancel", "cancelled"])
def test_marking_a_session_not_seen_removes_its_lines(client, clinician_user, patient, not_seen):
    session = make_session(patient, status="ready")
    client.force_login(clinician_user)

    status(client, session, not_seen)

    session.refresh_from_db()
    assert session.status == not_seen
    assert not session.lines.exists()


def test_a_no_show_can_go_back_to_draft(client, clinician_user, patient):
    session = make_session(patient, code="", status="no_show")
    client.force_login(clinician_user)

    status(client, session, "draft")

    session.refresh_from_db()
    assert session.status == "draft"


@pytest.mark.parametrize("billed", ["billed", "closed"])
def test_a_billed_session_keeps_its_status(client, biller_user, patient, billed):
    session = make_session(patient, status=billed)
    client.force_login(biller_user)

    response = status(client, session, "draft")

    session.refresh_from_db()
    assert session.status == billed
    assert session.lines.count() == 1
    assert any("Void or replace the claim" in m for m in page_messages(response))


def test_an_unknown_status_is_refused(client, clinician_user, patient):
    session = make_session(patient)
    client.force_login(clinician_user)

    response = status(client, session, "paid")

    session.refresh_from_db()
    assert session.status == "draft"
    assert "Unknown status 'paid'." in page_messages(response)


# --- billed sessions are read-only --------------------------------------------------------


def test_editing_a_billed_session_is_refused_with_the_reason(client, clinician_user, patient):
    session = make_session(patient, status="billed")
    client.force_login(clinician_user)

    response = client.get(reverse("practice:session_edit", args=[session.pk]), follow=True)

    assert response.redirect_chain == [(reverse("practice:session_detail", args=[session.pk]), 302)]
    reason = "This session is billed: it is on a claim. Void or replace the claim to change it."
    assert_shown(response, reason)
    assert 'id="billed-notice"' in response.content.decode()
    assert 'id="edit-session"' not in response.content.decode()


def test_posting_an_edit_to_a_billed_session_changes_nothing(
    client, clinician_user, patient, anxiety
):
    session = make_session(patient, status="billed")
    client.force_login(clinician_user)

    client.post(
        reverse("practice:session_edit", args=[session.pk]),
        form_data(patient, [anxiety], end_time="10:30"),
    )

    session.refresh_from_db()
    assert session.minutes == 53
    assert session.lines.get().procedure.code == "90837"


# --- delete -------------------------------------------------------------------------------


def test_a_draft_is_deleted_after_confirming(client, clinician_user, patient):
    session = make_session(patient)
    client.force_login(clinician_user)
    url = reverse("practice:session_delete", args=[session.pk])

    assert client.get(url).status_code == 200
    response = client.post(url)

    assert response.url == reverse("practice:session_list")
    assert counts() == (0, 0, 0)


@pytest.mark.parametrize("kept", ["ready", "billed", "closed", "no_show"])
def test_only_drafts_can_be_deleted(client, biller_user, patient, kept):
    session = make_session(patient, status=kept)
    client.force_login(biller_user)

    response = client.post(reverse("practice:session_delete", args=[session.pk]))

    assert response.url == reverse("practice:session_detail", args=[session.pk])
    assert Session.objects.filter(pk=session.pk).exists()


# --- access -------------------------------------------------------------------------------

SESSION_PAGES = ["session_detail", "session_edit", "session_delete"]


@pytest.mark.parametrize("name", SESSION_PAGES)
def test_another_clinician_gets_404_for_every_session_page(
    client, other_clinician_user, patient, name
):
    session = make_session(patient)
    client.force_login(other_clinician_user)

    assert client.get(reverse(f"practice:{name}", args=[session.pk])).status_code == 404
    if name != "session_detail":
        assert client.post(reverse(f"practice:{name}", args=[session.pk])).status_code == 404


def test_another_clinician_gets_404_for_status_and_suggest(
    client, other_clinician_user, patient, anxiety
):
    session = make_session(patient)
    client.force_login(other_clinician_user)

    assert status(client, session, "ready").status_code == 404
    suggest = reverse("practice:session_suggest") + f"?session={session.pk}"
    assert client.post(suggest, form_data(patient, [anxiety])).status_code == 404
    session.refresh_from_db()
    assert session.status == "draft"


def test_suggest_for_another_clinicians_client_reveals_nothing(
    client, clinician_user, other_patient, payer
):
    client.force_login(clinician_user)

    data = form_data(other_patient, [other_patient.diagnoses.get()])
    response = client.post(reverse("practice:session_suggest"), data)

    assert response.context["preview"].lines == []
    assert payer.name not in response.content.decode()
    assert other_patient.last_name not in response.content.decode()


@pytest.mark.parametrize("user_fixture", ["biller_user", "owner_user"])
@pytest.mark.parametrize("name", SESSION_PAGES)
def test_billing_staff_reach_every_session_page(client, request, patient, user_fixture, name):
    session = make_session(patient)
    client.force_login(request.getfixturevalue(user_fixture))

    assert client.get(reverse(f"practice:{name}", args=[session.pk])).status_code == 200


@pytest.mark.parametrize("user_fixture", ["biller_user", "owner_user"])
def test_billing_staff_reach_the_list_create_and_suggest_pages(
    client, request, patient, anxiety, user_fixture
):
    session = make_session(patient)
    client.force_login(request.getfixturevalue(user_fixture))

    assert client.get(reverse("practice:session_list")).status_code == 200
    assert client.get(reverse("practice:session_create")).status_code == 200
    suggest = reverse("practice:session_suggest") + f"?session={session.pk}"
    assert client.post(suggest, form_data(patient, [anxiety])).status_code == 200


def test_a_user_without_a_role_cannot_log_sessions(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("nobody", password="x" * 12))

    assert client.get(reverse("practice:session_create")).status_code == 403
    assert client.get(reverse("practice:session_list")).context["count"] == 0


def test_billing_staff_find_sessions_by_client_name_without_a_dropdown_of_every_client(
    client, biller_user, patient, other_patient
):
    mine = make_session(patient)
    make_session(other_patient)
    client.force_login(biller_user)
    response = client.get(reverse("practice:session_list"), {"name": "róisín o'neil"})
    assert [s.pk for s in response.context["sessions"]] == [mine.pk]
    assert 'type="hidden" name="client"' in response.content.decode()
    by_link = client.get(reverse("practice:session_list"), {"client": patient.pk})
    assert [s.pk for s in by_link.context["sessions"]] == [mine.pk]


# --- the frictions of a clinician's day (issue 13) -----------------------------------


def test_a_new_session_starts_at_the_clinicians_default_office(
    client, clinician, clinician_user, practice_row, office
):
    annex = factories.LocationFactory(practice=practice_row, name="Annex")
    clinician.default_location = annex
    clinician.save()
    client.force_login(clinician_user)

    response = client.get(reverse("practice:session_create"))

    assert response.context["form"].initial["location"] == annex.pk
    assert response.context["form"].initial.get("telehealth", "") == ""


def test_a_retired_default_office_gives_way_to_the_practices_only_office(
    client, clinician, clinician_user, practice_row, office
):
    annex = factories.LocationFactory(practice=practice_row, name="Annex", active=False)
    clinician.default_location = annex
    clinician.save()
    client.force_login(clinician_user)

    response = client.get(reverse("practice:session_create"))

    assert response.context["form"].initial["location"] == office.pk


def test_the_clinician_sets_their_default_office_on_their_account_page(
    client, clinician, clinician_user, office
):
    client.force_login(clinician_user)
    assert "Default office" in client.get(reverse("account:account")).content.decode()

    response = client.post(reverse("account:default_office"), {"default_location": office.pk})

    assert response.status_code == 302
    clinician.refresh_from_db()
    assert clinician.default_location == office
    bad = client.post(reverse("account:default_office"), {"default_location": "999999"})
    assert bad.status_code == 400


def test_billing_staff_have_no_default_office_to_set(client, biller_user):
    client.force_login(biller_user)
    assert client.post(reverse("account:default_office"), {}).status_code == 403


def test_every_active_diagnosis_is_ticked_in_claim_order(
    client, clinician_user, patient, anxiety, ptsd
):
    factories.DiagnosisFactory(
        client=patient, code=_code("F32.A"), rank=3, end_date=datetime.date(2026, 9, 1)
    )
    client.force_login(clinician_user)

    response = client.get(reverse("practice:session_create"), {"client": patient.pk})

    assert response.context["form"].initial["diagnoses"] == [anxiety.pk, ptsd.pk]
    html = response.content.decode()
    ticked = [f'value="{anxiety.pk}"', f'value="{ptsd.pk}"']
    assert all(re.search(rf'name="diagnoses" {value}[^>]*checked', html) for value in ticked)
    assert html.index(ticked[0]) < html.index(ticked[1])


def test_minutes_that_disagree_with_the_times_are_refused_beside_minutes(
    client, clinician_user, patient, anxiety
):
    client.force_login(clinician_user)

    response = create(client, form_data(patient, [anxiety], minutes="45"))

    assert response.status_code == 200
    assert response.context["form"].errors["minutes"] == [
        "The start and end times make 53 minutes, not 45: clear Minutes or correct the times."
    ]
    assert counts() == (0, 0, 0)


def test_minutes_that_agree_with_the_times_are_fine(client, clinician_user, patient, anxiety):
    client.force_login(clinician_user)

    assert create(client, form_data(patient, [anxiety], minutes="53")).status_code == 302
    assert Session.objects.get().minutes == 53


def test_a_crisis_under_30_minutes_says_why_it_is_90832(client, clinician_user, patient, anxiety):
    client.force_login(clinician_user)
    data = form_data(patient, [anxiety], service="crisis", end_time="10:25")

    response = client.post(reverse("practice:session_suggest"), data)

    assert [line.code for line in response.context["preview"].lines] == ["90832"]
    assert_shown(
        response,
        "A crisis session under 30 minutes is billed as psychotherapy for the time spent "
        "(90832): crisis psychotherapy (90839) starts at 30 minutes.",
    )


def test_a_page_just_opened_does_not_ask_where_the_session_took_place(
    client, clinician_user, practice_row, office, patient, anxiety
):
    factories.LocationFactory(practice=practice_row, name="Annex")  # two: none chosen
    client.force_login(clinician_user)

    fresh = client.get(reverse("practice:session_create"))
    assert escape(MESSAGES["no_location"]) not in fresh.content.decode()

    # Once the client and the times are in, the preview says what is still missing.
    data = form_data(patient, [anxiety], telehealth="")
    response = client.post(reverse("practice:session_suggest"), data)
    assert MESSAGES["no_location"] in response.context["preview"].problems


def test_saving_a_ready_session_and_marking_it_ready_does_not_complain(
    client, clinician_user, patient, anxiety
):
    client.force_login(clinician_user)
    create(client, {**form_data(patient, [anxiety]), "ready": "1"})
    session = Session.objects.get()
    assert session.status == Session.Status.READY

    data = {**form_data(patient, [anxiety], note="Edited"), "version": session.version}
    response = client.post(
        reverse("practice:session_edit", args=[session.pk]), {**data, "ready": "1"}
    )

    assert response.status_code == 302
    assert not any("cannot be marked" in text for text in page_messages(response))
    session.refresh_from_db()
    assert (session.status, session.note) == (Session.Status.READY, "Edited")


def test_a_page_opened_with_times_shows_no_minutes_to_contradict_them(
    client, clinician_user, patient, anxiety
):
    session = make_session(patient)
    client.force_login(clinician_user)

    html = client.get(reverse("practice:session_edit", args=[session.pk])).content.decode()

    assert re.search(r'<input[^>]*name="minutes"(?![^>]*value=)[^>]*>', html)
    assert 'value="10:53"' in html
