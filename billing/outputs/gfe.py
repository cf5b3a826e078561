"""The Good Faith Estimate as the client receives it: a PDF (45 CFR 149.610).

Everything printed comes from the estimate's own snapshot (``GoodFaithEstimate`` and its
lines), never from today's client, clinician, practice or fees, so a reprint years later
shows what the client was given. Names print as written (Nguyễn, Zoë) in a Unicode font
(``pdf.unicode_font``). Service descriptions are our own words (docs/rules/identifiers.md §9:
CPT code numbers with the practice's short descriptions, never the AMA's).
"""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import letter
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import inch
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from billing import gfe
from billing.models import GoodFaithEstimate
from billing.outputs.pdf import money, unicode_font, us_date, us_phone

MARGIN = 0.7 * inch
WIDTH = letter[0] - 2 * MARGIN - 12
GRID = colors.Color(0.55, 0.55, 0.55)
SHADE = colors.Color(0.93, 0.93, 0.93)


def _styles() -> dict[str, ParagraphStyle]:
    font = unicode_font()
    body = ParagraphStyle("gfe-body", fontName=font, fontSize=9, leading=11.5)
    return {
        "body": body,
        "small": ParagraphStyle("gfe-small", parent=body, fontSize=7.5, leading=9.5),
        "cell": ParagraphStyle("gfe-cell", parent=body, fontSize=8, leading=10),
        "cell_right": ParagraphStyle("gfe-cell-r", parent=body, fontSize=8, alignment=TA_RIGHT),
        "head": ParagraphStyle("gfe-head", parent=body, fontSize=11, leading=14, spaceBefore=6),
        "title": ParagraphStyle("gfe-title", parent=body, fontSize=18, leading=22),
        "right": ParagraphStyle("gfe-right", parent=body, alignment=TA_RIGHT),
    }


def _p(text: object, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(str(text or "")), style)


def _block(pairs: list[tuple[str, str]], style: ParagraphStyle) -> Paragraph:
    """Label: value lines, labels in grey; empty values left out."""
    lines = [
        f'<font color="#555555">{escape(label)}</font> {escape(value)}' if label else escape(value)
        for label, value in pairs
        if value
    ]
    return Paragraph("<br/>".join(lines), style)


def _box(title: str, content: Paragraph, s: dict[str, ParagraphStyle]) -> list[object]:
    return [_p(title, s["head"]), content]


