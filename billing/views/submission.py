"""Send claims electronically: pick payers, see what would go and what is held back with
the reasons, send; then the batch list with each file as it was sent.

Billers and owners only. The work is done by ``billing.submission`` (the same services as
``manage.py export_837p``); these views parse the form, call one service and redirect.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from billing.forms import SendClaimsForm
from billing.models import Batch, Claim, Clearinghouse
from billing.submission import SubmissionError, claims_send, sendable_claims, submission_plan
from billing.views import billing_staff_only
from practice.audit import record_access
from practice.models import AccessKind

PAGE_SIZE = 50


def _waiting_by_payer() -> dict[int, dict[str, int]]:
    """Ready and draft claims per payer that takes electronic claims: one query."""
    rows = (
        Claim.objects.filter(
            status__in=[Claim.Status.READY, Claim.Status.DRAFT],
            payer__accepts_electronic_claims=True,
        )
        .values("payer_id")
        .annotate(
            ready=Count("pk", filter=Q(status=Claim.Status.READY)),
            drafts=Count("pk", filter=Q(status=Claim.Status.DRAFT)),
        )
        .order_by()
    )
    return {row["payer_id"]: row for row in rows}


@billing_staff_only
@require_http_methods(["GET", "POST"])
def send_claims(request: HttpRequest) -> HttpResponse:
    """GET without payers: the choice. GET with payers: the preview (files and the claims
    held back). POST: send, one batch per clearinghouse and payer."""
    data = request.POST if request.method == "POST" else (request.GET or None)
    form = SendClaimsForm(data)
    plan = None
    status = 200
    if form.is_bound and form.is_valid():
        claims = sendable_claims(
            payers=form.cleaned_data["payers"],
            include_drafts=form.cleaned_data["include_drafts"],
        )
        if request.method == "POST":
            try:
                plan = claims_send(claims=claims, user=request.user)
            except SubmissionError as error:
                messages.error(request, str(error))
                return redirect("billing:send_claims")
            if plan.files:
                messages.success(
                    request,
                    f"Sent {plan.claim_count} claim(s) in {len(plan.files)} file(s); "
                    "download each file below and upload it to the clearinghouse.",
                )
                if plan.held:
                    messages.warning(
                        request, f"{len(plan.held)} claim(s) with errors were held back."
                    )
                return redirect("billing:batch_list")
            messages.warning(request, "Nothing was sent: no claim was clean and ready.")
        else:
            plan = submission_plan(claims=claims)
    elif form.is_bound:
        status = 400
    waiting = _waiting_by_payer()
    payer_rows = [
        (choice, waiting.get(choice.data["value"].value, {"ready": 0, "drafts": 0}))
        for choice in form["payers"]
    ]
    return render(
        request,
        "billing/send_claims.html",
        {
            "form": form,
            "plan": plan,
            "payer_rows": payer_rows,
            "clearinghouse": Clearinghouse.default(),
        },
        status=status,
    )


@billing_staff_only
@require_GET
def batch_list(request: HttpRequest) -> HttpResponse:
    """Batches sent, newest first, 50 a page."""
    batches = Batch.objects.select_related("payer", "clearinghouse", "created_by").defer("text")
    page = Paginator(batches.order_by("-created_at", "-pk"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "billing/batch_list.html", {"page": page, "batches": page.object_list})


@billing_staff_only
@require_GET
@never_cache
def batch_download(request: HttpRequest, pk: int) -> HttpResponse:
    """The batch's file exactly as it was sent. It names clients: the download is audited
    and never cached."""
    batch = get_object_or_404(Batch, pk=pk)
    claims = list(batch.claims.only("pk", "client_id"))
    record_access(
        request,
        kind=AccessKind.EXPORT,
        what="837P file",
        clients={claim.client_id for claim in claims},
        objects=claims,
    )
    response = HttpResponse(batch.text, content_type="text/plain; charset=us-ascii")
    response["Content-Disposition"] = f'attachment; filename="{batch.file_name}"'
    response["Cache-Control"] = "private, no-store"
    return response
