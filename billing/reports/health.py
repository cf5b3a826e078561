"""Billing health: unbilled work by age, claims by status, days to claim, timely-filing
and prior-authorization warnings."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import (
    Case,
    CharField,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    IntegerField,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import TruncDate

from billing.models import Claim, ClaimLine, Payer
from billing.reports.common import (
    ONE_DECIMAL,
    UNBILLED,
    AddDays,
    Filters,
    _clients,
    _coverage_on_date,
    _limit_claim_lines,
    _limit_claims,
    _made_on_local_days,
    _sessions,
)
from practice.common import ZERO
from practice.models import Coverage, Session

# Billing health: how close to a payer's timely-filing limit, or to the end of a prior
# authorization, before a session or authorization is flagged.
WARNING_DAYS = 14
AUTH_VISITS_MARGIN = 2
AGE_BUCKETS = (("0–30 days", 0, 30), ("31–60 days", 31, 60), ("61–90 days", 61, 90))
OLDEST_BUCKET = "90+ days"
LAG_BUCKETS = (
    ("0–7 days", 0, 7),
    ("8–14 days", 8, 14),
    ("15–30 days", 15, 30),
    ("31–60 days", 31, 60),
    ("61–90 days", 61, 90),
)
LONGEST_LAG = "91+ days"


@dataclass(frozen=True)
class AgeRow:
    bucket: str
    draft: int
    ready: int
    charges: Decimal

    @property
    def sessions(self) -> int:
        return self.draft + self.ready


def _unbilled_sessions(filters: Filters) -> QuerySet[Session]:
    sessions = _sessions(filters).filter(status__in=UNBILLED)
    if filters.payer is not None:
        sessions = sessions.annotate(payer_on_date=_coverage_on_date("payer_id")).filter(
            payer_on_date=filters.payer.pk
        )
    return sessions


def unbilled_by_age(start: datetime.date, end: datetime.date, filters: Filters) -> list[AgeRow]:
    """Attended sessions not yet on a claim (draft or ready), by age on ``filters.today``:
    0–30, 31–60, 61–90 and 90+ days. As of today, whatever their date: unbilled work is
    outstanding however old it is, so ``start``/``end`` do not apply. Every bucket appears.

    SQL: SELECT CASE WHEN date >= :today-30 THEN '0–30' … ELSE '90+' END AS bucket,
    COUNT(DISTINCT id) FILTER (WHERE status='draft'), … FILTER (WHERE status='ready'),
    SUM(l.charge) FROM session LEFT JOIN serviceline l WHERE status IN ('draft', 'ready')
    GROUP BY bucket
    """
    today = filters.today
    bucket = Case(
        *(
            When(date__gte=today - datetime.timedelta(days=last), then=Value(label))
            for label, _, last in AGE_BUCKETS
        ),
        default=Value(OLDEST_BUCKET),
        output_field=CharField(),
    )
    found = {
        row["bucket"]: row
        for row in _unbilled_sessions(filters)
        .values(bucket=bucket)
        .annotate(
            draft=Count("pk", distinct=True, filter=Q(status=Session.Status.DRAFT)),
            ready=Count("pk", distinct=True, filter=Q(status=Session.Status.READY)),
            charges=Sum("lines__charge", default=ZERO),
        )
        .order_by()
    }
    labels = [label for label, _, _ in AGE_BUCKETS] + [OLDEST_BUCKET]
    return [
        AgeRow(
            bucket=label,
            draft=found[label]["draft"] if label in found else 0,
            ready=found[label]["ready"] if label in found else 0,
            charges=found[label]["charges"] if label in found else ZERO,
        )
        for label in labels
    ]


@dataclass(frozen=True)
class StatusRow:
    status: str
    label: str
    claims: int
    charges: Decimal


def claims_by_status(start: datetime.date, end: datetime.date, filters: Filters) -> list[StatusRow]:
    """Claims built in the period (by the practice's local date), per status, with their
    total charge; every status appears, in life-cycle order.

    SQL: SELECT status, COUNT(*), SUM(total_charge) FROM claim WHERE created_at >= :start
    (local midnight) AND created_at < the local midnight after :end GROUP BY status
    """
    claims = _limit_claims(
        Claim.objects.filter(_made_on_local_days("created_at", start, end)), filters
    )
    found = {
        row["status"]: row
        for row in claims.values("status")
        .annotate(count=Count("pk"), charges=Sum("total_charge"))
        .order_by()
    }
    return [
        StatusRow(
            status=status,
            label=label,
            claims=found[status]["count"] if status in found else 0,
            charges=found[status]["charges"] if status in found else ZERO,
        )
        for status, label in Claim.Status.choices
    ]


@dataclass(frozen=True)
class LagRow:
    bucket: str
    lines: int


@dataclass(frozen=True)
class DaysToClaim:
    rows: list[LagRow]
    lines: int
    average: Decimal | None
    median: Decimal | None


def days_to_claim(start: datetime.date, end: datetime.date, filters: Filters) -> DaysToClaim:
    """Days from service to claim: the claim's creation date (local) minus each line's
    date of service, for original claims built in the period (a discarded draft does not
    count; corrections do not restart the clock). The database groups lines by their
    number of days; the average and median are exact from that distribution.

    SQL: SELECT (c.created_at::date - cl.date_of_service) AS lag, COUNT(*) FROM claimline
    cl JOIN claim c WHERE c.frequency = '1' AND c.created_at in the period's local days AND
    c.status <> 'discarded' AND NOT (c.status = 'void' AND c.submitted_at IS NULL)
    GROUP BY lag
    """
    lines = ClaimLine.objects.filter(
        _made_on_local_days("claim__created_at", start, end),
        claim__frequency=Claim.Frequency.ORIGINAL,
    ).exclude(claim__status=Claim.Status.VOID, claim__submitted_at__isnull=True)
    lines = lines.exclude(claim__status=Claim.Status.DISCARDED)
    lines = _limit_claim_lines(lines, filters)
    lag = ExpressionWrapper(
        TruncDate("claim__created_at") - F("date_of_service"), output_field=DurationField()
    )
    distribution = sorted(
        (row["lag"].days, row["count"])
        for row in lines.values(lag=lag).annotate(count=Count("pk")).order_by()
    )
    total = sum(count for _, count in distribution)
    counts = dict.fromkeys([label for label, _, _ in LAG_BUCKETS] + [LONGEST_LAG], 0)
    for days, count in distribution:
        label = next((lb for lb, low, high in LAG_BUCKETS if low <= days <= high), None)
        counts[label or LONGEST_LAG] += count
    return DaysToClaim(
        rows=[LagRow(bucket=label, lines=count) for label, count in counts.items()],
        lines=total,
        average=(
            (Decimal(sum(d * n for d, n in distribution)) / total).quantize(
                ONE_DECIMAL, ROUND_HALF_UP
            )
            if total
            else None
        ),
        median=_median(distribution, total),
    )


def _median(distribution: list[tuple[int, int]], total: int) -> Decimal | None:
    """Median of a sorted (value, count) distribution, exact."""
    if not total:
        return None
    wanted = [(total - 1) // 2, total // 2]  # 0-based positions of the middle value(s)
    found: list[int] = []
    seen = 0
    for value, count in distribution:
        while wanted and wanted[0] < seen + count:
            found.append(value)
            wanted.pop(0)
        seen += count
    return (Decimal(found[0] + found[1]) / 2).quantize(ONE_DECIMAL, ROUND_HALF_UP)


@dataclass(frozen=True)
class FilingRow:
    session_id: int
    date: datetime.date
    client_id: int
    client: str
    clinician: str
    payer: str
    status: str
    deadline: datetime.date
    days_left: int


def timely_filing_risk(
    start: datetime.date, end: datetime.date, filters: Filters
) -> list[FilingRow]:
    """Unbilled (draft or ready) insured sessions within 14 days of their payer's
    timely-filing limit, or past it (docs/rules/claim-forms.md §5: date of service + the payer's
    ``timely_filing_days``; the payer is the client's first coverage in force on the date
    of service). As of ``filters.today``, whatever the session's date. Soonest first.

    SQL: SELECT s.*, (s.date + (SELECT p.timely_filing_days FROM coverage JOIN payer p
    WHERE in force on s.date ORDER BY priority LIMIT 1)) AS deadline FROM session s WHERE
    s.status IN ('draft', 'ready') AND NOT client.self_pay AND deadline <= :today + 14
    """
    cutoff = filters.today + datetime.timedelta(days=WARNING_DAYS)
    # A deadline (date + the payer's limit) by the cutoff needs a date by the cutoff less
    # the shortest limit of any payer: said too, as a range of the unbilled sessions'
    # (status, date) index, so the coverage is looked up only for sessions that old.
    shortest = Payer.objects.order_by("timely_filing_days").values("timely_filing_days")[:1]
    old_enough = AddDays(
        Value(cutoff), ExpressionWrapper(Subquery(shortest) * -1, output_field=IntegerField())
    )
    found = (
        _unbilled_sessions(filters)
        .filter(client__self_pay=False, date__lte=old_enough)
        .annotate(
            payer_name=_coverage_on_date("payer__name"),
            deadline=AddDays(F("date"), _coverage_on_date("payer__timely_filing_days")),
        )
        .filter(deadline__lte=cutoff)
        .values(
            "pk",
            "date",
            "status",
            "payer_name",
            "deadline",
            "client_id",
            "client__first_name",
            "client__last_name",
            "clinician__first_name",
            "clinician__last_name",
        )
        .order_by("deadline", "date", "pk")
    )
    labels = dict(Session.Status.choices)
    return [
        FilingRow(
            session_id=row["pk"],
            date=row["date"],
            client_id=row["client_id"],
            client=f"{row['client__last_name']}, {row['client__first_name']}",
            clinician=f"{row['clinician__first_name']} {row['clinician__last_name']}",
            payer=row["payer_name"],
            status=labels.get(row["status"], row["status"]),
            deadline=row["deadline"],
            days_left=(row["deadline"] - filters.today).days,
        )
        for row in found
    ]


@dataclass(frozen=True)
class AuthRow:
    coverage_id: int
    client_id: int
    client: str
    payer: str
    number: str
    visits: int | None
    used: int
    valid_to: datetime.date | None
    today: datetime.date

    @property
    def remaining(self) -> int | None:
        return None if self.visits is None else self.visits - self.used

    @property
    def days_left(self) -> int | None:
        return None if self.valid_to is None else (self.valid_to - self.today).days


def prior_auths_running_out(
    start: datetime.date, end: datetime.date, filters: Filters
) -> list[AuthRow]:
    """Prior authorizations in force today with at most 2 visits left (counted by
    ``CoverageQuerySet.with_auth_visits_used``, the one rule the session form and the
    scrubber use too) or ending within 14 days. As of ``filters.today``;
    ``start``/``end`` do not apply.

    SQL: SELECT cov.*, (SELECT COUNT(*) FROM session s WHERE s.client_id = cov.client_id
    AND s.status IN (attended) AND s.date BETWEEN COALESCE(prior_auth_from, effective_from)
    AND COALESCE(prior_auth_to, effective_to, 9999-12-31)) AS used FROM coverage cov
    WHERE in force today AND (used >= prior_auth_visits - 2 OR prior_auth_to <= :today + 14)
    """
    today = filters.today
    coverages = Coverage.objects.in_force(today).filter(
        Q(prior_auth_visits__isnull=False) | Q(prior_auth_to__isnull=False),
        Q(prior_auth_to__isnull=True) | Q(prior_auth_to__gte=today),
    )
    if filters.limited:
        coverages = coverages.filter(client__in=_clients(filters))
    if filters.payer is not None:
        coverages = coverages.filter(payer=filters.payer)
    found = (
        coverages.with_auth_visits_used()
        .values(
            "pk",
            "prior_auth_number",
            "prior_auth_visits",
            "prior_auth_to",
            "client_id",
            "client__first_name",
            "client__last_name",
            payer_name=F("payer__name"),
            used=F("auth_visits_used"),
        )
        .filter(
            Q(used__gte=F("prior_auth_visits") - AUTH_VISITS_MARGIN)
            | Q(prior_auth_to__lte=today + datetime.timedelta(days=WARNING_DAYS))
        )
        .order_by(F("prior_auth_to").asc(nulls_last=True), "client__last_name", "pk")
    )
    return [
        AuthRow(
            coverage_id=row["pk"],
            client_id=row["client_id"],
            client=f"{row['client__last_name']}, {row['client__first_name']}",
            payer=row["payer_name"],
            number=row["prior_auth_number"],
            visits=row["prior_auth_visits"],
            used=row["used"],
            valid_to=row["prior_auth_to"],
            today=today,
        )
        for row in found
    ]
