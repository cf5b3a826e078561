"""Accounts receivable aging: what payers and clients still owe, by age, as of today.

Each amount ages from the day it became that party's to pay (docs/getting-paid.md
"Reports"): a payer's part from the day the claim was sent (``submitted_at``, the
practice's local date), because that is when the payer's clock starts (a corrected claim
is a new claim to the payer and starts again); a client's part from the day
``billing/ledger.py`` dates it (their session for self-pay, the payer's answer for
their share after insurance). How long the practice took to send a claim is the billing
health report's "days to claim"; the filing deadline counts from the date of service
there too.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import (
    Case,
    CharField,
    F,
    OuterRef,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from billing.ledger import BUCKETS as LEDGER_BUCKETS
from billing.ledger import balances_sql, money
from billing.models import Adjustment, Claim, ClaimPosting, Payer
from billing.reports.common import Filters, _clients, _limit_claims
from practice.common import MONEY, ZERO
from practice.models import Client

# (label, first day, last day) of age; anything older is OVER_120.
AGING_BUCKETS = (
    ("0–30 days", 0, 30),
    ("31–60 days", 31, 60),
    ("61–90 days", 61, 90),
    ("91–120 days", 91, 120),
)
OVER_120 = "Over 120 days"
AGING_LABELS = (*(label for label, _, _ in AGING_BUCKETS), OVER_120)
# Claims a payer still has to answer or has answered: sent and neither voided, replaced,
# being corrected nor discarded (billing/ledger.py counts the same claims as billed).
WITH_PAYER = (
    Claim.Status.SUBMITTED,
    Claim.Status.PAID,
    Claim.Status.PARTIALLY_PAID,
    Claim.Status.DENIED,
)


@dataclass(frozen=True)
class AgingRow:
    key: int  # the payer's or the client's id
    name: str
    buckets: tuple[Decimal, ...]  # one amount per AGING_LABELS, in that order
    count: int  # open claims (payer table)
    credit: Decimal = ZERO  # a client's payments beyond every charge (client table)

    @property
    def total(self) -> Decimal:
        return sum(self.buckets, ZERO)


def _claim_sum(model, field: str, *, claim: str, exclude: dict | None = None) -> Coalesce:
    """SUM(``field``) of ``model`` rows of the outer claim, 0 when none: a correlated
    subquery, so summing several of them beside the claim's charge never counts a row
    twice."""
    rows = model.objects.filter(**{claim: OuterRef("pk")})
    if exclude:
        rows = rows.exclude(**exclude)
    total = rows.values(claim).annotate(total=Sum(field)).values("total")
    return Coalesce(Subquery(total, output_field=MONEY), Value(ZERO), output_field=MONEY)


def payer_owes() -> Coalesce:
    """What the payer still owes on a claim: its charge less what its postings paid, wrote
    off (CO, OA, PI) and moved to the client (PR). ``billing.payer_money.claim_money`` splits
    a claim's money the same way (its ``balance − patient_responsibility``); this is that
    rule as SQL so a report sums it over every claim in one statement."""
    return (
        F("total_charge")
        - _claim_sum(ClaimPosting, "paid", claim="claim")
        - _claim_sum(ClaimPosting, "patient_responsibility", claim="claim")
        - _claim_sum(Adjustment, "amount", claim="posting__claim", exclude={"group": "PR"})
    )


def _age_bucket(day_field: str, today: datetime.date) -> Case:
    """The AGING_LABELS label of a date field's age on ``today`` (a future date: 0–30)."""
    return Case(
        *(
            When(**{f"{day_field}__gte": today - datetime.timedelta(days=last)}, then=Value(label))
            for label, _, last in AGING_BUCKETS
        ),
        default=Value(OVER_120),
        output_field=CharField(),
    )


def claims_with_payer(filters: Filters) -> QuerySet[Claim]:
    """Sent claims the user may see, with ``owed`` (the payer's part still open) and
    ``sent_on`` (the local date the claim went out; its build date if it has none)."""
    claims = _limit_claims(Claim.objects.filter(status__in=WITH_PAYER), filters)
    return claims.annotate(
        owed=payer_owes(), sent_on=TruncDate(Coalesce("submitted_at", "created_at"))
    )


