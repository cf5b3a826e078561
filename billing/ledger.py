"""What each client owes the practice: one rule for the client page, receipts,
statements and the aging report (docs/getting-paid.md "Client ledger").

A client's charges are
- the service lines of a self-pay client's attended sessions (ready, billed, closed),
  dated by the session;
- their share of an insured service: the patient responsibility a payer's posting set
  on a claim line (835 or paper EOB; a reversal takes it back), dated by the payment;
- missed-appointment fees (``ClientCharge``), dated by the appointment.
Their credits are their payments less refunds. Balance = charges − credits.

Aging applies the credits to the charges oldest first and ages what is left open by the
day it became the client's (0–30, 31–60, 61–90, 91–120, over 120 days). Every function
reads a fixed number of queries whatever the number of clients, so a batch of 1,000
statements or an aging report costs the same few queries as one client page.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection, models
from django.db.models import Case, Exists, F, Min, OuterRef, QuerySet, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from billing.models import Adjustment, ClaimLine, ClientAllocation, Payment, PaymentAllocation
from billing.payer_money import paid_per_line, written_off_per_line
from practice.common import MONEY, ZERO
from practice.formats import us_date
from practice.models import Client, ClientCharge, ServiceLine, Session

# A self-pay client owes an attended session once it is logged for billing.
SELF_PAY_STATUSES = (Session.Status.READY, Session.Status.BILLED, Session.Status.CLOSED)
# Claims whose lines are with a payer: sent and neither taken back nor replaced.
INSURANCE_STATUSES = ("submitted", "paid", "partially_paid", "denied", "closed")
# (label, first day, last day): days since the charge became the client's.
BUCKETS = (
    ("0–30", 0, 30),
    ("31–60", 31, 60),
    ("61–90", 61, 90),
    ("91–120", 91, 120),
    ("120+", 121, None),
)
CENT = Decimal("0.01")
# Charges of one day: sessions, then the client's share, then fees (a stable order).
KIND_ORDER = {"session": 0, "share": 1, "fee": 2}

Clients = QuerySet | Iterable[Client] | Iterable[int] | None


@dataclass(frozen=True)
class Charge:
    """Something the client owes: ``kind`` "session" (a self-pay service line), "share"
    (their part of a claim line) or "fee"; ``target`` is that row's id."""

    kind: str
    target: int
    client_id: int
    date: datetime.date  # the day it became the client's to pay
    service_date: datetime.date
    code: str
    amount: Decimal
    payer: str = ""

    @property
    def key(self) -> tuple[str, int]:
        return (self.kind, self.target)

    @property
    def order(self) -> tuple:
        return (self.date, KIND_ORDER[self.kind], self.target)

    @property
    def description(self) -> str:
        when = us_date(self.service_date)
        if self.kind == "session":
            return f"Session {when}: {self.code}"
        if self.kind == "share":
            return f"Your share after {self.payer}, {self.code} on {when}"
        return f"{self.code} {when}"


@dataclass(frozen=True)
class Credit:
    """A client's payment (amount > 0) or refund (amount < 0)."""

    payment_id: int
    client_id: int
    date: datetime.date
    amount: Decimal
    method: str
    reference: str
    refund_of: int | None


@dataclass
class Balance:
    """A client's balance on a date, with its open charges aged."""

    client_id: int
    charged: Decimal = ZERO
    paid: Decimal = ZERO  # payments less refunds
    buckets: dict[str, Decimal] = field(default_factory=lambda: {b[0]: ZERO for b in BUCKETS})
    credit: Decimal = ZERO  # paid beyond every charge

    @property
    def balance(self) -> Decimal:
        return self.charged - self.paid


def _ids(clients: Clients) -> list[int] | QuerySet | None:
    if clients is None or isinstance(clients, QuerySet):
        return clients.order_by().values("pk") if isinstance(clients, QuerySet) else None
    return [c if isinstance(c, int) else c.pk for c in clients]


