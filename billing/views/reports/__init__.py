"""Report pages: CPT usage, revenue, session mix and billing health.

Each report is a GET form (dates, and clinician and payer where they apply), an SVG chart
(``billing/charts.py``), the tables behind it, and a CSV of any one table
(``?format=csv&table=<name>``) holding exactly that table's columns, rows and total.
The numbers come from the ``billing/reports/`` package: one query per table, whatever the
number of sessions.

Here: who may open reports, the filter form, the registry and the one view that shows any
registered report (``show``; ``billing/urls.py`` gives each slug its own URL and name).
``tables.py`` is the table framework; each report's page (its tables, chart and
``REPORT`` entry) is a module named after its query module: ``codes``, ``revenue``,
``mix``, ``health``, ``aging``, ``denials``, ``collections``, ``underpayments``. A new
report adds a module and its ``REPORT`` to ``REPORTS``.

Owners and billers see the whole practice; a clinician sees the same reports limited to
their own sessions and the claim lines made from them; anyone else gets 403. Bad input
(an impossible date, an unknown clinician) becomes a message on the page with the default
period, or a 400 for a CSV download; never a 500.
"""

from __future__ import annotations

import datetime

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, QueryDict
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from billing import reports as q
from billing.models import Payer
from billing.views.reports import (
    aging,
    codes,
    collections,
    denials,
    health,
    mix,
    revenue,
    underpayments,
)
from billing.views.reports.tables import Report, csv_response, period_label
from practice import roles
from practice.audit import AccessKind, record_access
from practice.forms.widgets import DateInput
from practice.models import Clinician

EARLIEST = datetime.date(1900, 1, 1)
LATEST = datetime.date(2100, 12, 31)
LONGEST_RANGE_DAYS = 3660  # ten years


# --- Access and the filter form ------------------------------------------------------


class ReportForm(forms.Form):
    """The period and filters of a report (GET). Invalid input never widens access: a
    clinician has no clinician field, and their reports are limited whatever is sent."""

    date_from = forms.DateField(label="From", required=False, widget=DateInput())
    date_to = forms.DateField(label="To", required=False, widget=DateInput())
    clinician = forms.ModelChoiceField(
        queryset=Clinician.objects.all(), required=False, empty_label="All clinicians"
    )
    payer = forms.ModelChoiceField(
        queryset=Payer.objects.all(), required=False, empty_label="All payers"
    )

    def __init__(
        self,
        data: QueryDict | None,
        *,
        user,
        default: tuple[datetime.date, datetime.date],
        with_clinician: bool,
        with_payer: bool,
    ) -> None:
        # The default period shows in the date pickers, so the page says what it shows.
        super().__init__(data, initial={"date_from": default[0], "date_to": default[1]})
        self.default = default
        if not (with_clinician and roles.sees_all_clients(user)):
            del self.fields["clinician"]
        if not with_payer:
            del self.fields["payer"]
        for name, one in self.fields.items():
            css = "form-select form-select-sm" if name in {"clinician", "payer"} else ""
            one.widget.attrs["class"] = css or "form-control form-control-sm"

    def clean(self) -> dict:
        cleaned = super().clean()
        if "date_from" in self.errors or "date_to" in self.errors:
            return cleaned
        start = cleaned.get("date_from") or self.default[0]
        end = cleaned.get("date_to") or self.default[1]
        if not (EARLIEST <= start <= LATEST and EARLIEST <= end <= LATEST):
            raise forms.ValidationError(f"Choose dates between {EARLIEST.year} and {LATEST.year}.")
        if start > end:
            raise forms.ValidationError("The start date is after the end date.")
        if (end - start).days > LONGEST_RANGE_DAYS:
            raise forms.ValidationError("Choose a period of at most ten years.")
        cleaned["start"], cleaned["end"] = start, end
        return cleaned

    def problems(self) -> list[str]:
        """The form's errors as sentences for messages."""
        found = []
        for name, errors in self.errors.items():
            label = self.fields[name].label if name in self.fields else ""
            found += [f"{label}: {error}" if label else error for error in errors]
        return found


# --- The registry: one entry per report page, in the index's order -----------------

REPORTS: dict[str, Report] = {
    report.slug: report
    for report in (
        codes.REPORT,
        revenue.REPORT,
        mix.REPORT,
        health.REPORT,
        aging.REPORT,
        denials.REPORT,
        collections.REPORT,
        underpayments.REPORT,
    )
}


# --- Views ---------------------------------------------------------------------------


@roles.client_work_only
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """The list of reports."""
    return render(
        request,
        "billing/reports/index.html",
        {"reports": REPORTS.values(), "limited": not roles.sees_all_clients(request.user)},
    )


@roles.client_work_only
@require_GET
def show(request: HttpRequest, slug: str) -> HttpResponse:
    """One registered report: its page, or one table's CSV with ``?format=csv&table=``.
    ``slug`` comes from the URL pattern, never from the request, so it is always known."""
    report = REPORTS[slug]
    today = timezone.localdate()
    default = report.default(today)
    form = ReportForm(
        request.GET or None,
        user=request.user,
        default=default,
        with_clinician=report.with_clinician,
        with_payer=report.with_payer,
    )
    want_csv = request.GET.get("format") == "csv"
    start, end = default
    clinician = payer = None
    if form.is_bound and not form.is_valid():
        if want_csv:
            return HttpResponseBadRequest(
                " ".join(form.problems()), content_type="text/plain; charset=utf-8"
            )
        for problem in form.problems():
            messages.error(request, problem)
        messages.info(request, f"Showing the default period, {period_label(start, end)}.")
    elif form.is_bound:
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
        clinician = form.cleaned_data.get("clinician")
        payer = form.cleaned_data.get("payer")
    filters = q.Filters(user=request.user, clinician=clinician, payer=payer, today=today)
    sections = report.build(start, end, filters)
    tables = {table.name: table for section in sections for table in section.tables}
    if want_csv:
        table = tables.get(request.GET.get("table") or next(iter(tables)))
        if table is None:
            return HttpResponseBadRequest(
                f"Unknown table; choose one of: {', '.join(tables)}.",
                content_type="text/plain; charset=utf-8",
            )
        if table.every_row is not None:
            table.rows, table.client_ids = table.every_row()
        record_access(
            request,
            kind=AccessKind.EXPORT,
            what=f"Report CSV: {report.title} ({table.name})",
            clients=table.client_ids,
        )
        return csv_response(table, f"{report.slug}-{table.name}-{start}-{end}.csv")
    shown = [pk for table in tables.values() for pk in table.client_ids]
    if shown:
        record_access(request, kind=AccessKind.VIEW, what=f"Report: {report.title}", clients=shown)
    query = QueryDict(mutable=True)
    query.update({"date_from": start.isoformat(), "date_to": end.isoformat(), "format": "csv"})
    if clinician is not None:
        query["clinician"] = str(clinician.pk)
    if payer is not None:
        query["payer"] = str(payer.pk)
    for name, table in tables.items():
        query["table"] = name
        table.csv_url = f"?{query.urlencode()}"
    return render(
        request,
        "billing/reports/report.html",
        {
            "report": report,
            "form": form,
            "sections": sections,
            "period": period_label(start, end),
            "clinician": clinician,
            "payer": payer,
            "limited_to": None
            if roles.sees_all_clients(request.user)
            else roles.clinician_of(request.user),
        },
    )
