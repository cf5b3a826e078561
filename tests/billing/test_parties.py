"""A claim's parties read typed (billing/parties.py, ``Claim.party``): each key a snapshot
may lack has one default, and a claim built before a key existed (signatures, referring
provider, a clinician's license level) reads, checks and prints as a claim that recorded
none."""

from __future__ import annotations

import copy
import datetime
from decimal import Decimal

import pytest

from billing.models import Claim, PayerRate, PaymentAllocation, ProcedureCode
from billing.outputs.cms1500 import claim_pages, claims_for_print
from billing.parties import (
    BillingProvider,
    Parties,
    Person,
    Signature,
    Signatures,
    Subscriber,
)
from billing.posting import remittance_post
from billing.scrubber import scrub
from tests import factories
from tests.billing.test_claim_views import Line, make_claim
from tests.billing.test_scrubber import SOON, ready_session
from tests.billing.test_x837 import build_one, file_for, starting
from tests.x835 import ClaimAnswer, LineAnswer, build_835

D = Decimal


def test_an_empty_snapshot_reads_with_one_default_per_key():
    parties = Parties.from_json({})
    assert parties == Parties()
    assert parties.billing == BillingProvider()
    assert parties.billing.tax_id_type == "EIN"
    assert parties.subscriber.relationship == "18"
    assert parties.rendering.license_level is None
    for optional in ("supervising", "seen_by", "facility", "referring", "other_insurance"):
        assert getattr(parties, optional) is None
        assert (
            parties.value(optional, "npi" if optional != "other_insurance" else "member_id") == ""
        )
    assert parties.signatures == Signatures(release=None, assignment=None)


def test_nulls_empty_parties_unknown_keys_and_odd_shapes_read_as_the_defaults():
    parties = Parties.from_json(
        {
            "billing": {"name": "Lakeside", "phone": None, "fax": "555"},
            "supervising": {},
            "facility": None,
            "subscriber": "not an object",
            "signatures": {
                "release": {"signed_on": "2026-01-02", "signer": "Ana Ruiz", "relation": "self"},
                "assignment": True,
            },
        }
    )
    assert parties.billing == BillingProvider(name="Lakeside")
    assert parties.supervising is None
    assert parties.facility is None
    assert parties.subscriber == Subscriber()
    assert parties.signatures.release == Signature("2026-01-02", "Ana Ruiz", "self")
    assert parties.signatures.assignment == Signature()
    assert Parties.from_json(None) == Parties()


@pytest.mark.parametrize(
    "data",
    [
        {},
        None,
        "not an object",
        {"rendering": {"npi": "1111111112", "license_level": "HO"}},
        {"rendering": {"npi": "1111111112"}, "seen_by": {}},
        {"rendering": {"npi": "1111111112"}, "seen_by": None},
        {"rendering": None, "seen_by": {"npi": "2222222224", "license_level": ""}},
        {"rendering": {"npi": "1"}, "seen_by": {"npi": "2", "last_name": None, "x": 1}},
    ],
)
def test_who_saw_the_client_reads_as_from_the_whole_snapshot(data):
    whole = Parties.from_json(data)
    assert Parties.seen_by_of(data) == (whole.seen_by or whole.rendering)


def test_a_recorded_empty_license_level_is_not_a_missing_one():
    assert Person().license_level is None
    assert Parties.from_json({"rendering": {"license_level": ""}}).rendering.license_level == ""


def _as_built_before(parties: dict) -> dict:
    """The snapshot as claims_build wrote it before signatures, the referring provider and
    the license level were kept."""
    old = copy.deepcopy(parties)
    del old["signatures"], old["referring"]
    for role in ("rendering", "supervising", "seen_by"):
        if old.get(role):
            del old[role]["license_level"]
    return old


def _outputs(claim: Claim) -> tuple:
    (printed,) = claims_for_print().filter(pk=claim.pk)
    pages = [(page.values, page.ticks) for page in claim_pages(printed)]
    problems = [(p.rule, p.severity, p.message) for p in scrub(claim, today=SOON)]
    return pages, file_for(claim), problems


@pytest.mark.django_db
def test_a_claim_built_before_the_later_keys_prints_as_one_that_recorded_none(practice_row):
    client = factories.CoverageFactory().client
    ready_session(client)
    claim = build_one()
    assert claim.parties["signatures"]["release"] is not None  # the factory records both

    claim.parties = _as_built_before(claim.parties)
    claim.save(update_fields=["parties"])
    claim.refresh_from_db()
    old = _outputs(claim)
    assert claim.party.signatures == Signatures(release=None, assignment=None)
    assert claim.party.referring is None

    claim.parties = claim.parties | {
        "signatures": {"release": None, "assignment": None},
        "referring": None,
    }
    claim.save(update_fields=["parties"])
    claim.refresh_from_db()
    assert _outputs(claim) == old
    pages, text, problems = old
    assert "12" not in pages[0][0] and "13" not in pages[0][0]
    assert starting(text, "CLM")[0].endswith("*Y*A*N*I")  # CLM08 N, CLM09 I
    assert {rule for rule, _severity, _message in problems} >= {"signatures"}


@pytest.mark.django_db
@pytest.mark.parametrize(("snapshot_level", "expected"), [(None, D("100.00")), ("", D("120.00"))])
def test_a_claim_without_the_license_level_is_priced_at_the_clinicians_current_one(
    practice_row, snapshot_level, expected
):
    """billing/contracts.py: a snapshot without the level (built before it was kept) takes the
    clinician's level now; a snapshot that recorded no level keeps none."""
    coverage = factories.CoverageFactory()
    clinician = factories.ClinicianFactory(license_level="HO")
    procedure = ProcedureCode.objects.get(code="90837")
    for level, amount in (("", "120.00"), ("HO", "100.00")):
        PayerRate.objects.create(
            payer=coverage.payer,
            procedure=procedure,
            allowed_amount=D(amount),
            license_level=level,
            effective_from=datetime.date(2026, 1, 1),
        )
    claim = make_claim(coverage, [Line(date=datetime.date(2026, 10, 5))])
    seen_by = {"first_name": "Kim", "last_name": "Lee", "npi": clinician.npi}
    if snapshot_level is not None:
        seen_by["license_level"] = snapshot_level
    claim.parties = claim.parties | {"seen_by": seen_by}
    claim.save(update_fields=["parties"])

    (line,) = claim.lines.all()
    allowed = D("90.00")
    answer = ClaimAnswer(
        claim, [LineAnswer(line, allowed, [("CO", "45", line.charge - allowed)], allowed=allowed)]
    )
    remittance_post(text=build_835(coverage.payer, [answer], trace="T1"))
    allocation = PaymentAllocation.objects.get(posting__claim=claim)
    assert allocation.expected_allowed == expected
