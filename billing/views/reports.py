"""Report pages: CPT usage, revenue, session mix and billing health.

Each report is a GET form (dates, and clinician and payer where they apply), an SVG chart
(``billing/charts.py``), the tables behind it, and a CSV of any one table
(``?format=csv&table=<name>``) holding exactly that table's columns, rows and total.
The numbers come from ``billing/reports.py``: one query per table, whatever the number of
sessions.

Owners and billers see the whole practice; a clinician sees the same reports limited to
their own sessions and the claim lines made from them; anyone else gets 403. Bad input
(an impossible date, an unknown clinician) becomes a message on the page with the default
period, or a 400 for a CSV download; never a 500.
"""

from __future__ import annotations

import csv
import datetime
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import wraps

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, QueryDict
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from billing import charts
from billing import reports as q
from billing.models import Payer
from billing.templatetags.money import money
from practice import roles
from practice.audit import AccessKind, record_access
from practice.forms.widgets import DateInput
from practice.models import Clinician

DASH = "—"
EARLIEST = datetime.date(1900, 1, 1)
LATEST = datetime.date(2100, 12, 31)
LONGEST_RANGE_DAYS = 3660  # ten years
TOP_CODES = 5  # the services chart stacks the five busiest codes; the rest are "Other"
# Column kinds: how a value prints on the page and in the CSV.
TEXT, INT, NUMBER, MONEY, PERCENT, CHANGE, MONTH, DATE = (
    "text", "int", "number", "money", "percent", "change", "month", "date"
)  # fmt: skip
NUMERIC = {INT, NUMBER, MONEY, PERCENT, CHANGE}
# A spreadsheet runs a cell starting with these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


# --- Access and the filter form ------------------------------------------------------


def reports_access(view):
    """Owners, billers and clinicians (their own work); a user without a role gets 403."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs):
        if not (roles.sees_all_clients(request.user) or roles.clinician_of(request.user)):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


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


# --- Tables: one definition for the page and the CSV ---------------------------------


@dataclass(frozen=True)
class Column:
    label: str
    kind: str = TEXT

    @property
    def numeric(self) -> bool:
        return self.kind in NUMERIC


def csv_cell(value, kind: str) -> str:
    """A cell as the CSV holds it: plain numbers (units in the header), ISO dates, empty
    for "none"."""
    if value is None:
        return ""
    if kind == MONEY:
        return f"{Decimal(value):.2f}"
    if kind in {NUMBER, PERCENT, CHANGE}:
        return f"{Decimal(value):.1f}"
    if kind == MONTH:
        return f"{value:%Y-%m}"
    if kind == DATE:
        return value.isoformat()
    text = str(value)
    if kind == TEXT and text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def html_cell(value, kind: str) -> str:
    """A cell as the page shows it: $1,234.50 · 12.5 · +3.0 · Mar 2026 · 03/05/2026 · —."""
    if value is None:
        return DASH
    if kind == MONEY:
        return money(value)
    if kind in {NUMBER, PERCENT}:
        return f"{Decimal(value):.1f}"
    if kind == CHANGE:
        return f"{Decimal(value):+.1f}"
    if kind == INT:
        return f"{value:,}"
    if kind == MONTH:
        return f"{value:%b %Y}"
    if kind == DATE:
        return f"{value:%m/%d/%Y}"
    return str(value)


@dataclass
class Table:
    name: str  # the ?table= value of its CSV
    caption: str
    columns: Sequence[Column]
    rows: list[Sequence]
    footer: Sequence | None = None
    empty: str = "Nothing in this period."
    csv_url: str = ""
    # The clients whose rows the table shows (tables of clients, not totals): the read
    # audit records them whenever the table is shown or downloaded.
    client_ids: Sequence[int] = ()

    def csv_rows(self) -> list[list[str]]:
        """Header, rows and total, exactly as the page's table."""
        body = [*self.rows, self.footer] if self.footer is not None else self.rows
        return [
            [c.label for c in self.columns],
            *(
                [csv_cell(v, c.kind) for v, c in zip(row, self.columns, strict=True)]
                for row in body
            ),
        ]

    def html_rows(self) -> list[list[tuple[str, bool]]]:
        return [self._html(row) for row in self.rows]

    def html_footer(self) -> list[tuple[str, bool]] | None:
        return None if self.footer is None else self._html(self.footer)

    def _html(self, row: Sequence) -> list[tuple[str, bool]]:
        return [(html_cell(v, c.kind), c.numeric) for v, c in zip(row, self.columns, strict=True)]


