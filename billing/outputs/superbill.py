"""Superbills: a statement a client sends to their insurer to claim out-of-network
benefits themselves (docs/rules/superbills.md §1).

It carries what the insurer needs to pay the client: the practice (name, address, phone,
tax id — an SSN too when the practice bills under one, docs/rules/superbills.md §2), each clinician
(credentials, NPI, license), the client (name, birth date, member id when known), the
diagnoses with their ICD-10-CM descriptions, and per service line the exact date, place
of service, CPT code with modifiers and units, diagnosis codes, fee, amount paid and
balance; totals; the clinician's signature. Code descriptions are our own words
(``ProcedureCode.description`` / ``billing.coding.DESCRIPTIONS``), never the AMA's
(docs/rules/identifiers.md §9). An invoice without diagnosis codes is not a superbill, so the
diagnoses always print.

Only services the practice has not billed to an insurer appear: a session on a claim that
still bills it (``billing.services.billing_lines``) is the payer's to pay, and listing it
would let the client claim it a second time (docs/rules/superbills.md §1). Names print as
written (Thảo Nguyễn) in a Unicode font (``pdf.unicode_font``).
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from xml.sax.saxutils import escape

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import letter
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import inch
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import KeepTogether, Paragraph, Spacer, Table, TableStyle

from billing.coding import DESCRIPTIONS
from billing.ledger import client_paid_per_service_line
from billing.outputs.pdf import (
    GRID,
    UNICODE_FONT,
    build,
    frame_width,
    header_table,
    money,
    para,
    ruled_rows,
    unicode_font,
    us_date,
    us_phone,
)
from billing.services import billing_lines
from practice.common import ZERO, pointed_codes
from practice.models import (
    Client,
    Clinician,
    Coverage,
    Practice,
    ServiceLine,
    Session,
    SessionDiagnosis,
)

# Attended sessions only: no drafts, no no-shows or cancellations.
SUPERBILL_STATUSES = (Session.Status.READY, Session.Status.BILLED, Session.Status.CLOSED)


def amount_paid_for(lines: Iterable[ServiceLine]) -> dict[int, Decimal]:
    """What the client has paid towards each service line, by line id: their payments as
    applied to the line (``billing.ledger.client_paid_per_service_line``, the revenue
    report's rule too: oldest charge first, less what a refund took back). One query."""
    paid = {line.pk: ZERO for line in lines}
    if paid:
        paid.update(
            client_paid_per_service_line()
            .filter(service_line__in=list(paid))
            .values_list("service_line", "total")
        )
    return paid


@dataclass(frozen=True)
class SuperbillRow:
    date: datetime.date
    place_of_service: str
    code: str
    modifiers: tuple[str, ...]
    units: int
    description: str
    diagnoses: tuple[str, ...]
    fee: Decimal
    paid: Decimal

    @property
    def balance(self) -> Decimal:
        return self.fee - self.paid


@dataclass
class Superbill:
    client: Client
    start: datetime.date
    end: datetime.date
    practice: Practice | None
    clinicians: list[Clinician] = field(default_factory=list)
    coverage: Coverage | None = None
    diagnoses: list[tuple[str, str]] = field(default_factory=list)  # (code, description)
    rows: list[SuperbillRow] = field(default_factory=list)
    places: dict[str, str] = field(default_factory=dict)  # POS code -> name
    issued: datetime.date = field(default_factory=timezone.localdate)

    @property
    def total_fee(self) -> Decimal:
        return sum((row.fee for row in self.rows), ZERO)

    @property
    def total_paid(self) -> Decimal:
        return sum((row.paid for row in self.rows), ZERO)

    @property
    def total_balance(self) -> Decimal:
        return sum((row.balance for row in self.rows), ZERO)


def superbill_for(
    *,
    client: Client,
    start: datetime.date,
    end: datetime.date,
    sessions: QuerySet[Session] | None = None,
) -> Superbill:
    """Collect a client's superbill for ``start``–``end`` (both included), in a fixed
    number of queries. ``sessions`` narrows what may appear (a clinician's own)."""
    sessions = Session.objects.all() if sessions is None else sessions
    on_claim = billing_lines().filter(service_line__session=OuterRef("pk"))
    chosen = list(
        sessions.filter(client=client, date__range=(start, end), status__in=SUPERBILL_STATUSES)
        .filter(~Exists(on_claim))
        .select_related("clinician__supervisor", "place_of_service")
        .with_lines()
        .prefetch_related(
            Prefetch(
                "session_diagnoses",
                queryset=SessionDiagnosis.objects.select_related("diagnosis__code"),
            ),
        )
        .order_by("date", "start_time", "pk")
    )
    bill = Superbill(client=client, start=start, end=end, practice=Practice.current())
    all_lines = [line for session in chosen for line in session.lines.all()]
    paid = amount_paid_for(all_lines)
    diagnoses: dict[str, str] = {}
    for session in chosen:
        lines = list(session.lines.all())
        if not lines:
            continue
        codes = []
        for link in session.session_diagnoses.all():
            codes.append(link.diagnosis.code.code)
            diagnoses.setdefault(link.diagnosis.code.code, link.diagnosis.code.description)
        bill.places[session.place_of_service.code] = session.place_of_service.name
        if session.clinician not in bill.clinicians:
            bill.clinicians.append(session.clinician)
        for line in lines:
            bill.rows.append(
                SuperbillRow(
                    date=session.date,
                    place_of_service=session.place_of_service.code,
                    code=line.procedure.code,
                    modifiers=tuple(line.modifiers),
                    units=line.units,
                    description=line.procedure.description
                    or DESCRIPTIONS.get(line.procedure.code, ""),
                    # All the session's codes when the line points at none.
                    diagnoses=tuple(pointed_codes(line.diagnosis_pointers, codes) or codes),
                    fee=line.charge,
                    paid=paid.get(line.pk, ZERO),
                )
            )
    if bill.rows and not diagnoses:
        # Sessions logged without diagnoses: the client's current ones, by rank.
        for diagnosis in (
            client.diagnoses.select_related("code")
            .filter(Q(end_date__isnull=True) | Q(end_date__gte=start))
            .order_by("rank", "pk")
        ):
            diagnoses.setdefault(diagnosis.code.code, diagnosis.code.description)
    bill.diagnoses = list(diagnoses.items())
    if bill.rows:
        bill.coverage = _coverage_in(client, start, end)
    return bill


def _coverage_in(client: Client, start: datetime.date, end: datetime.date) -> Coverage | None:
    """The client's first-priority coverage in force during the period, if any."""
    return (
        client.coverages.select_related("payer")
        .in_force_during(start, end)
        .responsible_first()
        .first()
    )


def render_superbill(
    client: Client,
    start: datetime.date,
    end: datetime.date,
    *,
    sessions: QuerySet[Session] | None = None,
) -> bytes:
    """The superbill PDF of a client for ``start``–``end`` (docs/rules/superbills.md §1)."""
    return draw_superbill(superbill_for(client=client, start=start, end=end, sessions=sessions))


# ---------------------------------------------------------------------------------------
# Drawing
# ---------------------------------------------------------------------------------------
_styles = getSampleStyleSheet()
# Names, addresses and descriptions print in the Unicode font, as written (Nguyễn);
# fixed headings and labels, which are ours and plain ASCII, in Helvetica Bold.
BOLD = "Helvetica-Bold"
BODY = ParagraphStyle(
    "sb-body", parent=_styles["Normal"], fontName=UNICODE_FONT, fontSize=8.5, leading=10.5
)
SMALL = ParagraphStyle("sb-small", parent=BODY, fontSize=7, leading=8.5, textColor=colors.gray)
CELL = ParagraphStyle("sb-cell", parent=BODY, fontSize=7.5, leading=9)
HEAD = ParagraphStyle("sb-head", parent=BODY, fontName=BOLD, fontSize=9.5)
TITLE = ParagraphStyle(
    "sb-title", parent=BODY, fontName=BOLD, fontSize=16, leading=19, alignment=TA_RIGHT
)
PRACTICE = ParagraphStyle("sb-practice", parent=BODY, fontSize=13, leading=17)
RIGHT = ParagraphStyle("sb-right", parent=BODY, alignment=TA_RIGHT)
CELL_RIGHT = ParagraphStyle("sb-cell-right", parent=CELL, alignment=TA_RIGHT)
MARGIN = 0.6 * inch  # narrower than pdf.MARGIN: ten columns of services
WIDTH = frame_width(MARGIN)


def _text(value: object) -> str:
    return escape(str(value or ""))


def _p(text: object, style: ParagraphStyle = BODY) -> Paragraph:
    return para(text, style)


def _lines(*parts: object, style: ParagraphStyle = BODY) -> Paragraph:
    """Several lines in one paragraph; (label, value) tuples print the label in bold."""
    out = []
    for part in parts:
        if not part:
            continue
        if isinstance(part, tuple):  # (label, value)
            out.append(f'<font name="{BOLD}">{_text(part[0])}</font> {_text(part[1])}')
        else:
            out.append(_text(part))
    return Paragraph("<br/>".join(out), style)


def _license(clinician: Clinician) -> str:
    return " ".join(p for p in (clinician.license_number, clinician.license_state) if p)


def _clinician_block(clinician: Clinician) -> list[object]:
    parts: list[object] = [
        f"{clinician.full_name}, {clinician.credentials}",
        ("NPI:", clinician.npi),
    ]
    if clinician.license_number:
        parts.append(("License:", _license(clinician)))
    if clinician.supervisor_id:
        supervisor = clinician.supervisor
        parts.append(
            (
                "Supervised by:",
                f"{supervisor.full_name}, {supervisor.credentials} (NPI {supervisor.npi}"
                + (f", license {_license(supervisor)})" if supervisor.license_number else ")"),
            )
        )
    return parts


def _header(bill: Superbill) -> Table:
    practice = bill.practice
    left: list[object] = []
    if practice is not None:
        tax_label = "SSN:" if practice.tax_id_type == Practice.TaxIdType.SSN else "Tax ID (EIN):"
        left = [
            _p(practice.name, PRACTICE),
            _lines(
                *practice.address_lines,
                ("Phone:", us_phone(practice.phone)) if practice.phone else "",
                (tax_label, practice.tax_id),
                ("Group NPI:", practice.npi) if practice.npi else "",
            ),
        ]
    right = [
        _p("SUPERBILL", TITLE),
        _lines(
            "Statement for insurance reimbursement",
            ("Services:", f"{us_date(bill.start)} to {us_date(bill.end)}"),
            ("Issued:", us_date(bill.issued)),
            style=RIGHT,
        ),
    ]
    return header_table(
        left, right, width=WIDTH, split=0.58, extra=(("RIGHTPADDING", (0, 0), (-1, -1), 0),)
    )


def _parties(bill: Superbill) -> Table:
    client = bill.client
    client_parts: list[object] = [
        client.full_name,
        ("Date of birth:", us_date(client.date_of_birth)),
        *client.address_lines,
        ("Account:", client.account_number),
    ]
    if bill.coverage is not None:
        client_parts += [
            ("Insurance:", bill.coverage.plan_name or bill.coverage.payer.name),
            ("Member ID:", bill.coverage.member_id),
        ]
        if bill.coverage.group_number:
            client_parts.append(("Group:", bill.coverage.group_number))
    providers = [_p("Rendering provider" + ("s" if len(bill.clinicians) > 1 else ""), HEAD)]
    for clinician in bill.clinicians:
        providers.append(_lines(*_clinician_block(clinician)))
        providers.append(Spacer(1, 3))
    table = Table(
        [[providers, [_p("Client", HEAD), _lines(*client_parts)]]],
        colWidths=[WIDTH * 0.5, WIDTH * 0.5],
    )
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 8),
            ]
        )
    )
    return table


