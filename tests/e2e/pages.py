"""Every page each role uses, on a small demo practice: the browser tests for phones and
for accessibility walk these lists.

The demo command builds the practice (clinicians, clients, sessions, claims in every
status, answers posted from 835 files, this week's appointments); a sent batch, a Good
Faith Estimate and a statement are added so their pages have rows too.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from io import StringIO

from django.contrib.auth.models import User
from django.core.management import call_command
from django.utils import timezone

from billing import estimates
from billing.models import Claim, GoodFaithEstimate, ProcedureCode
from billing.services import claims_build
from billing.statements import statement_print
from billing.submission import claims_send, sendable_claims
from practice.demo.data import DEMO_PASSWORD
from practice.models import Appointment, Client, Clinician, Session

DEMO = ["--clinicians", "2", "--clients", "12", "--months", "2", "--seed", "3"]
ROLES = ("owner", "biller", "clinician")


@dataclass
class Practice:
    urls: dict[str, list[str]] = field(default_factory=dict)
    lists: dict[str, list[str]] = field(default_factory=dict)


def _estimate(client: Client) -> GoodFaithEstimate:
    today = timezone.localdate()
    return estimates.estimate_create(
        client=client,
        clinician=client.primary_clinician,
        location=None,
        frequency="weekly",
        period_start=today,
        period_end=today + datetime.timedelta(days=90),
        services=[estimates.PlannedService(procedure=ProcedureCode.objects.get(code="90834"))],
        issued_by=User.objects.get(username="biller"),
    )


def demo_practice() -> Practice:
    """Build the demo practice and list, per role, the pages to visit (paths only) and
    the list pages among them."""
    call_command("demo", *DEMO, stdout=StringIO())
    # The demo's last three weeks are unbilled: build them, and send three as a batch.
    built = claims_build().claims
    Claim.objects.filter(pk__in=[c.pk for c in built[:6]]).update(status=Claim.Status.READY)
    claims_send(claims=sendable_claims()[:3])

    clinician = Clinician.objects.get(user__username="clinician")
    mine = Client.objects.filter(primary_clinician=clinician)
    insured = mine.filter(self_pay=False, coverages__isnull=False).order_by("pk").first()
    self_pay = mine.filter(self_pay=True).order_by("pk").first() or mine.order_by("-pk").first()
    estimate = _estimate(self_pay)
    statement_print(client=self_pay, user=None)
    session = Session.objects.filter(clinician=clinician).order_by("-date", "pk").first()
    appointment = (
        Appointment.objects.filter(clinician=clinician, status=Appointment.Status.PLANNED)
        .order_by("date", "start_time")
        .first()
    )
    claim = Claim.objects.order_by("pk").first()
    served = claim.lines.order_by("date_of_service").first().date_of_service
    claim_month = f"start={served.replace(day=1)}&end={served}"

    lists = ["/practice/day/", "/practice/week/", "/practice/sessions/", "/practice/clients/"]
    everyone = [
        "/",
        *lists,
        "/practice/sessions/new/",
        f"/practice/sessions/{session.pk}/",
        f"/practice/sessions/{session.pk}/edit/",
        "/practice/clients/new/",
        f"/practice/clients/{insured.pk}/",
        f"/practice/clients/{self_pay.pk}/",
        f"/practice/clients/{insured.pk}/edit/",
        "/practice/appointments/new/",
        "/billing/reports/",
        "/billing/reports/services/",
        "/account/",
    ]
    if appointment is not None:
        everyone.append(f"/practice/appointments/{appointment.pk}/edit/")
    billing_lists = [
        "/billing/claims/",
        "/billing/batches/",
        "/billing/estimates/",
        "/billing/send/",
        "/billing/remittances/",
        "/billing/statements/",
    ]
    billing = [
        "/billing/",
        *billing_lists,
        f"/billing/claims/{claim.pk}/",
        f"/billing/send/?payers={claim.payer_id}&include_drafts=on",
        "/billing/summary/",
        f"/billing/summary/payer/{claim.payer_id}/?{claim_month}",
        f"/billing/summary/?{claim_month}&print=1",
        f"/billing/superbill/new/?client={self_pay.pk}",
        f"/billing/estimates/new/{self_pay.pk}/",
        f"/billing/estimates/{estimate.pk}/",
        "/billing/reports/revenue/",
        "/billing/reports/mix/",
        "/billing/reports/health/",
    ]
    owner_lists = ["/account/sign-ins/", "/practice/audit/"]
    admin = [
        "/admin/",
        "/admin/billing/procedurecode/",
        "/admin/billing/payer/",
        "/admin/billing/payerrate/",
        "/admin/billing/remittance/",
        "/admin/billing/claimposting/",
        "/admin/practice/practice/",
        "/admin/practice/clinician/",
    ]
    return Practice(
        urls={
            "clinician": everyone,
            "biller": everyone + billing,
            "owner": everyone + billing + owner_lists + admin,
        },
        lists={
            "clinician": lists,
            "biller": lists + billing_lists,
            "owner": lists + billing_lists + owner_lists,
        },
    )


def log_in_as(page, live_server, role: str) -> None:
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill(role)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state("networkidle")