def _charge_rows(ids, through: datetime.date | None) -> tuple[QuerySet, QuerySet, QuerySet]:
    """Which rows are a client's charges, as querysets: self-pay service lines, the
    payers' allocations naming a share (one charge per claim line), missed-appointment
    fees. ``charges_of`` lists them and ``balances_sql`` ages them: one definition."""
    lines = ServiceLine.objects.filter(
        session__client__self_pay=True, session__status__in=SELF_PAY_STATUSES
    )
    shares = (
        PaymentAllocation.objects.filter(claim_line__isnull=False)
        .exclude(patient_responsibility=0)
        .exclude(_handed_to_a_secondary_payer())
    )
    fees = ClientCharge.objects.all()
    if ids is not None:
        lines = lines.filter(session__client__in=ids)
        shares = shares.filter(claim_line__claim__client__in=ids)
        fees = fees.filter(client__in=ids)
    if through is not None:
        lines = lines.filter(session__date__lte=through)
        shares = shares.filter(posting__payment__received_on__lte=through)
        fees = fees.filter(date__lte=through)
    return lines, shares, fees


def _credit_rows(ids, through: datetime.date | None) -> QuerySet:
    """The clients' payments and refunds (``credits_of``, ``balances_sql``)."""
    rows = Payment.objects.filter(source=Payment.Source.CLIENT)
    if ids is not None:
        rows = rows.filter(client__in=ids)
    if through is not None:
        rows = rows.filter(received_on__lte=through)
    return rows


def charges_of(clients: Clients = None, *, through: datetime.date | None = None) -> list[Charge]:
    """Every charge of these clients (all clients when None) dated on or before
    ``through``, oldest first. Three queries: sessions, shares, fees."""
    lines, shares, fees = _charge_rows(_ids(clients), through)
    charges = [
        Charge("session", pk, client_id, day, day, code, amount)
        for pk, client_id, day, code, amount in lines.values_list(
            "pk", "session__client_id", "session__date", "procedure__code", "charge"
        ).order_by()
    ]
    by_line: dict[int, list] = {}
    for line_id, client_id, paid_on, served_on, code, share, payer in shares.values_list(
        "claim_line_id",
        "claim_line__claim__client_id",
        "posting__payment__received_on",
        "claim_line__date_of_service",
        "claim_line__procedure_code",
        "patient_responsibility",
        "posting__payment__payer__name",
    ).order_by():
        row = by_line.setdefault(line_id, [client_id, paid_on, served_on, code, ZERO, payer])
        row[1] = min(row[1], paid_on)
        row[4] += share
    charges += [
        Charge("share", line_id, client_id, paid_on, served_on, code, total, payer or "")
        for line_id, (client_id, paid_on, served_on, code, total, payer) in by_line.items()
        if total
    ]
    labels = dict(ClientCharge.Kind.choices)
    charges += [
        Charge("fee", pk, client_id, day, day, labels.get(kind, kind), amount)
        for pk, client_id, day, kind, amount in fees.values_list(
            "pk", "client_id", "date", "kind", "amount"
        ).order_by()
    ]
    charges.sort(key=lambda c: c.order)
    return charges


def _handed_to_a_secondary_payer() -> Exists:
    """A primary payer's patient responsibility billed on to a secondary claim
    (billing/secondary.py) is not the client's: the secondary payer's answer names the
    client's share."""
    from billing.models import Claim

    return Exists(
        Claim.objects.filter(primary_claim=OuterRef("claim_line__claim")).exclude(
            status__in=Claim.DEAD_STATUSES
        )
    )


def credits_of(clients: Clients = None, *, through: datetime.date | None = None) -> list[Credit]:
    """The clients' payments (positive) and refunds (negative), oldest first; one query."""
    return [
        Credit(
            pk,
            client_id,
            day,
            amount if kind == Payment.Kind.PAYMENT else -amount,
            method,
            reference,
            refund_of,
        )
        for pk, client_id, day, kind, amount, method, reference, refund_of in _credit_rows(
            _ids(clients), through
        )
        .values_list(
            "pk", "client_id", "received_on", "kind", "amount", "method", "reference", "refund_of"
        )
        .order_by("received_on", "pk")
    ]


