"""Statements and receipts: what a client is sent, kept exactly as sent
(docs/getting-paid.md "Statements").

A statement carries the balance due on its date, its aging (billing/ledger.py) and the
ledger lines since the client's previous statement. ``statements_send`` makes the month's
statements for every client with a balance, in a fixed number of queries (the ledger's
for all clients at once, one for the previous statements, one insert), and is safe to run
twice: a client's monthly statement is unique per month.
"""

from __future__ import annotations

import calendar
import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from billing.ledger import (
    METHODS,
    Balance,
    Ledger,
    charges_of,
    client_balances,
    ledgers,
)
from billing.models import ClientAllocation, Payment, Statement
from practice.common import ZERO
from practice.history import acting_user
from practice.models import Client, Practice

CHUNK = 2000  # clients per ledger read in a monthly run


def _practice() -> dict:
    practice = Practice.current()
    if practice is None:
        return {"name": "", "address": [], "phone": ""}
    from billing.outputs.pdf import us_phone

    return {
        "name": practice.name,
        "address": practice.address_lines,
        "phone": us_phone(practice.phone),
    }


def _client(client: Client) -> dict:
    return {
        "name": client.full_name,
        "account": client.account_number,
        "address": client.address_lines,
    }


def _s(amount: Decimal) -> str:
    return f"{amount:.2f}"


def statement_data(
    *,
    client: Client,
    ledger: Ledger,
    balance: Balance,
    statement_date: datetime.date,
    previous: datetime.date | None,
    practice: dict,
) -> dict:
    """Everything a statement prints (amounts and dates as strings, JSON-ready)."""
    before = [r for r in ledger.rows if previous is not None and r.date <= previous]
    lines = [r for r in ledger.rows if previous is None or r.date > previous]
    return {
        "practice": practice,
        "client": _client(client),
        "statement_date": statement_date.isoformat(),
        "period_start": (previous + datetime.timedelta(days=1)).isoformat() if previous else None,
        "previous_balance": _s(before[-1].balance if before else ZERO),
        "balance": _s(ledger.balance),
        "credit": _s(balance.credit),
        "insurance_pending": _s(ledger.insurance_pending),
        "buckets": [[label, _s(amount)] for label, amount in balance.buckets.items()],
        "lines": [
            {
                "date": r.date.isoformat(),
                "description": r.description,
                "charge": _s(r.charge),
                "insurance_paid": _s(r.insurance_paid),
                "adjusted": _s(r.adjusted),
                "client_paid": _s(r.client_paid),
                "balance": _s(r.balance),
            }
            for r in lines
        ],
    }


def _previous_dates(client_ids, before: datetime.date) -> dict[int, datetime.date]:
    """Each client's latest statement date before a day (one query)."""
    found: dict[int, datetime.date] = {}
    for client_id, day in (
        Statement.objects.filter(client__in=client_ids, statement_date__lt=before)
        .order_by("client_id", "statement_date")
        .values_list("client_id", "statement_date")
    ):
        found[client_id] = day
    return found


def month_end(month: datetime.date) -> datetime.date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


@dataclass
class StatementRun:
    month: datetime.date
    statement_date: datetime.date
    created: list[Statement]
    already_sent: int


def statements_send(
    *, month: datetime.date, user=None, today: datetime.date | None = None
) -> StatementRun:
    """The month's statements for every client whose balance on the statement date (the
    month's last day, or today for the month under way) is above zero; a client who
    already has that month's statement is left alone. A month in the future is refused."""
    today = today or timezone.localdate()
    month = month.replace(day=1)
    if month > today:
        raise ValueError("That month has not started yet.")
    on = min(month_end(month), today)
    balances = {
        client_id: balance
        for client_id, balance in client_balances(on=on).items()
        if balance.balance > 0
    }
    sent = set(Statement.objects.filter(month=month).values_list("client_id", flat=True))
    ids = [pk for pk in balances if pk not in sent]
    if not ids:
        return StatementRun(month, on, [], len(sent & set(balances)))
    rows: list[Statement] = []
    for start in range(0, len(ids), CHUNK):  # bounded memory and IN lists
        rows += statements_build(
            client_ids=ids[start : start + CHUNK], month=month, on=on, balances=balances, user=user
        )
    try:
        with transaction.atomic():
            created = Statement.objects.bulk_create(rows)
    except IntegrityError:
        # Another run made some of this month's statements meanwhile: make the rest.
        created = []
        for row in rows:
            try:
                with transaction.atomic():
                    row.save()
                created.append(row)
            except IntegrityError:
                continue
    already = len(sent & set(balances)) + len(rows) - len(created)
    return StatementRun(month, on, created, already)


