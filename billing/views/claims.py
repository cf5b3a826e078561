"""Claim pages: the list, building claims, one claim's detail, and its actions.

Billers and owners only (``billing_staff_only``). Views check access, validate a form,
call one service from ``billing/services.py`` and redirect; a ``ClaimError`` (an action
the claim's state does not allow) becomes a message, never an error page.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.contrib import messages
from django.db.models import Count, Max, Min, OuterRef, Subquery
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from billing import services
from billing.eob import EobError, eob_post
from billing.forms import (
    BuildClaimsForm,
    ClaimCorrectForm,
    ClaimDiscardForm,
    ClaimFilterForm,
    ClaimVoidForm,
    EobForm,
    PayerClaimNumberForm,
)
from billing.models import Claim, ClaimLine, DiagnosisCode, PaymentAllocation
from billing.payer_money import claim_money
from billing.posting import ANSWERABLE
from billing.scrubber import scrub
from billing.templatetags.money import dollars
from practice.audit import AccessKind, record_access
from practice.common import ZERO
from practice.formats import date_writer
from practice.listing import Key, Keyset, aware_datetime, paginate, row_url
from practice.models import Coverage, Sex
from practice.params import parse_id
from practice.roles import billing_staff_only
from practice.versions import read_version

PAGE_SIZE = 50
# More skipped sessions than this are summed up in one message, not listed one by one.
SKIPPED_LISTED = 20
CHANGES_SHOWN = 50


def _line_summary(value: str, function) -> Subquery:
    """One figure of a claim's lines, for the list's rows (a subquery per row of the
    page: the database works it out for the 50 rows shown, not for every claim)."""
    lines = ClaimLine.objects.filter(claim=OuterRef("pk")).order_by().values("claim")
    return Subquery(lines.annotate(figure=function(value)).values("figure"))


# What a claim list row shows, as plain values (no model instances, the claim's parties
# above all never read), built once: each request clones it and adds its filters
# (querysets are immutable), keeping the resolved subqueries' work.
ROW_FIELDS = (
    "pk",
    "created_at",
    "control_number",
    "frequency",
    "status",
    "total_charge",
    "scrub_errors",
    "payer__name",
    "client__first_name",
    "client__last_name",
    "service_from",
    "service_to",
    "lines_count",
)
CLAIM_ROWS = Claim.objects.annotate(
    service_from=_line_summary("date_of_service", Min),
    service_to=_line_summary("date_of_service", Max),
    lines_count=_line_summary("pk", Count),
).values_list(*ROW_FIELDS)
# Newest first, then by id (claims built in one run share their timestamp).
CLAIM_ORDER = Keyset(
    Key("created_at", descending=True, parse=aware_datetime),
    Key("pk", descending=True, parse=parse_id),
)
FREQUENCY_LABELS = dict(Claim.Frequency.choices)
STATUS_LABELS = dict(Claim.Status.choices)


@dataclass(slots=True)
class ClaimRow:
    """One row of the claim list, formatted once in Python: the template only prints."""

    pk: int
    url: str
    control_number: str
    frequency: str  # the label of a replacement or void; "" for an original claim
    client: str
    payer: str
    dates: str
    lines_count: int
    total: str
    status: str
    errors: int | None  # the scrubber's count as last checked (None: never checked)
    editable: bool  # not sent yet (Claim.is_editable): the errors column applies


def _claim_rows(page_rows: list[tuple]) -> list[ClaimRow]:
    detail = row_url("billing:claim_detail")
    write_date = date_writer()
    rows = []
    for (
        pk,
        _created,
        control,
        frequency,
        status,
        total,
        errors,
        payer,
        first,
        last,
        service_from,
        service_to,
        lines_count,
    ) in page_rows:
        dates = write_date(service_from)
        if service_to != service_from:
            dates = f"{dates} – {write_date(service_to)}"
        rows.append(
            ClaimRow(
                pk=pk,
                url=detail(pk),
                control_number=control,
                frequency=""
                if frequency == Claim.Frequency.ORIGINAL
                else FREQUENCY_LABELS.get(frequency, frequency),
                client=f"{last}, {first}",
                payer=payer,
                dates=dates,
                lines_count=lines_count or 0,
                total=dollars(total),
                status=STATUS_LABELS.get(status, status),
                errors=errors,
                editable=status in Claim.EDITABLE_STATUSES,
            )
        )
    return rows


@billing_staff_only
@require_GET
def claim_list(request: HttpRequest) -> HttpResponse:
    """Claims, newest first, filtered, 50 a page (keyset pages, ``practice.listing``; no
    count of every claim); the same few queries for any page: the page's claims as plain
    values with payer, client and their lines' dates and count in one, the filter
    selects' payers and clinicians from the cache (billing/choices.py,
    practice/listing.py)."""
    filters = ClaimFilterForm(request.GET)
    page = paginate(
        request.GET,
        filters.filter(CLAIM_ROWS),
        CLAIM_ORDER,
        size=PAGE_SIZE,
        key_of=lambda row: (row[1], row[0]),  # created, id
    )
    claims = _claim_rows(page.rows)
    return render(
        request,
        "billing/claim_list.html",
        {
            "filters": filters,
            "page": page,
            "claims": claims,
            "page_ids": ",".join(str(claim.pk) for claim in claims),
            # Its own ids: the filter form above has a "payer" field too.
            "build_form": BuildClaimsForm(auto_id="build_%s"),
        },
    )


@billing_staff_only
@require_POST
def claims_build(request: HttpRequest) -> HttpResponse:
    """Build claims from every ready session (optionally one payer, up to a date)."""
    form = BuildClaimsForm(request.POST)
    if not form.is_valid():
        _form_problems(request, form)
        return redirect("billing:claim_list")
    try:
        result = services.claims_build(
            user=request.user,
            payer=form.cleaned_data["payer"],
            through=form.cleaned_data["through"],
        )
    except services.ClaimError as error:
        messages.error(request, str(error))
        return redirect("billing:claim_list")
    services.claims_check(claims=result.claims)
    built = len(result.claims)
    if built:
        lines = ClaimLine.objects.filter(claim__in=result.claims).count()
        messages.success(
            request,
            f"Built {built} claim{'' if built == 1 else 's'} ({lines} "
            f"line{'' if lines == 1 else 's'}) as drafts: check each one and mark it ready.",
        )
    else:
        messages.info(request, "No claims built: no ready session was left to bill.")
    skipped = result.skipped
    for session, reason in skipped[:SKIPPED_LISTED]:
        messages.warning(request, f"Skipped {session}: {reason}.")
    if len(skipped) > SKIPPED_LISTED:
        messages.warning(
            request,
            f"…and {len(skipped) - SKIPPED_LISTED} more sessions skipped.",
        )
    return redirect("billing:claim_list")


def _family(claim: Claim) -> list[Claim]:
    """The claim's history: the first original and every correction of it, oldest first."""
    root = claim
    while root.original_id is not None:
        root = Claim.objects.select_related("original").get(pk=root.original_id)
    family = [root]
    frontier = [root.pk]
    while frontier:
        children = list(Claim.objects.filter(original__in=frontier).order_by("created_at", "pk"))
        family.extend(children)
        frontier = [c.pk for c in children]
    return sorted(family, key=lambda c: (c.created_at, c.pk))