def balances_sql(
    clients: Clients, *, on: datetime.date, through: datetime.date | None
) -> tuple[str, list]:
    """The aging rule as one SQL statement: per client (``client_id``) with a charge or a
    payment dated on or before ``through`` (None: any date), ``charged``, ``paid`` (less
    refunds), what is still open in each of BUCKETS on ``on`` (``b0`` … ``b4``) and
    ``credit`` (paid beyond every charge). The aging report wraps it to sort, page and
    total; ``client_balances`` reads it as Balance rows.

    The credits — payments less refunds, and any negative charge — settle the positive
    charges oldest first (by date, then sessions, shares, fees, then id, as
    ``Charge.order``); a charge is open for the part the credits do not reach:
    LEAST(amount, GREATEST(0, running total of charges up to it − credits)), a window
    sum per client. Its bucket is by the day it became the client's (a charge dated
    after ``on``: the first bucket)."""
    ids = _ids(clients)
    lines, shares, fees = _charge_rows(ids, through)
    credits = _credit_rows(ids, through)
    kinds = [
        lines.values(
            c_client=F("session__client_id"),
            c_day=F("session__date"),
            c_target=F("pk"),
            c_amount=F("charge"),
        ),
        shares.values(c_target=F("claim_line_id"), c_client=F("claim_line__claim__client_id"))
        .annotate(
            c_day=Min("posting__payment__received_on"), c_amount=Sum("patient_responsibility")
        )
        .exclude(c_amount=0),
        fees.values(
            c_client=F("client_id"), c_day=F("date"), c_target=F("pk"), c_amount=F("amount")
        ),
    ]
    parts, params = [], []
    for kind, rows in enumerate(kinds):  # KIND_ORDER: sessions, shares, fees
        sql, more = rows.order_by().query.sql_with_params()
        parts.append(
            f"SELECT c_client, c_day, {kind} AS c_kind, c_target, c_amount, 0 AS c_credit "
            f"FROM ({sql}) k{kind}"
        )
        params += more
    signed = Case(
        When(kind=Payment.Kind.PAYMENT, then=F("amount")), default=-F("amount"), output_field=MONEY
    )
    sql, more = (
        credits.order_by()
        .values(c_client=F("client_id"), c_day=F("received_on"), c_target=F("pk"), c_credit=signed)
        .query.sql_with_params()
    )
    parts.append(
        f"SELECT c_client, c_day, 3 AS c_kind, c_target, 0 AS c_amount, c_credit FROM ({sql}) k3"
    )
    params += more
    days = [
        connection.ops.adapt_datefield_value(on - datetime.timedelta(days=last))
        for _label, _first, last in BUCKETS
        if last is not None
    ]
    bucket = " ".join(f"WHEN c_day >= %s THEN {n}" for n in range(len(days)))
    # What the credits have left when a charge's turn comes: their total, never below 0.
    pool = "CASE WHEN pool > 0 THEN pool ELSE 0 END"
    open_ = (
        f"CASE WHEN c_amount <= 0 OR run <= {pool} THEN 0 "
        f"WHEN run - {pool} >= c_amount THEN c_amount ELSE run - {pool} END"
    )
    buckets = ", ".join(
        f"SUM(CASE WHEN c_bucket = {n} THEN c_open ELSE 0 END) AS b{n}" for n in range(len(BUCKETS))
    )
    positive = "CASE WHEN c_amount > 0 THEN c_amount ELSE 0 END"
    union = " UNION ALL ".join(parts)
    sql = f"""
        SELECT c_client AS client_id, SUM(c_amount) AS charged, SUM(c_credit) AS paid,
               {buckets},
               CASE WHEN MAX(pool) > SUM({positive}) THEN MAX(pool) - SUM({positive})
                    ELSE 0 END AS credit
        FROM (
            SELECT c_client, c_amount, c_credit, pool, {open_} AS c_open,
                   CASE {bucket} ELSE {len(days)} END AS c_bucket
            FROM (
                SELECT u.*,
                       SUM(c_credit - CASE WHEN c_amount < 0 THEN c_amount ELSE 0 END)
                           OVER (PARTITION BY c_client) AS pool,
                       SUM({positive}) OVER (
                           PARTITION BY c_client ORDER BY c_day, c_kind, c_target
                           ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
                       ) AS run
                FROM ({union}) u
            ) w
        ) a
        GROUP BY c_client"""
    return sql, [*days, *params]


def money(value) -> Decimal:
    """A sum as the database returns it (SQLite: a float or an int) in dollars and cents."""
    return Decimal(str(value)).quantize(CENT)


def client_balances(clients: Clients = None, *, on: datetime.date) -> dict[int, Balance]:
    """Each client's balance and aging on a date (one query, ``balances_sql``, whatever
    the number of clients). A client with no charge and no payment is absent: their
    balance is 0."""
    return _balances(clients, on=on, through=on)


