"""A biller's month in the browser: build claims, clear a scrubber error, print, download;
and replace a sent claim with a correction without billing any service twice."""

from __future__ import annotations

import datetime
import io

import pytest
from django.db.models import Sum
from playwright.sync_api import expect
from pypdf import PdfReader

from billing.forms import previous_month
from billing.models import Claim, ClaimLine, DiagnosisCode, ProcedureCode
from billing.templatetags.money import money
from practice.models import Session
from tests import factories
from tests.e2e.conftest import field, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def last_month_day() -> datetime.date:
    """The 15th of last month: in the summary's default month, 16 to 46 days ago, well
    inside the payer's 90-day timely-filing limit."""
    return previous_month()[0].replace(day=15)


def ready_session(client, *, code: str, start: datetime.time, minutes: int) -> Session:
    """A session marked ready to bill with one service line, made directly so that its
    line can disagree with its minutes (the session form would never propose that)."""
    end = datetime.datetime.combine(last_month_day(), start) + datetime.timedelta(minutes=minutes)
    session = factories.SessionFactory(
        client=client,
        date=last_month_day(),
        start_time=start,
        end_time=end.time(),
        minutes=minutes,
        status=Session.Status.READY,
        place_of_service=factories.pos("11"),
        location=factories.LocationFactory(practice=client.primary_clinician.practice),
    )
    diagnosis = factories.DiagnosisFactory(
        client=client, code=DiagnosisCode.objects.get(code="F41.1")
    )
    factories.SessionDiagnosisFactory(session=session, diagnosis=diagnosis, position=1)
    procedure = ProcedureCode.objects.get(code=code)
    factories.ServiceLineFactory(
        session=session, position=1, procedure=procedure, charge=procedure.default_charge
    )
    return session


@pytest.fixture
def month_of_sessions(practice_row):
    """Two insured clients, one ready session each; Lindqvist's 60 minutes were coded
    90834 (38–52 minutes), which the scrubber must catch. Fixed, both bill 90837, which
    this payer allows at $140.00."""
    payer = factories.PayerFactory(name="Prairie Mutual")
    for code, rate in (("90834", "98.00"), ("90837", "140.00")):
        factories.PayerRateFactory(
            payer=payer, procedure=ProcedureCode.objects.get(code=code), allowed_amount=rate
        )
    fine = factories.CoverageFactory(
        payer=payer, client__first_name="Marisol", client__last_name="Quintero"
    ).client
    wrong = factories.CoverageFactory(
        payer=payer, client__first_name="Theo", client__last_name="Lindqvist"
    ).client
    ready_session(fine, code="90837", start=datetime.time(10, 0), minutes=53)
    return ready_session(wrong, code="90834", start=datetime.time(14, 0), minutes=60)


def build_claims(page) -> None:
    page.get_by_role("navigation").get_by_role("link", name="Claims").click()
    page.get_by_role("button", name="Build claims").click()


def open_claim(page, client_name: str, status: str) -> None:
    row = page.locator("tbody tr").filter(has_text=client_name).filter(has_text=status)
    expect(row).to_have_count(1)
    row.get_by_role("link").first.click()
    expect(page.get_by_role("heading", name="Service lines")).to_be_visible()


