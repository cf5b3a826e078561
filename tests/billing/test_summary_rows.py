"""The claim summary's rows, written in Python (billing/templatetags/summary_rows.py):
names, numbers and codes escaped, amounts as dollars, the claim linked on screen only."""

from __future__ import annotations

import datetime
from decimal import Decimal as D

from django.test.html import parse_html

from billing.models import Payer
from billing.templatetags.summary_rows import summary_rows
from billing.views.summary import SummaryClaim, SummaryLine


def _claim(all_lines: int = 1) -> SummaryClaim:
    line = SummaryLine(
        pk=7,
        position=1,
        date_of_service=datetime.date(2026, 10, 5),
        place_of_service="11",
        procedure_code="90837",
        modifiers=["95"],
        units=1,
        diagnosis_pointers="A",
        charge=D("180.00"),
        expected_allowed=None,
        paid=D("100.00"),
        balance=D("-20.00"),
        diagnosis_codes=["F32.A"],
        shown_date="10/05/2026",
        shown_code="90837 95",
        shown_diagnoses="F32.A",
    )
    return SummaryClaim(
        pk=3,
        control_number="SL<1>",
        status="paid",
        total_charge=D("1234.50"),
        payer=Payer(pk=1, name="Acme"),
        client_id=4,
        patient_name="O'Brien <script>, Zoë",
        all_lines=all_lines,
        summary_lines=[line],
        range_charge=D("180.00"),
        range_paid=D("100.00"),
        range_balance=D("-20.00"),
        shown_status="paid",
        url="/billing/claims/3/",
    )


def test_a_claim_is_its_lines_then_its_total():
    html = str(summary_rows([_claim()]))
    assert parse_html(html) == parse_html(
        '<tbody class="summary-claim"><tr><td class="wrap">O&#x27;Brien &lt;script&gt;, Zoë</td>'
        '<td><a href="/billing/claims/3/">SL&lt;1&gt;</a></td><td>10/05/2026</td><td>11</td>'
        '<td>90837 95</td><td class="text-end">1</td><td>F32.A</td>'
        '<td class="text-end">$180.00</td><td class="text-end">—</td>'
        '<td class="text-end">$100.00</td><td class="text-end">-$20.00</td></tr>'
        '<tr class="claim-total fw-semibold"><td colspan="7" class="text-end wrap">'
        'Claim SL&lt;1&gt; · paid · 1 line</td><td class="text-end">$180.00</td>'
        '<td class="text-end">$0.00</td><td class="text-end">$100.00</td>'
        '<td class="text-end">-$20.00</td></tr></tbody>'
    )
    assert "<script>" not in html


def test_in_print_the_claim_is_not_a_link_and_lines_outside_the_range_are_said():
    html = str(summary_rows([_claim(all_lines=3)], True))
    assert "<a " not in html
    assert "1 line (claim total $1,234.50 with 3 lines, some outside this range)" in html
    assert str(summary_rows([])) == ""
