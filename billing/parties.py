"""A claim's parties, typed: the JSON snapshot ``Claim.parties`` read into frozen
dataclasses (``Parties.from_json``, or ``claim.party``), so that every key a claim may lack
has one default, here.

The snapshot is written once, by ``claim_parties`` at the end of this module, and is kept
as it was written: a claim built before a key existed (the signatures and the referring
provider, a clinician's license level) reads with the defaults below. Text is ``""``
when missing (or null), dates stay ISO strings as stored (``billing.outputs.pdf.iso_date``
reads them), and a party a claim may not have (supervising, seen by, facility, referring,
other insurance, pay-to) is None when missing or empty. Keys this module does not know
are ignored. Imports nothing of ours at run time (the writer reads the model objects it is
given): pure, tested without a database.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from practice.models import Client, Clinician, Coverage, Practice, Session

T = TypeVar("T")


def _read(cls: type[T], data: Any) -> T:
    """One party from its JSON object: the keys ``cls`` declares, a missing or null one
    taking the field's default."""
    data = data if isinstance(data, dict) else {}
    known = _field_names(cls)
    return cls(**{k: v for k, v in data.items() if k in known and v is not None})


@functools.cache
def _field_names(cls: type) -> frozenset[str]:
    """A party class's keys, read once (a 1,000-claim file reads some 10,000 parties)."""
    return frozenset(f.name for f in dataclasses.fields(cls))


def _optional(cls: type[T], data: Any) -> T | None:
    """A party the claim may not have: None when the snapshot has none (or an empty one)."""
    return _read(cls, data) if data else None


@dataclass(frozen=True)
class PostalAddress:
    address_line1: str = ""
    address_line2: str = ""
    city: str = ""
    state: str = ""
    zip_code: str = ""


@dataclass(frozen=True)
class Person:
    """A clinician (rendering, supervising, seen by) or the referring provider, who has
    only the names and the NPI."""

    first_name: str = ""
    last_name: str = ""
    credentials: str = ""
    npi: str = ""
    taxonomy: str = ""
    license_number: str = ""
    license_state: str = ""
    # Which contract rate applies (billing/contracts.py); never printed. None on a claim
    # built before the snapshot kept it: the clinician's current level stands in.
    license_level: str | None = None


@dataclass(frozen=True)
class BillingProvider(PostalAddress):
    name: str = ""
    npi: str = ""
    tax_id: str = ""
    tax_id_type: str = "EIN"  # "SSN" for a sole proprietor billing under their own
    taxonomy: str = ""
    phone: str = ""


@dataclass(frozen=True)
class Facility(PostalAddress):
    name: str = ""
    npi: str = ""


@dataclass(frozen=True)
class PayerParty(PostalAddress):
    name: str = ""
    payer_id: str = ""
    filing_indicator: str = ""


@dataclass(frozen=True)
class Subscriber(PostalAddress):
    first_name: str = ""
    last_name: str = ""
    date_of_birth: str = ""
    sex: str = ""
    relationship: str = "18"  # X12 individual relationship code: 18 is the client's own
    member_id: str = ""
    group_number: str = ""
    plan_name: str = ""
    responsibility: str = ""  # SBR01 when given; else P, or S on a secondary claim


@dataclass(frozen=True)
class Patient(PostalAddress):
    first_name: str = ""
    last_name: str = ""
    date_of_birth: str = ""
    sex: str = ""
    phone: str = ""
    account_number: str = ""


@dataclass(frozen=True)
class Signature:
    """A signature on file (docs/rules/claim-forms.md §8)."""

    signed_on: str = ""
    signer: str = ""
    relation: str = ""


@dataclass(frozen=True)
class Signatures:
    release: Signature | None = None  # box 12, CLM09
    assignment: Signature | None = None  # box 13, CLM08

    @classmethod
    def from_json(cls, data: Any) -> Signatures:
        data = data if isinstance(data, dict) else {}
        return cls(
            release=_optional(Signature, data.get("release")),
            assignment=_optional(Signature, data.get("assignment")),
        )


@dataclass(frozen=True)
class OtherInsurance:
    payer_name: str = ""
    member_id: str = ""
    group_number: str = ""
    plan_name: str = ""
    relationship: str = ""
    subscriber_first_name: str = ""
    subscriber_last_name: str = ""


