"""Bare twins of the measured pages, for `make bench` only (served by bench/settings.py,
never by the product): each runs one SQL query for the same rows, in the same order, as
the product page shows by default to the biller, and renders them through a plain
template loop. The product's throughput against its twin's says what our templates,
forms and middleware cost (issue 14). tests/bench/test_twins.py keeps them honest: same
ids in the same order as the product page.

    /bench-twin/sessions/            /practice/sessions/            (first page, 50)
    /bench-twin/clients/             /practice/clients/             (active, first 50)
    /bench-twin/claims/              /billing/claims/               (newest first, 50)
    /bench-twin/remittances/         /billing/remittances/          (newest first, 50)
    /bench-twin/summary/?start&end   /billing/summary/?start&end    (totals per payer)
    /bench-twin/summary/payer/<id>/  /billing/summary/payer/<id>/   (that payer's lines)
"""

from __future__ import annotations

import datetime
import json

from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.models import User
from django.db.models import Count, F, Min, OuterRef, Q, Subquery, Sum
from django.http import HttpRequest, HttpResponse
from django.template import Context, Template
from django.urls import include, path

from billing.forms import LIVE_STATUSES
from billing.models import Claim, ClaimLine, Remittance
from practice.models import Client, ServiceLine, Session

PAGE = 50
TABLE = Template(
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{{ title }}'
    "</title></head><body><h1>{{ title }}</h1><table>"
    "{% for row in rows %}<tr>{% for cell in row %}<td>{{ cell }}</td>{% endfor %}</tr>"
    "{% endfor %}</table></body></html>"
)


def _table(title: str, rows: list) -> HttpResponse:
    return HttpResponse(TABLE.render(Context({"title": title, "rows": rows})))


def sessions(request: HttpRequest) -> HttpResponse:
    # Each row's charges by a subquery: summing over a join would group every session of
    # the practice before the page is cut (seconds at the large demo, not the page's cost).
    charge = (
        ServiceLine.objects.filter(session=OuterRef("pk"))
        .order_by()
        .values("session")
        .annotate(total=Sum("charge"))
        .values("total")
    )
    rows = list(
        # The list's keyset order (practice/views/sessions.py): sessions without a start
        # time first within their date, on SQLite as on PostgreSQL.
        Session.objects.order_by(
            F("date").desc(), F("start_time").desc(nulls_first=True), F("pk").desc()
        )
        .annotate(charge=Subquery(charge))
        .values_list(
            "pk",
            "date",
            "start_time",
            "status",
            "client__last_name",
            "client__first_name",
            "clinician__last_name",
            "charge",
        )[:PAGE]
    )
    return _table("Sessions", rows)


def clients(request: HttpRequest) -> HttpResponse:
    rows = list(
        Client.objects.filter(active=True)
        .order_by("last_name", "first_name", "pk")
        .values_list(
            "pk", "last_name", "first_name", "date_of_birth", "primary_clinician__last_name"
        )[:PAGE]
    )
    return _table("Clients", rows)


def claims(request: HttpRequest) -> HttpResponse:
    rows = list(
        Claim.objects.order_by("-created_at", "-pk").values_list(
            "pk",
            "control_number",
            "status",
            "payer__name",
            "client__last_name",
            "client__first_name",
            "total_charge",
            "created_at",
        )[:PAGE]
    )
    return _table("Claims", rows)


def remittances(request: HttpRequest) -> HttpResponse:
    rows = list(
        Remittance.objects.order_by("-imported_at", "-pk").values_list(
            "pk", "payer__name", "trace_number", "payment_date", "amount", "imported_at"
        )[:PAGE]
    )
    return _table("Remittances", rows)


def _month(request: HttpRequest) -> tuple[datetime.date, datetime.date]:
    return (
        datetime.date.fromisoformat(request.GET["start"]),
        datetime.date.fromisoformat(request.GET["end"]),
    )


def _lines(start: datetime.date, end: datetime.date):
    return ClaimLine.objects.filter(
        date_of_service__gte=start,
        date_of_service__lte=end,
        claim__status__in=LIVE_STATUSES,
    ).exclude(claim__frequency=Claim.Frequency.VOID)


def summary(request: HttpRequest) -> HttpResponse:
    start, end = _month(request)
    rows = list(
        _lines(start, end)
        .values_list("claim__payer_id", "claim__payer__name")
        .annotate(
            claims=Count("claim_id", distinct=True),
            lines=Count("pk"),
            charge=Sum("charge"),
            allowed=Sum("expected_allowed"),
            without_rate=Count("pk", filter=Q(expected_allowed__isnull=True)),
        )
        .order_by("claim__payer__name", "claim__payer_id")
    )
    return _table("Claim summary", rows)


def summary_payer(request: HttpRequest, payer_id: int) -> HttpResponse:
    """The payer's in-range lines, claim after claim in the product's order: client by
    name, the claim's first in-range date of service (a correlated subquery, still one
    statement), the claim, the line's position."""
    start, end = _month(request)
    first_service = (
        ClaimLine.objects.filter(claim_id=OuterRef("claim_id"), date_of_service__range=(start, end))
        .order_by()
        .values("claim_id")
        .annotate(first=Min("date_of_service"))
        .values("first")
    )
    rows = list(
        _lines(start, end)
        .filter(claim__payer_id=payer_id)
        .annotate(first_service=Subquery(first_service))
        .order_by(
            "claim__client__last_name",
            "claim__client__first_name",
            "claim__client_id",
            "first_service",
            "claim_id",
            "position",
        )
        .values_list(
            "claim_id",
            "claim__control_number",
            "claim__client__last_name",
            "claim__client__first_name",
            "date_of_service",
            "procedure_code",
            "units",
            "charge",
            "expected_allowed",
        )
    )
    return _table("Claim summary, one payer", rows)


@login_not_required
def sign_in(request: HttpRequest, username: str) -> HttpResponse:
    """The load client's session: the bench server only, on 127.0.0.1. The twins
    themselves run behind the same middleware as the product (login required)."""
    login(request, User.objects.get(username=username), "django.contrib.auth.backends.ModelBackend")
    return HttpResponse("signed in")


@login_not_required
def params(request: HttpRequest) -> HttpResponse:
    """The month bench/measure.py times (the last full month of sessions) and its busiest
    payer."""
    latest = Session.objects.order_by("-date").values_list("date", flat=True).first()
    end = latest.replace(day=1) - datetime.timedelta(days=1)
    start = end.replace(day=1)
    busiest = (
        ClaimLine.objects.filter(date_of_service__range=(start, end))
        .values("claim__payer_id")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .values_list("claim__payer_id", flat=True)
        .first()
    )
    return HttpResponse(
        json.dumps({"start": str(start), "end": str(end), "payer": busiest}),
        content_type="application/json",
    )


twins = [
    path("sessions/", sessions),
    path("clients/", clients),
    path("claims/", claims),
    path("remittances/", remittances),
    path("summary/", summary),
    path("summary/payer/<int:payer_id>/", summary_payer),
    path("sign-in/<str:username>/", sign_in),
    path("params/", params),
]
urlpatterns = [path("bench-twin/", include(twins)), path("", include("practice.urls"))]
