"""The demo's past, billed and answered: claims built after each month, sent, and
answered by the payers' 835 files (``practice.demo.remittances``)."""

from __future__ import annotations

import datetime
import time

from django.contrib.auth.models import User
from django.utils import timezone

from billing.models import (
    Adjustment,
    Claim,
    ClaimDiagnosis,
    ClaimLine,
    ClaimPosting,
    Payment,
    PaymentAllocation,
    Remittance,
)
from billing.periods import add_months
from billing.services import claims_build
from practice.bulk import analyze
from practice.demo.remittances import DemoRemittances
from practice.demo.writing import BATCH_SIZE
from practice.history import snapshot_history
from practice.models import Session

BILLING = (
    Claim,
    Claim.history.model,
    ClaimLine,
    ClaimLine.history.model,
    ClaimDiagnosis,
    Remittance,
    Payment,
    ClaimPosting,
    PaymentAllocation,
    Adjustment,
)
UNBILLED_DAYS = 21  # the last three weeks stay ready (or draft) for the biller to build
SETTLED_DAYS = 45  # claims built longer ago than this have been answered by the payer
# Claims go back a year; older sessions were billed before the practice moved to
# SessionLedger (closed, without claims here). Building claims costs about a millisecond
# a session, so this keeps the million-session benchmark practice to minutes.
CLAIM_HISTORY_MONTHS = 12


def _month_ends(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    ends = []
    day = first
    while day <= last:
        following = (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
        ends.append(min(following - datetime.timedelta(days=1), last))
        day = following
    return ends


# Claims past what the payers answer by 835 file are marked answered, by claim id.
ANSWERED = [Claim.Status.PAID] * 16 + [Claim.Status.PARTIALLY_PAID] * 2
ANSWERED += [Claim.Status.DENIED, Claim.Status.SUBMITTED]


def _update_claims(ids: list[int], **values) -> None:
    """Update these claims, ``BATCH_SIZE`` ids a statement."""
    for start in range(0, len(ids), BATCH_SIZE):
        Claim.objects.filter(pk__among=ids[start : start + BATCH_SIZE]).update(**values)


def history_start(until: datetime.date) -> datetime.date:
    """The first day of the billed past the demo keeps claims for."""
    cutoff = until - datetime.timedelta(days=UNBILLED_DAYS)
    return add_months(cutoff.replace(day=1), 1 - CLAIM_HISTORY_MONTHS)


def claim_history(*, until: datetime.date, progress=None) -> None:
    """Bill the demo's past like a practice would: claims built by the biller a few days
    after each month ends, submitted the next day, and answered by the payer — mostly
    paid, some partly paid, a few denied — while the last three weeks stay unbilled.

    Uses billing.services.claims_build, so the history is exactly what the app builds.
    """
    first = Session.objects.order_by("date").values_list("date", flat=True).first()
    cutoff = until - datetime.timedelta(days=UNBILLED_DAYS)
    if first is None or first > cutoff:
        return
    start = history_start(until)
    if first < start:
        # The builder writes these closed already; this keeps the rule for any other.
        older = Session.objects.filter(
            status__in=[Session.Status.READY, Session.Status.DRAFT], date__lt=start
        )
        closed = list(older.values_list("pk", flat=True))
        if closed:
            older.update(status=Session.Status.CLOSED)
            snapshot_history(
                Session.objects.filter(pk__among=closed), history_type="~", reason=DEMO_ANSWERED
            )
        first = start
    biller = User.objects.filter(username="biller").first()
    zone = timezone.get_current_timezone()
    eras = DemoRemittances(biller=biller)
    started = time.monotonic()
    for month, month_end in enumerate(_month_ends(first, cutoff)):
        if month == 1:
            # The claims, postings and their history, a month's worth now: statistics
            # the later months' statements are planned on (practice.bulk.analyze).
            analyze(BILLING)
        built = claims_build(through=month_end, user=biller)
        built_on = month_end + datetime.timedelta(days=3)
        at = datetime.datetime.combine(built_on, datetime.time(9, 30), tzinfo=zone)
        ids = [claim.pk for claim in built.claims]
        sent = {"created_at": at, "submitted_at": at + datetime.timedelta(days=1)}
        if (until - built_on).days <= SETTLED_DAYS:
            _update_claims(ids, status=Claim.Status.SUBMITTED, **sent)
        else:
            # The payers answer with 835 files; past a few hundred claims a payer a month
            # (the benchmark practice) the rest are marked answered without postings, so
            # building a million sessions stays a matter of minutes.
            by_file, rest = eras.by_file(ids)
            _update_claims(by_file, status=Claim.Status.SUBMITTED, **sent)
            eras.answer(by_file, paid_on=built_on + datetime.timedelta(days=24))
            # The rest are sent and answered in one UPDATE: a claim is a wide row (its
            # parties) with 14 indexes, and each UPDATE writes all of it again.
            # By position, not id: ids depend on what the database held before (a
            # --reset keeps the sequences), and a seed must give the same practice.
            by_status: dict[str, list[int]] = {}
            for position, claim_id in enumerate(sorted(rest)):
                by_status.setdefault(ANSWERED[position % len(ANSWERED)], []).append(claim_id)
            for status, chosen in by_status.items():
                _update_claims(chosen, status=status, **sent)
        if progress:
            progress(
                f"  claims through {month_end:%Y-%m-%d}: {len(ids):,} "
                f"({time.monotonic() - started:.0f} s)"
            )
    eras.reverse_one()
    # A claim the payer answered was closed when its answer came.
    for paid_on, chosen in eras.closed_on.items():
        Claim.objects.filter(
            pk__among=chosen,
            status__in=[Claim.Status.PAID, Claim.Status.CLOSED, Claim.Status.DENIED],
        ).update(closed_at=datetime.datetime.combine(paid_on, datetime.time(9, 0), tzinfo=zone))
    paid_sessions = Session.objects.filter(
        status=Session.Status.BILLED,
        lines__claim_lines__live=True,
        lines__claim_lines__claim__status__in=[Claim.Status.PAID, Claim.Status.CLOSED],
    )
    Session.objects.filter(pk__in=paid_sessions.values("pk")).update(status=Session.Status.CLOSED)
    # Self-pay clients paid at the time; their superbills were handed over.
    Session.objects.filter(
        client__self_pay=True, status=Session.Status.READY, date__lte=cutoff
    ).update(status=Session.Status.CLOSED)
    # The history shows where the demo moved things on (claims_build recorded the builds):
    # every claim was sent and most answered, and closed sessions were closed here.
    snapshot_history(Claim.objects.all(), history_type="~", reason=DEMO_ANSWERED)
    # Sessions before the claim history were written closed (their creation record says so).
    snapshot_history(
        Session.objects.filter(status=Session.Status.CLOSED, date__gte=start),
        history_type="~",
        reason=DEMO_ANSWERED,
    )


DEMO_ANSWERED = "Demo practice: its past billed and answered"
