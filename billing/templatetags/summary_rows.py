"""``{% summary_rows claims print_view %}``: the claim summary's claim rows (a row per
in-range line, then the claim's total), written in Python; ``{% summary_payer_totals
summary query print_view %}`` its totals table's row per payer, the same way.

A payer's month is hundreds of rows of eleven cells; through the template engine each
cell costs a variable lookup, a filter and an escape, which made the rows most of the
page's time. Here each row is one f-string: text from the claim (names, numbers, codes)
is escaped, amounts are written by ``dollars`` (digits and "$-,." only), dates and
status labels come prepared (billing/views/summary.py ``SummaryClaim``). The markup is
what templates/billing/includes/_summary_claims.html used to hold, element for element.
"""

from __future__ import annotations

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString

from billing.templatetags.money import dollars
from practice.listing import row_url

register = template.Library()


def _line(line, name: str, number: str) -> str:
    allowed = "—" if line.expected_allowed is None else dollars(line.expected_allowed)
    return (
        f'<tr><td class="wrap">{name}</td><td>{number}</td><td>{line.shown_date}</td>'
        f"<td>{escape(line.place_of_service)}</td><td>{escape(line.shown_code)}</td>"
        f'<td class="text-end">{line.units}</td><td>{escape(line.shown_diagnoses)}</td>'
        f'<td class="text-end">{dollars(line.charge)}</td><td class="text-end">{allowed}</td>'
        f'<td class="text-end">{dollars(line.paid)}</td>'
        f'<td class="text-end">{dollars(line.balance)}</td></tr>\n'
    )


def _total(claim, control: str) -> str:
    count = claim.range_lines
    outside = (
        f" (claim total {dollars(claim.total_charge)} with {claim.all_lines} lines, some "
        "outside this range)"
        if claim.all_lines != count
        else ""
    )
    return (
        f'<tr class="claim-total fw-semibold"><td colspan="7" class="text-end wrap">Claim '
        f"{control} · {escape(claim.shown_status)} · {count} line{'' if count == 1 else 's'}"
        f'{outside}</td><td class="text-end">{dollars(claim.range_charge)}</td>'
        f'<td class="text-end">{dollars(claim.range_allowed)}</td>'
        f'<td class="text-end">{dollars(claim.range_paid)}</td>'
        f'<td class="text-end">{dollars(claim.range_balance)}</td></tr>\n'
    )


@register.simple_tag
def summary_rows(claims, print_view: bool = False) -> SafeString:
    """Each claim as a ``tbody``: its lines (the first names the patient and the claim,
    linked to the claim's page on screen), then its total row."""
    out: list[str] = []
    for claim in claims:
        control = escape(claim.control_number)
        first = (
            control if print_view else f'<a href="{escape(claim.url)}">{control}</a>',
            escape(claim.patient_name),
        )
        out.append('<tbody class="summary-claim">\n')
        for index, line in enumerate(claim.summary_lines):
            number, name = first if index == 0 else ("", "")
            out.append(_line(line, name, number))
        out.append(_total(claim, control))
        out.append("</tbody>\n")
    return SafeString("".join(out))


@register.simple_tag
def summary_payer_totals(summary, query: str, print_view: bool = False) -> SafeString:
    """A row per payer of the totals table: the payer, linked to its section (its own
    page on screen, the section below in print), then its claims, lines and money; or
    the row that says the range has none."""
    if not summary.payers:
        return SafeString(
            '<tr><td colspan="7" class="text-muted summary-empty">No claims in this range.'
            "</td></tr>\n"
        )
    section = row_url("billing:summary_payer")
    out: list[str] = []
    for group in summary.payers:
        pk = group.payer.pk
        href = f"#payer-{pk}" if print_view else escape(f"{section(pk)}?{query}")
        out.append(
            f'<tr><td><a href="{href}">{escape(group.payer.name)}</a></td>'
            f'<td class="text-end">{group.claim_count}</td>'
            f'<td class="text-end">{group.lines}</td>'
            f'<td class="text-end">{dollars(group.charge)}</td>'
            f'<td class="text-end">{dollars(group.allowed)}</td>'
            f'<td class="text-end">{dollars(group.paid)}</td>'
            f'<td class="text-end">{dollars(group.balance)}</td></tr>\n'
        )
    return SafeString("".join(out))
