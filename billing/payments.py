"""Client payments and refunds (docs/getting-paid.md "Client payments").

A payment is recorded once and never edited: card, cash or check (with its number),
at the session (the copay) or later. It is applied to the client's open charges oldest
first (``billing.ledger.charges_of``); what is left is the client's credit, applied to
the next charges when the next payment is recorded. A refund is a new row naming the
payment it gives money back from: it takes back that payment's unapplied credit first,
then what it had applied, newest charge first, so the balance is what it was before.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from billing.ledger import Charge, charges_of, claims_settle
from billing.models import ClaimLine, ClientAllocation, Payment
from practice.common import ZERO
from practice.history import acting_user
from practice.models import Client, Session

CLIENT_METHODS = (Payment.Method.CARD, Payment.Method.CASH, Payment.Method.CHECK)
TARGET_FIELDS = {"session": "service_line_id", "share": "claim_line_id", "fee": "client_charge_id"}
MAX_AMOUNT = Decimal("99999999.99")


class PaymentError(ValueError):
    """A payment or refund that cannot be recorded; ``field`` names the form field."""

    def __init__(self, message: str, *, field: str = "") -> None:
        super().__init__(message)
        self.field = field


def _key(allocation: ClientAllocation) -> tuple[str, int] | None:
    for kind, name in TARGET_FIELDS.items():
        target = getattr(allocation, name)
        if target is not None:
            return (kind, target)
    return None  # its charge is gone: the money is credit again


def _check(amount: Decimal, method: str, reference: str, received_on: datetime.date) -> None:
    if amount is None or amount <= 0:
        raise PaymentError("Enter an amount above zero.", field="amount")
    if amount > MAX_AMOUNT or amount != amount.quantize(Decimal("0.01")):
        raise PaymentError("Enter dollars and cents, e.g. 25.00.", field="amount")
    if method not in CLIENT_METHODS:
        raise PaymentError("Choose card, cash or check.", field="method")
    if method == Payment.Method.CHECK and not reference.strip():
        raise PaymentError("Enter the check number.", field="reference")
    if received_on > timezone.localdate():
        raise PaymentError("A payment cannot be dated in the future.", field="received_on")


def _lock(client_id: int) -> None:
    """One client's payments are applied one at a time (a row lock on PostgreSQL)."""
    Client.objects.select_for_update().filter(pk=client_id).values_list("pk", flat=True).get()


@dataclass
class _State:
    """A client's allocations so far: applied per charge, unapplied per payment."""

    applied: dict[tuple[str, int], Decimal]
    unapplied: dict[int, Decimal]  # original payment id → credit left
    by_payment: dict[int, dict[tuple[str, int], Decimal]]  # original payment → per charge


def _state(client_id: int) -> _State:
    """Two queries: the client's payments and their allocations."""
    return _states([client_id]).get(client_id) or _State(
        defaultdict(lambda: ZERO), defaultdict(lambda: ZERO), defaultdict(dict)
    )


def _states(client_ids: list[int]) -> dict[int, _State]:
    """Each client's ``_State``: two queries whatever the number of clients."""
    payments = list(
        Payment.objects.filter(client_id__in=client_ids, source=Payment.Source.CLIENT)
        .order_by("received_on", "pk")
        .values_list("pk", "client_id", "kind", "amount", "refund_of")
    )
    states: dict[int, _State] = {}
    original: dict[int, int] = {}
    client_of: dict[int, int] = {}
    for pk, client_id, kind, amount, refund_of in payments:
        state = states.get(client_id)
        if state is None:
            state = states[client_id] = _State(
                defaultdict(lambda: ZERO),
                defaultdict(lambda: ZERO),
                defaultdict(lambda: defaultdict(lambda: ZERO)),
            )
        client_of[pk] = client_id
        if kind == Payment.Kind.PAYMENT:
            state.unapplied[pk] = amount
            original[pk] = pk
        else:
            state.unapplied[refund_of] -= amount
            original[pk] = refund_of
    for allocation in ClientAllocation.objects.filter(payment__client_id__in=client_ids).order_by(
        "pk"
    ):
        state = states[client_of[allocation.payment_id]]
        owner = original[allocation.payment_id]
        state.unapplied[owner] -= allocation.amount
        key = _key(allocation)
        if key is not None:
            state.applied[key] += allocation.amount
            state.by_payment[owner][key] += allocation.amount
        else:
            # The charge is gone: what was applied to it is credit again.
            state.unapplied[owner] += allocation.amount
    return states


