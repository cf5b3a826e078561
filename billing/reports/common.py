"""What every report shares: who may see what (``Filters``), the scoping querysets,
the "paid" expressions, SQL helpers and percentages."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import (
    DateField,
    Exists,
    F,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from billing.ledger import service_line_client_paid
from billing.models import Claim, ClaimLine, Payer
from billing.payer_money import line_paid
from practice import roles
from practice.models import Client, Clinician, Coverage, ServiceLine, Session
from practice.models.sessions import UNBILLED_SESSION_STATUSES

HUNDRED = Decimal(100)
ONE_DECIMAL = Decimal("0.1")

ATTENDED = sorted(Session.ATTENDED_STATUSES)
UNBILLED = UNBILLED_SESSION_STATUSES


# --- Payments: the one place ---------------------------------------------------------


def claim_line_paid() -> Coalesce:
    """What the payers have paid on one claim line: ``billing.payer_money.line_paid``, the
    claim page's rule (``claim_money``) per line. A correlated subquery, not a join, so
    summing charges beside it never counts a line twice."""
    return line_paid()


def service_line_paid() -> Coalesce:
    """What a self-pay client has paid on one service line:
    ``billing.ledger.service_line_client_paid``, their payments as the ledger applied
    them (oldest charge first), less refunds; 0.00 before any."""
    return service_line_client_paid()


# --- Filters and helpers -------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """What narrows a report. ``user`` limits to what that user may see (None: everything,
    for benchmarks and commands); ``today`` anchors the "as of today" tables."""

    user: object | None = None
    clinician: Clinician | None = None
    payer: Payer | None = None
    today: datetime.date = field(default_factory=timezone.localdate)

    @property
    def limited(self) -> bool:
        """True when sessions are narrowed, by role or by the clinician filter."""
        return self.clinician is not None or (
            self.user is not None and not roles.sees_all_clients(self.user)
        )


def _sessions(filters: Filters) -> QuerySet[Session]:
    """The sessions a report may count: ``Session.objects.for_user`` and the clinician filter."""
    sessions = Session.objects.all()
    if filters.user is not None:
        sessions = sessions.for_user(filters.user)
    if filters.clinician is not None:
        sessions = sessions.filter(clinician=filters.clinician)
    return sessions


def _clients(filters: Filters) -> QuerySet[Client]:
    """The clients a report may name: ``Client.objects.for_user`` (a clinician's own:
    primary clinician, seen or booked), and with the clinician filter those the clinician
    is primary for or has seen."""
    clients = Client.objects.all()
    if filters.user is not None:
        clients = clients.for_user(filters.user)
    if filters.clinician is not None:
        seen = Session.objects.filter(client=OuterRef("pk"), clinician=filters.clinician)
        clients = clients.filter(Q(primary_clinician=filters.clinician) | Q(Exists(seen)))
    return clients


def _limit_service_lines(lines: QuerySet[ServiceLine], filters: Filters) -> QuerySet:
    return lines.filter(session__in=_sessions(filters)) if filters.limited else lines


def _limit_claim_lines(lines: QuerySet[ClaimLine], filters: Filters) -> QuerySet:
    """Claim lines made from the sessions the user may see (a clinician: the sessions they
    saw, whoever the claim names as rendering provider)."""
    if filters.limited:
        lines = lines.filter(service_line__session__in=_sessions(filters))
    if filters.payer is not None:
        lines = lines.filter(claim__payer=filters.payer)
    return lines


def _limit_claims(claims: QuerySet[Claim], filters: Filters) -> QuerySet[Claim]:
    """Claims with a line made from a session the user may see (a clinician: a claim for
    the sessions they saw), narrowed to ``filters.payer``."""
    if filters.limited:
        claims = claims.filter(
            pk__in=ClaimLine.objects.filter(service_line__session__in=_sessions(filters)).values(
                "claim_id"
            )
        )
    if filters.payer is not None:
        claims = claims.filter(payer=filters.payer)
    return claims


def _live_claim_lines(start: datetime.date, end: datetime.date, filters: Filters) -> QuerySet:
    lines = ClaimLine.objects.filter(live=True, date_of_service__range=(start, end)).exclude(
        claim__status__in=Claim.DEAD_STATUSES
    )
    return _limit_claim_lines(lines, filters)


def _self_pay_lines(start: datetime.date, end: datetime.date, filters: Filters) -> QuerySet:
    lines = ServiceLine.objects.filter(
        session__client__self_pay=True,
        session__status__in=ATTENDED,
        session__date__range=(start, end),
    )
    return _limit_service_lines(lines, filters)


def _made_on_local_days(field: str, start: datetime.date, end: datetime.date) -> Q:
    """Rows whose timestamp ``field`` falls on a local date from ``start`` to ``end``
    (the practice's time zone), said as a range of instants: from the first day's local
    midnight to the midnight after the last. ``field__date__range`` means the same but
    converts every row's timestamp to a date, so no index on ``field`` can serve it."""
    zone = timezone.get_current_timezone()
    first = datetime.datetime.combine(start, datetime.time.min, tzinfo=zone)
    after = datetime.datetime.combine(
        end + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone
    )
    return Q(**{f"{field}__gte": first, f"{field}__lt": after})


def _coverage_on_date(value: str) -> Subquery:
    """``value`` of the client's first-priority coverage in force on the session's date."""
    coverages = (
        Coverage.objects.filter(client=OuterRef("client_id"))
        .in_force(OuterRef("date"))
        .responsible_first()
    )
    return Subquery(coverages.values(value)[:1])


class AddDays(Func):
    """``date + days`` as a date in SQL; Django has no portable date-plus-integer."""

    arity = 2
    output_field = DateField()

    def as_sql(self, compiler, connection, **extra_context):
        # PostgreSQL: date + integer is a date.
        date_sql, date_params = compiler.compile(self.source_expressions[0])
        days_sql, days_params = compiler.compile(self.source_expressions[1])
        return f"({date_sql} + ({days_sql}))", (*date_params, *days_params)

    def as_sqlite(self, compiler, connection, **extra_context):
        date_sql, date_params = compiler.compile(self.source_expressions[0])
        days_sql, days_params = compiler.compile(self.source_expressions[1])
        # '90 days' or '-90 days' (SQLite reads '+-90 days' as no date at all).
        return f"date({date_sql}, ({days_sql}) || ' days')", (*date_params, *days_params)

    def as_mysql(self, compiler, connection, **extra_context):
        date_sql, date_params = compiler.compile(self.source_expressions[0])
        days_sql, days_params = compiler.compile(self.source_expressions[1])
        return f"DATE_ADD({date_sql}, INTERVAL ({days_sql}) DAY)", (*date_params, *days_params)


def _clinician_values(path: str) -> dict[str, F]:
    """The clinician at ``path`` (``"session__clinician__"``) as ``values()`` keys:
    ``clinician_id`` and the names ``_name(row, "")`` reads."""
    return {
        "clinician_id": F(f"{path}id"),
        "first_name": F(f"{path}first_name"),
        "last_name": F(f"{path}last_name"),
        "credentials": F(f"{path}credentials"),
    }


def _name(row: dict, prefix: str) -> str:
    first, last = row[f"{prefix}first_name"], row[f"{prefix}last_name"]
    credentials = row.get(f"{prefix}credentials")
    return f"{first} {last}, {credentials}" if credentials else f"{first} {last}"


def share(part: int | Decimal, whole: int | Decimal) -> Decimal | None:
    """``part`` as a percentage of ``whole`` to one decimal; None when ``whole`` is 0."""
    if not whole:
        return None
    return (Decimal(part) * HUNDRED / Decimal(whole)).quantize(ONE_DECIMAL, ROUND_HALF_UP)


def change(current: int | Decimal, base: int | Decimal | None) -> Decimal | None:
    """Percentage change from ``base`` to ``current``; None ("—") when the base is 0."""
    if not base:
        return None
    return ((Decimal(current) - Decimal(base)) * HUNDRED / Decimal(base)).quantize(
        ONE_DECIMAL, ROUND_HALF_UP
    )


def _minus(a: Decimal | None, b: Decimal | None) -> Decimal | None:
    return None if a is None or b is None else a - b
