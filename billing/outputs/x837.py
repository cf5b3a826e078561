"""837P professional claims (ASC X12 005010X222A1) from claim snapshots.

Pure formatting: no database access. The caller passes claims with their lines and
diagnoses already loaded (``Claim.lines`` / ``Claim.diagnoses`` prefetched) and an
``Envelope`` with the clearinghouse's ids and fresh control numbers; the result is the
file text. Everything printed comes from the claim's own snapshot (``Claim.parties``, read
typed as ``Claim.party``; ``ClaimLine``, ``ClaimDiagnosis``), so a file rebuilt later says
what the claim said.

The loop outline is in docs/837p.md. Text is upper case ASCII: accented letters are
transliterated with ``anyascii`` (Nguyễn → NGUYEN, Straße → STRASSE), never dropped.
A value that would still break the syntax (a separator inside a name, a value longer
than its element) raises ``X12ValueError``; the scrubber runs the same checks
(``x12_problems``) before a claim can be marked ready, so an export never meets one.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from anyascii import anyascii

from billing.parties import Parties, Patient, Person, PostalAddress, Subscriber
from practice.common import POINTER_LETTERS, ZERO

ELEMENT = "*"
COMPONENT = ":"
REPETITION = "^"
SEGMENT = "~"
SEPARATORS = frozenset(ELEMENT + COMPONENT + REPETITION + SEGMENT)
VERSION = "005010X222A1"

# X12 basic and extended character sets (X12.6), less our four separators. Lower case
# never reaches a file (we upper-case everything), so this is the set a value may use.
_ALLOWED = re.compile(r"^[A-Z0-9 !\"&'()+,\-./;?=%@\[\]_{}\\|<>#$]*\Z")
_SPACES = re.compile(r"\s+")

# Element maximum lengths in 005010X222A1 for the free-text values we print.
MAX_LENGTH = {
    "organization name": 60,  # NM103
    "last name": 60,  # NM103
    "first name": 35,  # NM104
    "address": 55,  # N301/N302
    "city": 30,  # N401
    "identifier": 80,  # NM109
    "reference": 50,  # REF02, SBR03
    "claim number": 38,  # CLM01
    "line control number": 50,  # REF02 of REF*6R
}


class X12ValueError(ValueError):
    """A value that cannot be written into an X12 element as it is."""


def transliterate(value: str) -> str:
    """Upper-case ASCII for X12: accents transliterated, runs of white space made one
    space. ``Nguyễn`` → ``NGUYEN``; ``O’Brien`` → ``O'BRIEN``."""
    return _SPACES.sub(" ", anyascii(value or "")).strip().upper()


def x12_problems(value: str, kind: str) -> list[str]:
    """Why ``value`` cannot go into an element of this kind as it is (empty list: it can).

    ``kind`` is a key of ``MAX_LENGTH``. The scrubber and the generator share this rule."""
    text = transliterate(value)
    problems = []
    separators = sorted(SEPARATORS.intersection(text))
    if separators:
        problems.append(f"contains {' '.join(separators)}, which X12 uses as a separator")
    others = sorted({c for c in text if c not in SEPARATORS and not _ALLOWED.match(c)})
    if others:
        problems.append(f"contains {' '.join(others)}, which X12 files cannot carry")
    limit = MAX_LENGTH[kind]
    if len(text) > limit:
        problems.append(f"is {len(text)} characters long; the 837P allows {limit}")
    return problems


def text(value: str, kind: str) -> str:
    """A value ready for an element, or ``X12ValueError`` saying why not."""
    problems = x12_problems(value, kind)
    if problems:
        raise X12ValueError(f"{kind} {value!r} {problems[0]}")
    return transliterate(value)


def digits(value: str) -> str:
    return "".join(c for c in value or "" if c.isascii() and c.isdigit())


def amount(value: Decimal) -> str:
    """An X12 decimal (R): no trailing zeros, no thousands separator (150, 97.5)."""
    formatted = f"{Decimal(value):.2f}".rstrip("0").rstrip(".")
    return formatted or "0"


def ccyymmdd(value: datetime.date | str) -> str:
    if isinstance(value, str):
        value = datetime.date.fromisoformat(value)
    return f"{value:%Y%m%d}"


def diagnosis(code: str) -> str:
    """ICD-10-CM without its dot: the dot is implied in X12 (HI*ABK:F411)."""
    return code.replace(".", "").upper()


