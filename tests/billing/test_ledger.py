"""Client balances, payments and refunds (billing/ledger.py, billing/payments.py): what a
client owes, oldest charges paid first, refunds that restore the balance exactly."""

from __future__ import annotations

import datetime
import threading
from decimal import Decimal

import pytest
import time_machine
from django.db import close_old_connections, connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing import ledger
from billing.eob import EobLine, eob_post
from billing.models import Claim, ClientAllocation, Payment
from billing.payments import PaymentError, client_payment_record, client_refund_record
from practice.models import Appointment, ClientCharge, Session
from tests import factories
from tests.billing.test_claim_views import make_claim

pytestmark = pytest.mark.django_db
D = Decimal
TODAY = datetime.date(2026, 11, 20)


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(datetime.datetime(2026, 11, 20, 17, 0, tzinfo=datetime.UTC)):
        yield


def self_pay_session(client, day: datetime.date, charge: str = "150.00") -> Session:
    session = factories.SessionFactory(client=client, date=day, status=Session.Status.READY)
    factories.ServiceLineFactory(session=session, position=1, charge=D(charge))
    return session


def fee(client, day: datetime.date, amount: str = "75.00") -> ClientCharge:
    appointment = Appointment.objects.create(
        clinician=client.primary_clinician,
        client=client,
        date=day,
        start_time=datetime.time(9, 0),
        end_time=datetime.time(9, 53),
        minutes=53,
        telehealth="video",
        status=Appointment.Status.NO_SHOW,
    )
    return ClientCharge.objects.create(
        client=client, appointment=appointment, kind="no_show", date=day, amount=D(amount)
    )


def pay(client, amount: str, *, on=TODAY, method="card", reference="", session=None) -> Payment:
    return client_payment_record(
        client=client,
        amount=D(amount),
        method=method,
        received_on=on,
        reference=reference,
        session=session,
    )


def test_a_self_pay_session_and_a_fee_are_charges_paid_oldest_first(practice_row):
    client = factories.ClientFactory(self_pay=True)
    session = self_pay_session(client, datetime.date(2026, 8, 1))
    missed = fee(client, datetime.date(2026, 10, 1))
    payment = pay(client, "100.00")
    allocation = ClientAllocation.objects.get(payment=payment)
    assert (allocation.service_line, allocation.amount) == (session.lines.get(), D("100.00"))
    balance = ledger.client_balance(client, on=TODAY)
    assert (balance.charged, balance.paid, balance.balance) == (
        D("225.00"),
        D("100.00"),
        D("125.00"),
    )
    # The session (111 days old) keeps 50.00 open; the fee (50 days) all 75.00.
    assert balance.buckets == {
        "0–30": D("0.00"),
        "31–60": D("75.00"),
        "61–90": D("0.00"),
        "91–120": D("50.00"),
        "120+": D("0.00"),
    }
    assert missed.allocations.count() == 0


def test_aging_bucket_edges_are_30_60_90_120_days(practice_row):
    """A charge 30 days old is still in the first bucket, one 31 days old in the second,
    and so on; one dated after the day asked about is not counted."""
    client = factories.ClientFactory(self_pay=True)
    amounts = {}
    for n, days in enumerate((0, 30, 31, 60, 61, 90, 91, 120, 121, -1)):
        amounts[days] = D(2**n)
        fee(client, TODAY - datetime.timedelta(days=days), str(amounts[days]))
    balance = ledger.client_balance(client, on=TODAY)
    assert balance.buckets == {
        "0–30": amounts[0] + amounts[30],
        "31–60": amounts[31] + amounts[60],
        "61–90": amounts[61] + amounts[90],
        "91–120": amounts[91] + amounts[120],
        "120+": amounts[121],
    }
    assert balance.charged == sum(amounts.values()) - amounts[-1]


