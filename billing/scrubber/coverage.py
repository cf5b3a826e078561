"""Rules over the coverage billed: its dates, the subscriber, prior authorization."""

from __future__ import annotations

from collections.abc import Iterator

from billing.scrubber.core import COVERAGE, ERROR, WARNING, ClaimContext, Problem, _line_label, rule


@rule("coverage_dates", fix=COVERAGE)
def check_coverage_dates(ctx: ClaimContext) -> Iterator[Problem]:
    """docs/rules/claims.md "Coverage in force": the coverage must be in force on every date of
    service."""
    for line in ctx.lines:
        if not ctx.coverage.is_effective(line.date_of_service):
            yield Problem(
                "coverage_dates",
                ERROR,
                f"{_line_label(line)}: the {ctx.payer.name} coverage was not in force on that "
                "date.",
                line.position,
            )


@rule("subscriber", fix=COVERAGE)
def check_subscriber(ctx: ClaimContext) -> Iterator[Problem]:
    """docs/rules/claim-forms.md §4: when the client is not the subscriber, the subscriber is named
    in full."""
    subscriber = ctx.claim.party.subscriber
    if not subscriber.member_id:
        yield Problem("subscriber", ERROR, "The insured's member id is missing (box 1a).")
    if subscriber.relationship == "18":
        return
    missing = [
        label
        for key, label in [
            ("first_name", "first name"),
            ("last_name", "last name"),
            ("date_of_birth", "date of birth"),
            ("sex", "sex"),
            ("address_line1", "address"),
        ]
        if not getattr(subscriber, key)
    ]
    if missing:
        yield Problem(
            "subscriber",
            ERROR,
            f"The client is not the subscriber; the subscriber's {', '.join(missing)} "
            "is missing (boxes 4, 7, 11a).",
        )


@rule("prior_authorization", fix=COVERAGE)
def check_prior_authorization(ctx: ClaimContext) -> Iterator[Problem]:
    """Payer setting: an authorization number when required, dates and visits not used up."""
    coverage = ctx.coverage
    # Box 23 prints the claim's own copy of the number, taken when the claim was built.
    if ctx.payer.requires_prior_authorization and not ctx.claim.prior_auth_number:
        yield Problem(
            "prior_authorization",
            ERROR,
            f"{ctx.payer.name} requires prior authorization and the claim has no number "
            "(box 23); add it to the coverage, then void and rebuild the claim.",
        )
        return
    if not coverage.prior_auth_number:
        return
    for line in ctx.lines:
        day = line.date_of_service
        if (coverage.prior_auth_from and day < coverage.prior_auth_from) or (
            coverage.prior_auth_to and day > coverage.prior_auth_to
        ):
            yield Problem(
                "prior_authorization",
                ERROR,
                f"{_line_label(line)} falls outside the authorization's dates.",
                line.position,
            )
    if coverage.prior_auth_visits is not None:
        used = coverage.auth_visits_used()
        if used > coverage.prior_auth_visits:
            yield Problem(
                "prior_authorization",
                ERROR,
                f"The authorization allows {coverage.prior_auth_visits} visits and "
                f"{used} have been used.",
            )
        elif used >= coverage.prior_auth_visits - 1:
            yield Problem(
                "prior_authorization",
                WARNING,
                f"The authorization is nearly used up: {used} of "
                f"{coverage.prior_auth_visits} visits.",
            )
