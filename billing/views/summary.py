"""The claim summary per insurer: what was billed to whom for services in a date range.

On screen, the totals per payer (one aggregate query), each payer linking to its own
section page (``claim_summary_payer``: its claims and lines). The print layout
(``?print=1``) and the CSV (``?format=csv``) hold every payer and stream: the lines are
read as they come (``QuerySet.iterator``) and written out ``CHUNK`` claims at a time, so
a month of 40,000 lines neither waits for the whole page nor holds it in memory. All
forms read the same rows in the same order: one query over the in-range lines with their
claim, payer, client and money (``_line_rows``) and one for the claims' diagnoses. The
totals page sums per payer in the database; a payer's page adds up the rows it shows;
the CSV starts with its header row and needs no totals. Both querysets are built once per
process (``LINE_ROWS``, ``TOTALS``) and narrowed per request. What payers paid and wrote
off per line is billing.payer_money's ``line_paid`` and ``line_written_off``. The query count
does not depend on the number of claims.

Only the lines whose date of service falls in the range count: a claim spanning two
months shows its lines of each month in each month's summary, so monthly summaries add
up. Void claims sent to cancel another (frequency 8) are left out: they carry no new
charge.
"""

from __future__ import annotations

import csv
import datetime
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, F, Min, OuterRef, Q, QuerySet, Subquery, Sum, Window
from django.db.models.fields.json import KeyTextTransform, KeyTransform
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

from billing.forms import LIVE_STATUSES, SummaryForm
from billing.ledger import LineMoney
from billing.models import Claim, ClaimDiagnosis, ClaimLine, Payer
from billing.payer_money import line_paid, line_written_off
from practice.audit import AccessKind, record_access
from practice.common import ZERO, pointed_codes
from practice.formats import us_date
from practice.listing import row_url
from practice.models import Practice
from practice.roles import billing_staff_only

# Claims read (and rows rendered) at a time by the streamed CSV and print view.
CHUNK = 500
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
    claims: list = field(default_factory=list)  # SummaryClaim; empty on the totals page
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


@dataclass(slots=True)
class SummaryLine:
    """One in-range line of a claim as the summary shows it."""

    pk: int
    position: int
    date_of_service: datetime.date
    place_of_service: str
    procedure_code: str
    modifiers: list[str]
    units: int
    diagnosis_pointers: str
    charge: Decimal
    expected_allowed: Decimal | None
    paid: Decimal  # by the payers (billing.payer_money.line_paid)
    balance: Decimal  # still owed (billing.ledger.LineMoney.balance)
    diagnosis_codes: list[str] = field(default_factory=list)
    shown_date: str = ""
    shown_code: str = ""
    shown_diagnoses: str = ""


@dataclass(slots=True)
class SummaryClaim:
    """A claim with its in-range lines and their totals."""

    pk: int
    control_number: str
    status: str
    total_charge: Decimal
    payer: Payer
    client_id: int
    patient_name: str  # as the claim printed it (the snapshot), not as the record reads now
    all_lines: int  # in range or not
    summary_lines: list[SummaryLine] = field(default_factory=list)
    range_charge: Decimal = ZERO
    range_allowed: Decimal = ZERO
    range_paid: Decimal = ZERO
    range_balance: Decimal = ZERO
    shown_status: str = ""
    url: str = ""

    @property
    def payer_id(self) -> int:
        return self.payer.pk

    @property
    def range_lines(self) -> int:
        return len(self.summary_lines)


# A summary row: one in-range line with its claim, payer and client (``_line_rows``).
ROW = [
    "pk",
    "position",
    "date_of_service",
    "place_of_service",
    "procedure_code",
    "modifier_1",
    "modifier_2",
    "modifier_3",
    "modifier_4",
    "units",
    "diagnosis_pointers",
    "charge",
    "expected_allowed",
    "line_paid",
    "line_written_off",
    "claim_id",
    "claim__control_number",
    "claim__status",
    "claim__total_charge",
    "claim__payer_id",
    "claim__payer__name",
    "claim__payer__payer_id",
    "claim__client_id",
    "claim__client__last_name",
    "claim__client__first_name",
    "patient_last",
    "patient_first",
    "all_lines",
]


