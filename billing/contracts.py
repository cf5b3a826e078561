"""Contract rates and underpayments: what a payer agreed to allow for a line, and whether
its remittance allowed less (docs/getting-paid.md "Underpayments").

One home for the rate precedence, used when a claim is built (``ClaimLine.expected_allowed``)
and when a payment is posted (``PaymentAllocation.expected_allowed`` and ``underpaid_by``,
stored then and never recomputed per request).

Precedence among a payer's rates for the code in force on the date of service
(``PayerRate``: a rate may name a modifier, a level of licence, both or neither):

1. a rate naming the line's modifier and the clinician's level of licence;
2. a rate naming the line's modifier only (e.g. a telehealth rate for 95);
3. a rate naming the level of licence only (e.g. a master's-level rate, HO);
4. the code's plain rate.

A rate naming a modifier the line does not carry, or another level, never applies. Within
one step the rate that started last wins; two modifier rates that both apply go by the
modifier's place on the line (the first modifier first).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from decimal import Decimal

from billing.models import PayerRate
from billing.parties import Parties, Person

CENT = Decimal("0.01")


def expected_allowed(
    rates: Iterable[PayerRate],
    *,
    code: str,
    modifiers: Sequence[str],
    license_level: str,
    on: datetime.date,
    units: int = 1,
) -> Decimal | None:
    """The amount the contract allows for ``units`` of ``code`` on ``on`` (rate × units),
    or None when no rate applies. ``rates`` are one payer's rows (their procedure loaded
    or not: ``procedure_code`` is read when present, else ``procedure.code``)."""
    best: tuple | None = None
    chosen: PayerRate | None = None
    for rate in rates:
        if _code_of(rate) != code or not _in_force(rate, on):
            continue
        if rate.modifier and rate.modifier not in modifiers:
            continue
        if rate.license_level and rate.license_level != license_level:
            continue
        place = modifiers.index(rate.modifier) if rate.modifier else 0
        key = (bool(rate.modifier), bool(rate.license_level), rate.effective_from, -place)
        if best is None or key > best:
            best, chosen = key, rate
    if chosen is None:
        return None
    return (chosen.allowed_amount * max(units, 1)).quantize(CENT)


def underpaid_by(
    *, expected: Decimal | None, allowed: Decimal, tolerance: Decimal
) -> Decimal | None:
    """How far the payer's allowed amount fell short of the contract, when it fell short
    by more than the practice's tolerance (a shortfall exactly at the tolerance is not
    flagged); None otherwise, and when no rate applies."""
    if expected is None:
        return None
    short = expected - allowed
    return short if short > tolerance else None


def _code_of(rate: PayerRate) -> str:
    code = getattr(rate, "procedure_code", None)
    return code if code is not None else rate.procedure.code


def _in_force(rate: PayerRate, on: datetime.date) -> bool:
    return rate.effective_from <= on and (rate.effective_to is None or on <= rate.effective_to)


DEFAULT_TOLERANCE = Decimal("0.01")


def contract_check(*, payer_id: int, allocations: Iterable[tuple]) -> None:
    """Set ``expected_allowed`` and ``underpaid_by`` on new allocations before they are
    saved. ``allocations`` are ``(claim, allocation)`` pairs; only a matched line the
    payer allowed something for (paid, or the client's share) is checked: a denial is not
    an underpayment. Three queries for any number of lines: the payer's rates, the
    practice's tolerance and the levels of licence of the clinicians who saw the clients
    (a claim built before the snapshot kept the level)."""
    from practice.models import Clinician, Practice

    pairs = [
        (claim, allocation)
        for claim, allocation in allocations
        if claim is not None and allocation.claim_line is not None and allocation.allowed > 0
    ]
    if not pairs:
        return
    rates = list(PayerRate.objects.filter(payer_id=payer_id).select_related("procedure"))
    if not rates:
        return
    practice = Practice.current()
    tolerance = practice.underpayment_tolerance if practice else DEFAULT_TOLERANCE
    # Each claim's parties are read once (a 1,000-claim remittance has some 2,000 lines).
    claims = {id(claim): claim for claim, _a in pairs}
    seen_by = {key: _seen_by(claim) for key, claim in claims.items()}
    npis = {p.npi for p in seen_by.values() if p.license_level is None} - {""}
    levels = (
        dict(Clinician.objects.filter(npi__in=npis).values_list("npi", "license_level"))
        if npis
        else {}
    )
    by_code: dict[str, list[PayerRate]] = {}
    for rate in rates:
        by_code.setdefault(_code_of(rate), []).append(rate)
    for claim, allocation in pairs:
        person = seen_by[id(claim)]
        level = person.license_level
        if level is None:
            level = levels.get(person.npi, "")
        line = allocation.claim_line
        expected = expected_allowed(
            by_code.get(line.procedure_code, ()),
            code=line.procedure_code,
            modifiers=line.modifiers,
            license_level=level or "",
            on=line.date_of_service,
            units=line.units,
        )
        allocation.expected_allowed = expected
        allocation.underpaid_by = underpaid_by(
            expected=expected, allowed=allocation.allowed, tolerance=tolerance
        )


def _seen_by(claim) -> Person:
    return Parties.seen_by_of(claim.parties)
