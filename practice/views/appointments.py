"""A clinician's day: the day and week pages, planning and changing appointments, one
tap for what happened (attended, no-show, late cancellation), and the calendar feed.

Appointments are read through ``Appointment.objects.for_user``: a clinician reaches only
their own (anyone else's is a 404); billing staff reach all and pick whose day to see.
Rules live in ``practice/appointments.py``; views check access, parse, call one service.
"""

from __future__ import annotations

import datetime
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from practice import appointments as plan
from practice import calendar, roles
from practice.audit import AccessKind, record_access
from practice.forms.appointments import AppointmentForm, ClinicianPickForm, session_initial
from practice.forms.session_entry import SessionEntry, preview_of
from practice.forms.sessions import default_location_id
from practice.models import Appointment, Clinician, Session
from practice.params import id_param
from practice.views.sessions import _render_form

UNLOGGED_SHOWN = 50
FIRST_DAY, LAST_DAY = datetime.date(1900, 1, 1), datetime.date(9000, 12, 31)
RELATED = ("client", "location", "series", "session", "charge")


def _visible(request: HttpRequest):
    return Appointment.objects.for_user(request.user)


def _day_param(request: HttpRequest) -> datetime.date:
    """The ``date`` asked for, or today for a missing, malformed or far-off one (the
    pages step a week either side: years 1 and 9999 would overflow)."""
    today = timezone.localdate()
    try:
        day = datetime.date.fromisoformat(request.GET.get("date", ""))
    except ValueError:
        return today
    return day if FIRST_DAY <= day <= LAST_DAY else today


def _whose(request: HttpRequest) -> tuple[Clinician | None, ClinicianPickForm | None]:
    """The clinician whose day is shown: a clinician's own; billing staff choose (their
    own first, when they also see clients)."""
    # Clinicians plan their own appointments, billing staff anyone's.
    roles.require(roles.works_with_clients(request.user))
    if not roles.sees_all_clients(request.user):
        return roles.clinician_of(request.user), None
    picker = ClinicianPickForm(request.GET or None)
    chosen = picker.cleaned_data.get("clinician") if picker.is_valid() else None
    if chosen is None and not request.GET.get("clinician"):
        chosen = roles.clinician_of(request.user)
        if chosen is not None:
            picker = ClinicianPickForm(initial={"clinician": chosen.pk})
    return chosen, picker


def day_url(appointment_or_date, clinician_id: int | None = None, *, staff: bool) -> str:
    day = getattr(appointment_or_date, "date", appointment_or_date)
    query = {"date": day.isoformat()}
    if staff:
        query["clinician"] = clinician_id or appointment_or_date.clinician_id
    return f"{reverse('practice:day')}?{urlencode(query)}"


def _record(request: HttpRequest, what: str, shown: list[Appointment]) -> None:
    """The read audit: the clients whose appointments a page named (none: no record)."""
    if shown:
        record_access(
            request,
            kind=AccessKind.VIEW,
            what=what,
            clients=[a.client_id for a in shown],
            objects=shown,
        )


def _cards(appointments, now: datetime.datetime, window_hours: int) -> list[dict]:
    """Each appointment with the taps it offers now."""
    cards = []
    for appointment in appointments:
        planned = appointment.status == Appointment.Status.PLANNED
        relog = appointment.status == Appointment.Status.ATTENDED and not appointment.session_id
        starts = appointment.starts_at
        late = plan.is_late_cancel(starts_at=starts, cancelled_at=now, window_hours=window_hours)
        cards.append(
            {
                "a": appointment,
                "attend": planned or relog,
                "no_show": planned and now >= starts,
                "late_cancel": planned and late,
                "relog": relog,
                "undo": appointment.status in plan.REOPENABLE,
            }
        )
    return cards


def _page_context(request: HttpRequest, clinician: Clinician | None, picker) -> dict:
    staff = roles.sees_all_clients(request.user)
    return {
        "clinician": clinician,
        "picker": picker,
        "staff": staff,
        "clinician_query": f"&clinician={clinician.pk}" if staff and clinician else "",
    }


@require_GET
def day(request: HttpRequest) -> HttpResponse:
    """My day: the clinician's appointments in time order, each with one tap for what
    happened, and every earlier appointment still planned (not logged) until resolved."""
    clinician, picker = _whose(request)
    shown = _day_param(request)
    context = _page_context(request, clinician, picker)
    context.update(day=shown, nav_date=shown, previous=shown - datetime.timedelta(days=1))
    context["next"] = shown + datetime.timedelta(days=1)
    context["today"] = timezone.localdate()
    if clinician is not None:
        window = clinician.practice.late_cancel_hours
        now = timezone.now()
        rows = (
            Appointment.objects.filter(clinician=clinician, date=shown)
            .select_related(*RELATED)
            .order_by("start_time", "pk")
        )
        unlogged = (
            Appointment.objects.filter(clinician=clinician)
            .unlogged(before=min(context["today"], shown))  # earlier days than the one shown
            .select_related(*RELATED)
            .order_by("date", "start_time", "pk")[: UNLOGGED_SHOWN + 1]
        )
        unlogged = list(unlogged)
        rows = list(rows)
        _record(request, "Day page", [*rows, *unlogged[:UNLOGGED_SHOWN]])
        context.update(
            cards=_cards(rows, now, window),
            unlogged=_cards(unlogged[:UNLOGGED_SHOWN], now, window),
            more_unlogged=len(unlogged) > UNLOGGED_SHOWN,
            window_hours=window,
        )
    return render(request, "practice/day.html", context)