@dataclass
class Section:
    title: str
    tables: list[Table]
    chart: charts.Chart | None = None
    note: str = ""


@dataclass
class Report:
    slug: str
    title: str
    summary: str
    default: Callable[[datetime.date], tuple[datetime.date, datetime.date]]
    build: Callable[[datetime.date, datetime.date, q.Filters], list[Section]]
    with_clinician: bool = True
    with_payer: bool = False


def _last_month(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    return q.last_full_months(today, 1)


def _last_year(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    return q.last_full_months(today, 12)


def _period(start: datetime.date, end: datetime.date) -> str:
    return f"{start:%b} {start.day}, {start.year} – {end:%b} {end.day}, {end.year}"


# --- Services by CPT code ------------------------------------------------------------


def _services(start: datetime.date, end: datetime.date, filters: q.Filters) -> list[Section]:
    monthly = q.services_by_month(start, end, filters)
    codes = q.services_by_code(start, end, filters)
    months = q.months_in(start, end)
    month_table = Table(
        name="monthly",
        caption="Attended sessions per CPT code per month",
        columns=[
            Column("Month", MONTH),
            Column("CPT code"),
            Column("Sessions", INT),
            Column("Units", INT),
            Column("Charges ($)", MONEY),
        ],
        rows=[(r.month, r.code, r.sessions, r.units, r.charges) for r in monthly],
        footer=(
            (
                None,
                "Total",
                None,  # a session with two codes counts under each: sessions do not add up
                sum(r.units for r in monthly),
                sum((r.charges for r in monthly), q.ZERO),
            )
            if monthly
            else None
        ),
        empty="No attended sessions in this period.",
    )
    previous, last_year = q.previous_period(start, end), q.same_period_last_year(start, end)
    code_table = Table(
        name="codes",
        caption=(
            f"Each code over the period, against {_period(*previous)} (previous period) "
            f"and {_period(*last_year)} (same period last year)"
        ),
        columns=[
            Column("CPT code"),
            Column("Description"),
            Column("Sessions", INT),
            Column("Units", INT),
            Column("Charges ($)", MONEY),
            Column("Share of units (%)", PERCENT),
            Column("Units, previous period", INT),
            Column("Change vs previous period (%)", CHANGE),
            Column("Units, same period last year", INT),
            Column("Change vs last year (%)", CHANGE),
        ],
        rows=[
            (
                r.code,
                r.description,
                r.sessions,
                r.units,
                r.charges,
                r.unit_share,
                r.previous_units,
                r.change_previous,
                r.last_year_units,
                r.change_last_year,
            )
            for r in codes
        ],
        empty="No attended sessions in this period or the two it is compared with.",
    )
    if codes:
        units = sum(r.units for r in codes)
        before = sum(r.previous_units for r in codes)
        year_ago = sum(r.last_year_units for r in codes)
        code_table.footer = (
            "Total",
            "",
            None,
            units,
            sum((r.charges for r in codes), q.ZERO),
            q.share(units, units),
            before,
            q.change(units, before),
            year_ago,
            q.change(units, year_ago),
        )
    return [
        Section(
            "Units per month", [month_table], chart=_services_chart(start, end, months, monthly)
        ),
        Section("Codes over the period", [code_table]),
    ]


def _services_chart(start, end, months, monthly) -> charts.Chart:
    by_code: dict[str, dict[datetime.date, int]] = {}
    for row in monthly:
        by_code.setdefault(row.code, {})[row.month] = row.units
    busiest = sorted(by_code, key=lambda code: (-sum(by_code[code].values()), code))
    series = [
        charts.Series(code, [by_code[code].get(m, 0) for m in months])
        for code in busiest[:TOP_CODES]
    ]
    if len(busiest) > TOP_CODES:
        rest = busiest[TOP_CODES:]
        series.append(
            charts.Series("Other", [sum(by_code[c].get(m, 0) for c in rest) for m in months])
        )
    totals = [sum(s.values[i] for s in series) for i in range(len(months))]
    peak = max(range(len(months)), key=lambda i: totals[i]) if any(totals) else None
    desc = (
        f"Stacked columns, one per month from {months[0]:%B %Y} to {months[-1]:%B %Y}, "
        "showing units billed for each CPT code"
        + (
            f"; the busiest month is {months[peak]:%B %Y} with {totals[peak]} units"
            if peak is not None
            else "; there are none"
        )
        + ". The table below lists every value."
    )
    return charts.column_chart(
        chart_id="chart-services",
        title=f"Units billed per month by CPT code, {_period(start, end)}",
        desc=desc,
        categories=[
            (f"{m:%b}", f"{m:%Y}" if i == 0 or m.month == 1 else "") for i, m in enumerate(months)
        ],
        series=series,
        x_label="Month",
        y_label="Units billed",
        unit=charts.COUNT,
    )


# --- Revenue -------------------------------------------------------------------------


def _revenue(start: datetime.date, end: datetime.date, filters: q.Filters) -> list[Section]:
    payers = q.revenue_by_payer(start, end, filters)
    clinicians = q.revenue_by_clinician(start, end, filters)
    gaps = q.expected_vs_paid(start, end, filters)
    payer_table = Table(
        name="payers",
        caption="By payer: live claim lines with a date of service in the period, "
        "and self-pay sessions",
        columns=[
            Column("Payer"),
            Column("Lines", INT),
            Column("Lines without a fee schedule rate", INT),
            Column("Charged ($)", MONEY),
            Column("Expected ($)", MONEY),
            Column("Paid ($)", MONEY),
            Column("Expected minus paid ($)", MONEY),
        ],
        rows=[
            (r.payer, r.lines, r.lines_without_rate, r.charged, r.expected, r.paid, r.gap)
            for r in payers
        ],
        footer=_revenue_total(payers) if payers else None,
        empty="No claimed or self-pay services in this period.",
    )
    clinician_table = Table(
        name="clinicians",
        caption="By clinician who saw the client",
        columns=[
            Column("Clinician"),
            Column("Charged to insurers ($)", MONEY),
            Column("Charged to self-pay clients ($)", MONEY),
            Column("Charged in all ($)", MONEY),
            Column("Expected from insurers ($)", MONEY),
            Column("Paid ($)", MONEY),
        ],
        rows=[
            (r.clinician, r.insured_charged, r.self_pay_charged, r.charged, r.expected, r.paid)
            for r in clinicians
        ],
        empty="No claimed or self-pay services in this period.",
    )
    gap_table = Table(
        name="gap",
        caption="Expected against paid, by payer and CPT code",
        columns=[
            Column("Payer"),
            Column("CPT code"),
            Column("Lines", INT),
            Column("Units", INT),
            Column("Charged ($)", MONEY),
            Column("Expected ($)", MONEY),
            Column("Paid ($)", MONEY),
            Column("Expected minus paid ($)", MONEY),
        ],
        rows=[
            (r.payer, r.code, r.lines, r.units, r.charged, r.expected, r.paid, r.gap) for r in gaps
        ],
        empty="No claim lines in this period.",
    )
    return [
        Section("By payer", [payer_table], chart=_revenue_chart(start, end, payers)),
        Section("By clinician", [clinician_table]),
        Section(
            "Expected against paid",
            [gap_table],
            note="Paid amounts show “—” until payments are posted.",
        ),
    ]


def _sum_known(values) -> Decimal | None:
    known = [v for v in values if v is not None]
    return sum(known, q.ZERO) if known else None


def _revenue_total(rows: list[q.PayerRevenueRow]) -> tuple:
    expected = _sum_known(r.expected for r in rows)
    paid = _sum_known(r.paid for r in rows)
    return (
        "Total",
        sum(r.lines for r in rows),
        sum(r.lines_without_rate for r in rows),
        sum((r.charged for r in rows), q.ZERO),
        expected,
        paid,
        None if expected is None or paid is None else expected - paid,
    )


def _revenue_chart(start, end, rows: list[q.PayerRevenueRow]) -> charts.Chart:
    series = [
        charts.Series("Charged", [r.charged for r in rows]),
        charts.Series("Expected", [r.expected for r in rows]),
    ]
    if any(r.paid is not None for r in rows):
        series.append(charts.Series("Paid", [r.paid for r in rows]))
    return charts.bar_chart(
        chart_id="chart-revenue",
        title=f"Charged and expected by payer, {_period(start, end)}",
        desc=(
            "Horizontal bars per payer: amount charged and amount expected from the fee "
            "schedule, in dollars, with each value printed at the end of its bar. "
            f"{len(rows)} payer rows; the table below lists every value."
        ),
        categories=[r.payer for r in rows],
        series=series,
        x_label="Amount ($)",
        unit=charts.MONEY,
    )


# --- Session mix ---------------------------------------------------------------------


def _mix(start: datetime.date, end: datetime.date, filters: q.Filters) -> list[Section]:
    rows = q.session_mix(start, end, filters)
    code_columns = []
    for code in q.INDIVIDUAL_CODES:
        code_columns += [Column(f"{code} sessions", INT), Column(f"{code} share (%)", PERCENT)]

    def cells(r: q.MixRow) -> tuple:
        codes = []
        for count, part in zip(r.code_counts, r.code_shares, strict=True):
            codes += [count, part]
        return (
            r.clinician,
            r.individual,
            *codes,
            r.attended,
            r.telehealth_share,
            r.in_office_share,
            r.scheduled,
            r.no_shows,
            r.no_show_rate,
            r.late_cancels,
            r.late_cancel_rate,
        )

    table = Table(
        name="mix",
        caption="Per clinician: individual psychotherapy codes, telehealth, no-shows",
        columns=[
            Column("Clinician"),
            Column("Individual sessions (90832/4/7)", INT),
            *code_columns,
            Column("Attended sessions", INT),
            Column("Telehealth (%)", PERCENT),
            Column("In office (%)", PERCENT),
            Column("Scheduled, not cancelled", INT),
            Column("No-shows", INT),
            Column("No-show rate (%)", PERCENT),
            Column("Late cancellations", INT),
            Column("Late-cancel rate (%)", PERCENT),
        ],
        rows=[cells(r) for r in rows],
        footer=cells(q.mix_total(rows)) if rows else None,
        empty="No sessions in this period.",
    )
    chart = charts.bar_chart(
        chart_id="chart-mix",
        title=f"Individual psychotherapy codes per clinician, {_period(start, end)}",
        desc=(
            "One bar per clinician split into the shares of 90832 (about 30 minutes), "
            "90834 (45) and 90837 (60) among their individual sessions, in percent, with "
            "the number of sessions at the end of the bar. The table below lists every value."
        ),
        categories=[r.clinician for r in rows],
        series=[
            charts.Series(code, [r.code_shares[i] or 0 for r in rows])
            for i, code in enumerate(q.INDIVIDUAL_CODES)
        ],
        x_label="Share of individual sessions (%)",
        unit=charts.PERCENT,
        stacked=True,
        axis_max=Decimal(100),
        end_labels=[f"n={r.individual}" if r.individual else "none" for r in rows],
    )
    return [Section("Session mix", [table], chart=chart)]


# --- Billing health ------------------------------------------------------------------


def _health(start: datetime.date, end: datetime.date, filters: q.Filters) -> list[Section]:
    ages = q.unbilled_by_age(start, end, filters)
    filing = q.timely_filing_risk(start, end, filters)
    auths = q.prior_auths_running_out(start, end, filters)
    statuses = q.claims_by_status(start, end, filters)
    lag = q.days_to_claim(start, end, filters)
    today = filters.today
    age_table = Table(
        name="unbilled",
        caption=f"Attended sessions not yet on a claim, by age on {today:%m/%d/%Y}",
        columns=[
            Column("Age (days since the session)"),
            Column("Draft", INT),
            Column("Ready to bill", INT),
            Column("Sessions", INT),
            Column("Charges ($)", MONEY),
        ],
        rows=[(r.bucket, r.draft, r.ready, r.sessions, r.charges) for r in ages],
        footer=(
            "Total",
            sum(r.draft for r in ages),
            sum(r.ready for r in ages),
            sum(r.sessions for r in ages),
            sum((r.charges for r in ages), q.ZERO),
        ),
    )
    filing_table = Table(
        name="timely_filing",
        caption=(
            f"Unbilled sessions within {q.WARNING_DAYS} days of the payer's timely-filing "
            "limit, or past it"
        ),
        columns=[
            Column("Date of service", DATE),
            Column("Client"),
            Column("Clinician"),
            Column("Payer"),
            Column("Status"),
            Column("File by", DATE),
            Column("Days left", INT),
        ],
        rows=[
            (r.date, r.client, r.clinician, r.payer, r.status, r.deadline, r.days_left)
            for r in filing
        ],
        empty="No unbilled session is near a timely-filing limit.",
        client_ids=[r.client_id for r in filing],
    )
    auth_table = Table(
        name="prior_auths",
        caption=(
            f"Prior authorizations with {q.AUTH_VISITS_MARGIN} visits or fewer left, or "
            f"ending within {q.WARNING_DAYS} days"
        ),
        columns=[
            Column("Client"),
            Column("Payer"),
            Column("Authorization"),
            Column("Visits authorized", INT),
            Column("Visits used", INT),
            Column("Visits left", INT),
            Column("Ends", DATE),
            Column("Days left", INT),
        ],
        rows=[
            (r.client, r.payer, r.number, r.visits, r.used, r.remaining, r.valid_to, r.days_left)
            for r in auths
        ],
        empty="No prior authorization is running out.",
        client_ids=[r.client_id for r in auths],
    )
    status_table = Table(
        name="claims",
        caption="Claims built in the period, by status",
        columns=[Column("Status"), Column("Claims", INT), Column("Total charge ($)", MONEY)],
        rows=[(r.label, r.claims, r.charges) for r in statuses],
        footer=(
            "Total",
            sum(r.claims for r in statuses),
            sum((r.charges for r in statuses), q.ZERO),
        ),
    )
    lag_table = Table(
        name="days_to_claim",
        caption="Days from the date of service to the claim, per claim line",
        columns=[Column("Days from service to claim"), Column("Claim lines", INT)],
        rows=[(r.bucket, r.lines) for r in lag.rows],
        footer=("Total", lag.lines),
    )
    lag_summary = Table(
        name="days_to_claim_summary",
        caption="Days from service to claim: average and median",
        columns=[
            Column("Claim lines", INT),
            Column("Average days", NUMBER),
            Column("Median days", NUMBER),
        ],
        rows=[(lag.lines, lag.average, lag.median)],
    )
    chart = charts.column_chart(
        chart_id="chart-health",
        title=f"Unbilled sessions by age on {today:%m/%d/%Y}",
        desc=(
            "Stacked columns for 0–30, 31–60, 61–90 and over 90 days since the session, "
            "split into draft and ready-to-bill sessions, with each column's total on top: "
            + ", ".join(f"{r.bucket} {r.sessions}" for r in ages)
            + "."
        ),
        categories=[(r.bucket.removesuffix(" days"), "days") for r in ages],
        series=[
            charts.Series("Draft", [r.draft for r in ages]),
            charts.Series("Ready to bill", [r.ready for r in ages]),
        ],
        x_label="Age of the session",
        y_label="Sessions",
        unit=charts.COUNT,
    )
    as_of = f"As of today ({today:%m/%d/%Y}), whatever the session's date."
    return [
        Section("Unbilled sessions", [age_table], chart=chart, note=as_of),
        Section("Nearing the timely-filing limit", [filing_table], note=as_of),
        Section("Prior authorizations running out", [auth_table], note=as_of),
        Section("Claims by status", [status_table], note="Claims built in the period."),
        Section(
            "Days from service to claim",
            [lag_summary, lag_table],
            note="Original claims built in the period; discarded drafts do not count.",
        ),
    ]


REPORTS = {
    "services": Report(
        slug="services",
        title="Services by CPT code",
        summary="Sessions, units and charges per code per month; each code's share and "
        "change against the previous period and last year.",
        default=_last_year,
        build=_services,
    ),
    "revenue": Report(
        slug="revenue",
        title="Revenue by payer and clinician",
        summary="Charged, expected and paid per payer and per clinician; expected against "
        "paid per code.",
        default=_last_month,
        build=_revenue,
        with_payer=True,
    ),
    "mix": Report(
        slug="mix",
        title="Session mix",
        summary="Per clinician: 90832/90834/90837 shares, telehealth share, no-show and "
        "late-cancel rates.",
        default=_last_month,
        build=_mix,
    ),
    "health": Report(
        slug="health",
        title="Billing health",
        summary="Unbilled sessions by age, claims by status, days to claim, timely-filing "
        "deadlines and prior authorizations running out.",
        default=_last_month,
        build=_health,
        with_payer=True,
    ),
}


# --- Views ---------------------------------------------------------------------------


@reports_access
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """The list of reports."""
    return render(
        request,
        "billing/reports/index.html",
        {"reports": REPORTS.values(), "limited": not roles.sees_all_clients(request.user)},
    )


def _show(request: HttpRequest, report: Report) -> HttpResponse:
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
        messages.info(request, f"Showing the default period, {_period(start, end)}.")
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
        record_access(
            request,
            kind=AccessKind.EXPORT,
            what=f"Report CSV: {report.title} ({table.name})",
            clients=table.client_ids,
        )
        return _csv(table, f"{report.slug}-{table.name}-{start}-{end}.csv")
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
            "period": _period(start, end),
            "clinician": clinician,
            "payer": payer,
            "limited_to": None
            if roles.sees_all_clients(request.user)
            else roles.clinician_of(request.user),
        },
    )


def _csv(table: Table, filename: str) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    csv.writer(response).writerows(table.csv_rows())
    return response


@reports_access
@require_GET
def services(request: HttpRequest) -> HttpResponse:
    """Services by CPT code per month (default: the last 12 full months)."""
    return _show(request, REPORTS["services"])


@reports_access
@require_GET
def revenue(request: HttpRequest) -> HttpResponse:
    """Revenue by payer and by clinician (default: last full month)."""
    return _show(request, REPORTS["revenue"])


@reports_access
@require_GET
def mix(request: HttpRequest) -> HttpResponse:
    """Session mix per clinician (default: last full month)."""
    return _show(request, REPORTS["mix"])


@reports_access
@require_GET
def health(request: HttpRequest) -> HttpResponse:
    """Billing health (default: last full month for the period-bound tables)."""
    return _show(request, REPORTS["health"])