def test_a_biller_clears_a_scrubber_error_then_prints_the_summary_and_a_cms1500(
    page, live_server, biller_user, month_of_sessions
):
    log_in(page, live_server, "biller")

    build_claims(page)
    expect(page.get_by_role("alert").filter(has_text="Built 2 claims (2 lines)")).to_be_visible()
    open_claim(page, "Lindqvist, Theo", "Draft")
    errors = page.locator(".scrub-error")
    expect(errors).to_have_count(1)
    expect(errors).to_contain_text("90834 needs 38–52 minutes but the session recorded 60")
    page.get_by_role("button", name="Mark ready").click()
    expect(page.get_by_role("alert").filter(has_text="was not marked ready")).to_be_visible()

    expect(page.get_by_role("button", name="Void")).to_have_count(0)  # never sent
    field(page, "Why discard it (optional)").fill("60 minutes is 90837, not 90834")
    page.get_by_role("button", name="Discard").click()
    expect(
        page.get_by_role("alert").filter(has_text="sessions are ready to bill again")
    ).to_be_visible()
    month_of_sessions.refresh_from_db()
    assert month_of_sessions.status == Session.Status.READY

    # Fix the session: its saved line differs from what the rules propose, so the edit
    # page opens with the line override on; turning it off bills what the rules propose.
    page.get_by_role("navigation").get_by_role("link", name="Sessions").click()
    page.locator("#session-table tbody tr").filter(has_text="Lindqvist, Theo").get_by_role(
        "link"
    ).first.click()
    page.locator("#edit-session").click()
    override = page.get_by_label("Change the proposed lines")
    expect(override).to_be_checked()
    override.uncheck()
    expect(page.locator("#proposed-lines tr.proposed-line")).to_have_attribute("data-code", "90837")
    page.locator("#save-session").click()
    expect(page.get_by_role("alert").filter(has_text="Session saved")).to_be_visible()
    expect(page.locator("#session-lines")).to_contain_text("90837")

    build_claims(page)
    expect(page.get_by_role("alert").filter(has_text="Built 1 claim (1 line)")).to_be_visible()
    open_claim(page, "Lindqvist, Theo", "Draft")
    expect(page.locator(".scrub-error")).to_have_count(0)
    expect(page.get_by_text("No problems found.")).to_be_visible()
    expect(page.locator("table").filter(has_text="Date of service")).to_contain_text("90837")
    page.get_by_role("button", name="Mark ready").click()
    expect(page.get_by_role("alert").filter(has_text="is ready to submit")).to_be_visible()
    claim = Claim.objects.get(client=month_of_sessions.client, status=Claim.Status.READY)

    with page.expect_download() as download:
        page.get_by_role("link", name="plain paper").click()
    assert download.value.suggested_filename == f"claim-{claim.control_number}.pdf"
    pdf = PdfReader(io.BytesIO(download.value.path().read_bytes()))
    text = " ".join(one.extract_text() for one in pdf.pages)
    assert "LINDQVIST, THEO" in text.upper()
    assert "90837" in text
    assert "90834" not in text

    page.get_by_role("navigation").get_by_role("link", name="Summary").click()
    first, last = previous_month()
    expect(field(page, "Services from")).to_have_value(first.isoformat())
    expect(field(page, "Through")).to_have_value(last.isoformat())
    live = Claim.objects.live()
    total = money(live.aggregate(total=Sum("total_charge"))["total"])
    payer_row = page.locator(".summary-totals tbody tr").filter(has_text="Prairie Mutual")
    expect(payer_row).to_have_count(1)
    # Nothing paid yet: Paid $0.00, the whole charge the balance.
    expect(payer_row.locator("td")).to_have_text(
        ["Prairie Mutual", "2", "2", total, "$280.00", "$0.00", total]
    )
    expect(page.locator(".grand-total")).to_contain_text(total)

    navigation = page.get_by_role("navigation").first
    practice_header = page.locator(".summary-totals tr.print-header")
    expect(navigation).to_be_visible()
    expect(practice_header).to_be_hidden()
    page.emulate_media(media="print")
    expect(navigation).to_be_hidden()
    expect(practice_header).to_be_visible()
    expect(practice_header).to_contain_text("Riverbend Counseling Group PLLC")
    page.emulate_media(media="screen")

    # Each payer's claims load on a page of their own.
    payer_row.get_by_role("link", name="Prairie Mutual").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Prairie Mutual")
    expect(page.locator(".summary-claim").first).to_contain_text("Lindqvist, Theo")
    expect(page.locator(".payer-total td").first).to_have_text(
        "Total Prairie Mutual: 2 claims, 2 lines"
    )
    page.get_by_role("link", name="Back to every payer").click()

    page.get_by_role("link", name="Print view").click()
    header = page.locator(".summary-totals tr.print-header")
    expect(header).to_contain_text("Riverbend Counseling Group PLLC")
    expect(header).to_contain_text(f"Services {first:%m/%d/%Y} – {last:%m/%d/%Y}")
    expect(page.locator(".payer-total td")).to_have_text(
        ["Total Prairie Mutual: 2 claims, 2 lines", total, "$280.00", "$0.00", total]
    )
    toolbar = page.get_by_role("button", name="Print")
    expect(toolbar).to_be_visible()
    page.emulate_media(media="print")
    expect(toolbar).to_be_hidden()
    expect(header).to_be_visible()


