"""What a client is handed: a payment receipt and a statement of account (PDF).

Both print from plain data (``billing.statements.statement_data`` and
``receipt_data``), never from live rows, and with ReportLab's invariant mode: the same
data gives the same bytes, so a statement kept as sent (``Statement.data``) prints
exactly as it was sent, years later. Names print as written (Nguyễn, Zoë, O’Brien) in
the Unicode font (``pdf.unicode_font``).
"""

from __future__ import annotations

import datetime
import io
from decimal import Decimal
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import letter
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import inch
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from billing.outputs.pdf import money, unicode_font, us_date

MARGIN = 0.7 * inch
WIDTH = letter[0] - 2 * MARGIN - 12
GRID = colors.Color(0.55, 0.55, 0.55)
SHADE = colors.Color(0.93, 0.93, 0.93)


def _styles() -> dict[str, ParagraphStyle]:
    font = unicode_font()
    body = ParagraphStyle("st-body", fontName=font, fontSize=9, leading=11.5)
    return {
        "body": body,
        "small": ParagraphStyle("st-small", parent=body, fontSize=7.5, leading=9.5),
        "cell": ParagraphStyle("st-cell", parent=body, fontSize=8, leading=10),
        "cell_right": ParagraphStyle("st-cell-r", parent=body, fontSize=8, alignment=TA_RIGHT),
        "head": ParagraphStyle("st-head", parent=body, fontSize=11, leading=14, spaceBefore=6),
        "title": ParagraphStyle("st-title", parent=body, fontSize=18, leading=22),
        "big": ParagraphStyle("st-big", parent=body, fontSize=13, leading=16, alignment=TA_RIGHT),
    }


def _p(text: object, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(str(text or "")), style)


def _lines(values: list[str], style: ParagraphStyle) -> Paragraph:
    return Paragraph("<br/>".join(escape(v) for v in values if v), style)


def _date(value: str | None) -> str:
    return us_date(datetime.date.fromisoformat(value)) if value else ""


def _money(value: str | Decimal | None) -> str:
    return money(Decimal(value or "0"))


