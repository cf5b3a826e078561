"""The claim list's rows (billing/templatetags/claim_rows.py) are written without the
template engine: what people typed comes out escaped, and each cell says what the
template's loop said (the correction badge, the errors column, the empty list)."""

from __future__ import annotations

import datetime
import re

import pytest
from django.urls import reverse

from billing.models import Claim
from billing.services import claim_mark_ready, claim_submit, claim_void, claims_build, claims_check
from tests import factories
from tests.billing.test_scrubber import ready_session

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 10, 12, 15, 0, tzinfo=datetime.UTC)  # a week after DAY


@pytest.fixture(autouse=True)
def frozen(time_machine):
    time_machine.move_to(NOW, tick=False)


def rows(response) -> list[str]:
    body = response.content.decode()
    tbody = body.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r"<tr[^>]*>.*?</tr>", tbody, re.S)


def cells(row: str) -> dict[str, str]:
    """A row's cells by their data-label, markup stripped."""
    found = re.findall(r'<td data-label="([^"]+)"[^>]*>(.*?)</td>', row, re.S)
    return {label: re.sub(r"<[^>]+>", "", text) for label, text in found}


def test_text_people_typed_comes_out_escaped(biller, practice_row):
    coverage = factories.CoverageFactory(
        client__first_name='<script>alert("x")</script>',
        client__last_name="O'Brien & Zoë",
        payer__name="Blue <Cross> & Shield",
    )
    ready_session(coverage.client)
    ready_session(coverage.client, date=datetime.date(2026, 10, 7))
    claims_check(claims=claims_build().claims)
    body = biller.get(reverse("billing:claim_list")).content.decode()
    assert "<script>alert" not in body
    assert (
        '<td data-label="Client">O&#x27;Brien &amp; Zoë, '
        "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</td>"
    ) in body
    assert '<td data-label="Payer">Blue &lt;Cross&gt; &amp; Shield</td>' in body
    (row,) = rows(biller.get(reverse("billing:claim_list")))
    claim = Claim.objects.get()
    assert f'<a href="{reverse("billing:claim_detail", args=[claim.pk])}">' in row
    assert cells(row) == {
        "Control number": claim.control_number,
        "Client": "O&#x27;Brien &amp; Zoë, &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;",
        "Payer": "Blue &lt;Cross&gt; &amp; Shield",
        "Dates of service": "10/05/2026 – 10/07/2026",
        "Lines": "2",
        "Total": f"${claim.total_charge:,.2f}",
        "Status": "Draft",
        "Errors": "0",
    }


def test_a_void_shows_its_badge_and_the_sent_claim_no_errors_column(biller, practice_row):
    coverage = factories.CoverageFactory()
    ready_session(coverage.client)
    (claim,) = claims_build().claims
    claims_check(claims=[claim])
    claim_submit(claim=claim_mark_ready(claim=claim))
    void = claim_void(claim=claim, reason="Billed to the wrong payer")
    listed = [cells(row) for row in rows(biller.get(reverse("billing:claim_list")))]
    assert sorted(row["Control number"] for row in listed) == sorted(
        [claim.control_number, f"{void.control_number} Void of a prior claim"]
    )
    errors = {row["Control number"].split()[0]: row["Errors"] for row in listed}
    # Sent: no scrubber column. The void waits to be sent, never checked yet: "?".
    claim.refresh_from_db()
    assert void.is_editable and not claim.is_editable
    assert errors == {claim.control_number: "", void.control_number: "?"}


def test_an_empty_list_says_whether_filters_hid_the_claims(biller, practice_row):
    (none,) = rows(biller.get(reverse("billing:claim_list")))
    assert cells_text(none) == "No claims."
    (none,) = rows(biller.get(reverse("billing:claim_list"), {"status": "paid"}))
    assert cells_text(none) == "No claims match these filters."


def cells_text(row: str) -> str:
    return re.sub(r"<[^>]+>", "", row).strip()
