"""The report table framework: columns with a kind, cells for the page and the CSV,
tables, sections and the ``Report`` definition every report page fills in.

One ``Table`` serves both the page and its CSV download, so the two never disagree."""

from __future__ import annotations

import csv
import datetime
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.http import HttpResponse

from billing import charts
from billing import reports as q
from billing.templatetags.money import money
from practice.formats import us_date

DASH = "—"
# Column kinds: how a value prints on the page and in the CSV.
TEXT, INT, NUMBER, MONEY, PERCENT, CHANGE, MONTH, DATE = (
    "text", "int", "number", "money", "percent", "change", "month", "date"
)  # fmt: skip
NUMERIC = {INT, NUMBER, MONEY, PERCENT, CHANGE}
# A spreadsheet runs a cell starting with these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Column:
    label: str
    kind: str = TEXT
    # In a table's total row, counts and money add up; False where they do not (a claim
    # denied for two reasons counts under each).
    adds: bool = True

    @property
    def numeric(self) -> bool:
        return self.kind in NUMERIC

    @property
    def adds_up(self) -> bool:
        return self.adds and self.kind in {INT, MONEY}


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
        return us_date(value)
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
    # A "Total" footer of the rows (when there are rows): see ``total_row``.
    total: bool = False
    # A table longer than a page: the page shows ``rows`` (the first ones, ``footer``
    # totalling them all) and the CSV reads ``every_row()``: every row and its client ids.
    every_row: Callable[[], tuple[list[Sequence], list[int]]] | None = None

    def __post_init__(self) -> None:
        if self.total and self.rows:
            self.footer = self.total_row()

    def total_row(self) -> tuple:
        """ "Total" in the first text column (nothing before it), each column that adds up
        summed over the rows (empty cells skipped), "" in other text columns and None
        ("—") in the rest."""
        first_text = next(n for n, c in enumerate(self.columns) if c.kind == TEXT)
        cells: list = []
        for n, column in enumerate(self.columns):
            if n == first_text:
                cells.append("Total")
            elif column.adds_up:
                start = q.ZERO if column.kind == MONEY else 0
                cells.append(sum((row[n] for row in self.rows if row[n] is not None), start))
            else:
                cells.append("" if column.kind == TEXT and n > first_text else None)
        return tuple(cells)

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


def last_full_month(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    return q.last_full_months(today, 1)


def last_twelve_months(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    return q.last_full_months(today, 12)


def period_label(start: datetime.date, end: datetime.date) -> str:
    return f"{start:%b} {start.day}, {start.year} – {end:%b} {end.day}, {end.year}"


def csv_response(table: Table, filename: str) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    csv.writer(response).writerows(table.csv_rows())
    return response
