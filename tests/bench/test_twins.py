"""The bench's bare twins (bench/twins.py) show the same rows, in the same order, as the
product pages they are measured against, on a small demo practice: otherwise the
project-to-twin ratio of `make bench` would compare different work. No timings here."""

from __future__ import annotations

import datetime
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import override_settings

pytestmark = pytest.mark.django_db

UNTIL = datetime.date(2026, 10, 31)
DEMO = ["--clinicians", "4", "--clients", "60", "--months", "3", "--seed", "3"]
DEMO += ["--until", UNTIL.isoformat()]


def _rows(response) -> list[tuple]:
    assert response.status_code == 200
    return list(response.context["rows"])


@pytest.fixture
def demo(client):
    call_command("demo", *DEMO, stdout=StringIO())
    client.force_login(User.objects.get(username="biller"))
    return client


def test_each_twin_shows_the_product_pages_rows_in_its_order(demo):
    product = {
        "sessions": [s.pk for s in demo.get("/practice/sessions/").context["sessions"]],
        "clients": [c.pk for c in demo.get("/practice/clients/").context["clients"]],
        "claims": [c.pk for c in demo.get("/billing/claims/").context["claims"]],
        "remittances": [r.pk for r in demo.get("/billing/remittances/").context["remittances"]],
    }
    params = None
    with override_settings(ROOT_URLCONF="bench.twins"):
        twin = {
            name: [row[0] for row in _rows(demo.get(f"/bench-twin/{name}/"))] for name in product
        }
        params = demo.get("/bench-twin/params/").json()
        month = {"start": params["start"], "end": params["end"]}
        twin_totals = _rows(demo.get("/bench-twin/summary/", month))
        twin_lines = _rows(demo.get(f"/bench-twin/summary/payer/{params['payer']}/", month))
    for name, ids in product.items():
        # A full first page (the demo's few remittances: all of them) puts the order to
        # the test.
        assert len(ids) == 50 or (name == "remittances" and len(ids) > 1), name
        assert twin[name] == ids, name

    totals = demo.get("/billing/summary/", month).context["summary"]
    assert [(g.payer.pk, g.claim_count, g.lines, g.charge) for g in totals.payers] == [
        (row[0], row[2], row[3], row[4]) for row in twin_totals
    ]
    assert len(totals.payers) > 1
    group = demo.get(f"/billing/summary/payer/{params['payer']}/", month).context["group"]
    product_lines = [(c.pk, line.pk) for c in group.claims for line in c.summary_lines]
    assert len(product_lines) > 10
    assert [row[0] for row in twin_lines] == [claim for claim, _line in product_lines]
    assert [(row[4], row[5]) for row in twin_lines] == [
        (line.date_of_service, line.procedure_code)
        for c in group.claims
        for line in c.summary_lines
    ]


def test_the_twins_are_not_in_the_product(client, biller_user):
    client.force_login(biller_user)
    assert client.get("/bench-twin/sessions/").status_code == 404
