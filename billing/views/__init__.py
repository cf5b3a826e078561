from __future__ import annotations

from django.db.models import Count, Sum
from django.shortcuts import render

from billing.models import Claim
from billing.services import billable_sessions
from practice.models import Session
from practice.roles import billing_staff_only

SETTLED_CLAIM_STATUSES = [
    Claim.Status.PAID,
    Claim.Status.CLOSED,
    Claim.Status.VOID,
    Claim.Status.REPLACED,
    Claim.Status.DISCARDED,
]


@billing_staff_only
def dashboard(request):
    """Where a biller starts: the work still open. Settled sessions and paid or dead
    claims are history (see reports), and counting them would read the whole ledger."""
    by_status = (
        Session.objects.filter(status__in=[Session.Status.DRAFT, Session.Status.READY])
        .values("status")
        .annotate(count=Count("pk", distinct=True), charges=Sum("lines__charge"))
        .order_by("status")
    )
    labels = dict(Session.Status.choices)
    rows = [{**row, "label": labels.get(row["status"], row["status"])} for row in by_status]
    claim_labels = dict(Claim.Status.choices)
    order = list(claim_labels)
    claim_rows = sorted(
        (
            {**row, "label": claim_labels.get(row["status"], row["status"])}
            for row in Claim.objects.exclude(status__in=SETTLED_CLAIM_STATUSES)
            .values("status")
            .annotate(count=Count("pk"), charges=Sum("total_charge"))
            .order_by()
        ),
        key=lambda row: order.index(row["status"]) if row["status"] in order else len(order),
    )
    # Ready sessions that a claim build would take. The "Ready to bill" row counts every
    # ready session; the difference is said on the page: self-pay clients' sessions go on
    # superbills, and a session being corrected goes on its claim's replacement.
    ready = billable_sessions().count()
    ready_all = next((row["count"] for row in rows if row["status"] == Session.Status.READY), 0)
    self_pay = (
        Session.objects.billable().filter(client__self_pay=True).count() if ready_all > ready else 0
    )
    return render(
        request,
        "billing/dashboard.html",
        {
            "rows": rows,
            "claim_rows": claim_rows,
            "ready_sessions": ready,
            "ready_all": ready_all,
            "ready_self_pay": self_pay,
            "ready_corrections": ready_all - ready - self_pay,
        },
    )