@require_GET
def week(request: HttpRequest) -> HttpResponse:
    """My week: Monday to Sunday around the date asked for, each day's appointments."""
    clinician, picker = _whose(request)
    shown = _day_param(request)
    monday = shown - datetime.timedelta(days=shown.weekday())
    days = [monday + datetime.timedelta(days=i) for i in range(7)]
    context = _page_context(request, clinician, picker)
    context.update(
        monday=monday,
        nav_date=monday,
        sunday=days[-1],
        previous=monday - datetime.timedelta(days=7),
        today=timezone.localdate(),
    )
    context["next"] = monday + datetime.timedelta(days=7)
    if clinician is not None:
        window = clinician.practice.late_cancel_hours
        rows = (
            Appointment.objects.filter(clinician=clinician, date__range=(monday, days[-1]))
            .select_related(*RELATED)
            .order_by("date", "start_time", "pk")
        )
        rows = list(rows)
        _record(request, "Week page", rows)
        cards = _cards(rows, timezone.now(), window)
        context["days"] = [(d, [c for c in cards if c["a"].date == d]) for d in days]
        context["unlogged_count"] = (
            Appointment.objects.filter(clinician=clinician)
            .unlogged(before=context["today"])
            .count()
        )
    return render(request, "practice/week.html", context)