@billing_staff_only
@require_GET
def claim_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Everything a biller checks before sending a claim: parties, diagnoses, lines, totals,
    the scrubber's findings, the history of corrections, and the actions the state allows."""
    return _claim_page(request, pk)


def _claim_page(request: HttpRequest, pk: int, eob_form=None, status: int = 200) -> HttpResponse:
    claim = get_object_or_404(
        Claim.objects.select_related(
            "payer", "client", "coverage", "rendering", "original", "created_by"
        )
        .with_lines()
        .prefetch_related("diagnoses"),
        pk=pk,
    )
    record_access(
        request, kind=AccessKind.VIEW, what="Claim page", clients=[claim.client_id], objects=[claim]
    )
    lines = list(claim.lines.all())
    diagnoses = list(claim.diagnoses.all())
    descriptions = dict(
        DiagnosisCode.objects.filter(code__in=[d.code for d in diagnoses]).values_list(
            "code", "description"
        )
    )
    problems = scrub(claim)
    by_line: dict[int, list] = defaultdict(list)
    for problem in problems:
        if problem.line is not None:
            by_line[problem.line].append(problem)
    for line in lines:
        line.problems = by_line.get(line.position, [])
        line.has_error = any(p.is_error for p in line.problems)
    allowed = [line.expected_allowed for line in lines if line.expected_allowed is not None]
    # Lines the payer allowed less for than the contract (flagged when posted, still
    # counting: billing/contracts.py).
    underpaid = {
        a.claim_line_id: a
        for a in PaymentAllocation.objects.filter(
            claim_line__claim=claim,
            underpaid_by__isnull=False,
            reverses__isnull=True,
            reversed_by__isnull=True,
        )
    }
    for line in lines:
        line.underpaid = underpaid.get(line.pk)
    parties = claim.party
    relationship = parties.subscriber.relationship
    sent = not claim.is_editable and claim.frequency != Claim.Frequency.VOID
    correcting = claim.status == Claim.Status.CORRECTING
    return render(
        request,
        "billing/claim_detail.html",
        {
            "claim": claim,
            "lines": lines,
            "diagnoses": [(d, descriptions.get(d.code, "")) for d in diagnoses],
            "problems": problems,
            "errors": [p for p in problems if p.is_error],
            "warnings": [p for p in problems if not p.is_error],
            "parties": parties,
            "relationship": (
                Coverage.Relationship(relationship).label
                if relationship in Coverage.Relationship.values
                else relationship
            ),
            "sex_labels": dict(Sex.choices),
            "total_allowed": sum(allowed, ZERO),
            "underpaid_total": sum((a.underpaid_by for a in underpaid.values()), ZERO),
            "money": claim_money(claim),
            "allowed_missing": len(lines) - len(allowed),
            "family": _family(claim) if claim.original_id or claim.corrections.exists() else [],
            # Who moved the claim on, and when (django-simple-history), newest first.
            "changes": claim.history.select_related("history_user").order_by("-history_id")[
                :CHANGES_SHOWN
            ],
            # What the 999s and 277CAs said about this claim, newest first.
            "acknowledgments": claim.acknowledgments.select_related("acknowledgment", "batch")
            .defer("acknowledgment__text", "acknowledgment__unmatched", "batch__text")
            .order_by("-pk")[:CHANGES_SHOWN],
            "void_form": ClaimVoidForm(),
            "discard_form": ClaimDiscardForm(),
            "correct_form": ClaimCorrectForm(
                initial={"payer_claim_number": claim.payer_claim_number}
            ),
            "payer_number_form": PayerClaimNumberForm(
                prefix="number", initial={"payer_claim_number": claim.payer_claim_number}
            ),
            "correcting": correcting,
            "sessions_to_fix": _sessions_of(lines) if correcting else [],
            "can_mark_ready": claim.status in {Claim.Status.DRAFT, Claim.Status.REJECTED},
            "can_submit": claim.is_editable,
            "can_discard": claim.is_editable,
            "can_void": sent and (claim.is_live or correcting),
            "can_correct": sent and claim.is_live,
            "can_replace": correcting,
            "can_record_number": claim.status != Claim.Status.DISCARDED,
            "eob_form": (
                (eob_form or EobForm(lines=lines, initial={"received_on": timezone.localdate()}))
                if claim.status in ANSWERABLE
                else None
            ),
        },
        status=status,
    )


