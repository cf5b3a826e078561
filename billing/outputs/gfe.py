"""The Good Faith Estimate as the client receives it: a PDF (45 CFR 149.610).

Everything printed comes from the estimate's own snapshot (``GoodFaithEstimate`` and its
lines), never from today's client, clinician, practice or fees, so a reprint years later
shows what the client was given. Names print as written (Nguyễn, Zoë) in a Unicode font
(``pdf.unicode_font``). Service descriptions are our own words (docs/rules/identifiers.md §9:
CPT code numbers with the practice's short descriptions, never the AMA's).
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import KeepTogether, Paragraph, Spacer, Table, TableStyle

from billing import gfe
from billing.models import GoodFaithEstimate
from billing.outputs.pdf import (
    WIDTH,
    build,
    data_table,
    header_table,
    heading_row,
    money,
    para,
    styles,
    us_date,
    us_phone,
)


def _block(pairs: list[tuple[str, str]], style: ParagraphStyle) -> Paragraph:
    """Label: value lines, labels in grey; empty values left out."""
    lines = [
        f'<font color="#555555">{escape(label)}</font> {escape(value)}' if label else escape(value)
        for label, value in pairs
        if value
    ]
    return Paragraph("<br/>".join(lines), style)


def _box(title: str, content: Paragraph, s: dict[str, ParagraphStyle]) -> list[object]:
    return [para(title, s["head"]), content]


def render_estimate(estimate: GoodFaithEstimate) -> bytes:
    """The PDF of one estimate (US Letter)."""
    s = styles("gfe")
    issued = timezone.localtime(estimate.created_at).date()
    header = header_table(
        [
            para(estimate.practice_name, s["head"]),
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
            para("Good Faith Estimate", s["title"]),
            _block(
                [
                    ("Estimate:", estimate.number),
                    ("Issued:", us_date(issued)),
                    *([("Replaces:", estimate.replaces.number)] if estimate.replaces_id else []),
                ],
                s["body"],
            ),
        ],
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
        heading_row(
            [
                "CPT",
                "Service",
                "Diagnosis codes",
                "Units a visit",
                "Visits",
                "Fee a unit ($)",
                "Expected charge ($)",
            ],
            s,
            numbers_from=3,
        )
    ]
    for line in estimate.lines.all():
        rows.append(
            [
                para(line.code, s["cell"]),
                para(line.description, s["cell"]),
                para(line.diagnosis_codes or "—", s["cell"]),
                para(line.units, s["cell_right"]),
                para(line.visits, s["cell_right"]),
                para(money(line.unit_fee), s["cell_right"]),
                para(money(line.total), s["cell_right"]),
            ]
        )
    rows.append(
        [
            para("Total expected charges for the period", s["cell"]),
            "",
            "",
            "",
            "",
            "",
            para(money(estimate.total), s["cell_right"]),
        ]
    )
    table = data_table(
        rows,
        [0.55, 2.2, 1.1, 0.6, 0.55, 0.75, 0.95],
        last=-2,
        extra=(
            ("LINEABOVE", (0, -1), (-1, -1), 0.75, colors.black),
            ("SPAN", (0, -1), (5, -1)),
        ),
    )
    total_sentence = (
        f"Expected total: ${money(estimate.total)} for "
        f"{estimate.get_frequency_display().lower()} services from "
        f"{us_date(estimate.period_start)} to {us_date(estimate.period_end)}."
    )
    notices: list[object] = [para("Please read", s["head"])]
    for text in gfe.DISCLAIMERS:
        notices.append(para(f"• {text}", s["body"]))
        notices.append(Spacer(1, 3))
    story: list[object] = [
        header,
        Spacer(1, 6),
        parties,
        *schedule,
        para("Expected services and charges", s["head"]),
        table,
        Spacer(1, 4),
        para(total_sentence, s["body"]),
        KeepTogether(notices),
        Spacer(1, 8),
        para(
            "CPT is a registered trademark of the American Medical Association. Service "
            "descriptions are this practice's own short summaries.",
            s["small"],
        ),
    ]
    return build(
        story, title=f"Good Faith Estimate {estimate.number}", author=estimate.practice_name
    )