def test_a_copay_before_the_payer_answers_is_credit_until_the_payer_names_the_share(practice_row):
    coverage = factories.CoverageFactory(copay=D("30.00"))
    claim = make_claim(coverage)
    client = coverage.client
    copay = pay(client, "30.00", on=datetime.date(2026, 10, 5))
    assert not copay.allocations.exists()
    assert ledger.client_balance(client, on=TODAY).balance == D("-30.00")
    line = claim.lines.get()
    eob_post(
        claim=claim,
        received_on=datetime.date(2026, 11, 3),
        check_number="4411",
        lines=[EobLine(line, D("100.00"), (("CO", "45", D("30.00")), ("PR", "3", D("30.00"))))],
    )
    balance = ledger.client_balance(client, on=TODAY)
    assert (balance.charged, balance.balance, sum(balance.buckets.values())) == (
        D("30.00"),
        D("0.00"),
        D("0.00"),
    )
    # The payer's answer applied the copay to the share it named: the claim is settled.
    assert ClientAllocation.objects.get(payment=copay).claim_line == line
    claim.refresh_from_db()
    assert claim.status == Claim.Status.CLOSED
    later = pay(client, "10.00")
    assert not later.allocations.exists()
    rows = ledger.client_ledger(client).rows
    assert [r.kind for r in rows] == ["claim", "payment", "insurance", "payment"]
    assert rows[-1].balance == D("-10.00")
    assert ledger.client_ledger(client).insurance_pending == D("0.00")


def test_a_refund_takes_back_credit_first_then_reopens_the_newest_charge(practice_row):
    client = factories.ClientFactory(self_pay=True)
    old = self_pay_session(client, datetime.date(2026, 9, 1), "100.00")
    new = self_pay_session(client, datetime.date(2026, 10, 1), "100.00")
    payment = pay(client, "250.00")
    refund = client_refund_record(
        payment=payment, amount=D("80.00"), method="cash", refunded_on=TODAY
    )
    taken = ClientAllocation.objects.get(payment=refund)
    assert (taken.service_line, taken.amount) == (new.lines.get(), D("-30.00"))
    assert ledger.client_balance(client, on=TODAY).balance == D("30.00")
    assert old.lines.get().client_allocations.get().amount == D("100.00")
    with pytest.raises(PaymentError, match=r"Only 170\.00"):
        client_refund_record(payment=payment, amount=D("170.01"), method="cash", refunded_on=TODAY)


@pytest.mark.parametrize(
    ("amount", "method", "reference", "on", "field"),
    [
        ("0", "card", "", TODAY, "amount"),
        ("-5", "card", "", TODAY, "amount"),
        ("1.005", "card", "", TODAY, "amount"),
        ("5", "eft", "", TODAY, "method"),
        ("5", "check", " ", TODAY, "reference"),
        ("5", "cash", "", TODAY + datetime.timedelta(days=1), "received_on"),
    ],
)
def test_a_bad_payment_is_refused_beside_its_field_and_nothing_is_saved(
    practice_row, amount, method, reference, on, field
):
    client = factories.ClientFactory(self_pay=True)
    with pytest.raises(PaymentError) as error:
        pay(client, amount, method=method, reference=reference, on=on)
    assert error.value.field == field
    assert not Payment.objects.exists()


amounts = st.decimals(min_value=D("0.01"), max_value=D("400.00"), places=2)


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    charges=st.lists(st.tuples(st.integers(0, 200), amounts), min_size=0, max_size=4),
    payments=st.lists(amounts, min_size=1, max_size=4),
    refund_share=st.fractions(min_value=0, max_value=1),
)
def test_allocations_never_over_apply_and_a_refund_restores_the_balance_exactly(
    practice_row, charges, payments, refund_share
):
    client = factories.ClientFactory(self_pay=True)
    for days, amount in charges:
        self_pay_session(client, TODAY - datetime.timedelta(days=days), str(amount))
    made = [pay(client, str(amount)) for amount in payments[:-1]]
    before = ledger.client_balance(client, on=TODAY)
    assert before == _oldest_first(client)
    applied_before = _applied(client)
    last = pay(client, str(payments[-1]))
    made.append(last)

    def check_never_over_applied():
        per_charge = _applied(client)
        for charge in ledger.charges_of([client]):
            assert per_charge.get(charge.key, D("0")) <= charge.amount
        for payment in made:
            net = payment.amount - sum((r.amount for r in payment.refunds.all()), D("0"))
            given_out = sum(
                (
                    a.amount
                    for a in ClientAllocation.objects.filter(
                        payment__in=[payment, *payment.refunds.all()]
                    )
                ),
                D("0"),
            )
            assert D("0") <= given_out <= net

    check_never_over_applied()
    part = (payments[-1] * D(refund_share.numerator) / D(refund_share.denominator)).quantize(
        D("0.01")
    )
    if part > 0:
        client_refund_record(payment=last, amount=part, method="cash", refunded_on=TODAY)
        check_never_over_applied()
    rest = payments[-1] - part
    if rest > 0:
        client_refund_record(payment=last, amount=rest, method="card", refunded_on=TODAY)
    after = ledger.client_balance(client, on=TODAY)
    assert after == _oldest_first(client)
    assert (after.balance, after.buckets, after.credit) == (
        before.balance,
        before.buckets,
        before.credit,
    )
    assert _applied(client) == applied_before
    check_never_over_applied()