def _sessions_of(lines: list[ClaimLine]) -> list:
    """The sessions behind a claim's lines, in date order (a claim being corrected)."""
    from practice.models import Session

    ids = {line.service_line.session_id for line in lines if line.service_line_id}
    return list(Session.objects.filter(pk__in=ids).select_related("client").order_by("date"))


@billing_staff_only
@require_POST
def claim_post_eob(request: HttpRequest, pk: int) -> HttpResponse:
    """A payer's paper EOB for the claim, per line; errors beside the fields (400)."""
    claim = _claim_or_404(pk, request)
    form = EobForm(request.POST, lines=claim.lines.order_by("position"))
    if form.is_valid():
        try:
            eob_post(
                claim=claim,
                received_on=form.cleaned_data["received_on"],
                check_number=form.cleaned_data["check_number"],
                lines=form.eob_lines(),
                user=request.user,
            )
        except services.ClaimChanged as error:
            messages.error(request, f"Claim {claim.control_number}: nothing was posted. {error}")
            return redirect("billing:claim_detail", pk=claim.pk)
        except EobError as error:
            if error.field.endswith(("-paid", "-allowed")) and error.field in form.fields:
                form.add_error(error.field, str(error))
            elif "takes no payment" in str(error):
                messages.error(request, f"Nothing was posted. {error}")
                return redirect("billing:claim_detail", pk=claim.pk)
            else:
                form.add_error(None, str(error))
        else:
            messages.success(request, f"Paper EOB posted on claim {claim.control_number}.")
            return redirect("billing:claim_detail", pk=claim.pk)
    if claim.status not in ANSWERABLE:
        messages.error(request, "Nothing was posted: this claim is not waiting for its payer.")
        return redirect("billing:claim_detail", pk=claim.pk)
    return _claim_page(request, pk, eob_form=form, status=400)