@dataclass(frozen=True)
class Envelope:
    """Who sends, who receives, and the control numbers of one file (ISA, GS, ST)."""

    sender_qualifier: str
    sender_id: str
    receiver_qualifier: str
    receiver_id: str
    gs_sender_code: str
    gs_receiver_code: str
    submitter_name: str
    submitter_id: str
    contact_name: str
    contact_phone: str
    contact_email: str
    receiver_name: str
    receiver_nm1_id: str
    usage: str  # T test, P production (ISA15)
    interchange_number: int
    group_number: int
    transaction_number: int
    created: datetime.datetime

    @classmethod
    def for_clearinghouse(cls, clearinghouse, *, numbers: tuple[int, int, int], created):
        isa, gs, st = numbers
        return cls(
            sender_qualifier=clearinghouse.sender_qualifier,
            sender_id=clearinghouse.sender_id,
            receiver_qualifier=clearinghouse.receiver_qualifier,
            receiver_id=clearinghouse.isa_receiver_id,
            gs_sender_code=clearinghouse.gs_sender_code or clearinghouse.sender_id,
            gs_receiver_code=clearinghouse.gs_receiver_code or clearinghouse.isa_receiver_id,
            submitter_name=clearinghouse.submitter_name,
            submitter_id=clearinghouse.submitter_id,
            contact_name=clearinghouse.contact_name,
            contact_phone=clearinghouse.contact_phone,
            contact_email=clearinghouse.contact_email,
            receiver_name=clearinghouse.name,
            receiver_nm1_id=clearinghouse.receiver_id,
            usage=clearinghouse.usage,
            interchange_number=isa,
            group_number=gs,
            transaction_number=st,
            created=created,
        )


@dataclass(frozen=True)
class Adjustment:
    """One claim adjustment: group (CO, PR, OA, PI), reason code, amount (CAS)."""

    group: str
    reason: str
    amount: Decimal


@dataclass(frozen=True)
class LineAdjudication:
    """How the other (primary) payer settled one of our lines (loop 2430)."""

    line_control_number: str
    paid: Decimal
    adjustments: tuple[Adjustment, ...] = ()
    paid_units: int | None = None  # default: the line's units


@dataclass(frozen=True)
class OtherPayerAdjudication:
    """The primary payer's decision, for a claim sent on to the secondary payer
    (loops 2320, 2330A, 2330B, 2430). Built from a posted remittance."""

    payer_name: str
    payer_id: str
    member_id: str
    subscriber_last_name: str
    subscriber_first_name: str
    paid: Decimal
    adjudicated_on: datetime.date
    filing_indicator: str = "CI"
    responsibility: str = "P"  # SBR01 of the other payer: P primary, S secondary
    relationship: str = "18"  # patient's relationship to that payer's subscriber
    group_number: str = ""
    claim_adjustments: tuple[Adjustment, ...] = ()
    lines: tuple[LineAdjudication, ...] = field(default_factory=tuple)


class _Writer:
    """Collects segments; counts those of the transaction set for SE01."""

    def __init__(self) -> None:
        self.segments: list[str] = []
        self.transaction_start = 0

    def add(self, segment_id: str, *elements: str | Sequence[str]) -> None:
        parts = [segment_id]
        for element in elements:
            if isinstance(element, (list, tuple)):
                element = COMPONENT.join(element).rstrip(COMPONENT)
            parts.append(element)
        while len(parts) > 1 and parts[-1] == "":
            parts.pop()
        self.segments.append(ELEMENT.join(parts) + SEGMENT)

    def transaction_count(self) -> int:
        return len(self.segments) - self.transaction_start + 1  # + the SE itself


def _zip(value: str) -> str:
    return digits(value)


def _address(w: _Writer, party: PostalAddress) -> None:
    w.add(
        "N3",
        text(party.address_line1, "address"),
        text(party.address_line2, "address"),
    )
    w.add(
        "N4",
        text(party.city, "city"),
        transliterate(party.state),
        _zip(party.zip_code),
    )


def _person_name(
    w: _Writer, qualifier: str, person: Person | Subscriber | Patient, *id_pair: str
) -> None:
    w.add(
        "NM1",
        qualifier,
        "1",
        text(person.last_name, "last name"),
        text(person.first_name, "first name"),
        "",
        "",
        "",
        *id_pair,
    )


def _cas(w: _Writer, adjustments: Iterable[Adjustment]) -> None:
    """One CAS per group code, up to six reason/amount pairs each (X12 CAS layout)."""
    by_group: dict[str, list[Adjustment]] = {}
    for adjustment in adjustments:
        by_group.setdefault(adjustment.group, []).append(adjustment)
    for group, items in by_group.items():
        for start in range(0, len(items), 6):
            elements: list[str] = [group]
            for item in items[start : start + 6]:
                elements += [item.reason, amount(item.amount), ""]
            w.add("CAS", *elements)


