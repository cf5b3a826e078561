"""Rules for payers that take 837P claims: printable text, addresses, payer id."""

from __future__ import annotations

from collections.abc import Iterator

from billing.outputs import x837
from billing.scrubber.core import (
    CLIENT,
    CLINICIAN,
    COVERAGE,
    ERROR,
    LOCATION,
    PAYER,
    PAYER_NUMBER,
    PRACTICE,
    ClaimContext,
    Fix,
    Problem,
    rule,
)


def _electronic(ctx: ClaimContext) -> bool:
    return ctx.payer.accepts_electronic_claims


@rule("x12_text")
def check_x12_text(ctx: ClaimContext) -> Iterator[Problem]:
    """837P (X12 005010X222A1): every printed name, address and id fits its element and
    holds no separator (``* ~ : ^``), after accents are transliterated. Only for payers
    that take electronic claims; a paper claim prints these as they are."""
    if not _electronic(ctx):
        return
    parties = ctx.claim.party
    for party, key, kind, label in x837.PRINTED_VALUES:
        value = parties.value(party, key)
        for problem in x837.x12_problems(value, kind):
            yield Problem(
                "x12_text",
                ERROR,
                f"{label} “{value}” {problem}: correct it.",
                fix=_party_fix(ctx, party),
            )
    for value, kind, label, fix in [
        (ctx.claim.prior_auth_number, "reference", "Prior authorization number", COVERAGE),
        (ctx.claim.payer_claim_number, "reference", "Payer's claim number", PAYER_NUMBER),
    ]:
        for problem in x837.x12_problems(value, kind):
            yield Problem(
                "x12_text",
                ERROR,
                f"{label} “{value}” {problem}: correct it.",
                fix=ctx.fix_on(fix),
            )


# Where each party of the claim's snapshot is kept (``claim.parties``).
PARTY_FIXES = {
    "billing": PRACTICE,
    "rendering": CLINICIAN,
    "supervising": CLINICIAN,
    "referring": COVERAGE,
    "facility": LOCATION,
    "subscriber": COVERAGE,
    "patient": CLIENT,
    "payer": PAYER,
}


def _party_fix(ctx: ClaimContext, party: str) -> Fix | None:
    page = PARTY_FIXES.get(party)
    if page is None:
        return None
    if party == "rendering":
        return Fix(CLINICIAN, ctx.claim.rendering_id)
    return ctx.fix_on(page)


@rule("x12_addresses")
def check_x12_addresses(ctx: ClaimContext) -> Iterator[Problem]:
    """837P loops 2010AA and 2310C want a street address and a 9-digit ZIP (ZIP+4) for
    the billing provider and the service facility; the patient's address (2010CA, or
    2010BA when the patient is the subscriber) is required too."""
    if not _electronic(ctx):
        return
    parties = ctx.claim.party
    for party, label, needs_zip4 in [
        ("billing", "billing provider", True),
        ("facility", "service facility", True),
        ("patient", "patient", False),
    ]:
        values = getattr(parties, party)
        if party == "facility" and (values is None or not values.address_line1):
            continue
        missing = [
            name
            for name, key in [
                ("street address", "address_line1"),
                ("city", "city"),
                ("state", "state"),
            ]
            if len(getattr(values, key).strip()) < 2
        ]
        fix = _party_fix(ctx, party)
        if missing:
            yield Problem(
                "x12_addresses", ERROR, f"The {label}'s {', '.join(missing)} is missing.", fix=fix
            )
        zip_digits = x837.digits(values.zip_code)
        if needs_zip4 and len(zip_digits) != 9:
            yield Problem(
                "x12_addresses",
                ERROR,
                f"The {label}'s ZIP code {values.zip_code or '(none)'} needs all nine "
                "digits (ZIP+4) on an electronic claim.",
                fix=fix,
            )
        elif len(zip_digits) not in {5, 9}:
            yield Problem(
                "x12_addresses",
                ERROR,
                f"The {label}'s ZIP code {values.zip_code or '(none)'} is not 5 or 9 digits.",
                fix=fix,
            )


@rule("payer_id", fix=PAYER)
def check_payer_id(ctx: ClaimContext) -> Iterator[Problem]:
    """837P loop 2010BB: a payer that takes electronic claims needs its electronic payer
    id (from the clearinghouse's payer list) in the payer settings."""
    if _electronic(ctx) and not x837.electronic_payer_id(ctx.claim):
        yield Problem(
            "payer_id",
            ERROR,
            f"{ctx.payer.name} has no electronic payer id: add it in the payer settings, or "
            "untick “accepts electronic claims” to bill it on paper.",
        )
