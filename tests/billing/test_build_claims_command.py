"""``manage.py build_claims``: one line per claim, then the sessions skipped and why."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import CommandError, call_command

from billing.models import Claim
from practice.models import Session
from tests import factories
from tests.billing.test_services import ready_session

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 10, 5)


def build(*args: str) -> list[str]:
    out = io.StringIO()
    call_command("build_claims", *args, stdout=out)
    return out.getvalue().splitlines()


def test_it_prints_one_line_per_claim_and_the_skipped_sessions_with_reasons(practice_row):
    coverage = factories.CoverageFactory(
        payer=factories.PayerFactory(name="Acme Health"),
        client__first_name="Zoë",
        client__last_name="O'Brien",
    )
    ready_session(coverage.client)
    ready_session(coverage.client, date=DAY + datetime.timedelta(days=7))
    uncovered = factories.CoverageFactory(effective_from=datetime.date(2027, 1, 1)).client
    skipped = ready_session(uncovered)
    claim_line, built, heading, skipped_line = build()
    claim = Claim.objects.get()
    assert claim_line == f"{claim.control_number}  Acme Health  O'Brien, Zoë  2 lines  $320.00"
    assert built == "Built 1 claim."
    assert heading == "Skipped 1 session(s):"
    assert skipped_line == (
        f"  session {skipped.pk}  {skipped}: no insurance coverage on the date of service"
    )


def test_payer_builds_only_that_payers_claims(practice_row):
    acme = factories.CoverageFactory()
    other = factories.CoverageFactory()
    ready_session(acme.client)
    left = ready_session(other.client)
    lines = build("--payer", str(acme.payer_id))
    assert len(lines) == 2
    assert Claim.objects.get().payer_id == acme.payer_id
    left.refresh_from_db()
    assert left.status == Session.Status.READY


def test_through_leaves_later_sessions_ready(practice_row):
    coverage = factories.CoverageFactory()
    ready_session(coverage.client, date=DAY)
    later = ready_session(coverage.client, date=DAY + datetime.timedelta(days=1))
    (claim_line, _) = build("--through", DAY.isoformat())
    assert claim_line.endswith("1 line  $160.00")
    later.refresh_from_db()
    assert later.status == Session.Status.READY


def test_nothing_to_build_says_so(practice_row):
    assert build() == ["No claims built: no ready session was left to bill."]


def test_an_unknown_payer_id_is_an_error_naming_the_payers(practice_row):
    payer = factories.PayerFactory(name="Acme Health")
    with pytest.raises(CommandError, match=rf"No payer with id 999999\. Payers: {payer.pk} \("):
        build("--payer", "999999")


@pytest.mark.parametrize("value", ["2026-02-30", "10/05/2026", "soon"])
def test_a_bad_through_date_is_an_error(practice_row, value):
    with pytest.raises(CommandError, match="is not a date"):
        build("--through", value)


def test_without_a_practice_it_is_an_error(db):
    with pytest.raises(CommandError, match="Set up the practice"):
        build()
