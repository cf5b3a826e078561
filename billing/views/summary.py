"""The claim summary per insurer: what was billed to whom for services in a date range.

One page, three forms: HTML on screen, a print layout (``?print=1``) and CSV
(``?format=csv``), all from the same rows. Totals per claim and per payer are summed by the
database; the rows come in a fixed number of queries whatever the number of claims.

Only the lines whose date of service falls in the range count: a claim spanning two
months shows its lines of each month in each month's summary, so monthly summaries add
up. Void claims sent to cancel another (frequency 8) are left out: they carry no new
charge.
"""

from __future__ import annotations

import csv
import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import groupby

from django.db.models import Count, Max, Min, Prefetch, Q, QuerySet, Sum
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from billing.forms import LIVE_STATUSES, SummaryForm, lines_between
from billing.ledger import LineMoney, claim_lines_money
from billing.models import Claim, ClaimLine, Payer
from practice.audit import AccessKind, record_access
from practice.common import POINTER_LETTERS, ZERO
from practice.models import Practice
from practice.roles import billing_staff_only

NOTHING_YET = LineMoney()
CSV_HEADER = [
    "Payer",
    "Claim control number",
    "Client",
    "Date of service",
    "POS",
    "Code",
    "Modifiers",
    "Units",
    "Diagnosis codes",
    "Charge",
    "Expected allowed",
    "Paid",
    "Balance",
]


@dataclass
class PayerSummary:
    payer: Payer
    claims: list[Claim] = field(default_factory=list)
    charge: Decimal = ZERO
    allowed: Decimal = ZERO
    lines: int = 0
    without_rate: int = 0
    paid: Decimal = ZERO  # by the payers, on the lines in range
    balance: Decimal = ZERO  # still owed on them (billing.ledger.LineMoney.balance)


@dataclass
class Summary:
    start: datetime.date
    end: datetime.date
    payers: list[PayerSummary]

    @property
    def charge(self) -> Decimal:
        return sum((p.charge for p in self.payers), ZERO)

    @property
    def allowed(self) -> Decimal:
        return sum((p.allowed for p in self.payers), ZERO)

    @property
    def paid(self) -> Decimal:
        return sum((p.paid for p in self.payers), ZERO)

    @property
    def balance(self) -> Decimal:
        return sum((p.balance for p in self.payers), ZERO)

    @property
    def claim_count(self) -> int:
        return sum(len(p.claims) for p in self.payers)

    @property
    def line_count(self) -> int:
        return sum(p.lines for p in self.payers)

    @property
    def without_rate(self) -> int:
        return sum(p.without_rate for p in self.payers)


def _patient_name(claim: Claim) -> str:
    """The patient as the claim printed it (the snapshot), not as the record reads now."""
    patient = (claim.parties or {}).get("patient") or {}
    if patient.get("last_name"):
        return f"{patient['last_name']}, {patient.get('first_name', '')}".strip(", ")
    return str(claim.client)


def summary_claims(
    *,
    start: datetime.date,
    end: datetime.date,
    payers: QuerySet[Payer] | list[Payer] | None = None,
    statuses: list[str] | None = None,
) -> QuerySet[Claim]:
    """Claims with a line served in [start, end], one payer after another."""
    claims = Claim.objects.filter(status__in=statuses or LIVE_STATUSES).exclude(
        frequency=Claim.Frequency.VOID
    )
    if payers:
        claims = claims.filter(payer__in=payers)
    return claims.filter(lines_between(start, end))