def render_estimate(estimate: GoodFaithEstimate) -> bytes:
    """The PDF of one estimate (US Letter)."""
    s = _styles()
    issued = timezone.localtime(estimate.created_at).date()
    header = Table(
        [
            [
                [
                    _p(estimate.practice_name, s["head"]),
                    _block(
                        [
                            ("", estimate.practice_address),
                            ("Phone:", us_phone(estimate.practice_phone)),
                            ("Tax ID:", estimate.practice_tax_id),
                            ("Group NPI:", estimate.practice_npi),
                        ],
                        s["body"],
                    ),
                ],
                [
                    _p("Good Faith Estimate", s["title"]),
                    _block(
                        [
                            ("Estimate:", estimate.number),
                            ("Issued:", us_date(issued)),
                            *(
                                [("Replaces:", estimate.replaces.number)]
                                if estimate.replaces_id
                                else []
                            ),
                        ],
                        s["body"],
                    ),
                ],
            ]
        ],
        colWidths=[WIDTH * 0.55, WIDTH * 0.45],
    )
    header.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("LINEBELOW", (0, 0), (-1, 0), 1, colors.black),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
            ]
        )
    )
    client = _box(
        "Client",
        _block(
            [
                ("Name:", estimate.client_name),
                ("Date of birth:", us_date(estimate.client_birth_date)),
            ],
            s["body"],
        ),
        s,
    )
    clinician = _box(
        "Clinician and location",
        _block(
            [
                (
                    "Clinician:",
                    ", ".join(
                        p for p in (estimate.clinician_name, estimate.clinician_credentials) if p
                    ),
                ),
                ("NPI:", estimate.clinician_npi),
                ("Practice tax ID:", estimate.practice_tax_id),
                (
                    "Location:",
                    " – ".join(
                        p
                        for p in (
                            estimate.location_name,
                            estimate.location_address or estimate.practice_address,
                        )
                        if p
                    ),
                ),
            ],
            s["body"],
        ),
        s,
    )
    parties = Table([[client, clinician]], colWidths=[WIDTH * 0.4, WIDTH * 0.6])
    parties.setStyle(
        TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)])
    )
    schedule = _box(
        "Expected care",
        _block(
            [
                ("Frequency:", estimate.get_frequency_display()),
                (
                    "Period:",
                    f"{us_date(estimate.period_start)} to {us_date(estimate.period_end)}",
                ),
                ("First service scheduled for:", us_date(estimate.service_date)),
                ("Scheduled on:", us_date(estimate.scheduled_on)),
                ("Requested on:", us_date(estimate.requested_on)),
                ("Diagnosis codes (ICD-10-CM):", estimate.diagnosis_codes or "not yet known"),
            ],
            s["body"],
        ),
        s,
    )
    rows: list[list[object]] = [
        [
            _p("CPT", s["cell"]),
            _p("Service", s["cell"]),
            _p("Diagnosis codes", s["cell"]),
            _p("Units a visit", s["cell_right"]),
            _p("Visits", s["cell_right"]),
            _p("Fee a unit ($)", s["cell_right"]),
            _p("Expected charge ($)", s["cell_right"]),
        ]
    ]
    for line in estimate.lines.all():
        rows.append(
            [
                _p(line.code, s["cell"]),
                _p(line.description, s["cell"]),
                _p(line.diagnosis_codes or "—", s["cell"]),
                _p(line.units, s["cell_right"]),
                _p(line.visits, s["cell_right"]),
                _p(money(line.unit_fee), s["cell_right"]),
                _p(money(line.total), s["cell_right"]),
            ]
        )
    rows.append(
        [
            _p("Total expected charges for the period", s["cell"]),
            "",
            "",
            "",
            "",
            "",
            _p(money(estimate.total), s["cell_right"]),
        ]
    )
    widths = [0.55, 2.2, 1.1, 0.6, 0.55, 0.75, 0.95]
    scale = WIDTH / sum(widths)
    table = Table(rows, colWidths=[w * scale for w in widths], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("BACKGROUND", (0, 0), (-1, 0), SHADE),
                ("LINEBELOW", (0, 0), (-1, 0), 0.75, colors.black),
                ("LINEBELOW", (0, 1), (-1, -2), 0.25, GRID),
                ("LINEABOVE", (0, -1), (-1, -1), 0.75, colors.black),
                ("SPAN", (0, -1), (5, -1)),
                ("LEFTPADDING", (0, 0), (-1, -1), 2),
                ("RIGHTPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    total_sentence = (
        f"Expected total: ${money(estimate.total)} for "
        f"{estimate.get_frequency_display().lower()} services from "
        f"{us_date(estimate.period_start)} to {us_date(estimate.period_end)}."
    )
    notices: list[object] = [_p("Please read", s["head"])]
    for text in gfe.DISCLAIMERS:
        notices.append(_p(f"• {text}", s["body"]))
        notices.append(Spacer(1, 3))
    story: list[object] = [
        header,
        Spacer(1, 6),
        parties,
        *schedule,
        _p("Expected services and charges", s["head"]),
        table,
        Spacer(1, 4),
        _p(total_sentence, s["body"]),
        KeepTogether(notices),
        Spacer(1, 8),
        _p(
            "CPT is a registered trademark of the American Medical Association. Service "
            "descriptions are this practice's own short summaries.",
            s["small"],
        ),
    ]
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=letter,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=f"Good Faith Estimate {estimate.number}",
        author=estimate.practice_name,
        creator="SessionLedger",
    )
    doc.build(story)
    return buffer.getvalue()
