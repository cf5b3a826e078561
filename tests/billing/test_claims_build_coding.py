"""The claim builder keeps the coding rules (docs/rules/coding.md §4, §5): it never puts
a same-day pair on one claim, and each line's minutes are the ones its code is coded
from (billing.services.claims_build)."""

from __future__ import annotations

import datetime

import pytest

from billing.models import DiagnosisCode, ProcedureCode
from billing.scrubber import scrub
from billing.services import claims_build
from practice.models import Session
from tests import factories

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 10, 5)


def ready_session(client, *, codes=("90837",), start=datetime.time(10, 0), **kw):
    session = factories.SessionFactory(
        client=client, date=DAY, start_time=start, status=Session.Status.READY, **kw
    )
    diagnosis = client.diagnoses.first() or factories.DiagnosisFactory(
        client=client, code=DiagnosisCode.objects.get(code="F41.1")
    )
    factories.SessionDiagnosisFactory(session=session, diagnosis=diagnosis, position=1)
    for position, code in enumerate(codes, start=1):
        factories.ServiceLineFactory(
            session=session, position=position, procedure=ProcedureCode.objects.get(code=code)
        )
    return session


@pytest.fixture
def insured(practice_row):
    return factories.CoverageFactory().client


def test_a_crisis_the_same_day_as_psychotherapy_is_left_off_the_claim_with_the_reason(insured):
    ready_session(insured, codes=("90834",), minutes=45, start=datetime.time(8, 0))
    crisis = ready_session(insured, codes=("90839",), minutes=60)

    result = claims_build()

    (claim,) = result.claims
    assert list(claim.lines.values_list("procedure_code", flat=True)) == ["90834"]
    ((skipped, reason),) = result.skipped
    assert skipped == crisis
    assert reason.startswith("same-day rule: 90834 (individual psychotherapy, about 45 min)")
    crisis.refresh_from_db()
    assert crisis.status == Session.Status.READY


def test_a_second_crisis_on_one_date_is_left_off_the_claim(insured):
    ready_session(insured, codes=("90839",), minutes=60, start=datetime.time(8, 0))
    ready_session(insured, codes=("90839",), minutes=60)

    result = claims_build()

    assert result.claims[0].lines.count() == 1
    ((_, reason),) = result.skipped
    assert "appears 2 times" in reason


def test_an_e_m_visit_and_another_clinicians_psychotherapy_share_the_date(insured):
    prescriber = factories.ClinicianFactory(credentials="MD", license_level="", prescriber=True)
    ready_session(
        insured,
        codes=("99214", "90833"),
        minutes=40,
        psychotherapy_minutes=25,
        clinician=prescriber,
        start=datetime.time(8, 0),
    )
    ready_session(insured, codes=("90837",))

    result = claims_build()

    assert result.skipped == []
    assert sum(claim.lines.count() for claim in result.claims) == 3


def test_an_e_m_add_on_line_carries_the_psychotherapy_minutes(insured, time_machine):
    time_machine.move_to(datetime.datetime(2026, 10, 12, 15, 0, tzinfo=datetime.UTC), tick=False)
    prescriber = factories.ClinicianFactory(credentials="MD", license_level="", prescriber=True)
    ready_session(
        insured,
        codes=("99214", "90833"),
        minutes=60,
        psychotherapy_minutes=30,
        clinician=prescriber,
    )

    (claim,) = claims_build().claims

    assert list(claim.lines.values_list("procedure_code", "minutes")) == [
        ("99214", 60),
        ("90833", 30),
    ]
    assert [p for p in scrub(claim) if p.is_error] == []
