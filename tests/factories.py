"""factory_boy factories for the domain. Catalog rows come from `load_catalog` (see conftest)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import factory
from django.contrib.auth.models import Group, User

from billing.models import (
    Clearinghouse,
    DiagnosisCode,
    Payer,
    PayerRate,
    PlaceOfService,
    ProcedureCode,
)
from billing.validators import npi_check_digit
from practice import roles
from practice.models import (
    Client,
    Clinician,
    Coverage,
    Diagnosis,
    Location,
    Practice,
    ServiceLine,
    Session,
    SessionDiagnosis,
)


def make_npi(n: int, first: str = "1") -> str:
    """A valid NPI (correct check digit) from a serial number."""
    nine = f"{first}{n:08d}"
    return nine + npi_check_digit(nine)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "Test"
    last_name = factory.Sequence(lambda n: f"User{n}")
    password = factory.django.Password("correct horse battery")

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.add(Group.objects.get(name=extracted))


class PracticeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Practice

    name = "Riverbend Counseling Group PLLC"
    address_line1 = "120 Main St Ste 4"
    city = "Springfield"
    state = "IL"
    zip_code = "627011234"
    phone = "2175550100"
    tax_id = "12-3456789"
    npi = factory.Sequence(lambda n: make_npi(n + 1, first="2"))
    taxonomy = "103T00000X"


def pos(code: str) -> PlaceOfService:
    return PlaceOfService.objects.get(code=code)


class LocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Location

    practice = factory.SubFactory(PracticeFactory)
    name = "Main office"
    address_line1 = "120 Main St Ste 4"
    city = "Springfield"
    state = "IL"
    zip_code = "627011234"
    default_pos = factory.LazyFunction(lambda: pos("11"))


class ClinicianFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Clinician

    user = factory.SubFactory(UserFactory, role=roles.CLINICIAN)
    practice = factory.LazyFunction(lambda: Practice.current() or PracticeFactory())
    first_name = "Dana"
    last_name = factory.Sequence(lambda n: f"Clinician{n}")
    credentials = "LCSW"
    npi = factory.Sequence(lambda n: make_npi(n + 1000))
    taxonomy = "1041C0700X"
    license_number = factory.Sequence(lambda n: f"LCSW{n:05d}")
    license_state = "IL"
    license_level = Clinician.LicenseLevel.SOCIAL_WORKER


class ClientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Client

    first_name = "Alex"
    last_name = factory.Sequence(lambda n: f"Client{n}")
    date_of_birth = datetime.date(1988, 4, 12)
    sex = "F"
    address_line1 = "9 Elm St"
    city = "Springfield"
    state = "IL"
    zip_code = "627029876"
    primary_clinician = factory.SubFactory(ClinicianFactory)
    # docs/rules/claim-forms.md §8: both signatures on file, signed by the (adult) client.
    # A test of a minor passes a guardian's, or None to leave them unrecorded.
    release_signed_on = datetime.date(2024, 1, 8)
    release_signer = factory.LazyAttribute(lambda o: f"{o.first_name} {o.last_name}")
    release_signer_relation = "self"
    assignment_signed_on = datetime.date(2024, 1, 8)
    assignment_signer = factory.LazyAttribute(lambda o: f"{o.first_name} {o.last_name}")
    assignment_signer_relation = "self"


class PayerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Payer
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Acme Health {n}")
    payer_id = factory.Sequence(lambda n: f"{60000 + n}")
    address_line1 = "PO Box 1000"
    city = "Chicago"
    state = "IL"
    zip_code = "606010000"
    filing_indicator = "CI"
    telehealth_home_pos = factory.LazyFunction(lambda: pos("10"))
    telehealth_other_pos = factory.LazyFunction(lambda: pos("02"))
    telehealth_modifier = "95"
    audio_only_modifier = "93"
    timely_filing_days = 90


class PayerRateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PayerRate

    payer = factory.SubFactory(PayerFactory)
    procedure = factory.LazyFunction(lambda: ProcedureCode.objects.get(code="90834"))
    allowed_amount = Decimal("98.00")
    effective_from = datetime.date(2020, 1, 1)


class CoverageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Coverage

    client = factory.SubFactory(ClientFactory)
    payer = factory.SubFactory(PayerFactory)
    member_id = factory.Sequence(lambda n: f"XYZ{n:07d}")
    group_number = "GRP100"
    priority = 1
    relationship = "18"
    effective_from = datetime.date(2020, 1, 1)
    copay = Decimal("20.00")


class DiagnosisFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Diagnosis

    client = factory.SubFactory(ClientFactory)
    code = factory.LazyFunction(lambda: DiagnosisCode.objects.get(code="F41.1"))
    rank = 1


class SessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Session

    client = factory.SubFactory(ClientFactory)
    clinician = factory.LazyAttribute(lambda o: o.client.primary_clinician)
    date = datetime.date(2026, 10, 5)
    start_time = datetime.time(10, 0)
    end_time = datetime.time(10, 53)
    minutes = 53
    service = "individual"
    place_of_service = factory.LazyFunction(lambda: pos("11"))
    status = Session.Status.DRAFT


class ServiceLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceLine

    session = factory.SubFactory(SessionFactory)
    position = factory.Sequence(lambda n: n + 1)
    procedure = factory.LazyFunction(lambda: ProcedureCode.objects.get(code="90837"))
    units = 1
    charge = Decimal("160.00")
    diagnosis_pointers = "A"


class SessionDiagnosisFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SessionDiagnosis

    session = factory.SubFactory(SessionFactory)
    diagnosis = factory.SubFactory(DiagnosisFactory)
    position = 1


class ClearinghouseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Clearinghouse

    name = "Clearwater Claims"
    receiver_id = "CLEARWATER"
    submitter_id = "SUB12345"
    submitter_name = "Riverbend Counseling Group"
    contact_name = "Billing Office"
    contact_phone = "2175550100"
    contact_email = "billing@example.org"
    sender_id = "SUB12345"
    isa_receiver_id = "CLEARWATER"
    usage = Clearinghouse.Usage.TEST
    is_default = True
