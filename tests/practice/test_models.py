"""Rules the database itself holds: constraints and PROTECT, checked by saving bad rows."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from billing.models import PayerRate, ProcedureCode
from practice.models import Coverage, ServiceLine, Session
from tests import factories

pytestmark = pytest.mark.django_db


def _violates(callable_) -> bool:
    try:
        with transaction.atomic():
            callable_()
    except IntegrityError:
        return True
    return False


def test_a_session_that_ends_before_it_starts_is_refused_by_the_database():
    session = factories.SessionFactory()
    session.start_time, session.end_time = datetime.time(11, 0), datetime.time(10, 0)
    assert _violates(session.save)


@pytest.mark.parametrize("minutes", [0, 481])
def test_session_minutes_outside_1_to_480_are_refused(minutes):
    session = factories.SessionFactory()
    session.minutes = minutes
    assert _violates(session.save)


@pytest.mark.parametrize("minutes", [1, 480])
def test_session_minutes_at_the_limits_are_accepted(minutes):
    session = factories.SessionFactory()
    session.minutes = minutes
    session.save()
    assert Session.objects.get(pk=session.pk).minutes == minutes


def test_an_unknown_session_status_is_refused():
    session = factories.SessionFactory()
    assert _violates(lambda: Session.objects.filter(pk=session.pk).update(status="lost"))


def test_a_coverage_that_ends_before_it_starts_is_refused():
    coverage = factories.CoverageFactory.build(
        client=factories.ClientFactory(),
        payer=factories.PayerFactory(),
        effective_from=datetime.date(2026, 5, 1),
        effective_to=datetime.date(2026, 4, 30),
    )
    assert _violates(coverage.save)
    with pytest.raises(ValidationError) as caught:
        coverage.full_clean()
    assert "cannot end before it starts" in str(caught.value)


def test_a_spouse_subscriber_must_be_named():
    coverage = factories.CoverageFactory.build(
        client=factories.ClientFactory(), payer=factories.PayerFactory(), relationship="01"
    )
    assert _violates(coverage.save)
    with pytest.raises(ValidationError) as caught:
        coverage.full_clean()
    assert set(caught.value.message_dict) >= {
        "subscriber_first_name",
        "subscriber_last_name",
        "subscriber_date_of_birth",
    }


def test_a_spouse_subscriber_with_a_name_is_accepted():
    coverage = factories.CoverageFactory(
        relationship="01",
        subscriber_first_name="Sam",
        subscriber_last_name="O'Connor",
        subscriber_date_of_birth=datetime.date(1980, 2, 29),
        subscriber_sex="M",
    )
    assert Coverage.objects.get(pk=coverage.pk).relationship == "01"


def test_a_negative_copay_is_refused():
    coverage = factories.CoverageFactory.build(
        client=factories.ClientFactory(), payer=factories.PayerFactory(), copay=Decimal("-1.00")
    )
    assert _violates(coverage.save)


@pytest.mark.parametrize(("field", "value"), [("units", 0), ("charge", Decimal("-0.01"))])
def test_service_line_units_and_charge_have_floors(field, value):
    line = factories.ServiceLineFactory()
    setattr(line, field, value)
    assert _violates(line.save)


def test_a_service_line_needs_a_diagnosis_pointer():
    line = factories.ServiceLineFactory()
    line.diagnosis_pointers = ""
    assert _violates(line.save)


def test_a_session_diagnosis_position_past_twelve_is_refused():
    link = factories.SessionDiagnosisFactory()
    link.position = 13
    assert _violates(link.save)


def test_one_rate_per_payer_code_and_start_date():
    rate = factories.PayerRateFactory()
    duplicate = PayerRate(
        payer=rate.payer,
        procedure=rate.procedure,
        allowed_amount=Decimal("1.00"),
        effective_from=rate.effective_from,
    )
    assert _violates(duplicate.save)


def test_a_rate_that_ends_before_it_starts_is_refused():
    rate = factories.PayerRateFactory.build(
        payer=factories.PayerFactory(),
        effective_from=datetime.date(2026, 1, 1),
        effective_to=datetime.date(2025, 12, 31),
    )
    assert _violates(rate.save)


def test_a_clinician_cannot_supervise_themselves():
    clinician = factories.ClinicianFactory()
    clinician.supervisor = clinician
    assert _violates(clinician.save)


def test_a_supervisor_must_not_need_supervision_themselves():
    supervisor = factories.ClinicianFactory()
    associate = factories.ClinicianFactory(supervisor=supervisor)
    trainee = factories.ClinicianFactory.build(
        user=factories.UserFactory(), practice=supervisor.practice, supervisor=associate
    )
    with pytest.raises(ValidationError) as caught:
        trainee.full_clean()
    assert "supervisor" in caught.value.message_dict


def test_a_code_used_on_a_service_line_cannot_be_deleted():
    line = factories.ServiceLineFactory()
    with pytest.raises(ProtectedError):
        ProcedureCode.objects.filter(pk=line.procedure_id).delete()


def test_a_client_with_sessions_cannot_be_deleted():
    session = factories.SessionFactory()
    with pytest.raises(ProtectedError):
        session.client.delete()


def test_deleting_a_session_removes_its_lines_only_through_the_session():
    line = factories.ServiceLineFactory()
    line.session.delete()
    assert not ServiceLine.objects.filter(pk=line.pk).exists()


def test_a_future_birth_date_is_refused_by_validation():
    client = factories.ClientFactory.build(
        primary_clinician=factories.ClinicianFactory(),
        date_of_birth=datetime.date(2999, 1, 1),
    )
    with pytest.raises(ValidationError) as caught:
        client.full_clean()
    assert "future" in caught.value.message_dict["date_of_birth"][0]


def test_a_birth_date_before_1900_is_refused_by_the_database():
    client = factories.ClientFactory.build(
        primary_clinician=factories.ClinicianFactory(),
        date_of_birth=datetime.date(1899, 12, 31),
    )
    assert _violates(client.save)


def test_unicode_and_apostrophes_survive_a_round_trip():
    client = factories.ClientFactory(first_name="Zoë", last_name="O'Connor-Nguyễn")
    client.refresh_from_db()
    assert str(client) == "O'Connor-Nguyễn, Zoë"


def test_the_account_number_is_stable_and_padded():
    client = factories.ClientFactory()
    assert client.account_number == f"C{client.pk:06d}"


@pytest.mark.parametrize(
    ("stored", "shown"), [("627011234", "62701-1234"), ("62701", "62701"), ("", "")]
)
def test_zip_plus_four_prints_with_its_dash(stored, shown):
    client = factories.ClientFactory.build(zip_code=stored, city="Springfield", state="IL")
    assert client.zip_display == shown
    assert client.address_lines[-1] == f"Springfield, IL {shown}".strip()
