"""The session plan (practice/session_plan.py) called directly: what a session's facts
bill and what stops the save, without a page around it; and ``services.session_log``,
which saves only a plan with nothing wrong."""

from __future__ import annotations

import datetime

import pytest

from practice import services
from practice.models import Session
from practice.session_plan import SessionFacts, session_plan
from tests import factories

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 10, 5)


@pytest.fixture
def patient(clinician):
    person = factories.ClientFactory(primary_clinician=clinician)
    factories.CoverageFactory(client=person, payer=factories.PayerFactory(name="Acme Health"))
    return person


@pytest.fixture
def diagnosis(patient):
    return factories.DiagnosisFactory(client=patient)


def facts(patient, clinician, diagnosis, **changes) -> SessionFacts:
    values = {
        "client": patient,
        "clinician": clinician,
        "date": DAY,
        "service": Session.Service.INDIVIDUAL,
        "minutes": 53,
        "start_time": datetime.time(10, 0),
        "end_time": datetime.time(10, 53),
        "telehealth": Session.Telehealth.VIDEO,
        "diagnoses": (diagnosis,),
    }
    values.update(changes)
    return SessionFacts(**values)


def unsaved(read: SessionFacts) -> Session:
    return Session(
        client=read.client,
        clinician=read.clinician,
        date=read.date,
        service=read.service,
        minutes=read.minutes,
        start_time=read.start_time,
        end_time=read.end_time,
        telehealth=read.telehealth,
    )


def test_53_minutes_by_video_plans_90837_for_the_payer_and_saves(patient, clinician, diagnosis):
    read = facts(patient, clinician, diagnosis)
    plan = session_plan(session=unsaved(read), facts=read)
    assert plan.ok, plan.problems
    assert [(line.code, line.modifiers, line.pointers) for line in plan.lines] == [
        ("90837", ("95",), "A")
    ]
    assert plan.place_of_service.code == "10"
    saved, not_ready = services.session_log(plan=plan, user=None, ready=True)
    assert not_ready == ""
    saved.refresh_from_db()
    assert saved.status == Session.Status.READY
    assert [line.procedure.code for line in saved.lines.all()] == ["90837"]


def test_a_non_prescribers_e_m_visit_is_refused_beside_it_and_nothing_is_proposed(
    patient, clinician, diagnosis
):
    read = facts(patient, clinician, diagnosis, em_code="99213", psychotherapy_minutes=30)
    plan = session_plan(session=unsaved(read), facts=read)
    assert plan.proposal is None and not plan.ok
    assert [problem.field for problem in plan.problems] == ["em_code"]
    with pytest.raises(ValueError):
        services.session_log(plan=plan, user=None)
    assert not Session.objects.exists()


def test_an_overlap_with_the_clinicians_other_session_is_refused_beside_the_start(
    patient, clinician, diagnosis
):
    factories.SessionFactory(
        client=patient,
        clinician=clinician,
        date=DAY,
        start_time=datetime.time(10, 30),
        end_time=datetime.time(11, 15),
        minutes=45,
    )
    read = facts(patient, clinician, diagnosis)
    plan = session_plan(session=unsaved(read), facts=read)
    assert [(problem.field, problem.code) for problem in plan.problems] == [
        ("start_time", "overlap")
    ]
    assert plan.proposal is None


def test_facts_the_form_could_not_read_stop_the_proposal(patient, clinician, diagnosis):
    read = facts(patient, clinician, diagnosis, unreadable=frozenset({"minutes"}))
    plan = session_plan(session=unsaved(read), facts=read)
    assert plan.proposal is None and not plan.ok and not plan.problems
