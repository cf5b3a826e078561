"""Client payments, receipts, the client page's ledger and statements, through the pages
(billing/views/payments.py): who may do what, errors beside the field, PDFs that print
names as written, statements kept as sent."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pypdf
import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse

from billing.models import ClientAllocation, Payment, Statement
from billing.outputs.statement import render_statement
from billing.statements import statement_pdf_data, statements_send
from practice.models import Session
from tests import factories
from tests.billing.test_claim_views import make_claim
from tests.billing.test_ledger import fee, pay, self_pay_session

pytestmark = pytest.mark.django_db
D = Decimal
TODAY = datetime.date(2026, 11, 20)


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(datetime.datetime(2026, 11, 20, 17, 0, tzinfo=datetime.UTC)):
        yield


def pdf_text(data: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


@pytest.fixture
def own_client(clinician):
    return factories.ClientFactory(
        primary_clinician=clinician, first_name="Zoë", last_name="Nguyễn O’Brien", self_pay=True
    )


def test_a_clinician_takes_the_copay_at_the_session_defaulting_to_the_coverage(
    client, clinician, clinician_user
):
    coverage = factories.CoverageFactory(
        client=factories.ClientFactory(primary_clinician=clinician), copay=D("25.00")
    )
    session = factories.SessionFactory(client=coverage.client, status=Session.Status.READY)
    client.force_login(clinician_user)
    page = client.get(reverse("practice:session_detail", args=[session.pk])).content.decode()
    url = reverse("billing:payment_create", args=[coverage.client.pk]) + f"?session={session.pk}"
    assert url.replace("&", "&amp;") in page or url in page
    form = client.get(url).content.decode()
    assert 'value="25.00"' in form
    response = client.post(
        url,
        {
            "amount": "25.00",
            "method": "cash",
            "received_on": "2026-11-20",
            "reference": "",
            "session": session.pk,
        },
    )
    assert response.status_code == 302
    payment = Payment.objects.get()
    assert (payment.session, payment.client, payment.amount) == (session, coverage.client, D("25"))
    assert payment.created_by == clinician_user


def test_a_check_without_its_number_is_refused_beside_the_field(client, biller_user, own_client):
    client.force_login(biller_user)
    response = client.post(
        reverse("billing:payment_create", args=[own_client.pk]),
        {"amount": "40", "method": "check", "received_on": "2026-11-20", "reference": ""},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Enter the check number." in page[page.index('name="reference"') - 600 :]
    assert not Payment.objects.exists()


def test_a_malformed_session_or_amount_is_a_400_not_a_500(client, biller_user, own_client):
    client.force_login(biller_user)
    url = reverse("billing:payment_create", args=[own_client.pk])
    assert client.get(url + "?session=abc").status_code == 400
    response = client.post(url, {"amount": "1e999", "method": "card", "received_on": "x"})
    assert response.status_code == 400
    assert not Payment.objects.exists()


def test_another_clinicians_client_is_a_404_for_ledger_payment_and_receipt(
    client, other_clinician_user, own_client
):
    payment = pay(own_client, "10.00")
    client.force_login(other_clinician_user)
    assert client.get(reverse("practice:client_detail", args=[own_client.pk])).status_code == 404
    assert client.get(reverse("billing:payment_create", args=[own_client.pk])).status_code == 404
    assert client.get(reverse("billing:payment_receipt", args=[payment.pk])).status_code == 404


def test_a_clinician_may_not_refund_or_print_statements(client, clinician_user, own_client):
    payment = pay(own_client, "10.00")
    client.force_login(clinician_user)
    assert client.get(reverse("billing:payment_refund", args=[payment.pk])).status_code == 403
    url = reverse("billing:statement_create", args=[own_client.pk])
    assert client.post(url).status_code == 403
    assert client.get(reverse("billing:statement_list")).status_code == 403


def test_the_receipt_names_practice_client_method_and_what_it_paid(
    client, biller_user, own_client, practice_row
):
    self_pay_session(own_client, datetime.date(2026, 11, 2), "150.00")
    payment = pay(own_client, "200.00", method="check", reference="1042")
    client.force_login(biller_user)
    response = client.get(reverse("billing:payment_receipt", args=[payment.pk]))
    assert response["Content-Type"] == "application/pdf"
    assert "no-store" in response["Cache-Control"]
    text = pdf_text(response.content)
    for expected in (
        practice_row.name,
        "Zoë Nguyễn O’Brien",
        "11/20/2026",
        "Check no. 1042",
        "200.00",
        "Session 11/02/2026: 90837",
        "150.00",
        "Credit on your account",
        "50.00",
    ):
        assert expected in text


def test_a_refund_through_the_page_is_a_new_row_and_the_payment_stays(
    client, biller_user, own_client
):
    self_pay_session(own_client, datetime.date(2026, 11, 2), "150.00")
    payment = pay(own_client, "150.00")
    client.force_login(biller_user)
    url = reverse("billing:payment_refund", args=[payment.pk])
    too_much = client.post(url, {"amount": "150.01", "method": "card", "received_on": "2026-11-20"})
    assert too_much.status_code == 400
    assert "Only 150.00 of this payment is left to refund." in too_much.content.decode()
    response = client.post(url, {"amount": "150.00", "method": "card", "received_on": "2026-11-20"})
    assert response.status_code == 302
    payment.refresh_from_db()
    assert payment.amount == D("150.00")
    refund = Payment.objects.get(kind="refund")
    assert refund.refund_of == payment
    assert ClientAllocation.objects.get(payment=refund).amount == D("-150.00")
    text = pdf_text(client.get(reverse("billing:payment_receipt", args=[refund.pk])).content)
    assert "Taken back from" in text and "Refund" in text


def test_the_client_page_shows_the_ledger_in_a_fixed_number_of_queries(
    client, biller_user, django_assert_max_num_queries
):
    coverage = factories.CoverageFactory()
    owner = coverage.client
    for _ in range(3):
        claim = make_claim(coverage)
        from billing.eob import EobLine, eob_post

        eob_post(
            claim=claim,
            received_on=datetime.date(2026, 11, 3),
            check_number="9",
            lines=[
                EobLine(
                    claim.lines.get(), D("100.00"), (("CO", "45", D("30")), ("PR", "3", D("30")))
                )
            ],
        )
    fee(owner, datetime.date(2026, 11, 1))
    pay(owner, "20.00")
    client.force_login(biller_user)
    url = reverse("practice:client_detail", args=[owner.pk])
    client.get(url)  # warm the session and role caches
    # The client page's 18 (tests/practice/test_clients.py) + the ledger's 7: sessions,
    # shares, fees, payments, claims billed, insurance postings, adjustments — whatever
    # the number of claims, postings or payments.
    with django_assert_max_num_queries(25):
        page = client.get(url).content.decode()
    section = page[page.index('id="ledger"') :]
    # 3 × 30.00 shares + 75.00 fee − 20.00 paid.
    assert "$145.00" in section[: section.index("</dl>")]
    assert "answered: 90837" in section
    assert "No-show fee 11/01/2026" in section
    assert section.count("Receipt</a>") == 1


def test_statements_for_the_month_go_to_clients_with_a_balance_and_are_kept(
    own_client, practice_row
):
    self_pay_session(own_client, datetime.date(2026, 10, 2), "150.00")
    paid_up = factories.ClientFactory(self_pay=True)
    self_pay_session(paid_up, datetime.date(2026, 10, 2), "150.00")
    pay(paid_up, "150.00", on=datetime.date(2026, 10, 2))
    run = statements_send(month=datetime.date(2026, 10, 1))
    assert [s.client for s in run.created] == [own_client]
    statement = run.created[0]
    assert (statement.statement_date, statement.balance) == (datetime.date(2026, 10, 31), D("150"))
    text = pdf_text(render_statement(statement_pdf_data(statement)))
    for expected in ("Zoë Nguyễn O’Brien", "Balance due", "150.00", "Session 10/02/2026", "0–30"):
        assert expected in text
    # Kept as sent: the same bytes later, whatever happens to the account.
    first = render_statement(statement_pdf_data(statement))
    pay(own_client, "50.00")
    again = Statement.objects.get(pk=statement.pk)
    assert render_statement(statement_pdf_data(again)) == first
    with pytest.raises(ValueError, match="kept as it was sent"):
        again.save()
    # A second run of the month sends nothing new; the next month shows only new lines.
    assert statements_send(month=datetime.date(2026, 10, 1)).created == []
    november = statements_send(month=datetime.date(2026, 11, 1)).created[0]
    assert november.previous_balance == D("150.00")
    assert november.period_start == datetime.date(2026, 11, 1)
    assert [line["description"] for line in november.data["lines"]] == ["Payment, card"]
    assert november.balance == D("100.00")


def test_an_empty_month_makes_no_statements(practice_row):
    factories.ClientFactory(self_pay=True)
    run = statements_send(month=datetime.date(2026, 9, 1))
    assert (run.created, run.already_sent) == ([], 0)
    with pytest.raises(ValueError, match="not started"):
        statements_send(month=datetime.date(2026, 12, 1))


def test_send_statements_command_and_the_billers_button(client, biller_user, own_client):
    self_pay_session(own_client, datetime.date(2026, 10, 2), "80.00")
    out = io.StringIO()
    call_command("send_statements", "--month", "2026-10", stdout=out)
    assert "1 statement made for October 2026" in out.getvalue()
    client.force_login(biller_user)
    response = client.post(reverse("billing:statement_list"), {"month": "2026-11"})
    assert response.status_code == 302
    assert Statement.objects.filter(month=datetime.date(2026, 11, 1)).count() == 1
    bad = client.post(reverse("billing:statement_list"), {"month": "2026-13"})
    assert bad.status_code == 400 and "Enter a month as YYYY-MM." in bad.content.decode()
    month_pdf = client.get(reverse("billing:statements_month_pdf", args=["2026-10"]))
    assert "Zoë Nguyễn O’Brien" in pdf_text(month_pdf.content)
    assert client.get(reverse("billing:statements_month_pdf", args=["2026-1x"])).status_code == 400
    with pytest.raises(Exception, match="YYYY-MM"):
        call_command("send_statements", "--month", "October")


def test_a_clinician_sees_their_own_clients_ledger_and_receipts_but_no_billing_actions(
    client, clinician_user, own_client
):
    self_pay_session(own_client, datetime.date(2026, 11, 2), "150.00")
    payment = pay(own_client, "60.00")
    client.force_login(clinician_user)
    page = client.get(reverse("practice:client_detail", args=[own_client.pk])).content.decode()
    section = page[page.index('id="ledger"') :]
    assert "$90.00" in section[: section.index("</dl>")]
    assert "Record a payment" in section
    assert "Print a statement" not in section and "Refund</a>" not in section
    receipt = client.get(reverse("billing:payment_receipt", args=[payment.pk]))
    assert receipt.status_code == 200