def _balances(clients: Clients, *, on: datetime.date, through: datetime.date | None) -> dict:
    sql, params = balances_sql(clients, on=on, through=through)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchall()
    labels = [label for label, _first, _last in BUCKETS]
    return {
        client_id: Balance(
            client_id,
            charged=money(charged),
            paid=money(paid),
            buckets={label: money(b) for label, b in zip(labels, buckets, strict=True)},
            credit=money(credit),
        )
        for client_id, charged, paid, *buckets, credit in found
    }


def client_balance(client: Client, *, on: datetime.date) -> Balance:
    return client_balances([client], on=on).get(client.pk) or Balance(client.pk)


# The ledger: every line of a client's account in date order.


@dataclass
class LedgerRow:
    date: datetime.date
    description: str
    charge: Decimal = ZERO  # what the client now owes more (a negative share: less)
    billed: Decimal = ZERO  # sent to a payer
    insurance_paid: Decimal = ZERO
    adjusted: Decimal = ZERO  # written off by the payer's contract or other reasons
    client_paid: Decimal = ZERO  # a payment (positive) or a refund (negative)
    balance: Decimal = ZERO  # the client's running balance after this row
    payment_id: int | None = None
    kind: str = ""  # session, fee, payment, refund, claim, insurance
    order: tuple = ()


@dataclass
class Ledger:
    client_id: int
    rows: list[LedgerRow] = field(default_factory=list)
    aging: Balance | None = None  # on ``through`` (today when not given)

    @property
    def balance(self) -> Decimal:
        return self.rows[-1].balance if self.rows else ZERO

    @property
    def insurance_pending(self) -> Decimal:
        """Billed to payers and not yet answered: billed − paid − adjusted − the
        client's shares the payers named."""
        billed = sum((r.billed for r in self.rows), ZERO)
        answered = sum(
            (r.insurance_paid + r.adjusted + r.charge for r in self.rows if r.kind == "insurance"),
            ZERO,
        )
        return billed - answered


METHODS = dict(Payment.Method.choices)