@dataclass(frozen=True)
class Parties:
    """Everyone a claim prints (CMS-1500 boxes 1–13, 17, 24J, 25, 31–33; 837P loops
    2010AA, 2010BA/BB, 2010CA, 2310A–D)."""

    billing: BillingProvider = BillingProvider()
    rendering: Person = Person()
    supervising: Person | None = None
    seen_by: Person | None = None
    facility: Facility | None = None
    payer: PayerParty = PayerParty()
    subscriber: Subscriber = Subscriber()
    referring: Person | None = None
    signatures: Signatures = Signatures()
    patient: Patient = Patient()
    other_insurance: OtherInsurance | None = None
    pay_to: PostalAddress | None = None

    @classmethod
    def from_json(cls, data: Any) -> Parties:
        data = data if isinstance(data, dict) else {}
        return cls(
            billing=_read(BillingProvider, data.get("billing")),
            rendering=_read(Person, data.get("rendering")),
            supervising=_optional(Person, data.get("supervising")),
            seen_by=_optional(Person, data.get("seen_by")),
            facility=_optional(Facility, data.get("facility")),
            payer=_read(PayerParty, data.get("payer")),
            subscriber=_read(Subscriber, data.get("subscriber")),
            referring=_optional(Person, data.get("referring")),
            signatures=Signatures.from_json(data.get("signatures")),
            patient=_read(Patient, data.get("patient")),
            other_insurance=_optional(OtherInsurance, data.get("other_insurance")),
            pay_to=_optional(PostalAddress, data.get("pay_to")),
        )

    @staticmethod
    def seen_by_of(data: Any) -> Person:
        """``seen_by or rendering`` of ``from_json(data)``, reading only those two (the
        contract check reads it for each claim a remittance answers)."""
        data = data if isinstance(data, dict) else {}
        return _optional(Person, data.get("seen_by")) or _read(Person, data.get("rendering"))

    def value(self, party: str, key: str) -> str:
        """One printed value by name (``x837.PRINTED_VALUES``); "" for a party the claim
        does not have."""
        found = getattr(self, party)
        return getattr(found, key) if found is not None else ""


# The writer: what a claim copies of its parties when it is built.


def _address(obj) -> dict[str, str]:
    return {
        "address_line1": obj.address_line1,
        "address_line2": obj.address_line2,
        "city": obj.city,
        "state": obj.state,
        "zip_code": obj.zip_code,
    }


def _person(clinician: Clinician | None) -> dict[str, str] | None:
    if clinician is None:
        return None
    return {
        "first_name": clinician.first_name,
        "last_name": clinician.last_name,
        "credentials": clinician.credentials,
        "npi": clinician.npi,
        "taxonomy": clinician.taxonomy,
        "license_number": clinician.license_number,
        "license_state": clinician.license_state,
        # Which contract rate applies (billing/contracts.py); never printed.
        "license_level": clinician.license_level,
    }


def claim_parties(
    *,
    practice: Practice,
    client: Client,
    coverage: Coverage,
    rendering: Clinician,
    supervising: Clinician | None,
    seen_by: Clinician,
    session: Session,
    other: Coverage | None,
) -> dict:
    """The snapshot of every party a claim prints (CMS-1500 boxes 1–13, 17, 24J, 25, 31–33;
    837P loops 2010AA, 2010BA/BB, 2010CA, 2310A–D). Plain strings, dates in ISO form.

    ``signatures`` holds the client's recorded release (box 12, CLM09) and assignment
    (box 13, CLM08), each ``{"signed_on", "signer", "relation"}`` or None
    (docs/rules/claim-forms.md §8); ``referring`` the coverage's referring provider
    ``{"first_name", "last_name", "npi"}`` or None (docs/rules/claim-forms.md §9)."""
    payer = coverage.payer
    if coverage.subscriber_is_client:
        subscriber = {
            "first_name": client.first_name,
            "last_name": client.last_name,
            "date_of_birth": client.date_of_birth.isoformat(),
            "sex": client.sex,
            **_address(client),
        }
    else:
        subscriber = {
            "first_name": coverage.subscriber_first_name,
            "last_name": coverage.subscriber_last_name,
            "date_of_birth": (
                coverage.subscriber_date_of_birth.isoformat()
                if coverage.subscriber_date_of_birth
                else ""
            ),
            "sex": coverage.subscriber_sex,
            # A subscriber without an address of their own lives with the client.
            **(_address(coverage) if coverage.address_line1 else _address(client)),
        }
    subscriber |= {
        "relationship": coverage.relationship,
        "member_id": coverage.member_id,
        "group_number": coverage.group_number,
        "plan_name": coverage.plan_name or payer.name,
    }
    location = session.location
    return {
        "billing": {
            "name": practice.name,
            "npi": practice.npi or rendering.npi,
            "tax_id": practice.tax_id,
            "tax_id_type": practice.tax_id_type,
            "taxonomy": practice.taxonomy or rendering.taxonomy,
            "phone": practice.phone,
            **_address(practice),
        },
        "rendering": _person(rendering),
        "supervising": _person(supervising),
        "seen_by": _person(seen_by),
        "facility": (
            {"name": location.name, "npi": location.npi, **_address(location)}
            if location is not None
            else None
        ),
        "payer": {
            "name": payer.name,
            "payer_id": payer.payer_id,
            "filing_indicator": payer.filing_indicator,
            **_address(payer),
        },
        "subscriber": subscriber,
        "referring": coverage.referring(),
        "signatures": {
            "release": client.signature("release"),
            "assignment": client.signature("assignment"),
        },
        "patient": {
            "first_name": client.first_name,
            "last_name": client.last_name,
            "date_of_birth": client.date_of_birth.isoformat(),
            "sex": client.sex,
            "phone": client.phone,
            "account_number": client.account_number,
            **_address(client),
        },
        "other_insurance": (
            {
                "payer_name": other.payer.name,
                "member_id": other.member_id,
                "group_number": other.group_number,
                "plan_name": other.plan_name or other.payer.name,
                "relationship": other.relationship,
                "subscriber_first_name": other.subscriber_first_name or client.first_name,
                "subscriber_last_name": other.subscriber_last_name or client.last_name,
            }
            if other is not None
            else None
        ),
    }