def _line_rows_base() -> QuerySet:
    """What a summary row reads, without the range: the in-range lines' filters are added
    per request (``_line_rows``). Claim after claim: by payer, client by name, the
    claim's first in-range date of service (a window over the rows the filters keep: a
    claim's in-range lines are all there), the claim, the line's position. What payers
    paid and wrote off and the claim's line count (in range or not) are subqueries per
    row; the patient's name comes out of the claim's snapshot by key."""
    of_claim = ClaimLine.objects.filter(claim_id=OuterRef("claim_id")).order_by().values("claim_id")
    return (
        ClaimLine.objects.exclude(claim__frequency=Claim.Frequency.VOID)
        .annotate(
            line_paid=line_paid(),
            line_written_off=line_written_off(),
            first_service=Window(Min("date_of_service"), partition_by=F("claim_id")),
            all_lines=Subquery(of_claim.annotate(n=Count("pk")).values("n")),
            patient_last=KeyTextTransform("last_name", KeyTransform("patient", "claim__parties")),
            patient_first=KeyTextTransform("first_name", KeyTransform("patient", "claim__parties")),
        )
        .order_by(
            "claim__payer__name",
            "claim__payer_id",
            "claim__client__last_name",
            "claim__client__first_name",
            "claim__client_id",
            "first_service",
            "claim_id",
            "position",
        )
        .values_list(*ROW)
    )


# Built once per process: each request clones it and adds its range, payers and statuses,
# keeping the resolved subqueries' work (about 2 ms a request).
LINE_ROWS = _line_rows_base()


def _line_rows(**scope) -> QuerySet:
    """``summary_lines`` as rows of ``ROW`` in one query, claim after claim."""
    return _in_scope(LINE_ROWS, **scope)


def _claims(rows) -> Iterator[SummaryClaim]:
    """The rows of ``_line_rows`` gathered into claims (a claim's rows come together)."""
    payers: dict[int, Payer] = {}
    statuses = {value: label.lower() for value, label in Claim.Status.choices}
    detail = row_url("billing:claim_detail")
    dates: dict[datetime.date, str] = {}
    claim = None
    for row in rows:
        (pk, position, day, pos, code, mod1, mod2, mod3, mod4, units, pointers, charge) = row[:12]
        (allowed, paid, written_off, claim_id, control, status, total, payer_id) = row[12:20]
        (payer_name, payer_number, client_id, last, first) = row[20:25]
        (patient_last, patient_first, all_lines) = row[25:]
        if claim is None or claim.pk != claim_id:
            if claim is not None:
                yield claim
            payer = payers.get(payer_id) or payers.setdefault(
                payer_id, Payer(pk=payer_id, name=payer_name, payer_id=payer_number)
            )
            name = (
                f"{patient_last}, {patient_first or ''}".strip(", ")
                if patient_last
                else f"{last}, {first}"
            )
            claim = SummaryClaim(
                pk=claim_id,
                control_number=control,
                status=status,
                total_charge=total,
                payer=payer,
                client_id=client_id,
                patient_name=name,
                all_lines=all_lines,
                shown_status=statuses.get(status, status),
                url=detail(claim_id),
            )
        modifiers = [m for m in (mod1, mod2, mod3, mod4) if m]
        balance = LineMoney(paid, written_off).balance(charge)
        claim.summary_lines.append(
            SummaryLine(
                pk=pk,
                position=position,
                date_of_service=day,
                place_of_service=pos,
                procedure_code=code,
                modifiers=modifiers,
                units=units,
                diagnosis_pointers=pointers,
                charge=charge,
                expected_allowed=allowed,
                paid=paid,
                balance=balance,
                shown_date=dates.get(day) or dates.setdefault(day, us_date(day)),
                shown_code=" ".join([code, *modifiers]),
            )
        )
        claim.range_charge += charge
        claim.range_allowed += allowed or ZERO
        claim.range_paid += paid
        claim.range_balance += balance
    if claim is not None:
        yield claim