def _allocation(payment_id: int, key: tuple[str, int], amount: Decimal, now) -> ClientAllocation:
    return ClientAllocation(
        payment_id=payment_id, amount=amount, created_at=now, **{TARGET_FIELDS[key[0]]: key[1]}
    )


def _settle(claim_line_ids: list[int], *, user) -> None:
    """The claims whose client's share moved may close or reopen (billing.ledger)."""
    if claim_line_ids:
        claims = ClaimLine.objects.filter(pk__in=claim_line_ids).values_list("claim_id", flat=True)
        claims_settle(set(claims), user=user)


def credit_apply(*, client: Client, now=None) -> list[ClientAllocation]:
    """Apply the client's unapplied payments (oldest first) to their open charges (oldest
    first). Never more than a charge's open amount, never more than a payment's credit.
    Call inside a transaction that holds the client's lock."""
    return _credits_apply([client.pk], now=now)


def _credits_apply(client_ids: list[int], *, now=None) -> list[ClientAllocation]:
    """``credit_apply`` for several clients at once (their locks held): six queries
    whatever the number of clients (payments, allocations, three for the charges, the
    insert)."""
    now = now or timezone.now()
    states = _states(client_ids)
    charges: dict[int, list[Charge]] = defaultdict(list)
    for charge in charges_of(client_ids):
        charges[charge.client_id].append(charge)
    made: list[ClientAllocation] = []
    for client_id in client_ids:
        state = states.get(client_id)
        if state is not None:
            made += _apply(state, charges[client_id], now)
    return ClientAllocation.objects.bulk_create(made)


def _apply(state: _State, charges: list[Charge], now) -> list[ClientAllocation]:
    """One client's unapplied credit (oldest payment first) to their open charges (oldest
    first), as new allocations."""
    open_charges: list[tuple[Charge, Decimal]] = []
    for charge in charges:
        left = charge.amount - state.applied.get(charge.key, ZERO)
        if left > 0:
            open_charges.append((charge, left))
    made: list[ClientAllocation] = []
    index = 0
    for payment_id, credit in state.unapplied.items():  # oldest payment first
        while credit > 0 and index < len(open_charges):
            charge, left = open_charges[index]
            taken = min(credit, left)
            made.append(_allocation(payment_id, charge.key, taken, now))
            credit -= taken
            left -= taken
            if left == 0:
                index += 1
            else:
                open_charges[index] = (charge, left)
    return made


