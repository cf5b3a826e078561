"""Client payments, refunds, receipts and statements (docs/getting-paid.md).

Who: billing staff and owners for any client; a clinician records payments (the copay
at the session) and prints receipts for their own clients only — another client is a
404, as on the client page. Refunds and statements are billing work (403 for a
clinician, like every billing page).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from billing.forms import ClientPaymentForm, ClientRefundForm, StatementMonthForm
from billing.ledger import client_ledger
from billing.models import Payment, Statement
from billing.outputs.statement import render_receipt, render_statement, render_statements
from billing.payments import (
    PaymentError,
    client_payment_record,
    client_refund_record,
    refundable,
)
from billing.statements import (
    receipt_data,
    statement_pdf_data,
    statement_print,
    statements_send,
)
from billing.templatetags.money import dollars
from practice import roles
from practice.audit import AccessKind, record_access
from practice.downloads import printed
from practice.models import Client, Session
from practice.roles import billing_staff_only

STATEMENTS_SHOWN = 100
LEDGER_ROWS = 50  # the client page's latest lines; statements carry the rest


def _ledger_url(client_pk: int) -> str:
    return reverse("practice:client_detail", args=[client_pk]) + "#ledger"


def _recorded(form, record: Callable[[dict], Payment]) -> Payment | None:
    """What ``record(cleaned_data)`` made when the form is valid; None when it is not or
    the service refused (its reason beside the field it names, else above the form)."""
    if not form.is_valid():
        return None
    try:
        return record(form.cleaned_data)
    except PaymentError as error:
        form.add_error(error.field if error.field in form.fields else None, str(error))
        return None


@require_http_methods(["GET", "POST"])
def payment_create(request: HttpRequest, client_pk: int) -> HttpResponse:
    """Record a client's payment; ``?session=`` (a session of this client) takes it at
    the session, the amount defaulting to the copay of the coverage billed that day."""
    client = get_object_or_404(Client.objects.for_user(request.user), pk=client_pk)
    raw_session = request.POST.get("session") or request.GET.get("session")
    session = None
    if raw_session:
        if not str(raw_session).isdigit():
            return HttpResponse("session must be a session number.", status=400)
        session = get_object_or_404(
            Session.objects.for_user(request.user).filter(client=client), pk=int(raw_session)
        )
    record_access(request, kind=AccessKind.VIEW, what="Client payment form", clients=[client])
    coverage = client.coverage_on(session.date) if session else None
    status = 200
    if request.method == "POST":
        form = ClientPaymentForm(request.POST)
        payment = _recorded(
            form,
            lambda data: client_payment_record(
                client=client,
                amount=data["amount"],
                method=data["method"],
                received_on=data["received_on"],
                reference=data["reference"],
                session=session,
                user=request.user,
            ),
        )
        if payment is not None:
            messages.success(
                request,
                f"Payment of {dollars(payment.amount)} recorded (receipt R-{payment.pk:06d}).",
            )
            return redirect(_ledger_url(client.pk))
        status = 400
    else:
        initial = {"received_on": timezone.localdate(), "method": Payment.Method.CARD}
        if session is not None:
            initial["session"] = session.pk
            if coverage is not None and coverage.copay:
                initial["amount"] = coverage.copay
        form = ClientPaymentForm(initial=initial)
    return render(
        request,
        "billing/payment_form.html",
        {"client": client, "form": form, "session": session, "coverage": coverage},
        status=status,
    )


def _payment_for(request: HttpRequest, pk: int) -> Payment:
    return get_object_or_404(
        Payment.objects.filter(
            source=Payment.Source.CLIENT, client__in=Client.objects.for_user(request.user)
        ).select_related("client"),
        pk=pk,
    )


@require_GET
def payment_receipt(request: HttpRequest, pk: int) -> HttpResponse:
    """The receipt of a client payment or refund (PDF)."""
    payment = _payment_for(request, pk)
    data = receipt_data(payment)
    return printed(
        request,
        render_receipt(data),
        f"receipt-{data['number'].lower()}.pdf",
        what="Payment receipt PDF",
        clients=[payment.client_id],
        objects=[payment],
    )


@billing_staff_only
@require_http_methods(["GET", "POST"])
def payment_refund(request: HttpRequest, pk: int) -> HttpResponse:
    """Give back part or all of a client's payment (a new refund row)."""
    payment = _payment_for(request, pk)
    if payment.kind != Payment.Kind.PAYMENT:
        return HttpResponse("Only a payment can be refunded.", status=400)
    record_access(
        request, kind=AccessKind.VIEW, what="Client refund form", clients=[payment.client_id]
    )
    left = refundable(payment)
    status = 200
    if request.method == "POST":
        form = ClientRefundForm(request.POST)
        refund = _recorded(
            form,
            lambda data: client_refund_record(
                payment=payment,
                amount=data["amount"],
                method=data["method"],
                refunded_on=data["received_on"],
                reference=data["reference"],
                user=request.user,
            ),
        )
        if refund is not None:
            messages.success(
                request, f"Refund of {dollars(refund.amount)} recorded (R-{refund.pk:06d})."
            )
            return redirect(_ledger_url(payment.client_id))
        status = 400
    else:
        form = ClientRefundForm(
            initial={"amount": left, "method": payment.method, "received_on": timezone.localdate()}
        )
    return render(
        request,
        "billing/refund_form.html",
        {"payment": payment, "client": payment.client, "form": form, "left": left},
        status=status,
    )