def _diagnose(claims: list[SummaryClaim]) -> list[SummaryClaim]:
    """Each line's diagnosis codes, from its pointers into its claim's diagnoses by
    position (one query for the batch)."""
    codes: dict[int, list[str]] = {}
    for claim_id, code in (
        ClaimDiagnosis.objects.filter(claim_id__in=[claim.pk for claim in claims])
        .order_by("claim_id", "position")
        .values_list("claim_id", "code")
    ):
        codes.setdefault(claim_id, []).append(code)  # by position: A, B, ...
    for claim in claims:
        of_claim = codes.get(claim.pk, [])
        for line in claim.summary_lines:
            line.diagnosis_codes = pointed_codes(line.diagnosis_pointers, of_claim)
            line.shown_diagnoses = " ".join(line.diagnosis_codes)
    return claims


def _groups(claims: list[SummaryClaim]) -> list[PayerSummary]:
    """Each payer's totals summed from its claims' in-range rows, payer after payer as
    the claims come: what ``payer_totals`` counts, without asking again."""
    groups: dict[int, PayerSummary] = {}
    for claim in claims:
        group = groups.get(claim.payer_id)
        if group is None:
            group = groups[claim.payer_id] = PayerSummary(payer=claim.payer)
        group.claims.append(claim)
        group.claim_count += 1
        group.lines += claim.range_lines
        group.charge += claim.range_charge
        group.allowed += claim.range_allowed
        group.paid += claim.range_paid
        group.balance += claim.range_balance
        group.without_rate += sum(
            1 for line in claim.summary_lines if line.expected_allowed is None
        )
    return list(groups.values())


def _in_scope(
    rows: QuerySet,
    *,
    start: datetime.date,
    end: datetime.date,
    payers: QuerySet[Payer] | list[Payer] | None = None,
    statuses: list[str] | None = None,
) -> QuerySet:
    """``rows`` (of claim lines, void claims left out) narrowed to the summary's lines:
    served in [start, end] on a claim of one of ``statuses`` (every live one by default)
    and, if given, of one of ``payers``."""
    rows = rows.filter(
        date_of_service__gte=start,
        date_of_service__lte=end,
        claim__status__in=statuses or LIVE_STATUSES,
    )
    if payers:
        rows = rows.filter(claim__payer__in=payers)
    return rows


def summary_lines(**scope) -> QuerySet[ClaimLine]:
    """The lines the summary counts (``_in_scope``): a claim's in-range lines, for the
    claims served in the range that are neither void (frequency 8) nor of another status
    or payer than those asked for."""
    return _in_scope(ClaimLine.objects.exclude(claim__frequency=Claim.Frequency.VOID), **scope)


# Per payer, by name: claims, lines, charges, expected allowed, what payers paid and wrote
# off (``billing.payer_money.line_paid``, ``line_written_off``), built once like ``LINE_ROWS``.
TOTALS = (
    ClaimLine.objects.exclude(claim__frequency=Claim.Frequency.VOID)
    .annotate(line_paid=line_paid(), line_written_off=line_written_off())
    .values("claim__payer_id", "claim__payer__name", "claim__payer__payer_id")
    .annotate(
        charge=Sum("charge", default=ZERO),
        allowed=Sum("expected_allowed", default=ZERO),
        lines=Count("pk"),
        without_rate=Count("pk", filter=Q(expected_allowed__isnull=True)),
        claims=Count("claim_id", distinct=True),
        paid=Sum("line_paid", default=ZERO),
        written_off=Sum("line_written_off", default=ZERO),
    )
    .order_by("claim__payer__name", "claim__payer_id")
)


