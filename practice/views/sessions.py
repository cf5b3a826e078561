"""Session pages: list, log, edit, status, delete, and the live line proposal.

Every view reads sessions through ``Session.objects.for_user``: a clinician reaches only
their own (anyone else's is a 404), billing staff reach all. Forms read what was typed
(``practice/forms/``); ``practice/services.py`` decides (``session_plan``) and writes
(``session_log``); views check access, validate, call one service and redirect.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from billing.templatetags.money import money
from practice import roles, services
from practice.audit import AccessKind, record_access
from practice.formats import us_date
from practice.forms.session_entry import SessionEntry, entries_for_edit, preview_of
from practice.forms.sessions import (
    SessionFilterForm,
    initial_for_create,
    initial_from_session,
    last_session,
)
from practice.listing import Key, Keyset, paginate, row_url
from practice.models import Client, ServiceLine, Session, SessionDiagnosis
from practice.params import BadParameter, id_param, next_path, parse_id
from practice.versions import StaleEdit, read_version

PAGE_SIZE = 50
# The most sessions the list counts and totals; past it, it says "more than".
COUNTED = 10_000
STATUS_ACTIONS = {
    Session.Status.READY: "Mark ready to bill",
    Session.Status.DRAFT: "Back to draft",
    Session.Status.NO_SHOW: "No-show",
    Session.Status.LATE_CANCEL: "Late cancellation",
    Session.Status.CANCELLED: "Cancelled",
}


def _visible(request: HttpRequest):
    return Session.objects.for_user(request.user)


def _next_url(request: HttpRequest, default: str) -> str:
    return next_path(request, request.POST.get("next", ""), default)


@dataclass(slots=True)
class SessionRow:
    """One row of the session list, formatted once in Python: the template only prints."""

    pk: int
    url: str
    date: str
    time: str
    client: str
    clinician: str
    service: str
    codes: str
    minutes: str
    place: str
    status: str
    status_label: str
    total_charge: Decimal
    charges: str
    ready: str  # the Ready button's value, "<id>:<version>"; "" when not a draft
    ready_label: str


ROW_FIELDS = (
    "pk",
    "date",
    "start_time",
    "client__last_name",
    "client__first_name",
    "clinician__first_name",
    "clinician__last_name",
    "service",
    "minutes",
    "place_of_service__code",
    "status",
    "version",
)
# Newest first: by date, then start time (a session without one first, as PostgreSQL
# sorts it), then id. Pages past the first follow their links' cursors (keyset).
SESSION_ORDER = Keyset(
    Key("date", descending=True, parse=datetime.date.fromisoformat),
    Key("start_time", descending=True, nullable=True, parse=datetime.time.fromisoformat),
    Key("pk", descending=True, parse=parse_id),
)
SERVICE_LABELS = dict(Session.Service.choices)
STATUS_LABELS = dict(Session.Status.choices)


def _session_rows(page_rows: list[tuple]) -> list[SessionRow]:
    """The page's rows (``ROW_FIELDS`` tuples) with their codes and charges, from one
    query of their lines (in line order, as ``Session.lines`` reads them)."""
    lines: dict[int, list[tuple]] = {}
    for session_id, *line in (
        ServiceLine.objects.filter(session_id__in=[row[0] for row in page_rows])
        .order_by("session_id", "position", "pk")
        .values_list(
            "session_id",
            "procedure__code",
            "modifier_1",
            "modifier_2",
            "modifier_3",
            "modifier_4",
            "charge",
        )
    ):
        lines.setdefault(session_id, []).append(line)
    detail = row_url("practice:session_detail")
    rows = []
    for (
        pk,
        day,
        start,
        last,
        first,
        c_first,
        c_last,
        service,
        minutes,
        pos,
        status,
        version,
    ) in page_rows:
        own = lines.get(pk, ())
        total = sum((line[-1] for line in own), services.ZERO)
        shown_date, client = us_date(day), f"{last}, {first}"
        draft = status == Session.Status.DRAFT
        rows.append(
            SessionRow(
                pk=pk,
                url=detail(pk),
                date=shown_date,
                time=start.strftime("%H:%M") if start else "",
                client=client,
                clinician=f"{c_first} {c_last}",
                service=SERVICE_LABELS.get(service, service),
                codes=", ".join("-".join(filter(None, line[:-1])) for line in own) or "—",
                minutes=str(minutes),
                place=pos,
                status=status,
                status_label=STATUS_LABELS.get(status, status),
                total_charge=total,
                charges=money(total),
                ready=f"{pk}:{version}" if draft else "",
                ready_label=f"Mark the {shown_date} session of {client} ready" if draft else "",
            )
        )
    return rows


@require_GET
def session_list(request: HttpRequest) -> HttpResponse:
    """Sessions the user may see, filtered, 50 a page, with per-row and filtered totals.

    Four queries whatever the rows (besides sign-in and the Django session): the count
    (up to ``COUNTED``), the filtered total (none past it), the page of rows as plain
    values (keyset pages, ``practice.listing``), their lines. The filter's
    clinician choices come from the cache (``practice.listing``); drafts' Ready buttons
    share one form (``session_ready``).
    """
    filters = SessionFilterForm(request.GET or None, user=request.user)
    filtered = filters.filter(_visible(request))
    # The count from the sessions alone (an index scan) and the filtered total from their
    # lines: one aggregate over the join would count distinct sessions across every line.
    # Up to COUNTED sessions only: a practice's whole history (a million sessions) is too
    # many to count and total on every visit; the page then says so and pages by cursor.
    # Unordered: the list's order would make the database sort (or walk its order's
    # index through) every session of a clinician only to count them.
    count = filtered.order_by()[: COUNTED + 1].count()
    total = None
    if count > COUNTED:
        count = None
    else:
        total = ServiceLine.objects.filter(session__in=filtered.values("pk")).aggregate(
            total=Sum("charge", default=services.ZERO)
        )["total"]
    page = paginate(
        request.GET,
        filtered.values_list(*ROW_FIELDS),
        SESSION_ORDER,
        size=PAGE_SIZE,
        count=count,
        key_of=lambda row: (row[1], row[2], row[0]),  # date, start time, id
    )
    return render(
        request,
        "practice/session_list.html",
        {
            "filters": filters,
            "page": page,
            "count": count,
            "counted": COUNTED,
            "sessions": _session_rows(page.rows),
            "total": total,
            "sees_all": roles.sees_all_clients(request.user),
        },
    )


def _render_form(
    request: HttpRequest,
    *,
    entry: SessionEntry,
    preview: SessionEntry,
    session: Session | None = None,
    status: int = 200,
    stale: StaleEdit | None = None,
    extra: dict | None = None,
) -> HttpResponse:
    """The session form page; ``extra`` adds to its context (``form_action`` and
    ``cancel_url`` when another page, e.g. an appointment's, posts it)."""
    suggest_url = reverse("practice:session_suggest")
    if session is not None:
        suggest_url += f"?session={session.pk}"
    return render(
        request,
        "practice/session_form.html",
        {
            "form": entry.form,
            "formset": preview.formset,
            "preview": preview,
            "session": session,
            "suggest_url": suggest_url,
            "client": entry.form.selected_client,
            "not_saved": entry.form.is_bound,
            "stale": stale,
            **(extra or {}),
        },
        status=409 if stale else status,
    )


def _save(request: HttpRequest, entry: SessionEntry, *, session: Session | None = None):
    """Save a valid entry (and mark it ready when asked); on a rule the models catch,
    show the form again."""
    try:
        saved, not_ready = services.session_log(
            plan=entry.plan, user=request.user, ready=bool(request.POST.get("ready"))
        )
    except services.SessionLocked as locked:
        messages.error(request, str(locked))
        return redirect("practice:session_detail", pk=entry.session.pk)
    except ValidationError as error:
        for message in error.messages:
            entry.form.add_error(None, message)
        return _render_form(request, entry=entry, preview=entry, session=session)
    except StaleEdit as stale:
        stale.show_on(entry.form)
        return _render_form(request, entry=entry, preview=entry, session=session, stale=stale)
    messages.success(request, f"Session saved: {saved}.")
    for warning in entry.warnings:
        messages.warning(request, warning)
    if not_ready:
        messages.error(request, not_ready)
    return redirect("practice:session_detail", pk=saved.pk)


@require_http_methods(["GET", "POST"])
def session_create(request: HttpRequest) -> HttpResponse:
    """Log a session. ``?client=<id>`` picks the client; ``?repeat=<id>`` also fills in
    the client's last session (service, length, place, diagnoses)."""
    # Sessions are logged by clinicians (their own) and billing staff (anyone's).
    roles.require(roles.works_with_clients(request.user))
    if request.method == "POST":
        entry = SessionEntry(user=request.user, data=request.POST)
        if entry.is_valid():
            return _save(request, entry)
        return _render_form(request, entry=entry, preview=entry)
    clients = Client.objects.for_user(request.user).active()
    client = None
    initial: dict = {}
    repeat = id_param(request.GET, "repeat")
    chosen = repeat or id_param(request.GET, "client")
    if chosen is not None:
        client = get_object_or_404(clients, pk=chosen)
    initial = initial_for_create(user=request.user, client=client)
    if repeat and client is not None:
        last = last_session(user=request.user, client=client)
        if last is None:
            messages.info(request, f"{client.full_name} has no earlier session to repeat.")
        else:
            initial.update(initial_from_session(last))
            if not roles.sees_all_clients(request.user):
                initial.pop("clinician", None)
    entry = SessionEntry(user=request.user, initial=initial)
    return _render_form(request, entry=entry, preview=preview_of(entry))


@require_GET
def session_detail(request: HttpRequest, pk: int) -> HttpResponse:
    session = get_object_or_404(
        _visible(request).select_related(
            "client", "clinician", "location", "place_of_service", "created_by"
        ),
        pk=pk,
    )
    record_access(
        request,
        kind=AccessKind.VIEW,
        what="Session page",
        clients=[session.client_id],
        objects=[session],
    )
    lines = list(session.lines.select_related("procedure"))
    diagnoses = list(
        SessionDiagnosis.objects.filter(session=session).select_related("diagnosis__code")
    )
    warnings: list[str] = []
    if session.status in (Session.Status.DRAFT, Session.Status.READY):
        coverage = session.client.coverage_on(session.date)
        warnings = services.session_warnings(
            session=session, coverage=coverage, codes=[line.procedure.code for line in lines]
        )
    may_change = roles.may_change(request.user, session)
    actions = [
        (status, STATUS_ACTIONS[status])
        for status in STATUS_ACTIONS
        if may_change and status in services.STATUS_TRANSITIONS.get(session.status, ())
    ]
    return render(
        request,
        "practice/session_detail.html",
        {
            "session": session,
            "lines": lines,
            "diagnoses": [
                (services.POINTER_LETTERS[row.position - 1], row.diagnosis) for row in diagnoses
            ],
            "total": sum((line.charge for line in lines), services.ZERO),
            "warnings": warnings,
            "actions": actions,
            "may_change": may_change,
            "billed_reason": services.billed_reason(session) if session.is_billed else "",
        },
    )


@require_http_methods(["GET", "POST"])
def session_edit(request: HttpRequest, pk: int) -> HttpResponse:
    session = get_object_or_404(_visible(request).select_related("clinician"), pk=pk)
    if not roles.may_change(request.user, session):
        raise PermissionDenied
    if session.is_billed:
        messages.error(request, services.billed_reason(session))
        return redirect("practice:session_detail", pk=session.pk)
    record_access(
        request,
        kind=AccessKind.VIEW,
        what="Session edit page",
        clients=[session.client_id],
        objects=[session],
    )
    if request.method == "POST":
        entry = SessionEntry(user=request.user, data=request.POST, instance=session)
        if entry.is_valid():
            return _save(request, entry, session=session)
        return _render_form(request, entry=entry, preview=entry, session=session)
    entry, preview = entries_for_edit(user=request.user, session=session)
    return _render_form(request, entry=entry, preview=preview, session=session)


@require_http_methods(["GET", "POST"])
def session_suggest(request: HttpRequest) -> HttpResponse:
    """The proposed lines for the form as it stands (an HTML partial for htmx).

    When the client changed since the page listed diagnoses, the partial also replaces
    the client's diagnoses (out of band); while lines are not overridden it keeps the
    override rows in step with the proposal.
    """
    # Sessions are logged by clinicians (their own) and billing staff (anyone's).
    roles.require(roles.works_with_clients(request.user))
    session = None
    session_id = id_param(request.GET, "session")
    if session_id is not None:
        session = get_object_or_404(_visible(request), pk=session_id)
        if not roles.may_change(request.user, session):
            raise PermissionDenied
        if session.is_billed:
            reason = services.billed_reason(session)
            return HttpResponse(format_html('<p class="text-muted mb-0">{}</p>', reason))
    data = (request.POST if request.method == "POST" else request.GET).copy()
    entry = SessionEntry(user=request.user, data=data, instance=session)
    client_changed = entry.form.client_changed
    if client_changed:
        client = entry.form.selected_client
        defaults = initial_for_create(user=request.user, client=client) if client else {}
        data.setlist("diagnoses", [str(pk) for pk in defaults.get("diagnoses", [])])
        data["rendered_client"] = str(client.pk) if client else ""
        entry = SessionEntry(user=request.user, data=data, instance=session)
    entry.is_valid()
    return render(
        request,
        "practice/includes/_session_suggest.html",
        {
            "preview": entry,
            "form": entry.form,
            "formset": entry.formset,
            "client": entry.form.selected_client,
            "session": session,
            "client_changed": client_changed,
        },
    )


@require_POST
def session_status(request: HttpRequest, pk: int) -> HttpResponse:
    """Move a session: draft ⇄ ready, no-show, late cancellation, cancelled."""
    session = get_object_or_404(_visible(request), pk=pk)
    return _move(request, session, request.POST.get("status", ""), read_version(request.POST))


@require_POST
def session_ready(request: HttpRequest) -> HttpResponse:
    """The session list's Ready buttons: one form for the page, the button posts
    ``ready=<id>:<version>`` (the version the list showed). Same checks as
    ``session_status``: a session the user cannot see is a 404, one they may not
    change a 403."""
    raw = request.POST.get("ready", "")
    pk_text, _, version_text = raw.partition(":")
    pk = parse_id(pk_text)
    if pk is None:
        raise BadParameter(f"ready must be a session number, not {raw[:40]!r}.")
    session = get_object_or_404(_visible(request), pk=pk)
    return _move(request, session, Session.Status.READY, read_version({"version": version_text}))


def _move(request: HttpRequest, session: Session, status: str, version: int | None):
    if not roles.may_change(request.user, session):
        raise PermissionDenied
    if version is not None:  # the version the page showed
        session.version = version
    try:
        services.session_set_status(session=session, status=status, user=request.user)
    except (services.SessionLocked, StaleEdit, ValueError) as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"{session}: {session.get_status_display().lower()}.")
    return redirect(_next_url(request, reverse("practice:session_detail", args=[session.pk])))


@require_http_methods(["GET", "POST"])
def session_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Delete a draft (GET asks to confirm). Anything past draft is kept."""
    session = get_object_or_404(_visible(request).select_related("client"), pk=pk)
    if not roles.may_change(request.user, session):
        raise PermissionDenied
    if session.status != Session.Status.DRAFT:
        reason = (
            services.billed_reason(session)
            if session.is_billed
            else "Only draft sessions can be deleted; mark it cancelled instead."
        )
        messages.error(request, reason)
        return redirect("practice:session_detail", pk=session.pk)
    if request.method == "POST":
        label = str(session)
        version = read_version(request.POST)
        if version is not None:
            session.version = version
        try:
            services.session_delete(session=session, user=request.user)
        except (services.SessionLocked, StaleEdit, ValueError) as error:
            messages.error(request, str(error))
            return redirect("practice:session_detail", pk=pk)
        messages.success(request, f"Deleted {label}.")
        return redirect("practice:session_list")
    return render(request, "practice/session_confirm_delete.html", {"session": session})