def edit_session_to_proposed_lines(page, client_name: str) -> None:
    """Open the client's session and save it with the lines the rules propose."""
    page.get_by_role("navigation").get_by_role("link", name="Sessions").click()
    page.locator("#session-table tbody tr").filter(has_text=client_name).get_by_role(
        "link"
    ).first.click()
    page.locator("#edit-session").click()
    override = page.get_by_label("Change the proposed lines")
    expect(override).to_be_checked()
    override.uncheck()
    page.locator("#save-session").click()
    expect(page.get_by_role("alert").filter(has_text="Session saved")).to_be_visible()


def test_a_biller_replaces_a_sent_claim_with_a_correction_and_bills_nothing_twice(
    page, live_server, biller_user, month_of_sessions
):
    log_in(page, live_server, "biller")
    build_claims(page)
    expect(page.get_by_role("alert").filter(has_text="Built 2 claims (2 lines)")).to_be_visible()
    # Lindqvist's wrong 90834 went out (marked submitted in the database, as if the
    # scrubber had been overruled by an earlier version of the app).
    sent = Claim.objects.get(client=month_of_sessions.client)
    Claim.objects.filter(pk=sent.pk).update(status=Claim.Status.SUBMITTED)

    page.get_by_role("navigation").get_by_role("link", name="Claims").click()
    open_claim(page, "Lindqvist, Theo", "Submitted")
    correct = page.get_by_role("form", name="Correct this claim")
    correct.get_by_label("What is corrected").fill("60 minutes is 90837, not 90834")
    correct.get_by_label("Payer's claim number").fill("PM-2026-000123")
    correct.get_by_role("button", name="Replace with a correction").click()
    expect(page.get_by_role("alert").filter(has_text="is being corrected")).to_be_visible()
    month_of_sessions.refresh_from_db()
    assert month_of_sessions.status == Session.Status.READY

    # Building claims now must not bill the session on a new original claim.
    build_claims(page)
    expect(page.get_by_role("alert").filter(has_text="No claims built")).to_be_visible()

    edit_session_to_proposed_lines(page, "Lindqvist, Theo")
    page.get_by_role("navigation").get_by_role("link", name="Claims").click()
    open_claim(page, "Lindqvist, Theo", "Being corrected")
    page.get_by_role("button", name="Build the replacement").click()
    expect(page.get_by_role("alert").filter(has_text="Replacement claim")).to_be_visible()
    expect(page.get_by_text("Replacement of a prior claim").first).to_be_visible()
    expect(page.get_by_text("Payer's claim number PM-2026-000123")).to_be_visible()
    expect(page.locator(".scrub-error")).to_have_count(0)
    expect(page.locator("table").filter(has_text="Date of service")).to_contain_text("90837")

    # Every service line is on exactly one live claim, and on one original claim only.
    lines = ClaimLine.objects.filter(service_line__session=month_of_sessions)
    assert lines.filter(live=True).count() == 1
    assert lines.filter(claim__frequency=Claim.Frequency.ORIGINAL).count() == 1
    replacement = lines.get(live=True).claim
    assert replacement.frequency == Claim.Frequency.REPLACEMENT
    assert replacement.original_id == sent.pk
    assert replacement.payer_claim_number == "PM-2026-000123"
    build_claims(page)
    expect(page.get_by_role("alert").filter(has_text="No claims built")).to_be_visible()