def credit_apply_for(client_ids: set[int], *, user=None) -> None:
    """After a payer's posting: the clients among these with unapplied credit have it
    applied to their open charges (the share the payer just named), and the claims whose
    share is then paid close. Two aggregate queries when nobody has credit; a fixed few
    more (their locks, in id order, and ``_credits_apply``) whatever the number who do."""
    if not client_ids:
        return
    net: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for client_id, kind, total in (
        Payment.objects.filter(source=Payment.Source.CLIENT, client__in=list(client_ids))
        .values("client_id", "kind")
        .annotate(total=Sum("amount"))
        .values_list("client_id", "kind", "total")
    ):
        net[client_id] += total if kind == Payment.Kind.PAYMENT else -total
    if not any(amount > 0 for amount in net.values()):
        return
    for client_id, total in (
        ClientAllocation.objects.filter(payment__client__in=[c for c, a in net.items() if a > 0])
        .values("payment__client_id")
        .annotate(total=Sum("amount"))
        .values_list("payment__client_id", "total")
    ):
        net[client_id] -= total
    with_credit = sorted(c for c, amount in net.items() if amount > 0)
    if not with_credit:
        return
    list(
        Client.objects.select_for_update()
        .filter(pk__in=with_credit)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    made = _credits_apply(with_credit)
    _settle([a.claim_line_id for a in made if a.claim_line_id], user=user)


def client_payment_record(
    *,
    client: Client,
    amount: Decimal,
    method: str,
    received_on: datetime.date,
    reference: str = "",
    session: Session | None = None,
    user=None,
) -> Payment:
    """Record a client's payment and apply it (with any earlier credit) to their open
    charges, oldest first. Raises PaymentError (nothing saved) for a bad amount, method,
    date or a check without its number."""
    _check(amount, method, reference, received_on)
    if session is not None and session.client_id != client.pk:
        raise PaymentError("That session is another client's.", field="session")
    with transaction.atomic():
        _lock(client.pk)
        now = timezone.now()
        payment = Payment(
            source=Payment.Source.CLIENT,
            client=client,
            method=method,
            kind=Payment.Kind.PAYMENT,
            amount=amount,
            received_on=received_on,
            reference=reference.strip()[:50],
            session=session,
            created_at=now,
            created_by=acting_user(user),
        )
        payment.full_clean()
        payment.save()
        made = credit_apply(client=client, now=now)
        _settle([a.claim_line_id for a in made if a.claim_line_id], user=user)
    return payment


def refundable(payment: Payment) -> Decimal:
    """What is left to give back from a payment: its amount less earlier refunds."""
    refunded = payment.refunds.aggregate(total=Sum("amount"))["total"] or ZERO
    return payment.amount - refunded


def client_refund_record(
    *,
    payment: Payment,
    amount: Decimal,
    method: str,
    refunded_on: datetime.date,
    reference: str = "",
    user=None,
) -> Payment:
    """Give back part or all of a client's payment: a new refund row (the payment is
    never edited). It takes back the payment's credit first, then what the payment had
    applied, newest charge first, so those charges are open again. Raises PaymentError
    for more than is left of the payment."""
    if payment.source != Payment.Source.CLIENT or payment.kind != Payment.Kind.PAYMENT:
        raise PaymentError("Only a client's payment can be refunded here.")
    _check(amount, method, reference, refunded_on)
    if refunded_on < payment.received_on:
        raise PaymentError("A refund cannot be dated before its payment.", field="received_on")
    with transaction.atomic():
        _lock(payment.client_id)
        left = refundable(payment)
        if amount > left:
            raise PaymentError(
                f"Only {left:.2f} of this payment is left to refund.", field="amount"
            )
        now = timezone.now()
        refund = Payment(
            source=Payment.Source.CLIENT,
            client_id=payment.client_id,
            method=method,
            kind=Payment.Kind.REFUND,
            refund_of=payment,
            amount=amount,
            received_on=refunded_on,
            reference=reference.strip()[:50],
            created_at=now,
            created_by=acting_user(user),
        )
        refund.full_clean()
        refund.save()
        state = _state(payment.client_id)
        # _state already counts this refund against the payment's credit; what went
        # below zero must come back from the charges the payment paid.
        owed = -min(state.unapplied.get(payment.pk, ZERO), ZERO)
        taken_back = []
        applied = state.by_payment.get(payment.pk, {})
        order = {c.key: c.order for c in charges_of([payment.client_id])}
        newest_first = sorted(
            applied, key=lambda k: order.get(k, (datetime.date.max,)), reverse=True
        )
        for key in newest_first:
            if owed <= 0:
                break
            take = min(owed, applied[key])
            if take > 0:
                taken_back.append(_allocation(refund.pk, key, -take, now))
                owed -= take
        ClientAllocation.objects.bulk_create(taken_back)
        _settle([a.claim_line_id for a in taken_back if a.claim_line_id], user=user)
    return refund
