"""The claim summary per insurer: what was billed to whom for services in a date range.

On screen, the totals per payer (one aggregate query), each payer linking to its own
section page (``claim_summary_payer``: its claims and lines). The print layout
(``?print=1``) and the CSV (``?format=csv``) hold every payer and stream: the claims are
read ``CHUNK`` at a time (``QuerySet.iterator``) and written out as they come, so a month
of 40,000 lines neither waits for the whole page nor holds it in memory. All forms read
the same rows in the same order. Totals per claim and per payer are summed by the
database; the query count does not depend on the number of claims (a few per chunk).

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
from itertools import islice

from django.db.models import Count, Max, Min, Prefetch, Q, QuerySet, Sum
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, render
from django.template.loader import get_template
from django.utils import timezone
from django.views.decorators.http import require_GET

from billing.forms import LIVE_STATUSES, SummaryForm, lines_between
from billing.ledger import LineMoney, claim_lines_money
from billing.models import Claim, ClaimLine, Payer
from practice.audit import AccessKind, record_access
from practice.common import ZERO, pointed_codes
from practice.models import Practice
from practice.roles import billing_staff_only

# Claims read (and rows rendered) at a time by the streamed CSV and print view.
CHUNK = 500
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
    claims: list[Claim] = field(default_factory=list)  # empty on the totals page
    charge: Decimal = ZERO
    allowed: Decimal = ZERO
    lines: int = 0
    without_rate: int = 0
    claim_count: int = 0
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
        return sum(p.claim_count for p in self.payers)

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


def _claim_rows(chosen: QuerySet[Claim], start: datetime.date, end: datetime.date) -> QuerySet:
    """The chosen claims with their in-range totals (one aggregate query), their in-range
    lines and their diagnoses (one query each per chunk of claims), payer after payer."""
    in_range = Q(lines__date_of_service__gte=start, lines__date_of_service__lte=end)
    return (
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


def _dress(claims: list[Claim]) -> list[Claim]:
    """The patient's name as billed, each line's diagnosis codes, and what payers paid
    and what is still owed per line (``billing.ledger.claim_lines_money``: two queries
    for the batch), from rows read."""
    money = claim_lines_money([line.pk for claim in claims for line in claim.summary_lines])
    for claim in claims:
        codes = [d.code for d in claim.diagnoses.all()]  # by position: A, B, ...
        claim.patient_name = _patient_name(claim)
        claim.range_paid = claim.range_balance = ZERO
        for line in claim.summary_lines:
            line_money = money.get(line.pk, NOTHING_YET)
            line.paid, line.balance = line_money.paid, line_money.balance(line.charge)
            claim.range_paid += line.paid
            claim.range_balance += line.balance
            line.diagnosis_codes = pointed_codes(line.diagnosis_pointers, codes)
    return claims


def payer_totals(chosen: QuerySet[Claim], start: datetime.date, end: datetime.date) -> list:
    """Per payer of the chosen claims, by name: claims, lines, charges and expected
    allowed of the lines in range (one aggregate query), and what payers paid and what
    is still owed on them (``claim_lines_money``, two queries, and the paid lines'
    payers, one)."""
    in_range = ClaimLine.objects.filter(
        claim__in=chosen.values("pk"), date_of_service__gte=start, date_of_service__lte=end
    )
    money = claim_lines_money(in_range)
    paid: dict[int, Decimal] = {}
    written_off: dict[int, Decimal] = {}
    for line, payer in in_range.filter(pk__in=list(money)).values_list("pk", "claim__payer_id"):
        paid[payer] = paid.get(payer, ZERO) + money[line].paid
        written_off[payer] = written_off.get(payer, ZERO) + money[line].written_off
    rows = (
        in_range.values("claim__payer_id", "claim__payer__name", "claim__payer__payer_id")
        .annotate(
            charge=Sum("charge", default=ZERO),
            allowed=Sum("expected_allowed", default=ZERO),
            lines=Count("pk"),
            without_rate=Count("pk", filter=Q(expected_allowed__isnull=True)),
            claims=Count("claim_id", distinct=True),
        )
        .order_by("claim__payer__name", "claim__payer_id")
    )
    return [
        PayerSummary(
            payer=Payer(
                pk=row["claim__payer_id"],
                name=row["claim__payer__name"],
                payer_id=row["claim__payer__payer_id"],
            ),
            charge=row["charge"],
            allowed=row["allowed"],
            lines=row["lines"],
            without_rate=row["without_rate"],
            claim_count=row["claims"],
            paid=paid.get(row["claim__payer_id"], ZERO),
            balance=LineMoney(
                paid.get(row["claim__payer_id"], ZERO),
                written_off.get(row["claim__payer_id"], ZERO),
            ).balance(row["charge"]),
        )
        for row in rows
    ]


def summary_totals(
    *,
    start: datetime.date,
    end: datetime.date,
    payers: QuerySet[Payer] | list[Payer] | None = None,
    statuses: list[str] | None = None,
) -> Summary:
    """The totals page: each payer's totals, no claim rows (one query)."""
    chosen = summary_claims(start=start, end=end, payers=payers, statuses=statuses)
    return Summary(start=start, end=end, payers=payer_totals(chosen, start, end))


