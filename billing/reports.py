"""Report queries: CPT usage, revenue, session mix and billing health.

Every table is one function ``(start, end, filters) -> rows`` and one SQL statement: the
database groups and sums (``values()/annotate()``, ``TruncMonth``, ``Count(filter=…)``),
Python only fills gaps (months with no sessions) and divides for percentages. The number
of queries never depends on the number of sessions, so ``bench/`` can call these directly.

Money stays ``Decimal`` end to end. There is no payments model yet: every "paid" amount
comes from ``claim_line_paid()`` / ``service_line_paid()`` below, the one place to plug
payments in; until then they are NULL and the pages show "—".

Who sees what: ``Filters.user`` limits every query to what that user may see
(``Session.objects.for_user``: a clinician's own sessions, and the claim lines made from
them); ``Filters.clinician`` and ``Filters.payer`` narrow further.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import (
    Case,
    CharField,
    Count,
    DateField,
    DecimalField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, TruncDate, TruncMonth
from django.utils import timezone

from billing.models import Claim, ClaimLine, Payer
from practice import roles
from practice.models import Client, Clinician, Coverage, ServiceLine, Session

ZERO = Decimal("0.00")
HUNDRED = Decimal(100)
ONE_DECIMAL = Decimal("0.1")
MONEY = DecimalField(max_digits=12, decimal_places=2)

ATTENDED = sorted(Session.ATTENDED_STATUSES)
UNBILLED = [Session.Status.DRAFT, Session.Status.READY]
# The three time-based individual psychotherapy codes (docs/rules/coding.md §2.1): 30, 45, 60
# minutes.
INDIVIDUAL_CODES = ("90832", "90834", "90837")
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


# --- Payments: the one place ---------------------------------------------------------


def claim_line_paid() -> Cast:
    """What the payer has paid on one claim line: NULL until payments exist.

    When ``PaymentAllocation`` lands, return a correlated subquery here, e.g.
    ``Subquery(PaymentAllocation.objects.filter(claim_line=OuterRef("pk")).values(
    "claim_line").annotate(s=Sum("amount")).values("s"))`` — a subquery, not a join, so
    summing charges beside it never counts a line twice. Every "paid" and "gap" column
    reads this; nothing else changes.
    """
    return Cast(Value(None), output_field=MONEY)


def service_line_paid() -> Cast:
    """What a self-pay client has paid on one service line: NULL until payments exist."""
    return Cast(Value(None), output_field=MONEY)


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
        return f"date({date_sql}, '+' || ({days_sql}) || ' days')", (*date_params, *days_params)

    def as_mysql(self, compiler, connection, **extra_context):
        date_sql, date_params = compiler.compile(self.source_expressions[0])
        days_sql, days_params = compiler.compile(self.source_expressions[1])
        return f"DATE_ADD({date_sql}, INTERVAL ({days_sql}) DAY)", (*date_params, *days_params)


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


# --- Periods -------------------------------------------------------------------------


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day ``months`` later (or earlier), clipped to the month's end."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return datetime.date(year, month + 1, min(day.day, _month_length(year, month + 1)))


def _month_length(year: int, month: int) -> int:
    following = datetime.date(year + month // 12, month % 12 + 1, 1)
    return (following - datetime.timedelta(days=1)).day


def month_end(day: datetime.date) -> datetime.date:
    return day.replace(day=_month_length(day.year, day.month))


def _whole_months(start: datetime.date, end: datetime.date) -> int | None:
    """Number of calendar months when the period is whole months, else None."""
    if start.day != 1 or end != month_end(end):
        return None
    return (end.year - start.year) * 12 + end.month - start.month + 1


def previous_period(start: datetime.date, end: datetime.date) -> tuple[datetime.date, ...]:
    """The period of the same length just before: whole months shift by months (Jan–Mar
    → Oct–Dec), any other range by its number of days."""
    months = _whole_months(start, end)
    if months is not None:
        return add_months(start, -months), start - datetime.timedelta(days=1)
    days = (end - start).days + 1
    return start - datetime.timedelta(days=days), start - datetime.timedelta(days=1)


def same_period_last_year(start: datetime.date, end: datetime.date) -> tuple[datetime.date, ...]:
    """The same dates a year earlier (29 February → 28 February; a whole February stays
    whole, leap day included)."""
    last_start, last_end = add_months(start, -12), add_months(end, -12)
    if _whole_months(start, end) is not None:
        last_end = month_end(last_end)
    return last_start, last_end


def months_in(start: datetime.date, end: datetime.date) -> list[datetime.date]:
    """First days of every month the period touches, in order."""
    months, month = [], start.replace(day=1)
    while month <= end:
        months.append(month)
        month = add_months(month, 1)
    return months


def last_full_months(today: datetime.date, count: int) -> tuple[datetime.date, datetime.date]:
    """The ``count`` whole months before the current one."""
    end = today.replace(day=1) - datetime.timedelta(days=1)
    return add_months(end.replace(day=1), -(count - 1)), end


# --- Services by CPT code ------------------------------------------------------------


@dataclass(frozen=True)
class MonthCodeRow:
    month: datetime.date
    code: str
    sessions: int
    units: int
    charges: Decimal


def services_by_month(
    start: datetime.date, end: datetime.date, filters: Filters
) -> list[MonthCodeRow]:
    """Sessions, units and charges per CPT code per month, attended sessions only; every
    month of the period appears for every code used in it (zeros where none), so a chart
    drawn from it has no gaps.

    SQL: SELECT date_trunc('month', s.date), pc.code, COUNT(DISTINCT s.id), SUM(l.units),
    SUM(l.charge) FROM serviceline l JOIN session s JOIN procedurecode pc
    WHERE s.status IN (attended) AND s.date BETWEEN :start AND :end GROUP BY 1, 2
    """
    lines = _limit_service_lines(
        ServiceLine.objects.filter(session__status__in=ATTENDED, session__date__range=(start, end)),
        filters,
    )
    found = {
        (row["month"], row["code"]): row
        for row in lines.annotate(month=TruncMonth("session__date"))
        .values("month", code=F("procedure__code"))
        .annotate(
            sessions=Count("session", distinct=True),
            unit_sum=Sum("units"),
            charges=Sum("charge"),
        )
        .order_by()
    }
    codes = sorted({code for _, code in found})
    rows = []
    for month in months_in(start, end):
        for code in codes:
            row = found.get((month, code))
            rows.append(
                MonthCodeRow(
                    month=month,
                    code=code,
                    sessions=row["sessions"] if row else 0,
                    units=row["unit_sum"] if row else 0,
                    charges=row["charges"] if row else ZERO,
                )
            )
    return rows


@dataclass(frozen=True)
class CodeRow:
    code: str
    description: str
    sessions: int
    units: int
    charges: Decimal
    unit_share: Decimal | None
    previous_units: int
    change_previous: Decimal | None
    last_year_units: int
    change_last_year: Decimal | None


def services_by_code(start: datetime.date, end: datetime.date, filters: Filters) -> list[CodeRow]:
    """Per CPT code over the period: sessions, units, charges, share of the period's
    units, and units against the previous period of the same length and the same period
    last year (percent change; None when the earlier period had none). Codes used only
    in an earlier period appear with zeros now.

    SQL: SELECT pc.code, COUNT(DISTINCT s.id) FILTER (WHERE now), SUM(l.units) FILTER
    (WHERE now | previous | last year), SUM(l.charge) FILTER (WHERE now) FROM serviceline
    l JOIN session s JOIN procedurecode pc WHERE attended AND s.date IN any of the three
    periods GROUP BY pc.code
    """
    previous = previous_period(start, end)
    last_year = same_period_last_year(start, end)
    now_q = Q(session__date__range=(start, end))
    previous_q = Q(session__date__range=previous)
    last_year_q = Q(session__date__range=last_year)
    lines = _limit_service_lines(
        ServiceLine.objects.filter(session__status__in=ATTENDED).filter(
            now_q | previous_q | last_year_q
        ),
        filters,
    )
    found = list(
        lines.values(code=F("procedure__code"), description=F("procedure__description"))
        .annotate(
            sessions=Count("session", distinct=True, filter=now_q),
            unit_sum=Sum("units", filter=now_q, default=0),
            charges=Sum("charge", filter=now_q, default=ZERO),
            previous_units=Sum("units", filter=previous_q, default=0),
            last_year_units=Sum("units", filter=last_year_q, default=0),
        )
        .order_by()
    )
    total_units = sum(row["unit_sum"] for row in found)
    rows = [
        CodeRow(
            code=row["code"],
            description=row["description"],
            sessions=row["sessions"],
            units=row["unit_sum"],
            charges=row["charges"],
            unit_share=share(row["unit_sum"], total_units),
            previous_units=row["previous_units"],
            change_previous=change(row["unit_sum"], row["previous_units"]),
            last_year_units=row["last_year_units"],
            change_last_year=change(row["unit_sum"], row["last_year_units"]),
        )
        for row in found
    ]
    return sorted(rows, key=lambda r: (-r.units, -r.previous_units, r.code))


# --- Revenue -------------------------------------------------------------------------

SELF_PAY = "Self-pay"


@dataclass(frozen=True)
class PayerRevenueRow:
    payer_id: int | None  # None: the self-pay row
    payer: str
    lines: int
    lines_without_rate: int
    charged: Decimal
    expected: Decimal | None
    paid: Decimal | None

    @property
    def gap(self) -> Decimal | None:
        """Expected minus paid; None until both are known."""
        return _minus(self.expected, self.paid)


def revenue_by_payer(
    start: datetime.date, end: datetime.date, filters: Filters
) -> list[PayerRevenueRow]:
    """Charged, expected (the fee schedule amount copied onto each claim line) and paid,
    per payer, from the lines of live claims with a date of service in the period; plus a
    "Self-pay" row from the attended sessions of self-pay clients (no claim, no expected
    amount). Insured sessions not yet on a claim are not revenue yet: see billing health.

    SQL: SELECT c.payer_id, p.name, COUNT(*), SUM(cl.charge), SUM(cl.expected_allowed),
    SUM(paid) FROM claimline cl JOIN claim c JOIN payer p WHERE cl.live AND date BETWEEN …
    GROUP BY c.payer_id, p.name UNION ALL SELECT NULL, 'Self-pay', COUNT(*),
    SUM(l.charge), NULL, SUM(paid) FROM serviceline l … WHERE client.self_pay
    """
    claimed = (
        _live_claim_lines(start, end, filters)
        .values(group_id=F("claim__payer_id"), group_name=F("claim__payer__name"))
        .annotate(
            lines=Count("pk"),
            lines_without_rate=Count("pk", filter=Q(expected_allowed__isnull=True)),
            charged=Sum("charge"),
            expected=Sum("expected_allowed"),
            paid=Sum(claim_line_paid()),
        )
        .order_by()
    )
    query = claimed
    if filters.payer is None:
        self_pay = (
            _self_pay_lines(start, end, filters)
            .values(
                group_id=Value(None, output_field=IntegerField()),
                group_name=Value(SELF_PAY),
            )
            .annotate(
                lines=Count("pk"),
                lines_without_rate=Value(0),
                charged=Sum("charge"),
                expected=Sum(Cast(Value(None), output_field=MONEY)),
                paid=Sum(service_line_paid()),
            )
            .order_by()
        )
        query = claimed.union(self_pay, all=True)
    rows = [
        PayerRevenueRow(
            payer_id=row["group_id"],
            payer=row["group_name"],
            lines=row["lines"],
            lines_without_rate=row["lines_without_rate"],
            charged=row["charged"],
            expected=row["expected"],
            paid=row["paid"],
        )
        for row in query
        if row["lines"]  # the self-pay aggregate answers one empty row when there is none
    ]
    return sorted(rows, key=lambda r: (r.payer_id is None, r.payer.lower()))


@dataclass(frozen=True)
class ClinicianRevenueRow:
    clinician_id: int
    clinician: str
    insured_charged: Decimal
    self_pay_charged: Decimal
    expected: Decimal | None
    paid: Decimal | None

    @property
    def charged(self) -> Decimal:
        return self.insured_charged + self.self_pay_charged


def revenue_by_clinician(
    start: datetime.date, end: datetime.date, filters: Filters
) -> list[ClinicianRevenueRow]:
    """Charged (to insurers, on live claims, and to self-pay clients), expected and paid
    per clinician who saw the client (the session's clinician, not a supervisor named as
    rendering provider), same sources and period as ``revenue_by_payer``.

    SQL: SELECT s.clinician_id, 'insured', SUM(cl.charge), SUM(cl.expected_allowed),
    SUM(paid) FROM claimline cl JOIN serviceline JOIN session s … GROUP BY s.clinician_id
    UNION ALL SELECT s.clinician_id, 'self-pay', SUM(l.charge), NULL, SUM(paid) FROM
    serviceline l JOIN session s … WHERE client.self_pay GROUP BY s.clinician_id
    """
    person = "service_line__session__clinician__"
    claimed = (
        _live_claim_lines(start, end, filters)
        .values(
            clinician_id=F(f"{person}id"),
            first_name=F(f"{person}first_name"),
            last_name=F(f"{person}last_name"),
            credentials=F(f"{person}credentials"),
            self_pay=Value(False),
        )
        .annotate(
            charged=Sum("charge"),
            expected=Sum("expected_allowed"),
            paid=Sum(claim_line_paid()),
        )
        .order_by()
    )
    query = claimed
    if filters.payer is None:
        person = "session__clinician__"
        self_pay = (
            _self_pay_lines(start, end, filters)
            .values(
                clinician_id=F(f"{person}id"),
                first_name=F(f"{person}first_name"),
                last_name=F(f"{person}last_name"),
                credentials=F(f"{person}credentials"),
                self_pay=Value(True),
            )
            .annotate(
                charged=Sum("charge"),
                expected=Sum(Cast(Value(None), output_field=MONEY)),
                paid=Sum(service_line_paid()),
            )
            .order_by()
        )
        query = claimed.union(self_pay, all=True)
    merged: dict[int, dict] = {}
    for row in query:
        entry = merged.setdefault(
            row["clinician_id"],
            {
                "name": _name(row, ""),
                "last": (row["last_name"], row["first_name"]),
                "insured": ZERO,
                "self_pay": ZERO,
                "expected": None,
                "paid": None,
            },
        )
        entry["self_pay" if row["self_pay"] else "insured"] += row["charged"] or ZERO
        for key in ("expected", "paid"):
            if row[key] is not None:
                entry[key] = (entry[key] or ZERO) + row[key]
    return [
        ClinicianRevenueRow(
            clinician_id=pk,
            clinician=entry["name"],
            insured_charged=entry["insured"],
            self_pay_charged=entry["self_pay"],
            expected=entry["expected"],
            paid=entry["paid"],
        )
        for pk, entry in sorted(merged.items(), key=lambda item: item[1]["last"])
    ]


@dataclass(frozen=True)
class GapRow:
    payer: str
    code: str
    lines: int
    units: int
    charged: Decimal
    expected: Decimal | None
    paid: Decimal | None

    @property
    def gap(self) -> Decimal | None:
        return _minus(self.expected, self.paid)


def expected_vs_paid(start: datetime.date, end: datetime.date, filters: Filters) -> list[GapRow]:
    """Per payer and CPT code on live claims: charged, expected, paid and the gap between
    expected and paid (None until payments exist).

    SQL: SELECT p.name, cl.procedure_code, COUNT(*), SUM(cl.units), SUM(cl.charge),
    SUM(cl.expected_allowed), SUM(paid) FROM claimline cl JOIN claim c JOIN payer p
    WHERE cl.live AND date BETWEEN … GROUP BY p.name, cl.procedure_code
    """
    found = (
        _live_claim_lines(start, end, filters)
        .values("procedure_code", payer_name=F("claim__payer__name"))
        .annotate(
            lines=Count("pk"),
            unit_sum=Sum("units"),
            charged=Sum("charge"),
            expected=Sum("expected_allowed"),
            paid=Sum(claim_line_paid()),
        )
        .order_by("payer_name", "procedure_code")
    )
    return [
        GapRow(
            payer=row["payer_name"],
            code=row["procedure_code"],
            lines=row["lines"],
            units=row["unit_sum"],
            charged=row["charged"],
            expected=row["expected"],
            paid=row["paid"],
        )
        for row in found
    ]


# --- Session mix ---------------------------------------------------------------------


@dataclass(frozen=True)
class MixRow:
    clinician_id: int | None  # None: the all-clinicians total
    clinician: str
    individual: int
    code_counts: tuple[int, ...]  # sessions per INDIVIDUAL_CODES, in that order
    attended: int
    telehealth: int
    scheduled: int
    no_shows: int
    late_cancels: int

    @property
    def code_shares(self) -> tuple[Decimal | None, ...]:
        return tuple(share(n, self.individual) for n in self.code_counts)

    @property
    def in_office(self) -> int:
        return self.attended - self.telehealth

    @property
    def telehealth_share(self) -> Decimal | None:
        return share(self.telehealth, self.attended)

    @property
    def in_office_share(self) -> Decimal | None:
        return share(self.in_office, self.attended)

    @property
    def no_show_rate(self) -> Decimal | None:
        return share(self.no_shows, self.scheduled)

    @property
    def late_cancel_rate(self) -> Decimal | None:
        return share(self.late_cancels, self.scheduled)


def session_mix(start: datetime.date, end: datetime.date, filters: Filters) -> list[MixRow]:
    """Per clinician: how their individual psychotherapy sessions split between 90832,
    90834 and 90837 (shares of the individual sessions billed with one of the three), the
    telehealth and in-office shares of attended sessions, and no-show and late-cancel
    rates over every scheduled session except those cancelled in time.

    SQL: SELECT s.clinician_id, COUNT(DISTINCT s.id) FILTER (WHERE individual AND code IN
    (…)), COUNT(DISTINCT s.id) FILTER (WHERE code = '90832'), … FILTER (WHERE telehealth
    <> ''), … FILTER (WHERE status <> 'cancelled'), … FILTER (WHERE status = 'no_show')
    FROM session s LEFT JOIN serviceline l LEFT JOIN procedurecode pc WHERE s.date
    BETWEEN … GROUP BY s.clinician_id
    """
    attended = Q(status__in=ATTENDED)
    individual = attended & Q(service=Session.Service.INDIVIDUAL)
    per_code = {
        f"code_{code}": Count(
            "pk", distinct=True, filter=individual & Q(lines__procedure__code=code)
        )
        for code in INDIVIDUAL_CODES
    }
    found = (
        _sessions(filters)
        .filter(date__range=(start, end))
        .values(
            "clinician_id",
            "clinician__first_name",
            "clinician__last_name",
            "clinician__credentials",
        )
        .annotate(
            individual=Count(
                "pk",
                distinct=True,
                filter=individual & Q(lines__procedure__code__in=INDIVIDUAL_CODES),
            ),
            **per_code,
            attended_count=Count("pk", distinct=True, filter=attended),
            telehealth_count=Count("pk", distinct=True, filter=attended & ~Q(telehealth="")),
            scheduled=Count("pk", distinct=True, filter=~Q(status=Session.Status.CANCELLED)),
            no_shows=Count("pk", distinct=True, filter=Q(status=Session.Status.NO_SHOW)),
            late_cancels=Count("pk", distinct=True, filter=Q(status=Session.Status.LATE_CANCEL)),
        )
        .order_by("clinician__last_name", "clinician__first_name", "clinician_id")
    )
    return [
        MixRow(
            clinician_id=row["clinician_id"],
            clinician=_name(row, "clinician__"),
            individual=row["individual"],
            code_counts=tuple(row[f"code_{code}"] for code in INDIVIDUAL_CODES),
            attended=row["attended_count"],
            telehealth=row["telehealth_count"],
            scheduled=row["scheduled"],
            no_shows=row["no_shows"],
            late_cancels=row["late_cancels"],
        )
        for row in found
    ]


def mix_total(rows: list[MixRow]) -> MixRow:
    """All clinicians together (counts add up; rates are recomputed, not averaged)."""
    return MixRow(
        clinician_id=None,
        clinician="All clinicians",
        individual=sum(r.individual for r in rows),
        code_counts=tuple(
            sum(r.code_counts[i] for r in rows) for i in range(len(INDIVIDUAL_CODES))
        ),
        attended=sum(r.attended for r in rows),
        telehealth=sum(r.telehealth for r in rows),
        scheduled=sum(r.scheduled for r in rows),
        no_shows=sum(r.no_shows for r in rows),
        late_cancels=sum(r.late_cancels for r in rows),
    )


# --- Billing health ------------------------------------------------------------------


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

    SQL: SELECT status, COUNT(*), SUM(total_charge) FROM claim WHERE created_at::date
    BETWEEN … GROUP BY status
    """
    claims = Claim.objects.filter(created_at__date__range=(start, end))
    if filters.limited:
        claims = claims.filter(
            pk__in=ClaimLine.objects.filter(service_line__session__in=_sessions(filters)).values(
                "claim_id"
            )
        )
    if filters.payer is not None:
        claims = claims.filter(payer=filters.payer)
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
    cl JOIN claim c WHERE c.frequency = '1' AND c.created_at::date BETWEEN … AND
    c.status <> 'discarded' AND NOT (c.status = 'void' AND c.submitted_at IS NULL)
    GROUP BY lag
    """
    lines = ClaimLine.objects.filter(
        claim__frequency=Claim.Frequency.ORIGINAL,
        claim__created_at__date__range=(start, end),
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
    found = (
        _unbilled_sessions(filters)
        .filter(client__self_pay=False)
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
    if filters.user is not None and not roles.sees_all_clients(filters.user):
        coverages = coverages.filter(client__in=Client.objects.for_user(filters.user))
    if filters.clinician is not None:
        seen = Session.objects.filter(client=OuterRef("client_id"), clinician=filters.clinician)
        coverages = coverages.filter(
            Q(client__primary_clinician=filters.clinician) | Q(Exists(seen))
        )
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
