"""A clinician gives a self-pay client their superbill from the client page, in Chromium:
the form says what is missing beside the field, and the PDF keeps the client's accents
(issue 9, finding 10)."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect
from pypdf import PdfReader

from billing.models import DiagnosisCode, ProcedureCode
from practice.models import Session
from tests import factories
from tests.e2e.conftest import field, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def thao(clinician):
    """A self-pay client with one attended 90837 session three days ago."""
    client = factories.ClientFactory(
        first_name="Thảo", last_name="Nguyễn", self_pay=True, primary_clinician=clinician
    )
    session = factories.SessionFactory(
        client=client,
        clinician=clinician,
        date=timezone.localdate() - datetime.timedelta(days=3),
        status=Session.Status.READY,
    )
    diagnosis = factories.DiagnosisFactory(
        client=client, code=DiagnosisCode.objects.get(code="F41.1")
    )
    factories.SessionDiagnosisFactory(session=session, diagnosis=diagnosis, position=1)
    factories.ServiceLineFactory(
        session=session,
        position=1,
        procedure=ProcedureCode.objects.get(code="90837"),
        charge=Decimal("160.00"),
    )
    return client


def test_a_clinician_downloads_a_superbill_from_the_client_page(
    page, live_server, clinician_user, thao
):
    log_in(page, live_server, "clinician")
    page.goto(f"{live_server.url}/practice/clients/{thao.pk}/")
    page.get_by_role("link", name="Superbill").click()
    expect(page.get_by_role("heading", name="Superbill for Thảo Nguyễn")).to_be_visible()

    # Nothing chosen: the form comes back with the reason beside the client field.
    field(page, "Client").select_option("")
    page.get_by_role("button", name="Download PDF").click()
    expect(page.locator("#error_1_id_client")).to_have_text(
        "Choose the client the superbill is for."
    )

    field(page, "Client").select_option(label=f"Nguyễn, Thảo (account {thao.account_number})")
    week_ago = timezone.localdate() - datetime.timedelta(days=7)
    field(page, "From").fill(week_ago.isoformat())
    field(page, "To").fill(timezone.localdate().isoformat())
    with page.expect_download() as download:
        page.get_by_role("button", name="Download PDF").click()
    assert download.value.suggested_filename.startswith(f"superbill-{thao.account_number}-")
    pdf = PdfReader(io.BytesIO(download.value.path().read_bytes()))
    text = " ".join(" ".join(one.extract_text().split()) for one in pdf.pages)
    assert "Thảo Nguyễn" in text
    assert "90837" in text and "160.00" in text