def build_summary(
    *,
    start: datetime.date,
    end: datetime.date,
    payers: QuerySet[Payer] | list[Payer] | None = None,
    statuses: list[str] | None = None,
) -> Summary:
    """The summary's rows and totals in four queries: claims with their in-range totals
    (one aggregate query), their in-range lines, their diagnoses, and the totals per payer
    (one aggregate query). A payer's section reads this for its one payer."""
    chosen = summary_claims(start=start, end=end, payers=payers, statuses=statuses)
    groups = payer_totals(chosen, start, end)
    by_payer = {group.payer.pk: group for group in groups}
    for claim in _dress(list(_claim_rows(chosen, start, end))):
        group = by_payer[claim.payer_id]
        group.payer = claim.payer
        group.claims.append(claim)
    return Summary(start=start, end=end, payers=groups)


def claims_streamed(chosen: QuerySet[Claim], start: datetime.date, end: datetime.date):
    """The claims of ``build_summary``, in its order, read ``CHUNK`` at a time (three
    queries per chunk, two more for the money): memory stays flat however many claims
    the month has."""
    rows = _claim_rows(chosen, start, end).iterator(chunk_size=CHUNK)
    while batch := list(islice(rows, CHUNK)):
        yield from _dress(batch)


def _cell(text: str) -> str:
    """Text a spreadsheet will not run as a formula (a name starting with = or @…)."""
    return "'" + text if text[:1] in {"=", "+", "-", "@", "\t", "\r"} else text


def _amount(value: Decimal | None) -> str:
    return "" if value is None else f"{value:.2f}"


class _Echo:
    """A file for ``csv.writer`` that hands each row back instead of keeping it."""

    def write(self, value: str) -> str:
        return value


