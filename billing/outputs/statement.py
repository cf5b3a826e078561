"""What a client is handed: a payment receipt and a statement of account (PDF).

Both print from plain data (``billing.statements.statement_data`` and
``receipt_data``), never from live rows, and with ReportLab's invariant mode: the same
data gives the same bytes, so a statement kept as sent (``Statement.data``) prints
exactly as it was sent, years later. Names print as written (Nguyễn, Zoë, O’Brien) in
the Unicode font (``pdf.unicode_font``).
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import PageBreak, Paragraph, Spacer, Table, TableStyle

from billing.outputs.pdf import (
    WIDTH,
    build,
    data_table,
    header_table,
    heading_row,
    money,
    para,
    plain_cells,
    styles,
    us_date,
)


def _lines(values: list[str], style: ParagraphStyle) -> Paragraph:
    return Paragraph("<br/>".join(escape(v) for v in values if v), style)


def _date(value: str | None) -> str:
    return us_date(datetime.date.fromisoformat(value)) if value else ""


def _money(value: str | Decimal | None) -> str:
    return money(Decimal(value or "0"))


def _header(data: dict, title: str, facts: list[str], s) -> Table:
    practice = data["practice"]
    return header_table(
        [
            para(practice["name"], s["head"]),
            _lines([*practice["address"], practice["phone"]], s["body"]),
        ],
        [para(title, s["title"]), _lines(facts, s["body"])],
    )


def _table(
    rows: list[list[object]], widths: list[float], *, total: bool = False, extra: tuple = ()
) -> Table:
    rule_above_total = ("LINEABOVE", (0, -1), (-1, -1), 0.75, colors.black)
    return data_table(rows, widths, extra=((rule_above_total,) if total else ()) + extra)


def _build(story: list[object], *, title: str, author: str) -> bytes:
    return build(story, title=title, author=author, invariant=True)


def render_statement(data: dict) -> bytes:
    """A client's statement (US Letter): balance due, aging, the lines since the last
    statement with the running balance."""
    return _build(
        _statement_story(data, styles("st")),
        title=f"Statement for {data['client']['name']}",
        author=data["practice"]["name"],
    )


def render_statements(datas: list[dict]) -> bytes:
    """Many statements in one PDF, each starting on a new page (a month's mailing)."""
    s = styles("st")
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
                    para("Balance due", s["big"]),
                    para(f"${_money(data['balance'])}", s["big"]),
                ],
            ]
        ],
        colWidths=[WIDTH * 0.6, WIDTH * 0.4],
    )
    due.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    aging = _table(
        [
            [label for label, _amount in data["buckets"]] + ["Total"],
            [_money(amount) for _label, amount in data["buckets"]] + [_money(data["balance"])],
        ],
        [1] * (len(data["buckets"]) + 1),
        extra=plain_cells(s["cell"], right_from=0),
    )
    rows: list[list[object]] = [
        heading_row(
            [
                "Date",
                "Description",
                "Charges ($)",
                "Insurance paid ($)",
                "Adjusted ($)",
                "You paid ($)",
                "Balance ($)",
            ],
            s,
            numbers_from=2,
        ),
        [
            _date(data.get("period_start")),
            "Previous balance",
            "",
            "",
            "",
            "",
            _money(data["previous_balance"]),
        ],
    ]
    # Dates and amounts are plain strings (``plain_cells``); the description, which can
    # be long enough to wrap, stays a paragraph.
    for line in data["lines"]:
        rows.append(
            [
                _date(line["date"]),
                para(line["description"], s["cell"]),
                *(
                    _money(line[key]) if Decimal(line[key]) else ""
                    for key in ("charge", "insurance_paid", "adjusted", "client_paid")
                ),
                _money(line["balance"]),
            ]
        )
    if not data["lines"]:
        rows.append(["", para("No new activity since the last statement.", s["cell"])] + [""] * 5)
    story: list[object] = [
        _header(data, "Statement", facts, s),
        Spacer(1, 8),
        due,
        para("Account activity", s["head"]),
        _table(
            rows,
            [0.8, 3.0, 0.75, 0.8, 0.75, 0.75, 0.8],
            extra=plain_cells(s["cell"], rows_from=1, right_from=2),
        ),
        para("How old your balance is (days since each charge was yours to pay)", s["head"]),
        aging,
        Spacer(1, 6),
    ]
    if Decimal(data.get("insurance_pending") or "0"):
        story.append(
            para(
                f"Still with your insurance: ${_money(data['insurance_pending'])} "
                "(not part of the balance due).",
                s["body"],
            )
        )
    story.append(
        para(
            f"Questions about this statement? Call {data['practice']['phone'] or 'the practice'}.",
            s["small"],
        )
    )
    return story


def render_receipt(data: dict) -> bytes:
    """A receipt for one client payment or refund: who, when, how, how much, and what
    it was applied to."""
    s = styles("st")
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
        heading_row(
            ["Taken back from" if refund else "Applied to", "Amount ($)"], s, numbers_from=1
        ),
    ]
    for line in data["applied"]:
        rows.append(
            [para(line["description"], s["cell"]), para(_money(line["amount"]), s["cell_right"])]
        )
    if Decimal(data["credit"]):
        rows.append(
            [
                para(
                    "From the credit on your account"
                    if refund
                    else "Credit on your account (applied to your next charges)",
                    s["cell"],
                ),
                para(_money(data["credit"]), s["cell_right"]),
            ]
        )
    rows.append([para("Total", s["cell"]), para(_money(data["amount"]), s["cell_right"])])
    story: list[object] = [
        _header(data, "Refund" if refund else "Payment receipt", facts, s),
        Spacer(1, 8),
        summary,
        Spacer(1, 8),
        _table(rows, [5, 1.2], total=True),
        Spacer(1, 8),
        para(f"Your balance on {_date(data['balance_on'])}: ${_money(data['balance'])}", s["body"]),
        Spacer(1, 4),
        para("Thank you.", s["body"]) if not refund else Spacer(1, 1),
    ]
    return _build(story, title=f"Receipt {data['number']}", author=data["practice"]["name"])