def _signatures(parties: Parties) -> tuple[str, str]:
    """CLM08 benefits assignment and CLM09 release of information, from the signatures
    recorded on the claim's snapshot (CMS-1500 boxes 13 and 12). Without a recorded
    signature: assignment N, release I (informed consent only, the code for "no signed
    statement on file")."""
    assignment = "Y" if parties.signatures.assignment else "N"
    release = "Y" if parties.signatures.release else "I"
    return assignment, release


def _same_address(a: PostalAddress, b: PostalAddress) -> bool:
    keys = ("address_line1", "city", "state")
    return all(transliterate(getattr(a, k)) == transliterate(getattr(b, k)) for k in keys) and (
        _zip(a.zip_code)[:5] == _zip(b.zip_code)[:5]
    )


def _billing_is_person(parties: Parties) -> bool:
    """A solo clinician without a group NPI bills under their own (type 1) NPI: the
    billing provider is then a person, and no separate rendering loop is needed."""
    return bool(parties.billing.npi) and parties.billing.npi == parties.rendering.npi


def _billing_provider(w: _Writer, hl: int, parties: Parties) -> None:
    billing = parties.billing
    w.add("HL", str(hl), "", "20", "1")
    w.add("PRV", "BI", "PXC", billing.taxonomy)
    if _billing_is_person(parties):
        _person_name(w, "85", parties.rendering, "XX", billing.npi)
    else:
        w.add(
            "NM1",
            "85",
            "2",
            text(billing.name, "organization name"),
            "",
            "",
            "",
            "",
            "XX",
            billing.npi,
        )
    _address(w, billing)
    qualifier = "SY" if billing.tax_id_type == "SSN" else "EI"
    w.add("REF", qualifier, digits(billing.tax_id))
    pay_to = parties.pay_to
    if pay_to and not _same_address(pay_to, billing):
        w.add("NM1", "87", "2")
        _address(w, pay_to)


def _dmg(w: _Writer, person: Subscriber | Patient) -> None:
    if person.date_of_birth:
        w.add("DMG", "D8", ccyymmdd(person.date_of_birth), person.sex or "U")


def _claim(
    w: _Writer,
    claim,
    lines: list,
    diagnoses: list,
    other: OtherPayerAdjudication | None,
    client_paid: Decimal | None,
) -> None:
    parties = claim.party
    pos = lines[0].place_of_service
    total = sum((line.charge for line in lines), ZERO)
    assignment, release = _signatures(parties)
    w.add(
        "CLM",
        text(claim.control_number, "claim number"),
        amount(total),
        "",
        "",
        (pos, "B", claim.frequency),
        "Y",
        "A",
        assignment,
        release,
    )
    if client_paid and client_paid > 0:  # TR3: when the patient paid toward this claim
        w.add("AMT", "F5", amount(client_paid))
    if claim.prior_auth_number:
        w.add("REF", "G1", text(claim.prior_auth_number, "reference"))
    if claim.frequency in {"7", "8"}:
        if not claim.payer_claim_number:
            raise X12ValueError(f"Claim {claim.control_number} needs the payer's claim number.")
        w.add("REF", "F8", text(claim.payer_claim_number, "reference"))
    codes = [diagnosis(d.code) for d in diagnoses]
    w.add("HI", *[("ABK" if i == 0 else "ABF", code) for i, code in enumerate(codes)])

    referring = parties.referring
    if referring and referring.npi:
        _person_name(w, "DN", referring, "XX", referring.npi)
    rendering = parties.rendering
    if not _billing_is_person(parties) and rendering.npi:
        _person_name(w, "82", rendering, "XX", rendering.npi)
        w.add("PRV", "PE", "PXC", rendering.taxonomy)
    facility = parties.facility
    if facility and facility.address_line1 and not _same_address(facility, parties.billing):
        npi = ("XX", facility.npi) if facility.npi else ()
        w.add("NM1", "77", "2", text(facility.name, "organization name"), "", "", "", "", *npi)
        _address(w, facility)
    supervising = parties.supervising
    if supervising and supervising.npi and supervising.npi != rendering.npi:
        _person_name(w, "DQ", supervising, "XX", supervising.npi)

    if other is not None:
        _other_payer(w, other)

    adjudicated = {a.line_control_number: a for a in other.lines} if other else {}
    for number, line in enumerate(lines, start=1):
        w.add("LX", str(number))
        w.add(
            "SV1",
            ("HC", line.procedure_code, *line.modifiers),
            amount(line.charge),
            "UN",
            str(line.units),
            line.place_of_service if line.place_of_service != pos else "",
            "",
            tuple(str(POINTER_LETTERS.index(p) + 1) for p in line.diagnosis_pointers),
        )
        w.add("DTP", "472", "D8", ccyymmdd(line.date_of_service))
        w.add("REF", "6R", text(line.line_control_number, "line control number"))
        settled = adjudicated.get(line.line_control_number)
        if settled is not None and other is not None:
            w.add(
                "SVD",
                text(other.payer_id, "identifier"),
                amount(settled.paid),
                ("HC", line.procedure_code, *line.modifiers),
                "",
                str(settled.paid_units if settled.paid_units is not None else line.units),
            )
            _cas(w, settled.adjustments)
            w.add("DTP", "573", "D8", ccyymmdd(other.adjudicated_on))