def _header(data: dict, title: str, facts: list[str], s) -> Table:
    practice = data["practice"]
    header = Table(
        [
            [
                [
                    _p(practice["name"], s["head"]),
                    _lines([*practice["address"], practice["phone"]], s["body"]),
                ],
                [_p(title, s["title"]), _lines(facts, s["body"])],
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
    return header


def _table(rows: list[list[object]], widths: list[float], *, total: bool = False) -> Table:
    scale = WIDTH / sum(widths)
    table = Table(rows, colWidths=[w * scale for w in widths], repeatRows=1)
    style = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("BACKGROUND", (0, 0), (-1, 0), SHADE),
        ("LINEBELOW", (0, 0), (-1, 0), 0.75, colors.black),
        ("LINEBELOW", (0, 1), (-1, -1), 0.25, GRID),
        ("LEFTPADDING", (0, 0), (-1, -1), 2),
        ("RIGHTPADDING", (0, 0), (-1, -1), 2),
    ]
    if total:
        style.append(("LINEABOVE", (0, -1), (-1, -1), 0.75, colors.black))
    table.setStyle(TableStyle(style))
    return table


def _build(story: list[object], *, title: str, author: str) -> bytes:
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=letter,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=title,
        author=author,
        creator="SessionLedger",
        invariant=1,  # no creation time or random id: the same data, the same bytes
    )
    doc.build(story)
    return buffer.getvalue()


def render_statement(data: dict) -> bytes:
    """A client's statement (US Letter): balance due, aging, the lines since the last
    statement with the running balance."""
    return _build(
        _statement_story(data, _styles()),
        title=f"Statement for {data['client']['name']}",
        author=data["practice"]["name"],
    )


def render_statements(datas: list[dict]) -> bytes:
    """Many statements in one PDF, each starting on a new page (a month's mailing)."""
    s = _styles()
    story: list[object] = []
    for data in datas:
        if story:
            story.append(PageBreak())
        story += _statement_story(data, s)
    return _build(story, title="Statements", author=datas[0]["practice"]["name"] if datas else "")


def _statement_story(data: dict, s: dict[str, ParagraphStyle]) -> list[object]:
    client = data["client"]
    facts = [
        f"Statement {data['number']}" if data.get("number") else "",
        f"Date: {_date(data['statement_date'])}",
        f"Account: {client['account']}",
        (
            f"Since: {_date(data['period_start'])}"
            if data.get("period_start")
            else "Your first statement"
        ),
    ]
    due = Table(
        [
            [
                _lines([client["name"], *client["address"]], s["body"]),
                [
                    _p("Balance due", s["big"]),
                    _p(f"${_money(data['balance'])}", s["big"]),
                ],
            ]
        ],
        colWidths=[WIDTH * 0.6, WIDTH * 0.4],
    )
    due.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    aging = _table(
        [
            [_p(label, s["cell_right"]) for label, _amount in data["buckets"]]
            + [_p("Total", s["cell_right"])],
            [_p(_money(amount), s["cell_right"]) for _label, amount in data["buckets"]]
            + [_p(_money(data["balance"]), s["cell_right"])],
        ],
        [1] * (len(data["buckets"]) + 1),
    )
    rows: list[list[object]] = [
        [
            _p("Date", s["cell"]),
            _p("Description", s["cell"]),
            _p("Charges ($)", s["cell_right"]),
            _p("Insurance paid ($)", s["cell_right"]),
            _p("Adjusted ($)", s["cell_right"]),
            _p("You paid ($)", s["cell_right"]),
            _p("Balance ($)", s["cell_right"]),
        ],
        [
            _p(_date(data.get("period_start")), s["cell"]),
            _p("Previous balance", s["cell"]),
            "",
            "",
            "",
            "",
            _p(_money(data["previous_balance"]), s["cell_right"]),
        ],
    ]
    for line in data["lines"]:
        rows.append(
            [
                _p(_date(line["date"]), s["cell"]),
                _p(line["description"], s["cell"]),
                *(
                    _p(_money(line[key]) if Decimal(line[key]) else "", s["cell_right"])
                    for key in ("charge", "insurance_paid", "adjusted", "client_paid")
                ),
                _p(_money(line["balance"]), s["cell_right"]),
            ]
        )
    if not data["lines"]:
        rows.append(["", _p("No new activity since the last statement.", s["cell"])] + [""] * 5)
    story: list[object] = [
        _header(data, "Statement", facts, s),
        Spacer(1, 8),
        due,
        _p("Account activity", s["head"]),
        _table(rows, [0.8, 3.0, 0.75, 0.8, 0.75, 0.75, 0.8]),
        _p("How old your balance is (days since each charge was yours to pay)", s["head"]),
        aging,
        Spacer(1, 6),
    ]
    if Decimal(data.get("insurance_pending") or "0"):
        story.append(
            _p(
                f"Still with your insurance: ${_money(data['insurance_pending'])} "
                "(not part of the balance due).",
                s["body"],
            )
        )
    story.append(
        _p(
            f"Questions about this statement? Call {data['practice']['phone'] or 'the practice'}.",
            s["small"],
        )
    )
    return story


def render_receipt(data: dict) -> bytes:
    """A receipt for one client payment or refund: who, when, how, how much, and what
    it was applied to."""
    s = _styles()
    client = data["client"]
    refund = data["kind"] == "refund"
    facts = [
        f"{'Refund' if refund else 'Receipt'} {data['number']}",
        f"Date: {_date(data['date'])}",
        f"Account: {client['account']}",
    ]
    summary = _lines(
        [
            f"{'Refunded to' if refund else 'Received from'}: {client['name']}",
            f"Method: {data['method']}",
            f"{'Refund of payment' if refund else ''} {data.get('refund_of') or ''}".strip()
            if refund
            else "",
            f"Amount: ${_money(data['amount'])}",
        ],
        s["body"],
    )
    rows: list[list[object]] = [
        [
            _p("Taken back from" if refund else "Applied to", s["cell"]),
            _p("Amount ($)", s["cell_right"]),
        ],
    ]
    for line in data["applied"]:
        rows.append(
            [_p(line["description"], s["cell"]), _p(_money(line["amount"]), s["cell_right"])]
        )
    if Decimal(data["credit"]):
        rows.append(
            [
                _p(
                    "From the credit on your account"
                    if refund
                    else "Credit on your account (applied to your next charges)",
                    s["cell"],
                ),
                _p(_money(data["credit"]), s["cell_right"]),
            ]
        )
    rows.append([_p("Total", s["cell"]), _p(_money(data["amount"]), s["cell_right"])])
    story: list[object] = [
        _header(data, "Refund" if refund else "Payment receipt", facts, s),
        Spacer(1, 8),
        summary,
        Spacer(1, 8),
        _table(rows, [5, 1.2], total=True),
        Spacer(1, 8),
        _p(f"Your balance on {_date(data['balance_on'])}: ${_money(data['balance'])}", s["body"]),
        Spacer(1, 4),
        _p("Thank you.", s["body"]) if not refund else Spacer(1, 1),
    ]
    return _build(story, title=f"Receipt {data['number']}", author=data["practice"]["name"])
