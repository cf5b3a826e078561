"""The services-by-code report in the browser: a new period redraws the chart and the
table, and the CSV holds exactly the table's rows."""

from __future__ import annotations

import csv
import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from billing.models import ProcedureCode
from billing.reports import add_months
from practice.models import Session
from tests import factories
from tests.e2e.conftest import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def month_start(months_ago: int) -> datetime.date:
    return add_months(timezone.localdate().replace(day=1), -months_ago)


def attended(client, day: datetime.date, code: str) -> None:
    session = factories.SessionFactory(client=client, date=day, status=Session.Status.READY)
    procedure = ProcedureCode.objects.get(code=code)
    factories.ServiceLineFactory(
        session=session, position=1, procedure=procedure, charge=procedure.default_charge
    )


@pytest.fixture
def two_months(practice_row):
    """Two 90837 sessions the month before last; one 90837 and one 90834 last month."""
    client = factories.ClientFactory(first_name="Ines", last_name="Barros")
    attended(client, month_start(2).replace(day=8), "90837")
    attended(client, month_start(2).replace(day=22), "90837")
    attended(client, month_start(1).replace(day=8), "90837")
    attended(client, month_start(1).replace(day=22), "90834")


def code_table(page):
    return page.locator("table.report-table").filter(has_text="Each code over the period")


def code_rows(page) -> dict[str, tuple[str, str]]:
    """CPT code → (sessions, units), as the codes table shows them."""
    rows = code_table(page).locator("tbody tr")
    return {
        cells[0]: (cells[2], cells[3])
        for cells in (row.locator("td").all_inner_texts() for row in rows.all())
    }


def chart_bars(page) -> list[str]:
    """The tooltip of every bar drawn: "<month> · <code>: <units>"."""
    return page.locator("figure.report-chart svg rect > title").all_text_contents()


def as_csv_cell(text: str) -> str:
    """A cell of the page as the CSV writes it: $1,234.50 → 1234.50, +3.0 → 3.0, — → ""."""
    text = text.strip()
    return "" if text == "—" else text.replace("$", "").replace(",", "").removeprefix("+")


def test_an_owner_narrows_the_services_report_and_downloads_the_table_as_csv(
    page, live_server, owner_user, two_months
):
    last, before = month_start(1), month_start(2)
    log_in(page, live_server, "owner")
    page.get_by_role("navigation").get_by_role("link", name="Reports").click()
    page.get_by_role("link", name="Services by CPT code").click()

    # The default period, the last 12 full months, holds all four sessions.
    expect(code_table(page).locator("tbody tr")).to_have_count(2)
    assert code_rows(page) == {"90834": ("1", "1"), "90837": ("3", "3")}
    expect(code_table(page).locator("tfoot td").nth(3)).to_have_text("4")  # units
    svg = page.locator("figure.report-chart svg")
    chart_before = svg.inner_html()
    # A bar per code and month with units; a month's label names its year only in
    # January and in the first column.
    bars_before = chart_bars(page)
    assert len(bars_before) == 3
    assert [bar for bar in bars_before if bar.startswith(f"{before:%b}")] == [
        bar for bar in bars_before if bar.endswith("90837: 2")
    ]

    end = add_months(last, 1) - datetime.timedelta(days=1)
    page.get_by_label("From", exact=True).fill(last.isoformat())
    page.get_by_label("To", exact=True).fill(end.isoformat())
    page.get_by_role("button", name="Show").click()

    period = f"{last:%b} 1, {last.year} – {end:%b} {end.day}, {end.year}"
    expect(page.locator(".report-period")).to_contain_text(period)
    expect(svg.locator("title").first).to_contain_text(period)
    assert code_rows(page) == {"90834": ("1", "1"), "90837": ("1", "1")}
    monthly = page.locator("table.report-table").filter(has_text="Attended sessions per CPT code")
    expect(monthly.locator("tbody tr")).to_have_count(2)
    assert sorted(chart_bars(page)) == [f"{last:%b %Y} · 90834: 1", f"{last:%b %Y} · 90837: 1"]
    assert svg.inner_html() != chart_before

    table = code_table(page)
    with page.expect_download() as download:
        table.locator("caption").get_by_role("link", name="Download CSV").click()
    assert download.value.suggested_filename == f"services-codes-{last}-{end}.csv"
    with open(download.value.path(), newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == table.locator("thead th").all_inner_texts()
    shown = [
        [as_csv_cell(cell) for cell in row.locator("td").all_inner_texts()]
        for row in table.locator("tbody tr, tfoot tr").all()
    ]
    assert [[as_csv_cell(cell) for cell in row] for row in rows[1:]] == shown
    # Equal units this month: the code with more units the month before comes first.
    assert [row[0] for row in rows] == ["CPT code", "90837", "90834", "Total"]
    assert rows[1][2:4] == ["1", "1"]
    assert rows[1][6:8] == ["2", "-50.0"]  # 90837: 2 units the month before, down 50 %