@require_http_methods(["GET", "POST"])
def appointment_create(request: HttpRequest) -> HttpResponse:
    """Plan an appointment, once or every week / two weeks until a date or N times."""
    # Clinicians plan their own appointments, billing staff anyone's.
    roles.require(roles.works_with_clients(request.user))
    staff = roles.sees_all_clients(request.user)
    own = roles.clinician_of(request.user)
    chosen = id_param(request.GET, "clinician") if staff else None
    whose = Clinician.objects.filter(pk=chosen).first() if chosen is not None else own
    form = AppointmentForm(
        request.POST or None,
        user=request.user,
        instance=Appointment(),
        initial={
            "date": _day_param(request),
            "minutes": 53,
            "service": Session.Service.INDIVIDUAL,
            "clinician": whose.pk if whose else None,
            "location": default_location_id(whose),
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        clinician = data["clinician"] if staff else own
        try:
            made = plan.appointment_plan(
                clinician=clinician,
                client=data["client"],
                date=data["date"],
                start_time=data["start_time"],
                minutes=data["minutes"],
                service=data["service"],
                location=data.get("location"),
                telehealth=data.get("telehealth", ""),
                every_weeks=int(data["repeat"]) if data.get("repeat") else None,
                until=data.get("repeat_until"),
                count=data.get("repeat_count"),
                user=request.user,
            )
        except ValidationError as error:
            form.show(error)
        else:
            first = made[0]
            label = f"{len(made)} appointments" if len(made) > 1 else "Appointment"
            messages.success(request, f"{label} planned: {first}.")
            return redirect(day_url(first, staff=staff))
    status = 400 if request.method == "POST" else 200
    return render(request, "practice/appointment_form.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
def appointment_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a planned appointment, or it and all later ones of its series; cancel."""
    appointment = get_object_or_404(
        _visible(request).select_related("client", "clinician", "series"), pk=pk
    )
    staff = roles.sees_all_clients(request.user)
    if appointment.status != Appointment.Status.PLANNED:
        messages.error(
            request,
            f"This appointment is {appointment.get_status_display().lower()}: only planned "
            "appointments can be changed.",
        )
        return redirect(day_url(appointment, staff=staff))
    _record(request, "Appointment change page", [appointment])
    form = AppointmentForm(request.POST or None, user=request.user, instance=appointment)
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data.get(name) for name in plan.EDITABLE}
        changes["telehealth"] = changes["telehealth"] or ""
        try:
            changed = plan.appointment_update(
                appointment=appointment, changes=changes, future=form.future, user=request.user
            )
        except ValidationError as error:
            form.show(error)
        except plan.AppointmentClosed as error:
            messages.error(request, str(error))
            return redirect(day_url(appointment, staff=staff))
        else:
            label = f"{len(changed)} appointments" if len(changed) > 1 else "Appointment"
            messages.success(request, f"{label} changed: {changed[0]}.")
            return redirect(day_url(changed[0], staff=staff))
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "practice/appointment_form.html",
        {"form": form, "appointment": appointment, "back": day_url(appointment, staff=staff)},
        status=status,
    )


@require_http_methods(["GET", "POST"])
def appointment_attend(request: HttpRequest, pk: int) -> HttpResponse:
    """Attended: the session form filled in from the appointment and the client's last
    session; saving it links the session to the appointment."""
    appointment = get_object_or_404(
        _visible(request).select_related("client", "clinician", "location"), pk=pk
    )
    staff = roles.sees_all_clients(request.user)
    back = day_url(appointment, staff=staff)
    relog = appointment.status == Appointment.Status.ATTENDED and not appointment.session_id
    if appointment.status != Appointment.Status.PLANNED and not relog:
        messages.error(
            request, f"This appointment is already {appointment.get_status_display().lower()}."
        )
        return redirect(back)
    _record(request, "Attended: session form", [appointment])
    extra = {
        "form_action": reverse("practice:appointment_attend", args=[appointment.pk]),
        "cancel_url": back,
        "appointment": appointment,
    }
    if request.method == "GET":
        entry = SessionEntry(
            user=request.user, initial=session_initial(appointment=appointment, user=request.user)
        )
        return _render_form(request, entry=entry, preview=preview_of(entry), extra=extra)
    entry = SessionEntry(user=request.user, data=request.POST)
    if not entry.is_valid():
        return _render_form(request, entry=entry, preview=entry, extra=extra)
    try:
        saved, not_ready = plan.appointment_attend(
            appointment=appointment,
            plan=entry.plan,
            user=request.user,
            ready=bool(request.POST.get("ready")),
        )
    except plan.AppointmentClosed as error:
        messages.error(request, str(error))
        return redirect(back)
    except ValidationError as error:
        for message in error.messages:
            entry.form.add_error(None, message)
        return _render_form(request, entry=entry, preview=entry, extra=extra)
    messages.success(request, f"Session saved: {saved}.")
    for warning in entry.warnings:
        messages.warning(request, warning)
    if not_ready:
        messages.error(request, not_ready)
    return redirect(back)


def _missed(request: HttpRequest, pk: int, record) -> HttpResponse:
    appointment = get_object_or_404(
        _visible(request).select_related("client", "clinician__practice", "location"), pk=pk
    )
    try:
        outcome = record(appointment=appointment, user=request.user)
    except (plan.AppointmentClosed, ValueError, ValidationError) as error:
        text = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
        messages.error(request, text)
    else:
        messages.success(request, outcome.message)
    return redirect(day_url(appointment, staff=roles.sees_all_clients(request.user)))


@require_POST
def appointment_no_show(request: HttpRequest, pk: int) -> HttpResponse:
    return _missed(request, pk, plan.appointment_no_show)


@require_POST
def appointment_late_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    return _missed(request, pk, plan.appointment_late_cancel)


@require_POST
def appointment_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """Cancel without a fee: this one, or (``future``) it and the later ones."""
    appointment = get_object_or_404(_visible(request).select_related("client"), pk=pk)
    try:
        cancelled = plan.appointment_cancel(
            appointment=appointment, user=request.user, future=bool(request.POST.get("future"))
        )
    except plan.AppointmentClosed as error:
        messages.error(request, str(error))
    else:
        label = f"{len(cancelled)} appointments" if len(cancelled) > 1 else "Appointment"
        messages.success(request, f"{label} cancelled, no fee: {appointment}.")
    return redirect(day_url(appointment, staff=roles.sees_all_clients(request.user)))


@require_POST
def appointment_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    """Undo a no-show, late cancellation or cancellation: planned again, no fee."""
    appointment = get_object_or_404(_visible(request).select_related("client"), pk=pk)
    try:
        plan.appointment_reopen(appointment=appointment, user=request.user)
    except (plan.AppointmentClosed, ValidationError) as error:
        text = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
        messages.error(request, text)
    else:
        messages.success(request, f"Planned again, no fee: {appointment}.")
    return redirect(day_url(appointment, staff=roles.sees_all_clients(request.user)))


# --- the calendar feed ---------------------------------------------------------------


@login_not_required  # deliberately public: the secret token in the address is the key
@never_cache
@require_GET
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The clinician's appointments as iCalendar: initials only, no diagnosis, no note."""
    clinician = calendar.clinician_for_token(token)
    if clinician is None:
        raise Http404("No such calendar.")
    response = HttpResponse(
        calendar.feed(clinician=clinician, host=request.get_host().split(":")[0]),
        content_type="text/calendar; charset=utf-8",
    )
    response["Cache-Control"] = "no-store"
    response["Content-Disposition"] = 'inline; filename="appointments.ics"'
    return response


@require_POST
def calendar_token(request: HttpRequest) -> HttpResponse:
    """Make a new calendar address (the old one stops working) or revoke it."""
    clinician = roles.clinician_of(request.user)
    if clinician is None:
        raise PermissionDenied
    if request.POST.get("action") == "revoke":
        calendar.token_revoke(clinician=clinician)
        messages.success(request, "Calendar address revoked: it no longer opens anything.")
        return redirect("account:account")
    token = calendar.token_make(clinician=clinician)
    url = request.build_absolute_uri(reverse("calendar_feed", args=[token]))
    response = render(
        request,
        "practice/calendar_address.html",
        {"url": url},
    )
    response["Cache-Control"] = "no-store"
    return response