def _oldest_first(client) -> ledger.Balance:
    """The aging rule worked by hand from the charges and credits ledger.py lists: the
    credits pay the oldest charges first, what is left is aged by its date."""
    charges = ledger.charges_of([client], through=TODAY)
    credits = ledger.credits_of([client], through=TODAY)
    balance = ledger.Balance(client.pk)
    balance.paid = sum((c.amount for c in credits), D("0.00"))
    balance.charged = sum((c.amount for c in charges), D("0.00"))
    pool = balance.paid - sum((c.amount for c in charges if c.amount < 0), D("0.00"))
    for charge in charges:  # oldest first
        if charge.amount <= 0:
            continue
        taken = min(max(pool, D("0.00")), charge.amount)
        pool -= taken
        if charge.amount > taken:
            age = (TODAY - charge.date).days
            label = next(
                label for label, first, last in ledger.BUCKETS if last is None or age <= last
            )
            balance.buckets[label] += charge.amount - taken
    balance.credit = max(pool, D("0.00"))
    return balance


def _applied(client) -> dict:
    totals: dict = {}
    for allocation in ClientAllocation.objects.filter(payment__client=client):
        key = ("session", allocation.service_line_id)
        totals[key] = totals.get(key, D("0")) + allocation.amount
    return {k: v for k, v in totals.items() if v}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_payments_at_the_same_moment_never_apply_more_than_a_charge(practice_row):
    """The client's row lock makes the second payment wait for the first one's
    allocations: together they pay the 150.00 session once and leave 50.00 credit."""
    client = factories.ClientFactory(self_pay=True)
    session = self_pay_session(client, datetime.date(2026, 11, 2), "150.00")
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def record():
        try:
            barrier.wait()
            pay(client, "100.00")
        except BaseException as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=record) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    close_old_connections()
    assert errors == []
    applied = sum((a.amount for a in ClientAllocation.objects.all()), D("0"))
    assert applied == D("150.00")
    assert session.lines.get().client_allocations.count() == 2
    balance = ledger.client_balance(client, on=TODAY)
    assert (balance.balance, balance.credit) == (D("-50.00"), D("50.00"))


def test_a_share_billed_on_to_a_secondary_payer_is_not_the_clients(practice_row):
    primary = factories.CoverageFactory()
    claim = make_claim(primary)
    eob_post(
        claim=claim,
        received_on=datetime.date(2026, 11, 3),
        check_number="1",
        lines=[
            EobLine(claim.lines.get(), D("100.00"), (("CO", "45", D("30")), ("PR", "1", D("30"))))
        ],
    )
    client = primary.client
    assert ledger.client_balance(client, on=TODAY).balance == D("30.00")
    secondary = factories.CoverageFactory(
        client=client, payer=factories.PayerFactory(name="Second Mutual"), priority=2
    )
    second = make_claim(secondary)
    Claim.objects.filter(pk=second.pk).update(primary_claim=claim)
    assert ledger.client_balance(client, on=TODAY).balance == D("0.00")
    book = ledger.client_ledger(client)
    assert book.balance == D("0.00")
    assert "billed to the secondary payer" in book.rows[-1].description
    assert book.insurance_pending == D("30.00")
