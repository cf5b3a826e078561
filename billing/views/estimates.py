"""Good Faith Estimate pages (45 CFR 149.610): the billing staff's list of clients
needing one, and for anyone who may see the client (a clinician: their own) the create
form, the estimate, its delivery and its PDF. A client or estimate out of reach is a 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from billing import estimates
from billing.forms import EstimateDeliveryForm, EstimateForm, EstimateLineFormSet
from billing.models import GoodFaithEstimate
from billing.outputs.gfe import render_estimate
from practice.audit import AccessKind, record_access
from practice.downloads import printed
from practice.models import Client
from practice.roles import billing_staff_only

ROWS_PER_PAGE = 50


@require_GET
@billing_staff_only
def estimate_list(request: HttpRequest) -> HttpResponse:
    """Clients needing a Good Faith Estimate, most urgent first, 50 a page."""
    today = timezone.localdate()
    rows = estimates.clients_needing_estimate(clients=Client.objects.all(), on=today)
    page = Paginator(rows, ROWS_PER_PAGE).get_page(request.GET.get("page"))
    if page.object_list:
        record_access(
            request,
            kind=AccessKind.VIEW,
            what="Clients needing a Good Faith Estimate",
            clients=[row.client for row in page.object_list],
        )
    return render(
        request,
        "billing/estimate_list.html",
        {"page_obj": page, "rows": page.object_list, "today": today},
    )


def _estimate_for(request: HttpRequest, pk: int) -> GoodFaithEstimate:
    return get_object_or_404(
        GoodFaithEstimate.objects.for_user(request.user).select_related(
            "client", "replaces", "issued_by", "delivered_by"
        ),
        pk=pk,
    )


@require_http_methods(["GET", "POST"])
def estimate_create(request: HttpRequest, client_pk: int) -> HttpResponse:
    """A new estimate for a client, pre-filled from their usual service; ``?replaces=``
    names a given estimate it replaces."""
    client = get_object_or_404(Client.objects.for_user(request.user), pk=client_pk)
    today = timezone.localdate()
    replaces = None
    raw_replaces = request.POST.get("replaces") or request.GET.get("replaces")
    if raw_replaces:
        if not raw_replaces.isdigit():
            return HttpResponse("replaces must be an estimate number.", status=400)
        replaces = get_object_or_404(
            GoodFaithEstimate.objects.for_user(request.user).filter(client=client),
            pk=int(raw_replaces),
        )
    if request.method == "POST":
        form = EstimateForm(request.POST, user=request.user)
        lines = EstimateLineFormSet(request.POST, prefix="lines")
        if form.is_valid() and lines.is_valid():
            services = [
                estimates.PlannedService(
                    procedure=row["code"], units=row["units"], visits=row.get("visits")
                )
                for row in lines.cleaned_data
                if row.get("code")
            ]
            try:
                estimate = estimates.estimate_create(
                    client=client,
                    services=services,
                    issued_by=request.user,
                    replaces=replaces,
                    **form.cleaned_data,
                )
            except ValidationError as error:
                if hasattr(error, "error_dict"):
                    for name, problems in error.message_dict.items():
                        form.add_error(None if name == "__all__" else name, problems)
                else:
                    form.add_error(None, error.messages)
            else:
                messages.success(request, f"{estimate.number} issued; record when it is given.")
                return redirect("billing:estimate_detail", pk=estimate.pk)
        status = 400
    else:
        draft = estimates.estimate_prefill(client=client, user=request.user, on=today)
        form = EstimateForm(
            user=request.user,
            initial={
                "clinician": draft.clinician,
                "location": draft.location,
                "frequency": draft.frequency,
                "period_start": draft.period_start,
                "period_end": draft.period_end,
                "service_date": draft.service_date,
                "scheduled_on": draft.scheduled_on,
                "diagnosis_codes": draft.diagnosis_codes,
            },
        )
        lines = EstimateLineFormSet(
            prefix="lines",
            initial=[{"code": code, "units": units} for code, units in draft.services],
        )
        status = 200
    record_access(request, kind=AccessKind.VIEW, what="Good Faith Estimate form", clients=[client])
    return render(
        request,
        "billing/estimate_form.html",
        {"client": client, "form": form, "lines": lines, "replaces": replaces},
        status=status,
    )


@require_GET
def estimate_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One estimate: what it holds, its deadline and delivery, billed charges since."""
    estimate = _estimate_for(request, pk)
    billed = estimates.billed_charges(
        client=estimate.client, start=estimate.period_start, end=estimate.period_end
    )
    standing = estimates.Standing(estimate=estimate, billed=billed)
    replacement = GoodFaithEstimate.objects.filter(replaces=estimate).only("pk").first()
    record_access(
        request,
        kind=AccessKind.VIEW,
        what="Good Faith Estimate",
        clients=[estimate.client_id],
        objects=[estimate],
    )
    return render(
        request,
        "billing/estimate_detail.html",
        {
            "estimate": estimate,
            "standing": standing,
            "estimate_lines": estimate.lines.all(),
            "replacement": replacement,
            "delivery_form": EstimateDeliveryForm(),
            "today": timezone.localdate(),
        },
    )


@require_POST
def estimate_deliver(request: HttpRequest, pk: int) -> HttpResponse:
    """Record that the estimate was given, and how (paper, email, portal)."""
    estimate = _estimate_for(request, pk)
    form = EstimateDeliveryForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say how the estimate was given: on paper, by email or portal.")
        return redirect("billing:estimate_detail", pk=estimate.pk)
    try:
        estimates.estimate_deliver(
            estimate=estimate, method=form.cleaned_data["method"], user=request.user
        )
    except estimates.EstimateDelivered as error:
        return _refused(request, estimate, error)
    messages.success(request, f"{estimate.number} recorded as given to the client.")
    return redirect("billing:estimate_detail", pk=estimate.pk)


def _refused(request: HttpRequest, estimate, error: Exception) -> HttpResponse:
    """An estimate already given to the client cannot change: 409, with the reason."""
    return render(
        request,
        "billing/estimate_refused.html",
        {"estimate": estimate, "reason": str(error)},
        status=409,
    )


@require_POST
def estimate_discard(request: HttpRequest, pk: int) -> HttpResponse:
    """Delete an estimate never given to the client."""
    estimate = _estimate_for(request, pk)
    try:
        estimates.estimate_discard(estimate=estimate)
    except estimates.EstimateDelivered as error:
        return _refused(request, estimate, error)
    messages.success(request, f"{estimate.number} discarded.")
    return redirect("practice:client_detail", pk=estimate.client_id)


@require_GET
def estimate_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The estimate as the client receives it (PDF)."""
    estimate = _estimate_for(request, pk)
    return printed(
        request,
        render_estimate(estimate),
        f"{estimate.number.lower()}.pdf",
        what="Good Faith Estimate PDF",
        clients=[estimate.client_id],
        objects=[estimate],
    )