def summary_csv(summary: Summary, claims) -> StreamingHttpResponse:
    """One row per claim line, amounts as plain decimals ("160.00"), streamed as the
    claims are read. UTF-8 with a byte order mark, so a spreadsheet opened by
    double-click reads accented names right."""
    filename = f"summary-{summary.start:%Y-%m-%d}-{summary.end:%Y-%m-%d}.csv"
    writer = csv.writer(_Echo())

    def rows():
        yield "\ufeff" + writer.writerow(CSV_HEADER)
        for claim in claims:
            yield "".join(
                writer.writerow(
                    [
                        _cell(claim.payer.name),
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
                for line in claim.summary_lines
            )

    return StreamingHttpResponse(
        rows(),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def summary_print(request: HttpRequest, context: dict, claims) -> StreamingHttpResponse:
    """The print view, streamed: the head and the totals, then each payer's claims
    rendered ``CHUNK`` at a time between its section's opening and its total."""
    head = get_template("billing/summary_print.html")
    opening = get_template("billing/includes/_summary_payer_open.html")
    rows = get_template("billing/includes/_summary_claims.html")
    closing = get_template("billing/includes/_summary_payer_close.html")
    groups = {group.payer.pk: group for group in context["summary"].payers}
    base = {**context, "print_view": True}

    def chunks():
        yield head.render({**base, "head": True}, request)
        group, batch = None, []
        for claim in claims:
            if group is None or claim.payer_id != group.payer.pk:
                if group is not None:
                    yield rows.render({**base, "claims": batch})
                    yield closing.render({**base, "group": group})
                group, batch = groups[claim.payer_id], []
                group.payer = claim.payer
                yield opening.render({**base, "group": group})
            batch.append(claim)
            if len(batch) == CHUNK:
                yield rows.render({**base, "claims": batch})
                batch = []
        if group is not None:
            yield rows.render({**base, "claims": batch})
            yield closing.render({**base, "group": group})
        yield head.render({**base, "head": False}, request)

    return StreamingHttpResponse(chunks(), content_type="text/html; charset=utf-8")


def _query(form: SummaryForm) -> str:
    """The form's choices (defaults filled in) as a query string, for the print and CSV
    links: they show exactly the rows on screen, even if the month turns meanwhile."""
    data = form.data.copy()
    for key in ("print", "format", "page"):
        data.pop(key, None)
    return data.urlencode()


def _invalid(request: HttpRequest, form: SummaryForm, as_csv: bool) -> HttpResponse:
    if as_csv:
        problems = "; ".join(f"{name}: {' '.join(errors)}" for name, errors in form.errors.items())
        return HttpResponseBadRequest(
            f"Invalid summary request. {problems}", content_type="text/plain; charset=utf-8"
        )
    return render(request, "billing/summary.html", {"form": form, "summary": None})


def _context(form: SummaryForm, summary: Summary) -> dict:
    return {
        "form": form,
        "summary": summary,
        "practice": Practice.current(),
        "printed": timezone.localdate(),
        "query": _query(form),
        "status_labels": [
            label for value, label in Claim.Status.choices if value in form.cleaned_data["statuses"]
        ],
    }


@billing_staff_only
@require_GET
def claim_summary(request: HttpRequest) -> HttpResponse:
    """Claims per insurer for a date-of-service range (default: last month): on screen
    the totals per payer, each payer's claims on its own page (``claim_summary_payer``);
    the print view and the CSV stream every claim."""
    form = SummaryForm(request.GET)
    as_csv = request.GET.get("format") == "csv"
    if not form.is_valid():
        return _invalid(request, form, as_csv)
    wanted = form.cleaned_data
    scope = {
        "start": wanted["start"],
        "end": wanted["end"],
        "payers": list(wanted["payers"]),
        "statuses": wanted["statuses"],
    }
    printed = bool(request.GET.get("print"))
    summary = summary_totals(**scope)
    if not (as_csv or printed):
        # Totals only: no client is named here, so nothing to record.
        return render(request, "billing/summary.html", _context(form, summary))
    chosen = summary_claims(**scope)
    # Recorded once, before streaming: every claim and client the file will hold.
    ids = list(chosen.values_list("pk", "client_id").order_by("pk"))
    record_access(
        request,
        kind=AccessKind.EXPORT if as_csv else AccessKind.PRINT,
        what="Claim summary CSV" if as_csv else "Claim summary",
        clients=sorted({client for _pk, client in ids}),
        objects=[Claim(pk=pk) for pk, _client in ids],
    )
    claims = claims_streamed(chosen, wanted["start"], wanted["end"])
    if as_csv:
        return summary_csv(summary, claims)
    return summary_print(request, _context(form, summary), claims)


@billing_staff_only
@require_GET
def claim_summary_payer(request: HttpRequest, payer_id: int) -> HttpResponse:
    """One payer's section of the summary: its claims and lines, on a page of its own."""
    payer = get_object_or_404(Payer, pk=payer_id)
    form = SummaryForm(request.GET)
    if not form.is_valid():
        return _invalid(request, form, False)
    wanted = form.cleaned_data
    summary = build_summary(
        start=wanted["start"], end=wanted["end"], payers=[payer], statuses=wanted["statuses"]
    )
    claims = [claim for group in summary.payers for claim in group.claims]
    record_access(
        request,
        kind=AccessKind.VIEW,
        what="Claim summary",
        clients=[claim.client_id for claim in claims],
        objects=claims,
    )
    context = _context(form, summary)
    context["payer"] = payer
    only = form.data.copy()
    only.setlist("payers", [str(payer.pk)])
    for key in ("print", "format", "page"):
        only.pop(key, None)
    context["payer_query"] = only.urlencode()
    context["group"] = summary.payers[0] if summary.payers else PayerSummary(payer=payer)
    return render(request, "billing/summary_payer.html", context)
