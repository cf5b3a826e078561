"""The practice domain, one module per topic; import the models from here
(``practice.models``).

- ``practice``: the practice, its locations, its clinicians
- ``clients``: clients, their diagnoses and coverages (and age, sex, signatures)
- ``sessions``: sessions, their diagnoses and service lines
- ``audit``: the read audit (HIPAA), append-only
- ``appointments``: appointments and their series
- ``charges``: missed-appointment fees

Rules the database can hold are constraints here; rules that need the catalog or the
payer live in forms and ``billing/coding.py``.
"""

# Django registers models in the order they are imported: kept as it was in one module.
# isort: off
from practice.models.practice import (
    Clinician,
    ClinicianQuerySet,
    Location,
    Practice,
)
from practice.models.clients import (
    ADULT_AGE,
    SIGNATURES,
    Client,
    ClientQuerySet,
    Coverage,
    CoverageQuerySet,
    Diagnosis,
    Sex,
    SignerRelation,
    age_on,
)
from practice.models.sessions import (
    SESSION_STATUSES,
    ServiceLine,
    Session,
    SessionDiagnosis,
    SessionQuerySet,
)
from practice.models.audit import (
    AccessEvent,
    AccessEventClient,
    AccessEventQuerySet,
    AccessKind,
    AppendOnlyError,
    AppendOnlyQuerySet,
)
from practice.models.appointments import (
    Appointment,
    AppointmentQuerySet,
    AppointmentSeries,
)
from practice.models.charges import (
    ClientCharge,
)
# isort: on

__all__ = [
    "ADULT_AGE",
    "SESSION_STATUSES",
    "SIGNATURES",
    "AccessEvent",
    "AccessEventClient",
    "AccessEventQuerySet",
    "AccessKind",
    "AppendOnlyError",
    "AppendOnlyQuerySet",
    "Appointment",
    "AppointmentQuerySet",
    "AppointmentSeries",
    "Client",
    "ClientCharge",
    "ClientQuerySet",
    "Clinician",
    "ClinicianQuerySet",
    "Coverage",
    "CoverageQuerySet",
    "Diagnosis",
    "Location",
    "Practice",
    "ServiceLine",
    "Session",
    "SessionDiagnosis",
    "SessionQuerySet",
    "Sex",
    "SignerRelation",
    "age_on",
]
