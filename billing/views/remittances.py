"""Remittances (835 ERAs) in the biller's screens: the list of those imported, an upload
with a preview before posting, and one remittance's page with the claim payments left for
matching by hand.

Billers and owners only. Upload, preview and post go through ``billing.uploads``, which
posts with ``billing.posting.remittance_post`` like ``manage.py import_835``; a wrong file
is a 400 with the message beside the file field, never a 500.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from billing.forms import ClaimMatchForm, RemittanceUploadForm
from billing.matching import MatchError, posting_match, unmatched_postings
from billing.models import ClaimPosting, PaymentAllocation, PendingRemittance, Remittance
from billing.remittance import RemittanceError
from billing.templatetags.money import money
from billing.uploads import PreviewChanged, upload_keep, upload_post, upload_preview
from practice.audit import AccessKind, record_access
from practice.formats import date_writer, datetime_writer
from practice.listing import Key, Keyset, aware_datetime, paginate, row_url
from practice.params import parse_id
from practice.roles import billing_staff_only

PAGE_SIZE = 50


def _count(rows: QuerySet, to_remittance: str) -> Coalesce:
    """How many of ``rows`` belong to the remittance of the outer row (a subquery per
    remittance shown; 0 for none)."""
    counted = (
        rows.filter(**{to_remittance: OuterRef("pk")})
        .order_by()
        .values(to_remittance)
        .annotate(n=Count("*"))  # COUNT(*): the posting index alone answers (no row read)
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def _remittance_rows():
    """Remittances with their claim counts: postings matched to a claim, and claim
    payments and lines still waiting for a person (one query, a subquery per figure, so
    only the rows shown are counted and nothing is grouped)."""
    postings = ClaimPosting.objects.filter(reverses__isnull=True)
    return (
        Remittance.objects.select_related("payer")
        .defer("text")
        .annotate(
            claims_matched=_count(postings.filter(claim__isnull=False), "payment__remittance"),
            claims_unmatched=_count(
                postings.filter(claim__isnull=True, reversed_by__isnull=True),
                "payment__remittance",
            ),
            lines_unmatched=_count(
                PaymentAllocation.objects.filter(
                    posting__claim__isnull=False,
                    claim_line__isnull=True,
                    reverses__isnull=True,
                    reversed_by__isnull=True,
                ),
                "posting__payment__remittance",
            ),
        )
    )


# Built once: each request clones it (querysets are immutable), keeping the resolved
# subqueries' work (their output fields and joins), about half of the list's query cost.
REMITTANCE_ROWS = _remittance_rows()
# The list reads them as plain values, newest first, then by id.
ROW_FIELDS = (
    "pk",
    "imported_at",
    "payment_date",
    "payer__name",
    "trace_number",
    "payment_method",
    "amount",
    "claims_matched",
    "claims_unmatched",
    "lines_unmatched",
)
LIST_ROWS = REMITTANCE_ROWS.values_list(*ROW_FIELDS)
REMITTANCE_ORDER = Keyset(
    Key("imported_at", descending=True, parse=aware_datetime),
    Key("pk", descending=True, parse=parse_id),
)
METHOD_LABELS = dict(Remittance.Method.choices)


@dataclass(slots=True)
class RemittanceRow:
    """One row of the remittance list, formatted once in Python: the template only
    prints."""

    pk: int
    url: str
    payment_date: str
    payer: str
    trace_number: str
    method: str
    amount: str
    claims_matched: int
    claims_unmatched: int
    lines_unmatched: int
    imported: str

    @property
    def waiting(self) -> bool:
        """Claim payments or lines still waiting for a person to match them."""
        return bool(self.claims_unmatched or self.lines_unmatched)


def _list_rows(page_rows: list[tuple]) -> list[RemittanceRow]:
    detail = row_url("billing:remittance_detail")
    day, moment = date_writer(), datetime_writer()
    return [
        RemittanceRow(
            pk=pk,
            url=detail(pk),
            payment_date=day(paid_on),
            payer=payer,
            trace_number=trace,
            method=METHOD_LABELS.get(method, method),
            amount=money(amount),
            claims_matched=matched,
            claims_unmatched=unmatched,
            lines_unmatched=lines,
            imported=moment(imported),
        )
        for (
            pk,
            imported,
            paid_on,
            payer,
            trace,
            method,
            amount,
            matched,
            unmatched,
            lines,
        ) in page_rows
    ]


@billing_staff_only
@require_http_methods(["GET", "POST"])
def remittance_list(request: HttpRequest) -> HttpResponse:
    """GET: the remittances imported, newest first (keyset pages of 50, ``practice.listing``;
    no count of every remittance), and the upload form. POST: check the uploaded 835 and
    show its preview (nothing is posted yet)."""
    status = 200
    if request.method == "POST":
        form = RemittanceUploadForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                pending = upload_keep(
                    text=form.text, file_name=form.cleaned_data["file"].name, user=request.user
                )
            except RemittanceError as error:
                form.add_error("file", f"Refused, nothing was posted. {error}")
            else:
                return redirect("billing:remittance_preview", sha256=pending.sha256)
        status = 400
    else:
        form = RemittanceUploadForm()
    page = paginate(
        request.GET,
        LIST_ROWS,
        REMITTANCE_ORDER,
        size=PAGE_SIZE,
        key_of=lambda row: (row[1], row[0]),  # imported, id
    )
    return render(
        request,
        "billing/remittance_list.html",
        {"form": form, "page": page, "remittances": _list_rows(page.rows)},
        status=status,
    )


def _pending_or_404(sha256: str) -> PendingRemittance:
    return get_object_or_404(PendingRemittance, sha256=sha256)


def _render_preview(request, pending, preview, *, status=200) -> HttpResponse:
    record_access(
        request,
        kind=AccessKind.VIEW,
        what="Remittance preview",
        clients=preview.client_ids,
        objects=preview.claims,
    )
    return render(
        request,
        "billing/remittance_preview.html",
        {"pending": pending, "preview": preview},
        status=status,
    )


@billing_staff_only
@require_GET
def remittance_preview(request: HttpRequest, sha256: str) -> HttpResponse:
    """Per claim: charge, allowed, paid, the client's share, adjustments in our words and
    what will change; claims and lines that match nothing of ours; then Post."""
    pending = _pending_or_404(sha256)
    try:
        preview = upload_preview(pending=pending, user=request.user)
    except RemittanceError as error:  # e.g. its payer was removed since the upload
        messages.error(request, f"{pending.file_name}: nothing can be posted. {error}")
        return redirect("billing:remittance_list")
    return _render_preview(request, pending, preview)


@billing_staff_only
@require_POST
def remittance_post(request: HttpRequest, sha256: str) -> HttpResponse:
    """Post the previewed file as previewed, or say why not."""
    pending = _pending_or_404(sha256)
    digest = request.POST.get("digest", "")
    try:
        preview = upload_post(pending=pending, digest=digest, user=request.user)
    except RemittanceError as error:
        messages.error(request, f"{pending.file_name}: nothing was posted. {error}")
        return redirect("billing:remittance_list")
    except PreviewChanged as error:
        messages.warning(request, str(error))
        fresh = upload_preview(pending=pending, user=request.user)
        return _render_preview(request, pending, fresh, status=409)
    if not preview.posts_anything:
        messages.info(
            request,
            "Already imported: this payer's payment with that trace number was posted "
            "before. Nothing was posted.",
        )
        return redirect("billing:remittance_list")
    result = preview.result
    messages.success(
        request,
        f"Posted {result.claims_matched} claim(s): paid {result.paid:.2f}, client's share "
        f"{result.patient_responsibility:.2f}, written off {result.adjustments:.2f}; "
        f"{result.denied_claims} denied.",
    )
    if result.claims_unmatched or result.lines_unmatched:
        messages.warning(
            request,
            f"{result.claims_unmatched} claim(s) and {result.lines_unmatched} line(s) matched "
            "nothing of ours: match them below.",
        )
    first = next((p.remittance_pk for p in preview.payments if p.remittance_pk), None)
    if first is None:
        return redirect("billing:remittance_list")
    return redirect("billing:remittance_detail", pk=first)


def _detail(request, pk: int, match_forms=None, status: int = 200) -> HttpResponse:
    remittance = get_object_or_404(REMITTANCE_ROWS.select_related("payer", "imported_by"), pk=pk)
    postings = list(
        ClaimPosting.objects.filter(payment__remittance=remittance)
        .select_related("claim__client", "reverses", "matched_from")
        .prefetch_related("allocations", "adjustments")
        .order_by("pk")
    )
    waiting = unmatched_postings(remittance)
    claims = [p.claim for p in postings if p.claim_id]
    record_access(
        request,
        kind=AccessKind.VIEW,
        what="Remittance",
        clients={claim.client_id for claim in claims},
        objects=claims,
    )
    match_forms = match_forms or {}
    unmatched_lines = [
        (posting, allocation)
        for posting in postings
        if posting.claim_id and posting.reverses_id is None
        for allocation in posting.allocations.all()
        if allocation.claim_line_id is None and allocation.reverses_id is None
    ]
    return render(
        request,
        "billing/remittance_detail.html",
        {
            "remittance": remittance,
            "postings": postings,
            "waiting": [
                (posting, match_forms.get(posting.pk) or ClaimMatchForm(prefix=f"p{posting.pk}"))
                for posting in waiting
            ],
            "unmatched_lines": unmatched_lines,
        },
        status=status,
    )


@billing_staff_only
@require_GET
def remittance_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One remittance: every claim payment it posted, and those waiting for a match."""
    return _detail(request, pk)


@billing_staff_only
@require_POST
def remittance_match(request: HttpRequest, pk: int, posting_pk: int) -> HttpResponse:
    """Match one unmatched claim payment of this remittance to one of our claims."""
    posting = get_object_or_404(ClaimPosting, pk=posting_pk, payment__remittance_id=pk)
    form = ClaimMatchForm(request.POST, prefix=f"p{posting.pk}")
    if form.is_valid():
        try:
            matched = posting_match(
                posting=posting,
                control_number=form.cleaned_data["control_number"],
                user=request.user,
            )
        except MatchError as error:
            if not any(p.pk == posting.pk for p in unmatched_postings(posting.payment.remittance)):
                messages.info(request, str(error))  # matched meanwhile: no form to show
                return redirect("billing:remittance_detail", pk=pk)
            form.add_error("control_number", str(error))
        else:
            messages.success(
                request,
                f"Claim payment {posting.control_number} posted on claim "
                f"{matched.claim.control_number}.",
            )
            return redirect("billing:remittance_detail", pk=pk)
    return _detail(request, pk, match_forms={posting.pk: form}, status=400)