def _claim_or_404(pk: int, request: HttpRequest | None = None) -> Claim:
    """The claim; for an action, as its page showed it: with the version the page's form
    carried, so the service refuses the action if the claim changed since."""
    claim = get_object_or_404(Claim, pk=pk)
    if request is not None:
        claim.read_version = read_version(request.POST)
    return claim


def _form_problems(request: HttpRequest, form) -> None:
    """A form posted from a page that redirects: each error a message, after its field's
    label."""
    for name, errors in form.errors.items():
        label = form[name].label if name in form.fields else ""
        for error in errors:
            messages.error(request, f"{label}: {error}" if label else error)


def _claim_step(request: HttpRequest, pk: int, step, *, refused: str, done: str) -> HttpResponse:
    """Move the claim, as its page showed it, one status on with ``step(claim=)``; the
    outcome as a message ("Claim <number> <done>." or "... <refused>. <why>"), back on
    its page."""
    claim = _claim_or_404(pk, request)
    try:
        step(claim=claim)
    except services.ClaimError as error:
        messages.error(request, f"Claim {claim.control_number} {refused}. {error}")
    else:
        messages.success(request, f"Claim {claim.control_number} {done}.")
    return redirect("billing:claim_detail", pk=claim.pk)


@billing_staff_only
@require_POST
def claim_mark_ready(request: HttpRequest, pk: int) -> HttpResponse:
    return _claim_step(
        request,
        pk,
        services.claim_mark_ready,
        refused="was not marked ready",
        done="is ready to submit",
    )


@billing_staff_only
@require_POST
def claim_submit(request: HttpRequest, pk: int) -> HttpResponse:
    return _claim_step(
        request, pk, services.claim_submit, refused="was not submitted", done="is marked submitted"
    )


