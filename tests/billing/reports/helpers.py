"""Shared by the report tests: dates, the session maker and CSV/table readers."""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal
from zoneinfo import ZoneInfo

from billing.models import ProcedureCode
from billing.views.reports.tables import Table
from practice.models import Session
from tests import factories

NEW_YORK = ZoneInfo("America/New_York")
TODAY = datetime.date(2026, 2, 15)
D = datetime.date
REPORT_URLS = [
    "billing:reports",
    "billing:report_services",
    "billing:report_revenue",
    "billing:report_mix",
    "billing:report_health",
    "billing:report_aging",
    "billing:report_denials",
    "billing:report_collections",
]


def session(client, day, *lines, clinician=None, status=Session.Status.BILLED, **kw):
    """A session with service lines given as (code, units, charge) tuples."""
    made = factories.SessionFactory(
        client=client,
        clinician=clinician or client.primary_clinician,
        date=day,
        status=status,
        **kw,
    )
    for position, (code, units, charge) in enumerate(lines, start=1):
        factories.ServiceLineFactory(
            session=made,
            position=position,
            procedure=ProcedureCode.objects.get(code=code),
            units=units,
            charge=Decimal(charge),
        )
    return made


def csv_of(response) -> list[list[str]]:
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode())))


def table_of(response, name: str) -> Table:
    for section in response.context["sections"]:
        for table in section.tables:
            if table.name == name:
                return table
    raise AssertionError(f"no table {name}")


NOV_TO_JAN = {"date_from": "2025-11-01", "date_to": "2026-01-31"}
