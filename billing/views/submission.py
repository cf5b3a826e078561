"""Send claims electronically: pick payers, see what would go and what is held back with
the reasons, send; then the batch list with each file as it was sent.

Billers and owners only. The work is done by ``billing.submission`` (the same services as
``manage.py export_837p``) and ``billing.acknowledgments`` (``import_999``/``import_277ca``);
these views parse the form, call one service and redirect.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from billing.acknowledgments import AcknowledgmentError, acknowledgment_import
from billing.forms import AcknowledgmentUploadForm, SendClaimsForm
from billing.models import (
    Acknowledgment,
    Batch,
    BatchAcknowledgment,
    Claim,
    ClaimAcknowledgment,
    Clearinghouse,
)
from billing.submission import SubmissionError, claims_send, sendable_claims, submission_plan
from practice.audit import record_access
from practice.downloads import attachment
from practice.models import AccessKind
from practice.roles import billing_staff_only

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
            # Turned back by an acknowledgment: never resent until someone looks.
            "rejected_count": Claim.objects.filter(status=Claim.Status.REJECTED).count(),
        },
        status=status,
    )


def _acknowledgment_states(batches: list[Batch]) -> None:
    """Each batch's latest 999 verdict (``batch.file_ack``, None when none came yet) and
    its 277CA counts (``batch.claims_accepted``/``claims_rejected``: claims with a
    rejection count as rejected): two queries for the page."""
    ids = [batch.pk for batch in batches]
    latest: dict[int, BatchAcknowledgment] = {}
    for answer in BatchAcknowledgment.objects.filter(batch_id__in=ids).order_by("pk"):
        latest[answer.batch_id] = answer
    counts = {
        row["batch_id"]: row
        for row in ClaimAcknowledgment.objects.filter(
            batch_id__in=ids, acknowledgment__kind=Acknowledgment.Kind.CLAIMS
        )
        .values("batch_id")
        .annotate(
            answered=Count("claim", distinct=True),
            rejected=Count(
                "claim", distinct=True, filter=Q(result=ClaimAcknowledgment.Result.REJECTED)
            ),
        )
        .order_by()
    }
    for batch in batches:
        batch.file_ack = latest.get(batch.pk)
        row = counts.get(batch.pk)
        batch.claims_answered = bool(row)
        batch.claims_rejected = row["rejected"] if row else 0
        batch.claims_accepted = row["answered"] - row["rejected"] if row else 0


def _batch_page(request: HttpRequest, upload_form=None, status: int = 200) -> HttpResponse:
    batches = Batch.objects.select_related("payer", "clearinghouse", "created_by").defer("text")
    page = Paginator(batches.order_by("-created_at", "-pk"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = list(page.object_list)
    _acknowledgment_states(rows)
    return render(
        request,
        "billing/batch_list.html",
        {
            "page": page,
            "batches": rows,
            "upload_form": upload_form or AcknowledgmentUploadForm(),
        },
        status=status,
    )


@billing_staff_only
@require_GET
def batch_list(request: HttpRequest) -> HttpResponse:
    """Batches sent, newest first, 50 a page, with what the acknowledgments said."""
    return _batch_page(request)


@billing_staff_only
@require_POST
def acknowledgment_upload(request: HttpRequest) -> HttpResponse:
    """Import a 999 or 277CA file: all of it or nothing. A refused file is a 400 with the
    reason (naming the segment) beside the field."""
    form = AcknowledgmentUploadForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            result = acknowledgment_import(
                text=form.cleaned_data["text"],
                file_name=form.cleaned_data["file"].name,
                user=request.user,
            )
        except AcknowledgmentError as error:
            form.add_error("file", f"Nothing was imported. {error}")
        else:
            if result.already_imported:
                messages.info(request, result.summary())
            elif result.claims_sent_back or result.batches_rejected or result.claims_rejected:
                messages.warning(request, result.summary())
            else:
                messages.success(request, result.summary())
            return redirect("billing:batch_list")
    return _batch_page(request, upload_form=form, status=400)


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
    return attachment(batch.text, batch.file_name, "text/plain; charset=us-ascii")