def payer_totals(**scope) -> list[PayerSummary]:
    """Each payer's totals of ``summary_lines`` (one aggregate query)."""
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
            paid=row["paid"],
            balance=LineMoney(row["paid"], row["written_off"]).balance(row["charge"]),
        )
        for row in _in_scope(TOTALS, **scope)
    ]


def summary_totals(
    *,
    start: datetime.date,
    end: datetime.date,
    payers: QuerySet[Payer] | list[Payer] | None = None,
    statuses: list[str] | None = None,
) -> Summary:
    """The totals page: each payer's totals, no claim rows (one query)."""
    totals = payer_totals(start=start, end=end, payers=payers, statuses=statuses)
    return Summary(start=start, end=end, payers=totals)


def build_summary(
    *,
    start: datetime.date,
    end: datetime.date,
    payers: QuerySet[Payer] | list[Payer] | None = None,
    statuses: list[str] | None = None,
) -> Summary:
    """The summary's rows and totals in two queries: the in-range lines with their claims
    and money (``_line_rows``) and the claims' diagnoses; each payer's totals are summed
    from those rows. A payer's section reads this for its one payer."""
    rows = _line_rows(start=start, end=end, payers=payers, statuses=statuses)
    claims = _diagnose(list(_claims(rows)))
    return Summary(start=start, end=end, payers=_groups(claims))


def claims_streamed(**scope) -> Iterator[SummaryClaim]:
    """The claims of ``build_summary``, in its order, read as they come and diagnosed
    ``CHUNK`` claims at a time (one query per chunk): memory stays flat however many
    claims the month has."""
    batch: list[SummaryClaim] = []
    for claim in _claims(_line_rows(**scope).iterator(chunk_size=CHUNK * 4)):
        batch.append(claim)
        if len(batch) == CHUNK:
            yield from _diagnose(batch)
            batch = []
    yield from _diagnose(batch)


def _cell(text: str) -> str:
    """Text a spreadsheet will not run as a formula (a name starting with = or @…)."""
    return "'" + text if text[:1] in {"=", "+", "-", "@", "\t", "\r"} else text


def _amount(value: Decimal | None) -> str:
    return "" if value is None else f"{value:.2f}"


class _Echo:
    """A file for ``csv.writer`` that hands each row back instead of keeping it."""

    def write(self, value: str) -> str:
        return value


def summary_csv(start: datetime.date, end: datetime.date, claims) -> StreamingHttpResponse:
    """One row per claim line, amounts as plain decimals ("160.00"), streamed as the
    claims are read. UTF-8 with a byte order mark, so a spreadsheet opened by
    double-click reads accented names right."""
    filename = f"summary-{start:%Y-%m-%d}-{end:%Y-%m-%d}.csv"
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
    if not (as_csv or printed):
        # Totals only: no client is named here, so nothing to record.
        return render(request, "billing/summary.html", _context(form, summary_totals(**scope)))
    # Recorded once, before streaming: every claim and client the file will hold (the
    # claims of the in-range lines).
    ids = list(
        summary_lines(**scope).values_list("claim_id", "claim__client_id").order_by().distinct()
    )
    record_access(
        request,
        kind=AccessKind.EXPORT if as_csv else AccessKind.PRINT,
        what="Claim summary CSV" if as_csv else "Claim summary",
        clients={client for _pk, client in ids},
        objects=[pk for pk, _client in ids],
        model=Claim,
    )
    claims = claims_streamed(**scope)
    if as_csv:
        # The header row goes out at once; the totals are not needed.
        return summary_csv(wanted["start"], wanted["end"], claims)
    return summary_print(request, _context(form, summary_totals(**scope)), claims)


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
        objects=[claim.pk for claim in claims],
        model=Claim,
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