def ar_by_payer(start: datetime.date, end: datetime.date, filters: Filters) -> list[AgingRow]:
    """Per payer: what it still owes on the claims sent to it, by the claim's age on
    ``filters.today`` (0–30, 31–60, 61–90, 91–120, over 120 days since it was sent), and
    how many claims are open. As of today: ``start``/``end`` do not apply. A claim paid
    in full, written off or moved to the client owes 0 and is left out; an overpaid
    claim owes less than 0 and lowers its bucket.

    One statement, each claim's money summed once in derived tables (``payer_owes``'s
    rule; correlated subqueries per claim cost ten times as much at scale), the claims
    the user may see as a subquery from ``_limit_claims``:

    SQL: SELECT x.payer_id, p.name, CASE WHEN x.sent >= :day30 THEN 0 … END, SUM(x.owed),
    COUNT(*) FROM (SELECT c.payer_id, COALESCE(c.submitted_at, c.created_at) AS sent,
    c.total_charge − COALESCE(cp.paid, 0) − COALESCE(adj.amount, 0) AS owed FROM claim c
    LEFT JOIN (SELECT claim_id, SUM(paid + patient_responsibility) … GROUP BY claim_id) cp
    LEFT JOIN (SELECT posting.claim_id, SUM(amount) FROM adjustment … WHERE grp <> 'PR'
    GROUP BY posting.claim_id) adj WHERE c.status IN (sent) [AND c.id IN (the claims seen)])
    x JOIN payer p
    WHERE x.owed <> 0 GROUP BY 1, 2, 3
    """
    # The claims: sent ones, and when a role or filter narrows them, those the user may
    # see as a subquery (unordered: a sort of every sent claim cost a second at scale).
    statuses = ", ".join(["%s"] * len(WITH_PAYER))
    where, scope_params = f"c.status IN ({statuses})", list(WITH_PAYER)
    if filters.limited or filters.payer is not None:
        scope, more = (
            _limit_claims(Claim.objects.filter(status__in=WITH_PAYER), filters)
            .order_by()
            .values("pk")
            .query.sql_with_params()
        )
        where += f" AND c.id IN ({scope})"
        scope_params += list(more)
    ops = connection.ops
    quote = ops.quote_name
    claim, posting = quote(Claim._meta.db_table), quote(ClaimPosting._meta.db_table)
    adjustment, payer = quote(Adjustment._meta.db_table), quote(Payer._meta.db_table)
    # The day a claim was sent is the practice's local date: a bucket starts at local
    # midnight, compared with the stored instant (no time-zone arithmetic in SQL).
    zone = timezone.get_current_timezone()
    starts = [
        ops.adapt_datetimefield_value(
            datetime.datetime.combine(
                filters.today - datetime.timedelta(days=last), datetime.time(), tzinfo=zone
            )
        )
        for _label, _first, last in AGING_BUCKETS
    ]
    buckets = " ".join(f"WHEN x.sent >= %s THEN {i}" for i in range(len(starts)))
    sql = f"""
        SELECT x.payer_id, p.name, CASE {buckets} ELSE {len(starts)} END AS bucket,
               SUM(x.owed), COUNT(*)
        FROM (
            SELECT c.payer_id, COALESCE(c.submitted_at, c.created_at) AS sent,
                   c.total_charge - COALESCE(cp.paid, 0) - COALESCE(adj.amount, 0) AS owed
            FROM {claim} c
            LEFT JOIN (
                SELECT claim_id, SUM(paid + patient_responsibility) AS paid
                FROM {posting} WHERE claim_id IS NOT NULL GROUP BY claim_id
            ) cp ON cp.claim_id = c.id
            LEFT JOIN (
                SELECT cp2.claim_id, SUM(a.amount) AS amount
                FROM {adjustment} a JOIN {posting} cp2 ON cp2.id = a.posting_id
                WHERE a.{quote("group")} <> 'PR' AND cp2.claim_id IS NOT NULL
                GROUP BY cp2.claim_id
            ) adj ON adj.claim_id = c.id
            WHERE {where}
        ) x
        JOIN {payer} p ON p.id = x.payer_id
        WHERE x.owed <> 0
        GROUP BY x.payer_id, p.name, bucket"""
    with connection.cursor() as cursor:
        cursor.execute(sql, [*starts, *scope_params])
        found = cursor.fetchall()
    payers: dict[int, dict] = {}
    for payer_id, name, bucket, amount, claims in found:
        entry = payers.setdefault(payer_id, {"name": name, "amounts": {}, "claims": 0})
        entry["amounts"][AGING_LABELS[bucket]] = _money(amount)
        entry["claims"] += claims
    rows = [
        AgingRow(
            key=pk,
            name=entry["name"],
            buckets=tuple(entry["amounts"].get(label, ZERO) for label in AGING_LABELS),
            count=entry["claims"],
        )
        for pk, entry in payers.items()
    ]
    return sorted(rows, key=lambda r: (r.name.lower(), r.key))


