from __future__ import annotations

from django.db.models import Count, OuterRef, Q, Subquery, Sum
from django.shortcuts import render

from billing.models import Claim
from billing.services import billable
from practice.models import ServiceLine, Session
from practice.roles import billing_staff_only

SETTLED_CLAIM_STATUSES = [
    Claim.Status.PAID,
    Claim.Status.CLOSED,
    Claim.Status.VOID,
    Claim.Status.REPLACED,
    Claim.Status.DISCARDED,
]
# Said as the statuses counted, not those left out: an index reads a list of values, while
# NOT IN reads every claim the practice ever made.
OPEN_CLAIM_STATUSES = [s for s in Claim.Status.values if s not in SETTLED_CLAIM_STATUSES]


@billing_staff_only
def dashboard(request):
    """Where a biller starts: the work still open. Settled sessions and paid or dead
    claims are history (see reports), and counting them would read the whole ledger."""
    # Each session's charges by a subquery on the lines' session index: a join would read
    # every line of the practice's history to keep the few of open sessions.
    charges = (
        ServiceLine.objects.filter(session=OuterRef("pk"))
        .order_by()
        .values("session")
        .annotate(charges=Sum("charge"))
        .values("charges")
    )
    by_status = (
        Session.objects.filter(status__in=[Session.Status.DRAFT, Session.Status.READY])
        .values("status")
        .annotate(count=Count("pk"), charges=Sum(Subquery(charges)))
        .order_by("status")
    )
    labels = dict(Session.Status.choices)
    rows = [{**row, "label": labels.get(row["status"], row["status"])} for row in by_status]
    claim_labels = dict(Claim.Status.choices)
    order = list(claim_labels)
    claim_rows = sorted(
        (
            {**row, "label": claim_labels.get(row["status"], row["status"])}
            for row in Claim.objects.filter(status__in=OPEN_CLAIM_STATUSES)
            .values("status")
            .annotate(count=Count("pk"), charges=Sum("total_charge"))
            .order_by()
        ),
        key=lambda row: order.index(row["status"]) if row["status"] in order else len(order),
    )
    # Ready sessions that a claim build would take. The "Ready to bill" row counts every
    # ready session; the difference is said on the page: self-pay clients' sessions go on
    # superbills, and a session being corrected goes on its claim's replacement.
    ready_all = next((row["count"] for row in rows if row["status"] == Session.Status.READY), 0)
    counts = Session.objects.filter(status=Session.Status.READY).aggregate(
        billable=Count("pk", filter=billable()),
        self_pay=Count("pk", filter=Q(client__self_pay=True)),
    )
    ready, self_pay = counts["billable"], counts["self_pay"]
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