def ledgers(clients: Clients, *, through: datetime.date | None = None) -> dict[int, Ledger]:
    """Each client's ledger (one query per section: sessions, shares, fees, payments,
    claims billed, insurance postings, adjustments), rows in date order with the running
    balance. Its last balance is ``client_balances``'s: both add the same charges and
    credits."""
    ids = _ids(clients)
    charges = charges_of(clients, through=through)
    credits = credits_of(clients, through=through)
    rows: dict[int, list[LedgerRow]] = defaultdict(list)
    for charge in charges:
        if charge.kind == "share":
            continue  # on the payer's posting rows below
        rows[charge.client_id].append(
            LedgerRow(
                charge.date,
                charge.description,
                charge=charge.amount,
                kind=charge.kind,
                order=(charge.date, 0, KIND_ORDER[charge.kind], charge.target),
            )
        )
    for credit in credits:
        how = METHODS.get(credit.method, credit.method).lower()
        if credit.reference:
            how += f" {credit.reference}"
        text = (
            f"Payment, {how}"
            if credit.amount > 0
            else f"Refund of payment R-{credit.refund_of:06d}, {how}"
        )
        rows[credit.client_id].append(
            LedgerRow(
                credit.date,
                text,
                client_paid=credit.amount,
                payment_id=credit.payment_id,
                kind="payment" if credit.amount > 0 else "refund",
                order=(credit.date, 3, 0, credit.payment_id),
            )
        )
    billed = ClaimLine.objects.filter(claim__status__in=INSURANCE_STATUSES)
    postings = PaymentAllocation.objects.filter(claim_line__isnull=False)
    adjustments = Adjustment.objects.filter(allocation__claim_line__isnull=False).exclude(
        group="PR"
    )
    if ids is not None:
        billed = billed.filter(claim__client__in=ids)
        postings = postings.filter(claim_line__claim__client__in=ids)
        adjustments = adjustments.filter(allocation__claim_line__claim__client__in=ids)
    if through is not None:
        postings = postings.filter(posting__payment__received_on__lte=through)
        adjustments = adjustments.filter(posting__payment__received_on__lte=through)
    claims: dict[int, LedgerRow] = {}
    for (
        claim_id,
        client_id,
        number,
        payer,
        sent,
        served_on,
        code,
        charge,
        secondary,
    ) in billed.values_list(
        "claim_id",
        "claim__client_id",
        "claim__control_number",
        "claim__payer__name",
        "claim__submitted_at",
        "date_of_service",
        "procedure_code",
        "charge",
        "claim__primary_claim",
    ).order_by("claim_id", "position"):
        day = sent.date() if sent else served_on
        if through is not None and day > through:
            continue
        row = claims.get(claim_id)
        if row is None:
            row = claims[claim_id] = LedgerRow(
                day,
                f"Claim {number} to {payer}{' (secondary)' if secondary else ''}:",
                kind="claim",
                order=(day, 1, 0, claim_id),
            )
            rows[client_id].append(row)
        row.description += f" {code} {us_date(served_on)},"
        if not secondary:  # a secondary claim bills what the primary left: counted there
            row.billed += charge
    for row in claims.values():
        row.description = row.description.rstrip(",")
    written_off: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for allocation_id, amount in adjustments.values_list("allocation_id", "amount").order_by():
        written_off[allocation_id] += amount
    postings = postings.annotate(handed_on=_handed_to_a_secondary_payer())
    for (
        pk,
        client_id,
        day,
        payer,
        code,
        served_on,
        paid,
        share,
        reverses,
        handed_on,
        secondary,
    ) in postings.values_list(
        "pk",
        "claim_line__claim__client_id",
        "posting__payment__received_on",
        "posting__payment__payer__name",
        "claim_line__procedure_code",
        "claim_line__date_of_service",
        "paid",
        "patient_responsibility",
        "reverses",
        "handed_on",
        "claim_line__claim__primary_claim",
    ).order_by("pk"):
        what = "took back its payment" if reverses else "answered"
        text = f"{payer} {what}: {code} {us_date(served_on)}"
        if handed_on and share:
            text += f" (the {share:.2f} left is billed to the secondary payer)"
        rows[client_id].append(
            LedgerRow(
                day,
                text,
                charge=ZERO if handed_on else share,
                insurance_paid=paid,
                # A secondary payer's adjustments restate the primary's decision: only
                # what it paid and the share it leaves to the client settle what is
                # still with insurance.
                adjusted=ZERO if secondary else written_off.get(pk, ZERO),
                kind="insurance",
                order=(day, 2, 0, pk),
            )
        )
    aged = _balances(clients, on=through or timezone.localdate(), through=through)
    result: dict[int, Ledger] = {}
    for client_id, client_rows in rows.items():
        client_rows.sort(key=lambda r: r.order)
        running = ZERO
        for row in client_rows:
            running += row.charge - row.client_paid
            row.balance = running
        result[client_id] = Ledger(client_id, client_rows, aged.get(client_id))
    return result


def client_ledger(client: Client, *, through: datetime.date | None = None) -> Ledger:
    return ledgers([client], through=through).get(client.pk) or Ledger(
        client.pk, aging=Balance(client.pk)
    )


# CMS-1500 box 29 and the claim's money per line.


def amount_paid_box_29(claims: list) -> dict[int, Decimal]:
    """CMS-1500 box 29 per claim, as each claim's payer wants it (``Payer.box_29``):
    NUCC 1500 instructions, item 29, "the amount the patient and/or other payers paid on
    the covered services". Other payers: what payers other than this claim's paid on the
    same services (a secondary claim carries the primary's payment). The client: what they
    paid toward the claim's services (``client_paid_toward_claims``, the 837P's AMT*F5).
    A claim whose payer wants box 29 empty is absent. Five queries whatever the number of
    claims; ``claims`` come with their payer."""
    from billing.models import Payer

    how = {c.pk: c.payer.box_29 for c in claims if c.payer.box_29 != Payer.AmountPaidBox.NONE}
    result = {pk: ZERO for pk in how}
    if not how:
        return result
    services: dict[int, list[tuple[int, int]]] = defaultdict(list)
    lines = list(
        ClaimLine.objects.filter(claim__in=list(how)).values_list(
            "claim_id", "pk", "service_line_id", "service_line__session_id", "claim__payer_id"
        )
    )
    for claim_id, _line, service_line, _session, payer in lines:
        if service_line is not None:
            services[service_line].append((claim_id, payer))
    for service_line, payer, paid in PaymentAllocation.objects.filter(
        claim_line__service_line__in=list(services)
    ).values_list("claim_line__service_line_id", "claim_line__claim__payer_id", "paid"):
        for claim_id, own_payer in services[service_line]:
            if payer != own_payer:
                result[claim_id] += paid
    client_too = {
        pk for pk, wanted in how.items() if wanted == Payer.AmountPaidBox.CLIENT_AND_PAYERS
    }
    if client_too:
        client = _client_paid([row[:4] for row in lines if row[0] in client_too])
        for pk in client_too:
            result[pk] += client.get(pk, ZERO)
    return {pk: max(amount, ZERO) for pk, amount in result.items()}