def _diagnoses(bill: Superbill) -> list[object]:
    story: list[object] = [Spacer(1, 8), _p("Diagnoses (ICD-10-CM)", HEAD), Spacer(1, 3)]
    if not bill.diagnoses:
        story.append(_p("No diagnosis is recorded for these sessions.", BODY))
        return story
    table = Table(
        [[_p(code, CELL), _p(description, CELL)] for code, description in bill.diagnoses],
        colWidths=[0.8 * inch, WIDTH - 0.8 * inch],
    )
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (0, -1), BOLD),
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, GRID),
                ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
                ("LEFTPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    story.append(table)
    return story


# Heading and relative width of each column of the services table.
SERVICE_COLUMNS = (
    ("Date", 0.72),
    ("POS", 0.34),
    ("CPT", 0.45),
    ("Modifiers", 0.56),
    ("Units", 0.36),
    ("Description", 2.15),
    ("Diagnoses", 0.85),
    ("Fee", 0.62),
    ("Paid", 0.55),
    ("Balance", 0.62),
)
MONEY_COLUMNS = (7, 8, 9)


def _column_widths() -> list[float]:
    scale = WIDTH / sum(width for _, width in SERVICE_COLUMNS)
    return [width * scale for _, width in SERVICE_COLUMNS]


CELL_PADDING = [
    ("FONTNAME", (0, 0), (-1, -1), "Helvetica"),
    ("FONTSIZE", (0, 0), (-1, -1), 7.5),
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ("ALIGN", (MONEY_COLUMNS[0], 0), (-1, -1), "RIGHT"),
    ("TOPPADDING", (0, 0), (-1, -1), 2),
    ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ("LEFTPADDING", (0, 0), (-1, -1), 2),
    ("RIGHTPADDING", (0, 0), (-1, -1), 2),
]


def _services(bill: Superbill) -> list[object]:
    """The services table, its header repeated on each page (the totals row is part of
    the closing block, ``_closing``)."""
    header = [
        _p(name, CELL_RIGHT if n in MONEY_COLUMNS or name == "Units" else CELL)
        for n, (name, _) in enumerate(SERVICE_COLUMNS)
    ]
    rows: list[list[object]] = [header]
    for row in bill.rows:
        rows.append(
            [
                us_date(row.date),
                row.place_of_service,
                row.code,
                " ".join(row.modifiers),
                str(row.units),
                _p(row.description, CELL),
                _p(", ".join(row.diagnoses), CELL),
                money(row.fee),
                money(row.paid),
                money(row.balance),
            ]
        )
    table = Table(rows, colWidths=_column_widths(), repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                *CELL_PADDING,
                *ruled_rows(last=-2),
                ("ALIGN", (4, 1), (4, -1), "RIGHT"),
            ]
        )
    )
    return [Spacer(1, 10), _p("Services", HEAD), Spacer(1, 3), table]