def build_summary(
    *,
    start: datetime.date,
    end: datetime.date,
    payers: QuerySet[Payer] | list[Payer] | None = None,
    statuses: list[str] | None = None,
) -> Summary:
    """The summary's rows and totals in six queries: claims with their in-range totals
    (one aggregate query), their in-range lines, their diagnoses, the totals per payer
    (one aggregate query), and what payers paid and wrote off per line (two)."""
    chosen = summary_claims(start=start, end=end, payers=payers, statuses=statuses)
    in_range = Q(lines__date_of_service__gte=start, lines__date_of_service__lte=end)
    claims = (
        chosen.select_related("payer", "client")
        .annotate(
            range_charge=Sum("lines__charge", filter=in_range, default=ZERO),
            range_allowed=Sum("lines__expected_allowed", filter=in_range, default=ZERO),
            range_lines=Count("lines", filter=in_range),
            all_lines=Count("lines"),
            first_service=Min("lines__date_of_service", filter=in_range),
            last_service=Max("lines__date_of_service", filter=in_range),
        )
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=ClaimLine.objects.filter(
                    date_of_service__gte=start, date_of_service__lte=end
                ).order_by("position"),
                to_attr="summary_lines",
            ),
            "diagnoses",
        )
        .order_by(
            "payer__name",
            "payer_id",
            "client__last_name",
            "client__first_name",
            "client_id",
            "first_service",
            "pk",
        )
    )
    per_payer = {
        row["claim__payer_id"]: row
        for row in ClaimLine.objects.filter(
            claim__in=chosen.values("pk"), date_of_service__gte=start, date_of_service__lte=end
        )
        .values("claim__payer_id")
        .annotate(
            charge=Sum("charge", default=ZERO),
            allowed=Sum("expected_allowed", default=ZERO),
            lines=Count("pk"),
            without_rate=Count("pk", filter=Q(expected_allowed__isnull=True)),
        )
        .order_by()
    }
    in_range_lines = ClaimLine.objects.filter(
        claim__in=chosen.values("pk"), date_of_service__gte=start, date_of_service__lte=end
    )
    money = claim_lines_money(in_range_lines)
    groups: list[PayerSummary] = []
    for _, payer_claims in groupby(claims, key=lambda c: c.payer_id):
        payer_claims = list(payer_claims)
        totals = per_payer.get(payer_claims[0].payer_id, {})
        for claim in payer_claims:
            codes = {d.position: d.code for d in claim.diagnoses.all()}
            claim.patient_name = _patient_name(claim)
            claim.range_paid = claim.range_balance = ZERO
            for line in claim.summary_lines:
                line_money = money.get(line.pk, NOTHING_YET)
                line.paid, line.balance = line_money.paid, line_money.balance(line.charge)
                claim.range_paid += line.paid
                claim.range_balance += line.balance
                line.diagnosis_codes = [
                    codes[POINTER_LETTERS.index(letter) + 1]
                    for letter in line.diagnosis_pointers
                    if letter in POINTER_LETTERS and POINTER_LETTERS.index(letter) + 1 in codes
                ]
        groups.append(
            PayerSummary(
                payer=payer_claims[0].payer,
                claims=payer_claims,
                charge=totals.get("charge", ZERO),
                allowed=totals.get("allowed", ZERO),
                lines=totals.get("lines", 0),
                without_rate=totals.get("without_rate", 0),
                paid=sum((c.range_paid for c in payer_claims), ZERO),
                balance=sum((c.range_balance for c in payer_claims), ZERO),
            )
        )
    return Summary(start=start, end=end, payers=groups)


def _cell(text: str) -> str:
    """Text a spreadsheet will not run as a formula (a name starting with = or @…)."""
    return "'" + text if text[:1] in {"=", "+", "-", "@", "\t", "\r"} else text


def _amount(value: Decimal | None) -> str:
    return "" if value is None else f"{value:.2f}"


def summary_csv(summary: Summary) -> HttpResponse:
    """One row per claim line, amounts as plain decimals ("160.00"). UTF-8 with a byte
    order mark, so a spreadsheet opened by double-click reads accented names right."""
    filename = f"summary-{summary.start:%Y-%m-%d}-{summary.end:%Y-%m-%d}.csv"
    response = HttpResponse(
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow(CSV_HEADER)
    for group in summary.payers:
        for claim in group.claims:
            for line in claim.summary_lines:
                writer.writerow(
                    [
                        _cell(group.payer.name),
                        claim.control_number,
                        _cell(claim.patient_name),
                        line.date_of_service.isoformat(),
                        line.place_of_service,
                        line.procedure_code,
                        " ".join(line.modifiers),
                        line.units,
                        " ".join(line.diagnosis_codes),
                        _amount(line.charge),
                        _amount(line.expected_allowed),
                        _amount(line.paid),
                        _amount(line.balance),
                    ]
                )
    return response


def _query(form: SummaryForm) -> str:
    """The form's choices (defaults filled in) as a query string, for the print and CSV
    links: they show exactly the rows on screen, even if the month turns meanwhile."""
    data = form.data.copy()
    for key in ("print", "format", "page"):
        data.pop(key, None)
    return data.urlencode()


@billing_staff_only
@require_GET
def claim_summary(request: HttpRequest) -> HttpResponse:
    """Claims per insurer for a date-of-service range (default: last month)."""
    form = SummaryForm(request.GET)
    as_csv = request.GET.get("format") == "csv"
    if not form.is_valid():
        if as_csv:
            problems = "; ".join(
                f"{name}: {' '.join(errors)}" for name, errors in form.errors.items()
            )
            return HttpResponseBadRequest(
                f"Invalid summary request. {problems}", content_type="text/plain; charset=utf-8"
            )
        return render(request, "billing/summary.html", {"form": form, "summary": None})
    wanted = form.cleaned_data
    summary = build_summary(
        start=wanted["start"],
        end=wanted["end"],
        payers=list(wanted["payers"]),
        statuses=wanted["statuses"],
    )
    printed = bool(request.GET.get("print"))
    claims = [claim for group in summary.payers for claim in group.claims]
    record_access(
        request,
        kind=AccessKind.EXPORT if as_csv else AccessKind.PRINT if printed else AccessKind.VIEW,
        what="Claim summary CSV" if as_csv else "Claim summary",
        clients=[claim.client_id for claim in claims],
        objects=claims,
    )
    if as_csv:
        return summary_csv(summary)
    context = {
        "form": form,
        "summary": summary,
        "practice": Practice.current(),
        "printed": timezone.localdate(),
        "query": _query(form),
        "status_labels": [
            label for value, label in Claim.Status.choices if value in wanted["statuses"]
        ],
    }
    if printed:
        return render(request, "billing/summary_print.html", context)
    return render(request, "billing/summary.html", context)