def client_paid_toward_claims(claim_ids: Iterable[int]) -> dict[int, Decimal]:
    """What the client paid toward each claim's services (every id in, 0.00 when
    nothing): the one rule for the 837P's AMT*F5 (patient amount paid, loop 2300) and
    CMS-1500 box 29's client part. It is their payments as applied to the claim's lines
    or to the lines' service lines (``ClientAllocation``, a refund's negative rows
    included), plus the credit still unapplied of the payments taken at the claim's
    sessions (a copay taken before the payer answered: applied to the share once the
    payer names it, so never counted twice). A session's payment applied to another
    charge counts there, not here. Three queries whatever the number of claims."""
    claim_ids = list(claim_ids)
    result = {pk: ZERO for pk in claim_ids}
    lines = ClaimLine.objects.filter(claim__in=claim_ids).values_list(
        "claim_id", "pk", "service_line_id", "service_line__session_id"
    )
    result.update(_client_paid(lines) if claim_ids else {})
    return result


def _client_paid(lines: Iterable[tuple[int, int, int | None, int | None]]) -> dict[int, Decimal]:
    """``client_paid_toward_claims`` from the claims' lines (claim, line, service line,
    session): two queries."""
    claims_of_line: dict[int, set[int]] = defaultdict(set)
    claims_of_service: dict[int, set[int]] = defaultdict(set)
    claims_of_session: dict[int, set[int]] = defaultdict(set)
    for claim_id, line, service_line, session in lines:
        claims_of_line[line].add(claim_id)
        if service_line is not None:
            claims_of_service[service_line].add(claim_id)
        if session is not None:
            claims_of_session[session].add(claim_id)
    result: dict[int, Decimal] = defaultdict(lambda: ZERO)
    if not claims_of_line:
        return {}
    credit: dict[int, Decimal] = defaultdict(lambda: ZERO)  # session's payment → unapplied
    original: dict[int, int] = {}  # a payment or its refund → the payment
    session_of: dict[int, int] = {}
    for pk, session, refund_of, refunded_session, kind, amount in (
        Payment.objects.filter(source=Payment.Source.CLIENT)
        .filter(
            models.Q(session__in=list(claims_of_session))
            | models.Q(refund_of__session__in=list(claims_of_session))
        )
        .values_list("pk", "session_id", "refund_of_id", "refund_of__session_id", "kind", "amount")
    ):
        original[pk] = refund_of or pk
        session_of[refund_of or pk] = session or refunded_session
        credit[refund_of or pk] += amount if kind == Payment.Kind.PAYMENT else -amount
    for payment, line, service_line, fee, amount in ClientAllocation.objects.filter(
        models.Q(claim_line__in=list(claims_of_line))
        | models.Q(service_line__in=list(claims_of_service))
        | models.Q(payment__in=list(original))
    ).values_list("payment_id", "claim_line_id", "service_line_id", "client_charge_id", "amount"):
        if payment in original and (line or service_line or fee):
            credit[original[payment]] -= amount  # applied: it counts where it went
        toward = claims_of_line.get(line, set()) | claims_of_service.get(service_line, set())
        for claim_id in toward:
            result[claim_id] += amount
    for payment, left in credit.items():
        for claim_id in claims_of_session[session_of[payment]]:
            result[claim_id] += left
    return {pk: max(amount, ZERO) for pk, amount in result.items()}


def client_paid_per_service_line() -> QuerySet:
    """What a self-pay client paid per service line (``service_line``, ``total``): their
    payments as applied to it, oldest charge first (``ClientAllocation``), less what a
    refund took back; a credit not yet applied is no session's."""
    return (
        ClientAllocation.objects.filter(service_line__isnull=False)
        .order_by()
        .values("service_line")
        .annotate(total=Sum("amount"))
    )