def _other_payer(w: _Writer, other: OtherPayerAdjudication) -> None:
    """Loops 2320 (other subscriber), 2330A (other subscriber's name), 2330B (other payer)."""
    w.add(
        "SBR",
        other.responsibility,
        other.relationship,
        text(other.group_number, "reference"),
        "",
        "",
        "",
        "",
        "",
        other.filing_indicator,
    )
    _cas(w, other.claim_adjustments)
    w.add("AMT", "D", amount(other.paid))
    w.add("OI", "", "", "Y", "", "", "Y")
    w.add(
        "NM1",
        "IL",
        "1",
        text(other.subscriber_last_name, "last name"),
        text(other.subscriber_first_name, "first name"),
        "",
        "",
        "",
        "MI",
        text(other.member_id, "identifier"),
    )
    w.add(
        "NM1",
        "PR",
        "2",
        text(other.payer_name, "organization name"),
        "",
        "",
        "",
        "",
        "PI",
        text(other.payer_id, "identifier"),
    )


def electronic_payer_id(claim) -> str:
    """The payer id the file is addressed to (loop 2010BB NM109): the claim's snapshot,
    or the payer's setting when the claim was built before the payer had one. It routes
    the file; it is not something the claim said about the service."""
    return claim.party.payer.payer_id or claim.payer.payer_id


# The free-text values of a claim snapshot that the 837P prints, with their element kind
# and the words a biller understands: (party, key, kind, label).
PRINTED_VALUES = (
    ("billing", "name", "organization name", "Billing provider name"),
    ("billing", "address_line1", "address", "Billing provider address"),
    ("billing", "address_line2", "address", "Billing provider address line 2"),
    ("billing", "city", "city", "Billing provider city"),
    ("rendering", "last_name", "last name", "Rendering provider last name"),
    ("rendering", "first_name", "first name", "Rendering provider first name"),
    ("supervising", "last_name", "last name", "Supervising provider last name"),
    ("supervising", "first_name", "first name", "Supervising provider first name"),
    ("referring", "last_name", "last name", "Referring provider last name"),
    ("referring", "first_name", "first name", "Referring provider first name"),
    ("facility", "name", "organization name", "Service facility name"),
    ("facility", "address_line1", "address", "Service facility address"),
    ("facility", "address_line2", "address", "Service facility address line 2"),
    ("facility", "city", "city", "Service facility city"),
    ("subscriber", "last_name", "last name", "Subscriber last name"),
    ("subscriber", "first_name", "first name", "Subscriber first name"),
    ("subscriber", "address_line1", "address", "Subscriber address"),
    ("subscriber", "address_line2", "address", "Subscriber address line 2"),
    ("subscriber", "city", "city", "Subscriber city"),
    ("subscriber", "member_id", "identifier", "Member id"),
    ("subscriber", "group_number", "reference", "Group number"),
    ("patient", "last_name", "last name", "Patient last name"),
    ("patient", "first_name", "first name", "Patient first name"),
    ("patient", "address_line1", "address", "Patient address"),
    ("patient", "address_line2", "address", "Patient address line 2"),
    ("patient", "city", "city", "Patient city"),
    ("payer", "name", "organization name", "Payer name"),
)


def _billing_key(parties: Parties) -> tuple:
    billing = parties.billing
    return (
        billing.npi,
        billing.name,
        billing.tax_id,
        billing.taxonomy,
        billing.address_line1,
        billing.zip_code,
        _billing_is_person(parties) and parties.rendering.last_name,
    )