@billing_staff_only
@require_POST
def statement_create(request: HttpRequest, client_pk: int) -> HttpResponse:
    """Print a statement for one client now; it is kept like the monthly ones."""
    client = get_object_or_404(Client.objects.for_user(request.user), pk=client_pk)
    statement = statement_print(client=client, user=request.user)
    messages.success(request, f"Statement {statement.number} made.")
    return redirect("billing:statement_pdf", pk=statement.pk)


@billing_staff_only
@require_GET
def statement_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """A statement exactly as it was sent."""
    statement = get_object_or_404(Statement, pk=pk)
    return printed(
        request,
        render_statement(statement_pdf_data(statement)),
        f"{statement.number.lower()}.pdf",
        what="Statement PDF",
        clients=[statement.client_id],
        objects=[statement],
    )


@billing_staff_only
@require_http_methods(["GET", "POST"])
def statement_list(request: HttpRequest) -> HttpResponse:
    """The monthly statements: send a month's (every client with a balance), see and
    print what was sent."""
    status = 200
    if request.method == "POST":
        form = StatementMonthForm(request.POST)
        if form.is_valid():
            run = statements_send(month=form.cleaned_data["month"], user=request.user)
            messages.success(
                request,
                f"{len(run.created)} statement{'s' if len(run.created) != 1 else ''} made for "
                f"{run.month:%B %Y}"
                + (f"; {run.already_sent} already sent before." if run.already_sent else "."),
            )
            return redirect(f"{reverse('billing:statement_list')}?month={run.month:%Y-%m}")
        status = 400
    else:
        last = timezone.localdate().replace(day=1) - datetime.timedelta(days=1)
        form = StatementMonthForm(initial={"month": f"{last:%Y-%m}"})
    month = StatementMonthForm({"month": request.GET.get("month", "")})
    shown = Statement.objects.select_related("client").order_by("-created_at", "-pk")
    chosen = month.cleaned_data["month"] if month.is_valid() else None
    if chosen:
        shown = shown.filter(month=chosen)
    statements = list(shown[:STATEMENTS_SHOWN])
    if statements:
        record_access(
            request,
            kind=AccessKind.VIEW,
            what="Statements",
            clients=[s.client_id for s in statements],
        )
    return render(
        request,
        "billing/statement_list.html",
        {"form": form, "statements": statements, "month": chosen},
        status=status,
    )


@billing_staff_only
@require_GET
def statements_month_pdf(request: HttpRequest, month: str) -> HttpResponse:
    """Every statement of a monthly run in one PDF, to print and mail."""
    form = StatementMonthForm({"month": month})
    if not form.is_valid():
        return HttpResponse("Give the month as YYYY-MM.", status=400)
    statements = list(
        Statement.objects.filter(month=form.cleaned_data["month"]).order_by(
            "client__last_name", "client__first_name", "pk"
        )
    )
    if not statements:
        return HttpResponse("No statements were made for that month.", status=404)
    return printed(
        request,
        render_statements([statement_pdf_data(s) for s in statements]),
        f"statements-{month}.pdf",
        what="Statements PDF (month)",
        clients=[s.client_id for s in statements],
    )


def client_account(user, client: Client) -> dict:
    """The client page's ledger section (``billing/includes/_client_ledger.html``): the
    latest lines with the running balance, the aging and what the user may do. The
    caller has already checked that the user sees this client."""
    ledger = client_ledger(client)
    return {
        "ledger": ledger,
        "rows": ledger.rows[-LEDGER_ROWS:],
        "earlier": max(len(ledger.rows) - LEDGER_ROWS, 0),
        "can_bill": roles.can_bill(user),
        # Billing staff for anyone; a clinician for the clients they see.
        "may_pay": roles.works_with_clients(user),
    }
