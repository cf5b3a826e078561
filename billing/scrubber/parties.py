"""Rules over who the claim names: signatures on file, the referring provider, the
billing provider's address.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.core.exceptions import ValidationError

from billing.outputs import pdf
from billing.scrubber.core import (
    COVERAGE,
    ERROR,
    PRACTICE,
    SIGNATURES_ON_FILE,
    ClaimContext,
    Problem,
    rule,
)
from billing.scrubber.electronic import _electronic
from billing.validators import (
    is_po_box,
    validate_npi,
    validate_zip_plus4,
)
from practice.formats import us_date
from practice.models import (
    ADULT_AGE,
    SIGNATURES,
    SignerRelation,
    age_on,
)

REBUILD = "then discard this draft and build the claim again (a claim keeps what it was built with)"


@rule("signatures", fix=SIGNATURES_ON_FILE)
def check_signatures(ctx: ClaimContext) -> Iterator[Problem]:
    """docs/rules/claim-forms.md §8 (NUCC 1500 items 12 and 13; X12 837P CLM08, CLM09): the
    client's release of information and assignment of benefits are recorded, and for a
    client under 18 on a date of service they were signed by a parent, guardian or other
    legal representative, not the client."""
    parties = ctx.claim.party
    patient = parties.patient
    born = pdf.iso_date(patient.date_of_birth)
    minor_on = next(
        (
            line.date_of_service
            for line in ctx.lines
            if born is not None and age_on(born, line.date_of_service) < ADULT_AGE
        ),
        None,
    )
    name = f"{patient.first_name} {patient.last_name}".strip()
    for kind, what, box in SIGNATURES:
        signature = getattr(parties.signatures, kind)
        if signature is None:
            yield Problem(
                "signatures",
                ERROR,
                f"No signed {what} is recorded for {name} ({box} would be blank): record "
                f"the date, who signed and who they are under “Signatures” on the client's "
                f"page, {REBUILD}.",
            )
            continue
        relation = signature.relation
        if minor_on is not None and relation in {"", SignerRelation.SELF}:
            signer = "the client" if relation else "a signer of unknown relation"
            yield Problem(
                "signatures",
                ERROR,
                f"{name} was {age_on(born, minor_on)} on {us_date(minor_on)}, and the {what} "
                f"({box}) was signed by {signer}: a parent or legal guardian signs for a "
                f"client under {ADULT_AGE}. Record their signature on the client's page, "
                f"{REBUILD}.",
            )


@rule("referring_provider", fix=COVERAGE)
def check_referring_provider(ctx: ClaimContext) -> Iterator[Problem]:
    """docs/rules/claim-forms.md §9 (NUCC 1500 item 17; X12 837P loop 2310A): a payer that
    requires referrals gets the referring provider's name and a valid NPI."""
    referring = ctx.claim.party.referring
    if referring is None:
        if ctx.payer.requires_referring_provider:
            yield Problem(
                "referring_provider",
                ERROR,
                f"{ctx.payer.name} requires a referring provider (box 17, qualifier DN): "
                f"record the referring provider's name and NPI on the client's "
                f"{ctx.payer.name} coverage, {REBUILD}.",
            )
        return
    missing = [
        label
        for key, label in [("first_name", "first name"), ("last_name", "last name")]
        if not getattr(referring, key)
    ]
    if missing:
        yield Problem(
            "referring_provider",
            ERROR,
            f"The referring provider's {' and '.join(missing)} is missing (box 17).",
        )
    try:
        validate_npi(referring.npi)
    except ValidationError as error:
        yield Problem(
            "referring_provider",
            ERROR,
            f"The referring provider NPI {referring.npi or '(missing)'} (box 17b): "
            f"{error.messages[0]}",
        )


@rule("billing_address", fix=PRACTICE)
def check_billing_address(ctx: ClaimContext) -> Iterator[Problem]:
    """docs/rules/claim-forms.md §10 (NUCC 1500 item 33; X12 837P loop 2010AA): the billing
    provider's address is a street address, never a PO box, with a nine-digit ZIP. On an
    electronic claim ``x12_addresses`` already reports a missing street or ZIP+4."""
    billing = ctx.claim.party.billing
    settings = "correct it in the practice settings"
    for key in ("address_line1", "address_line2"):
        value = getattr(billing, key)
        if is_po_box(value):
            yield Problem(
                "billing_address",
                ERROR,
                f"The billing address “{value}” is a PO box: box 33 needs the practice's "
                f"street address; {settings}, {REBUILD}.",
            )
    if _electronic(ctx):
        return
    if not billing.address_line1.strip():
        yield Problem(
            "billing_address",
            ERROR,
            f"The billing provider's street address is missing (box 33); {settings}, {REBUILD}.",
        )
    try:
        validate_zip_plus4(billing.zip_code)
    except ValidationError:
        yield Problem(
            "billing_address",
            ERROR,
            f"The billing provider's ZIP code {billing.zip_code or '(none)'} needs all "
            f"nine digits (ZIP+4) in box 33; {settings}, {REBUILD}.",
        )