def render_837p(
    claims: Sequence,
    envelope: Envelope,
    *,
    adjudications: dict[int, OtherPayerAdjudication] | None = None,
    client_paid: dict[int, Decimal] | None = None,
) -> str:
    """The 837P file for ``claims`` (all to one payer), one segment per line.

    ``adjudications`` maps a claim's pk to the other payer's decision when the claim is a
    secondary claim; those claims carry loops 2320/2330A/2330B and SVD/CAS/DTP*573 per line.
    ``client_paid`` maps a claim's pk to what the client paid toward it
    (``billing.ledger.client_paid_toward_claims``), sent as AMT*F5 when above zero.
    """
    adjudications = adjudications or {}
    client_paid = client_paid or {}
    created = envelope.created
    w = _Writer()
    w.add(
        "ISA",
        "00",
        " " * 10,
        "00",
        " " * 10,
        envelope.sender_qualifier,
        f"{envelope.sender_id:<15}",
        envelope.receiver_qualifier,
        f"{envelope.receiver_id:<15}",
        f"{created:%y%m%d}",
        f"{created:%H%M}",
        REPETITION,
        "00501",
        f"{envelope.interchange_number:09d}",
        "1",
        envelope.usage,
        COMPONENT,
    )
    w.add(
        "GS",
        "HC",
        envelope.gs_sender_code,
        envelope.gs_receiver_code,
        f"{created:%Y%m%d}",
        f"{created:%H%M}",
        str(envelope.group_number),
        "X",
        VERSION,
    )
    w.transaction_start = len(w.segments)
    st02 = f"{envelope.transaction_number:04d}"
    w.add("ST", "837", st02, VERSION)
    w.add(
        "BHT",
        "0019",
        "00",
        f"SL{envelope.interchange_number:09d}",
        f"{created:%Y%m%d}",
        f"{created:%H%M}",
        "CH",
    )
    w.add(
        "NM1",
        "41",
        "2",
        text(envelope.submitter_name, "organization name"),
        "",
        "",
        "",
        "",
        "46",
        envelope.submitter_id,
    )
    contact = ["IC", text(envelope.contact_name, "organization name"), "TE", envelope.contact_phone]
    if envelope.contact_email:
        contact += ["EM", envelope.contact_email.upper()]
    w.add("PER", *contact)
    w.add(
        "NM1",
        "40",
        "2",
        text(envelope.receiver_name, "organization name"),
        "",
        "",
        "",
        "",
        "46",
        envelope.receiver_nm1_id,
    )

    hl = 0
    by_billing: dict[tuple, list] = {}
    for claim in claims:
        by_billing.setdefault(_billing_key(claim.party), []).append(claim)
    for group in by_billing.values():
        hl += 1
        billing_hl = hl
        _billing_provider(w, billing_hl, group[0].party)
        for claim in group:
            lines = sorted(claim.lines.all(), key=lambda line: line.position)
            diagnoses = sorted(claim.diagnoses.all(), key=lambda d: d.position)
            parties = claim.party
            subscriber = parties.subscriber
            payer = parties.payer
            other = adjudications.get(claim.pk)
            self_pays = subscriber.relationship == "18"
            hl += 1
            subscriber_hl = hl
            w.add("HL", str(hl), str(billing_hl), "22", "0" if self_pays else "1")
            w.add(
                "SBR",
                subscriber.responsibility or ("S" if other else "P"),
                "18" if self_pays else "",
                text(subscriber.group_number, "reference"),
                "",
                "",
                "",
                "",
                "",
                payer.filing_indicator or "CI",
            )
            _person_name(w, "IL", subscriber, "MI", text(subscriber.member_id, "identifier"))
            if subscriber.address_line1:
                _address(w, subscriber)
            _dmg(w, subscriber)
            w.add(
                "NM1",
                "PR",
                "2",
                text(payer.name, "organization name"),
                "",
                "",
                "",
                "",
                "PI",
                text(electronic_payer_id(claim), "identifier"),
            )
            if not self_pays:
                hl += 1
                w.add("HL", str(hl), str(subscriber_hl), "23", "0")
                w.add("PAT", subscriber.relationship)
                patient = parties.patient
                _person_name(w, "QC", patient)
                _address(w, patient)
                _dmg(w, patient)
            _claim(w, claim, lines, diagnoses, other, client_paid.get(claim.pk))

    w.add("SE", str(w.transaction_count()), st02)
    w.add("GE", "1", str(envelope.group_number))
    w.add("IEA", "1", f"{envelope.interchange_number:09d}")
    return "\n".join(w.segments) + "\n"