def service_line_client_paid(line: str = "pk") -> Coalesce:
    """``client_paid_per_service_line`` for one service line, as SQL (a correlated
    subquery on ``line``); 0.00 when nothing was applied to it."""
    total = client_paid_per_service_line().filter(service_line=OuterRef(line)).values("total")
    return Coalesce(Subquery(total, output_field=MONEY), Value(ZERO), output_field=MONEY)


@dataclass(frozen=True)
class LineMoney:
    paid: Decimal = ZERO  # by payers
    written_off: Decimal = ZERO  # CO, OA, PI

    def balance(self, charge: Decimal) -> Decimal:
        """Still owed on the line by the payer or the client: the claim page's rule
        (``billing.payer_money.claim_money``) per line."""
        return charge - self.paid - self.written_off


def claim_lines_money(lines) -> dict[int, LineMoney]:
    """Paid and written off per claim line that has a posting (two queries for any
    number of lines; ``lines`` a queryset or ids): the claim summary's Paid and Balance.
    The rule is ``billing.payer_money.paid_per_line`` / ``written_off_per_line``, which the
    reports read per line in SQL too."""
    paid = dict(paid_per_line(lines).values_list("claim_line", "total"))
    written_off = dict(written_off_per_line(lines).values_list("claim_line", "total"))
    return {
        line: LineMoney(paid.get(line, ZERO), written_off.get(line, ZERO))
        for line in set(paid) | set(written_off)
    }


def claims_settle(claim_ids, *, user=None, reason: str = "Client payment applied") -> list:
    """Closed follows the money: a paid claim (its payer answered every line) on which
    nobody owes anything more — charge − payer paid − written off − the client's
    payments applied to its lines is zero: the payer left the client nothing, or the
    client paid their share — is Closed; a closed claim owed something again (a refund)
    goes back to Paid. A share billed on to a secondary payer is still owed, so that
    primary stays Paid. Partially paid and denied claims wait for a person (an appeal, a
    corrected claim). Four grouped queries for any number of claims (their lines, then
    ``owed_on_claims``), and when some change, one to read them and two to write them
    with their history. A payer's answer closes its claims itself
    (``billing.posting._follow_the_money``, same rule)."""
    from billing.models import Claim
    from practice.history import acting_user

    settled = [Claim.Status.PAID, Claim.Status.CLOSED]
    lines = list(
        ClaimLine.objects.filter(claim__in=list(claim_ids), claim__status__in=settled)
        .values_list("pk", "claim_id", "claim__status", "charge")
        .order_by()
    )
    if not lines:
        return []
    owed = owed_on_claims([(pk, claim_id, charge) for pk, claim_id, _s, charge in lines])
    status = {claim_id: claim_status for _pk, claim_id, claim_status, _a in lines}
    moving = {
        pk: settled_status(total)
        for pk, total in owed.items()
        if settled_status(total) != status[pk]
    }
    if not moving:
        return []
    changed = list(Claim.objects.filter(pk__in=list(moving), status__in=settled))
    for claim in changed:
        claim.status = moving[claim.pk]
        claim.version += 1
    Claim.objects.bulk_update(changed, ["status", "version"])
    Claim.history.bulk_history_create(
        changed,
        update=True,
        default_user=acting_user(user),
        default_change_reason=reason,
    )
    return changed


def settled_status(owed: Decimal) -> str:
    """A paid claim's status by what is still owed on it: Closed when nothing."""
    from billing.models import Claim

    return Claim.Status.CLOSED if owed <= 0 else Claim.Status.PAID


def owed_on_claims(lines: list[tuple[int, int, Decimal]]) -> dict[int, Decimal]:
    """What is still owed per claim, by the payer or the client, from its lines
    (claim line id, claim id, charge): Σ charge − what payers paid − written off − what
    the client's payments were applied to the line. Three grouped queries whatever the
    number of lines."""
    ids = [pk for pk, _claim, _charge in lines]
    money = claim_lines_money(ids)
    client = dict(
        ClientAllocation.objects.filter(claim_line__in=ids)
        .order_by()
        .values("claim_line")
        .annotate(total=Sum("amount"))
        .values_list("claim_line", "total")
    )
    owed: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for pk, claim_id, charge in lines:
        line = money.get(pk)
        owed[claim_id] += (line.balance(charge) if line else charge) - client.get(pk, ZERO)
    return owed