def _totals(bill: Superbill) -> Table:
    table = Table(
        [
            [
                "Totals",
                "",
                "",
                "",
                str(sum(row.units for row in bill.rows)),
                "",
                "",
                money(bill.total_fee),
                money(bill.total_paid),
                money(bill.total_balance),
            ]
        ],
        colWidths=_column_widths(),
    )
    table.setStyle(
        TableStyle(
            [
                *CELL_PADDING,
                ("FONTNAME", (0, 0), (-1, -1), BOLD),
                ("LINEABOVE", (0, 0), (-1, 0), 0.75, colors.black),
                ("ALIGN", (4, 0), (4, 0), "RIGHT"),
            ]
        )
    )
    return table


def _signature(clinician: Clinician) -> Table:
    table = Table(
        [
            ["", "", ""],
            [
                _p(
                    f"Signature of {clinician.full_name}, {clinician.credentials} "
                    f"(NPI {clinician.npi})",
                    SMALL,
                ),
                "",
                _p("Date", SMALL),
            ],
        ],
        colWidths=[WIDTH * 0.6, WIDTH * 0.1, WIDTH * 0.3],
        rowHeights=[24, None],
    )
    table.setStyle(
        TableStyle(
            [
                ("LINEBELOW", (0, 0), (0, 0), 0.75, colors.black),
                ("LINEBELOW", (2, 0), (2, 0), 0.75, colors.black),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return table


def _closing(bill: Superbill) -> KeepTogether:
    """Totals, places of service, signatures and the notices, kept on one page: when they
    do not fit under the last services they move over together, so no page ends up
    holding only a notice."""
    places = "; ".join(f"{code} {name}" for code, name in sorted(bill.places.items()))
    story: list[object] = [
        _totals(bill),
        Spacer(1, 3),
        _p(f"Places of service (POS): {places}.", SMALL),
        Spacer(1, 6),
    ]
    for clinician in bill.clinicians:
        story += [Spacer(1, 10), _signature(clinician)]
    story += [
        Spacer(1, 10),
        _p(
            "I certify that the services listed above were provided as stated. Submit this "
            "statement to your health plan to request out-of-network reimbursement.",
            SMALL,
        ),
        _p(
            "CPT is a registered trademark of the American Medical Association. Service "
            "descriptions are this practice's own short summaries.",
            SMALL,
        ),
    ]
    return KeepTogether(story)


class _NumberedCanvas(Canvas):
    """Draws "page N of M" and a footer once the page count is known."""

    def __init__(self, *args, footer: str = "", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._footer = footer
        self._pages: list[dict] = []

    def showPage(self) -> None:
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        for state in self._pages:
            self.__dict__.update(state)
            self.setFont(UNICODE_FONT, 7)
            self.setFillColor(colors.gray)
            self.drawString(MARGIN, 0.45 * inch, self._footer)
            self.drawRightString(
                letter[0] - MARGIN, 0.45 * inch, f"Page {self._pageNumber} of {total}"
            )
            super().showPage()
        super().save()


def draw_superbill(bill: Superbill) -> bytes:
    """The PDF of a collected superbill, US Letter, as many pages as the sessions need
    (the services table repeats its header on each)."""
    unicode_font()  # registered before the first paragraph is measured
    practice_name = bill.practice.name if bill.practice else ""
    story: list[object] = [_header(bill), _parties(bill)]
    story += _diagnoses(bill)
    story += _services(bill)
    story.append(_closing(bill))
    footer = (
        f"Superbill for {bill.client.full_name} ({us_date(bill.client.date_of_birth)}), "
        f"{us_date(bill.start)} to {us_date(bill.end)} - {practice_name}"
    )
    return build(
        story,
        title="Superbill",
        author=practice_name,
        margin=MARGIN,
        bottom_margin=0.75 * inch,
        canvasmaker=functools.partial(_NumberedCanvas, footer=footer),
    )