def statements_build(
    *,
    client_ids: list[int],
    month: datetime.date | None,
    on: datetime.date,
    balances: dict[int, Balance] | None = None,
    user=None,
) -> list[Statement]:
    """The statements (not yet saved) of these clients on a date, in name order: one
    ledger read for all of them (billing.ledger.ledgers), one query for their previous
    statements."""
    if balances is None:
        balances = client_balances(client_ids, on=on)
    clients = Client.objects.in_bulk(client_ids)
    books = ledgers(client_ids, through=on)
    previous = _previous_dates(client_ids, on)
    practice = _practice()
    now = timezone.now()
    rows = []
    for pk in sorted(
        client_ids, key=lambda pk: (clients[pk].last_name, clients[pk].first_name, pk)
    ):
        data = statement_data(
            client=clients[pk],
            ledger=books.get(pk) or Ledger(pk),
            balance=balances.get(pk) or Balance(pk),
            statement_date=on,
            previous=previous.get(pk),
            practice=practice,
        )
        rows.append(
            Statement(
                client=clients[pk],
                month=month,
                statement_date=on,
                period_start=(previous[pk] + datetime.timedelta(days=1))
                if pk in previous
                else None,
                previous_balance=Decimal(data["previous_balance"]),
                balance=Decimal(data["balance"]),
                data=data,
                created_at=now,
                created_by=acting_user(user),
            )
        )
    return rows


def statement_print(*, client: Client, user=None) -> Statement:
    """A statement printed on demand today (not part of a monthly run), kept like any
    other."""
    on = timezone.localdate()
    balance = client_balances([client], on=on).get(client.pk) or Balance(client.pk)
    ledger = ledgers([client], through=on).get(client.pk) or Ledger(client.pk)
    previous = _previous_dates([client.pk], on + datetime.timedelta(days=1)).get(client.pk)
    if previous == on:
        # A second statement today repeats today's lines rather than showing none.
        previous = _previous_dates([client.pk], on).get(client.pk)
    data = statement_data(
        client=client,
        ledger=ledger,
        balance=balance,
        statement_date=on,
        previous=previous,
        practice=_practice(),
    )
    statement = Statement(
        client=client,
        month=None,
        statement_date=on,
        period_start=datetime.date.fromisoformat(data["period_start"])
        if data["period_start"]
        else None,
        previous_balance=Decimal(data["previous_balance"]),
        balance=Decimal(data["balance"]),
        data=data,
        created_at=timezone.now(),
        created_by=acting_user(user),
    )
    statement.save()
    return statement


def statement_pdf_data(statement: Statement) -> dict:
    """The kept data plus the statement's number."""
    return {**statement.data, "number": statement.number}


def receipt_data(payment: Payment) -> dict:
    """What a receipt prints for a client payment or refund: its allocations (a refund:
    what it took back), the credit left and the client's balance after it."""
    client = payment.client
    charges = {c.key: c for c in charges_of([client])}
    applied = []
    total = ZERO
    for allocation in ClientAllocation.objects.filter(payment=payment).order_by("pk"):
        for kind, name in (
            ("session", "service_line_id"),
            ("share", "claim_line_id"),
            ("fee", "client_charge_id"),
        ):
            target = getattr(allocation, name)
            if target is not None:
                charge = charges.get((kind, target))
                text = charge.description if charge else "A charge since removed"
                break
        else:
            text = "A charge since removed"
        amount = -allocation.amount if payment.kind == Payment.Kind.REFUND else allocation.amount
        applied.append({"description": text, "amount": _s(amount)})
        total += amount
    method = METHODS.get(payment.method, payment.method)
    if payment.reference:
        method += f" {'no. ' if payment.method == Payment.Method.CHECK else ''}{payment.reference}"
    today = max(payment.received_on, timezone.localdate())
    balances = client_balances([client], on=today)
    return {
        "practice": _practice(),
        "client": _client(client),
        "number": f"R-{payment.pk:06d}",
        "kind": payment.kind,
        "date": payment.received_on.isoformat(),
        "method": method,
        "amount": _s(payment.amount),
        "refund_of": f"R-{payment.refund_of_id:06d}" if payment.refund_of_id else "",
        "applied": applied,
        "credit": _s(payment.amount - total),
        "balance": _s(balances[client.pk].balance if client.pk in balances else ZERO),
        "balance_on": today.isoformat(),
    }