def _money(value) -> Decimal:
    """A sum as the database returns it (SQLite: a float) in dollars and cents."""
    return money(value)


@dataclass(frozen=True)
class ClientAging:
    """The client table: ``rows`` largest total owed first (then the largest credit, then
    by name), at most the ``limit`` asked for; ``count`` clients owe something or have a
    credit in all, and ``total`` (key 0, name "Total") sums every one of them."""

    rows: list[AgingRow]
    count: int
    total: AgingRow


def ar_by_client(
    start: datetime.date, end: datetime.date, filters: Filters, *, limit: int | None = None
) -> ClientAging:
    """Per client the user may see with something open: what they owe by age on
    ``filters.today`` (each charge from the day it became the client's to pay) and any
    credit (paid beyond every charge). As of today: ``start``/``end`` do not apply.

    The amounts are ``billing.ledger.balances_sql``, the one rule for what a client owes
    (the client page, receipts and statements read it too: payments settle the oldest
    charges first), wrapped here in one statement that names the clients, keeps those
    with something open, sorts them, totals them all (window sums, before the LIMIT) and
    returns the first ``limit``:

    SQL: SELECT b.*, cl.last_name, cl.first_name, COUNT(*) OVER (), SUM(b.b0) OVER (), …
    FROM (balances) b JOIN client cl WHERE ROUND(b.b0 + … + b.b4, 2) > 0 OR ROUND(b.credit,
    2) > 0 ORDER BY owed DESC, credit DESC, last_name, first_name, id LIMIT :limit
    """
    clients = _clients(filters)
    sql, params = balances_sql(
        clients if filters.limited else None, on=filters.today, through=filters.today
    )
    owed = " + ".join(f"b.b{n}" for n in range(len(LEDGER_BUCKETS)))
    sums = ", ".join(f"SUM(b.b{n}) OVER ()" for n in range(len(LEDGER_BUCKETS)))
    where = f"(ROUND({owed}, 2) > 0 OR ROUND(b.credit, 2) > 0)"
    if filters.limited:
        scope, scope_params = clients.order_by().values("pk").query.sql_with_params()
        where += f" AND cl.id IN ({scope})"
        params = [*params, *scope_params]
    client = connection.ops.quote_name(Client._meta.db_table)
    sql = f"""
        SELECT b.client_id, cl.last_name, cl.first_name,
               {", ".join(f"b.b{n}" for n in range(len(LEDGER_BUCKETS)))}, b.credit,
               COUNT(*) OVER (), {sums}, SUM(b.credit) OVER ()
        FROM ({sql}) b
        JOIN {client} cl ON cl.id = b.client_id
        WHERE {where}
        ORDER BY {owed} DESC, b.credit DESC, cl.last_name, cl.first_name, cl.id"""
    if limit is not None:
        sql += " LIMIT %s"
        params = [*params, limit]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchall()
    width = len(LEDGER_BUCKETS)
    rows = [
        AgingRow(
            key=pk,
            name=f"{last}, {first}",
            buckets=tuple(_money(v) for v in row[:width]),
            count=0,
            credit=_money(row[width]),
        )
        for pk, last, first, *row in found
    ]
    if not found:
        return ClientAging([], 0, AgingRow(0, "Total", (ZERO,) * width, 0))
    totals = found[0][4 + width :]
    return ClientAging(
        rows,
        totals[0],
        AgingRow(
            0,
            "Total",
            tuple(_money(v) for v in totals[1 : 1 + width]),
            0,
            credit=_money(totals[1 + width]),
        ),
    )