@billing_staff_only
@require_POST
def claim_discard(request: HttpRequest, pk: int) -> HttpResponse:
    """Discard a claim never sent: nothing goes to the payer; the sessions are ready."""
    claim = _claim_or_404(pk, request)
    form = ClaimDiscardForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        services.claim_discard(claim=claim, reason=reason, user=request.user)
    except services.ClaimError as error:
        messages.error(request, f"Claim {claim.control_number} was not discarded. {error}")
        return redirect("billing:claim_detail", pk=claim.pk)
    if claim.frequency == Claim.Frequency.REPLACEMENT:
        messages.success(
            request,
            f"Replacement {claim.control_number} is discarded; the sessions can be fixed "
            "again and the replacement rebuilt from the claim being corrected.",
        )
        return redirect("billing:claim_detail", pk=claim.original_id)
    messages.success(
        request,
        f"Claim {claim.control_number} is discarded; its sessions are ready to bill again.",
    )
    return redirect("billing:claim_detail", pk=claim.pk)


@billing_staff_only
@require_POST
def claim_payer_number(request: HttpRequest, pk: int) -> HttpResponse:
    """Record the payer's claim number by hand (until the 835 import fills it)."""
    claim = _claim_or_404(pk, request)
    form = PayerClaimNumberForm(request.POST, prefix="number")
    if not form.is_valid():
        _form_problems(request, form)
        return redirect("billing:claim_detail", pk=claim.pk)
    try:
        services.claim_record_payer_number(
            claim=claim, number=form.cleaned_data["payer_claim_number"], user=request.user
        )
    except services.ClaimError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "The payer's claim number is saved.")
    return redirect("billing:claim_detail", pk=claim.pk)


@billing_staff_only
@require_POST
def claim_correct(request: HttpRequest, pk: int) -> HttpResponse:
    """Open a correction of a sent claim: its sessions are unlocked for fixing."""
    claim = _claim_or_404(pk, request)
    form = ClaimCorrectForm(request.POST)
    if not form.is_valid():
        _form_problems(request, form)
        return redirect("billing:claim_detail", pk=claim.pk)
    try:
        services.claim_correct(
            claim=claim,
            reason=form.cleaned_data["reason"],
            payer_claim_number=form.cleaned_data["payer_claim_number"],
            user=request.user,
        )
    except services.ClaimError as error:
        messages.error(
            request, f"Claim {claim.control_number} was not opened for correction. {error}"
        )
    else:
        messages.success(
            request,
            f"Claim {claim.control_number} is being corrected: fix its sessions, then build "
            "the replacement.",
        )
    return redirect("billing:claim_detail", pk=claim.pk)


@billing_staff_only
@require_POST
def claim_void(request: HttpRequest, pk: int) -> HttpResponse:
    """Void with a reason. A claim already sent gets a void claim (frequency 8) to send;
    the page of that claim opens next."""
    claim = _claim_or_404(pk, request)
    form = ClaimVoidForm(request.POST)
    if not form.is_valid():
        messages.error(request, "To void a claim, give the reason.")
        return redirect("billing:claim_detail", pk=claim.pk)
    try:
        result = services.claim_void(
            claim=claim, reason=form.cleaned_data["reason"], user=request.user
        )
    except services.ClaimError as error:
        messages.error(request, f"Claim {claim.control_number} was not voided. {error}")
        return redirect("billing:claim_detail", pk=claim.pk)
    messages.success(
        request,
        f"Claim {claim.control_number} is void. Send this void claim "
        f"{result.control_number} to {claim.payer} to cancel it; the sessions are "
        "ready to bill again.",
    )
    return redirect("billing:claim_detail", pk=result.pk)


@billing_staff_only
@require_POST
def claim_replace(request: HttpRequest, pk: int) -> HttpResponse:
    """Build the replacement (frequency 7) of a claim being corrected, from its sessions
    as they are now."""
    claim = _claim_or_404(pk, request)
    try:
        replacement = services.claim_replace(claim=claim, user=request.user)
    except services.ClaimError as error:
        messages.error(request, f"Claim {claim.control_number} was not replaced. {error}")
        return redirect("billing:claim_detail", pk=claim.pk)
    messages.success(
        request,
        f"Replacement claim {replacement.control_number} built for {claim.control_number}; "
        "check it and submit it.",
    )
    return redirect("billing:claim_detail", pk=replacement.pk)
