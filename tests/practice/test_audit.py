"""The read audit (HIPAA 45 CFR 164.312(b)): every view, print and export of client
information records who, which clients and objects, what kind, when and from where; the
owner's audit screen; append-only records; retention."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
import time_machine
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from billing.services import claims_build
from practice.models import (
    AccessEvent,
    AccessEventClient,
    AccessKind,
    AppendOnlyError,
)
from tests import factories
from tests.billing.test_services import ready_session

pytestmark = pytest.mark.django_db

ADDRESS = "203.0.113.7"
TODAY = timezone.localdate()
RECENT = TODAY.replace(day=1) - datetime.timedelta(days=10)  # in last month: the summary


def _only_event() -> AccessEvent:
    (event,) = AccessEvent.objects.all()
    return event


def _clients(event: AccessEvent) -> set[int]:
    return set(event.client_links.values_list("client_id", flat=True))


@pytest.fixture
def insured(practice_row, clinician):
    return factories.CoverageFactory(client__primary_clinician=clinician).client


@pytest.fixture
def claim(insured):
    ready_session(insured, date=RECENT, clinician=insured.primary_clinician)
    return claims_build().claims[0]


def _get(client, user, url, params=None):
    client.force_login(user)
    return client.get(url, params or {}, REMOTE_ADDR=ADDRESS)


# --- each covered page records exactly one access ------------------------------------


def test_the_client_page_records_who_which_client_when_and_from_where(client, clinician_user):
    someone = factories.ClientFactory(primary_clinician=clinician_user.clinician)
    before = timezone.now()
    response = _get(client, clinician_user, reverse("practice:client_detail", args=[someone.pk]))
    assert response.status_code == 200
    event = _only_event()
    assert (event.user, event.username, event.kind) == (clinician_user, "clinician", "view")
    assert (event.what, event.object_type, event.object_ids) == ("Client page", "", [])
    assert _clients(event) == {someone.pk} and event.client_count == 1
    assert event.address == ADDRESS
    assert event.path == f"/practice/clients/{someone.pk}/"
    assert before <= event.at <= timezone.now()


def test_a_page_refused_as_404_records_nothing(client, other_clinician_user, clinician):
    someone = factories.ClientFactory(primary_clinician=clinician)
    url = reverse("practice:client_detail", args=[someone.pk])
    assert _get(client, other_clinician_user, url).status_code == 404
    assert not AccessEvent.objects.exists()


def test_the_session_page_and_edit_page_record_the_session_and_its_client(
    client, clinician_user, insured
):
    session = factories.SessionFactory(client=insured, clinician=clinician_user.clinician)
    _get(client, clinician_user, reverse("practice:session_detail", args=[session.pk]))
    client.get(reverse("practice:session_edit", args=[session.pk]), REMOTE_ADDR=ADDRESS)
    events = list(AccessEvent.objects.order_by("pk"))
    assert [e.what for e in events] == ["Session page", "Session edit page"]
    for event in events:
        assert (event.kind, event.object_type, event.object_ids) == (
            "view",
            "session",
            [session.pk],
        )
        assert _clients(event) == {insured.pk}


def test_the_client_edit_page_records_the_client(client, biller_user, insured):
    _get(client, biller_user, reverse("practice:client_edit", args=[insured.pk]))
    event = _only_event()
    assert (event.what, event.username, _clients(event)) == (
        "Client edit page",
        "biller",
        {insured.pk},
    )


def test_the_claim_page_records_the_claim_and_its_client(client, biller_user, claim):
    _get(client, biller_user, reverse("billing:claim_detail", args=[claim.pk]))
    event = _only_event()
    assert (event.kind, event.what) == ("view", "Claim page")
    assert (event.object_type, event.object_ids) == ("claim", [claim.pk])
    assert _clients(event) == {claim.client_id}


def test_a_cms1500_pdf_records_a_print_of_the_claim(client, biller_user, claim):
    response = _get(client, biller_user, reverse("billing:claim_cms1500", args=[claim.pk]))
    assert response["Content-Type"] == "application/pdf"
    event = _only_event()
    assert (event.kind, event.what, event.object_ids) == ("print", "CMS-1500 PDF", [claim.pk])
    assert _clients(event) == {claim.client_id}


def test_a_batch_of_cms1500s_records_one_access_with_every_client(client, owner_user, practice_row):
    clients = [factories.CoverageFactory().client for _ in range(3)]
    for someone in clients:
        ready_session(someone, date=RECENT)
    claims = claims_build().claims
    ids = ",".join(str(c.pk) for c in claims)
    _get(client, owner_user, reverse("billing:claims_cms1500_batch"), {"ids": ids})
    event = _only_event()
    assert event.kind == "print"
    assert event.object_ids == sorted(c.pk for c in claims)
    assert _clients(event) == {c.pk for c in clients} and event.client_count == 3
    assert AccessEventClient.objects.count() == 3


def test_a_superbill_and_its_form_record_the_client(client, biller_user, practice_row):
    someone = factories.ClientFactory(self_pay=True)
    ready_session(someone, date=RECENT)
    _get(client, biller_user, reverse("billing:superbill_form"), {"client": someone.pk})
    params = {"client": someone.pk, "start": RECENT.isoformat(), "end": TODAY.isoformat()}
    response = client.get(reverse("billing:superbill"), params, REMOTE_ADDR=ADDRESS)
    assert response.status_code == 200
    events = list(AccessEvent.objects.order_by("pk"))
    assert [(e.kind, e.what) for e in events] == [
        ("view", "Superbill form"),
        ("print", "Superbill PDF"),
    ]
    assert all(_clients(e) == {someone.pk} for e in events)


def test_a_superbill_refused_for_bad_dates_records_the_form_not_a_print(
    client, biller_user, practice_row
):
    someone = factories.ClientFactory(self_pay=True)
    params = {"client": someone.pk, "start": "2026-13-01", "end": "2026-01-01"}
    assert _get(client, biller_user, reverse("billing:superbill"), params).status_code == 400
    # The form shown again names the client; no PDF was made.
    event = _only_event()
    assert (event.kind, event.what) == ("view", "Superbill form")
    assert _clients(event) == {someone.pk}


@pytest.mark.parametrize(
    ("section", "params", "kind", "what"),
    [
        (True, {}, "view", "Claim summary"),
        (False, {"print": "1"}, "print", "Claim summary"),
        (False, {"format": "csv"}, "export", "Claim summary CSV"),
    ],
)
def test_the_claim_summary_records_every_client_and_claim_on_it(
    client, biller_user, practice_row, section, params, kind, what
):
    payer = factories.PayerFactory()
    clients = [factories.CoverageFactory(payer=payer).client for _ in range(4)]
    for someone in clients:
        ready_session(someone, date=RECENT)
    claims = claims_build().claims
    if section:
        # The totals page names no client and records nothing; a payer's page does.
        assert _get(client, biller_user, reverse("billing:summary"), {}).status_code == 200
        assert not AccessEvent.objects.exists()
        url = reverse("billing:summary_payer", args=[payer.pk])
    else:
        url = reverse("billing:summary")
    response = _get(client, biller_user, url, params)
    assert response.status_code == 200
    if response.streaming:
        b"".join(response.streaming_content)
    event = _only_event()
    assert (event.kind, event.what) == (kind, what)
    assert _clients(event) == {c.pk for c in clients}
    assert event.object_type == "claim" and event.object_ids == sorted(c.pk for c in claims)


def test_the_billing_health_report_records_the_clients_its_tables_name(client, owner_user, insured):
    # A ready session far past its payer's timely-filing limit: the report names the client.
    ready_session(insured, date=TODAY - datetime.timedelta(days=200))
    url = reverse("billing:report_health")
    _get(client, owner_user, url)
    client.get(url, {"format": "csv", "table": "timely_filing"}, REMOTE_ADDR=ADDRESS)
    page, export = AccessEvent.objects.order_by("pk")
    assert (page.kind, page.what) == ("view", "Report: Billing health")
    assert (export.kind, export.what) == ("export", "Report CSV: Billing health (timely_filing)")
    assert _clients(page) == _clients(export) == {insured.pk}


def test_a_report_csv_of_totals_records_an_export_without_clients(client, owner_user, insured):
    ready_session(insured, date=RECENT)
    response = _get(client, owner_user, reverse("billing:report_services"), {"format": "csv"})
    assert response.status_code == 200
    event = _only_event()
    assert (event.kind, event.what, event.client_count) == (
        "export",
        "Report CSV: Services by CPT code (monthly)",
        0,
    )


def test_a_report_page_of_totals_records_nothing(client, owner_user, insured):
    ready_session(insured, date=RECENT)
    assert _get(client, owner_user, reverse("billing:report_services")).status_code == 200
    assert not AccessEvent.objects.exists()


@pytest.mark.parametrize("view", ["change", "history"])
def test_admin_pages_of_a_client_or_session_record_an_admin_access(
    client, owner_user, insured, view
):
    session = factories.SessionFactory(client=insured)
    for model, pk in (("client", insured.pk), ("session", session.pk)):
        url = reverse(f"admin:practice_{model}_{view}", args=[pk])
        assert _get(client, owner_user, url).status_code == 200
    client_event, session_event = AccessEvent.objects.order_by("pk")
    assert client_event.kind == session_event.kind == "admin"
    assert _clients(client_event) == _clients(session_event) == {insured.pk}
    assert (session_event.object_type, session_event.object_ids) == ("session", [session.pk])


def test_the_address_behind_a_trusted_proxy_is_the_one_the_proxy_saw(
    client, clinician_user, settings
):
    settings.TRUSTED_PROXY_COUNT = 1
    someone = factories.ClientFactory(primary_clinician=clinician_user.clinician)
    client.force_login(clinician_user)
    client.get(
        reverse("practice:client_detail", args=[someone.pk]),
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_FORWARDED_FOR="10.9.9.9, 198.51.100.4",  # the first hop is the client's say
    )
    assert _only_event().address == "198.51.100.4"


def test_a_forged_forwarded_address_that_is_not_an_ip_records_none(
    client, clinician_user, settings
):
    settings.TRUSTED_PROXY_COUNT = 1
    someone = factories.ClientFactory(primary_clinician=clinician_user.clinician)
    client.force_login(clinician_user)
    response = client.get(
        reverse("practice:client_detail", args=[someone.pk]),
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_FORWARDED_FOR="'; DROP TABLE x; --",
    )
    assert response.status_code == 200
    assert _only_event().address is None


def test_without_a_trusted_proxy_a_forwarded_address_is_ignored(client, clinician_user):
    someone = factories.ClientFactory(primary_clinician=clinician_user.clinician)
    client.force_login(clinician_user)
    client.get(
        reverse("practice:client_detail", args=[someone.pk]),
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_FORWARDED_FOR="198.51.100.4",
    )
    assert _only_event().address == "127.0.0.1"


# --- the owner's audit screen ----------------------------------------------------------

AUDIT = "/practice/audit/"


@pytest.mark.parametrize("fixture", ["clinician_user", "biller_user"])
def test_only_the_owner_opens_the_audit_screen(client, request, fixture):
    client.force_login(request.getfixturevalue(fixture))
    assert client.get(AUDIT).status_code == 403
    assert client.get(AUDIT, {"format": "csv"}).status_code == 403
    assert b"/practice/audit/" not in client.get(reverse("practice:client_list")).content


def _access(user, clients, *, kind=AccessKind.VIEW, what="Client page", at=None):
    """An access as record_access writes it, dated ``at`` (now by default)."""
    event = AccessEvent.objects.create(
        at=at or timezone.now(),
        user=user,
        username=user.username,
        kind=kind,
        what=what,
        path="/somewhere/",
        address=ADDRESS,
        client_count=len(clients),
    )
    AccessEventClient.objects.bulk_create(
        AccessEventClient(event=event, client_id=c.pk) for c in clients
    )
    return event


@pytest.fixture
def history(owner_user, biller_user, clinician_user, practice_row):
    zoe = factories.ClientFactory(first_name="Zoë", last_name="O'Brien")
    max_ = factories.ClientFactory(first_name="Max", last_name="Mustermann")
    day = timezone.now() - datetime.timedelta(days=3)
    return {
        "zoe": zoe,
        "max": max_,
        "biller_zoe": _access(biller_user, [zoe], at=day),
        "clinician_max": _access(clinician_user, [max_]),
        "biller_both_csv": _access(
            biller_user, [zoe, max_], kind=AccessKind.EXPORT, what="Claim summary CSV"
        ),
    }


def _shown(response) -> set[int]:
    return {row["event"].pk for row in response.context["rows"]}


def test_the_owner_filters_by_user_client_kind_and_dates(client, owner_user, biller_user, history):
    client.force_login(owner_user)
    h = history
    assert _shown(client.get(AUDIT, {"user": biller_user.pk})) == {
        h["biller_zoe"].pk,
        h["biller_both_csv"].pk,
    }
    by_number = client.get(AUDIT, {"client": h["max"].account_number})
    assert _shown(by_number) == {h["clinician_max"].pk, h["biller_both_csv"].pk}
    assert _shown(client.get(AUDIT, {"client": "o’brien"})) == {
        h["biller_zoe"].pk,
        h["biller_both_csv"].pk,
    }
    assert _shown(client.get(AUDIT, {"kind": "export"})) == {h["biller_both_csv"].pk}
    today = timezone.localdate().isoformat()
    assert h["biller_zoe"].pk not in _shown(client.get(AUDIT, {"date_from": today}))
    three_days_ago = (timezone.localdate() - datetime.timedelta(days=3)).isoformat()
    only_then = client.get(AUDIT, {"date_from": three_days_ago, "date_to": three_days_ago})
    assert _shown(only_then) == {h["biller_zoe"].pk}


def test_bad_filters_show_a_message_not_an_error(client, owner_user, history):
    client.force_login(owner_user)
    response = client.get(AUDIT, {"date_from": "2026-02-30", "client": "C²", "page": "x"})
    assert response.status_code == 200
    # A NUL is refused before any page sees it (practice.middleware.RefuseMalformedMiddleware).
    assert client.get(AUDIT, {"client": "\x00"}).status_code == 400
    assert "Enter a valid date." in response.content.decode()
    for odd in ("9" * 30, "C²", "'; --", "x" * 500):
        assert client.get(AUDIT, {"client": odd, "user": "²"}).status_code == 200
    swapped = client.get(AUDIT, {"date_from": "2026-03-02", "date_to": "2026-03-01"})
    assert "The start date is after the end date." in swapped.content.decode()


def test_the_audit_screen_pages_fifty_at_a_time_in_a_fixed_number_of_queries(
    client, owner_user, clinician_user, practice_row, django_assert_max_num_queries
):
    someone = factories.ClientFactory()
    for _ in range(60):
        _access(clinician_user, [someone])
    client.force_login(owner_user)
    # Login session, user, role groups (owner check, then cached); savepoint pair; the
    # clinician row (menu); users for the filter; the count; the page of accesses; their
    # clients (one prefetch); recording this look (one insert, no clients); the idle-logout
    # session save (savepoint, update, release).
    with django_assert_max_num_queries(15):
        response = client.get(AUDIT, {"page": "2"})
    assert len(response.context["rows"]) == 10
    assert response.context["page"].paginator.count == 60


def test_the_owner_downloads_the_filtered_rows_as_csv(client, owner_user, biller_user, history):
    client.force_login(owner_user)
    response = client.get(AUDIT, {"user": biller_user.pk, "format": "csv"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "no-store" in response["Cache-Control"]
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:4] == ["When", "User", "Kind", "What"]
    assert len(rows) == 3
    by_what = {row[3]: row for row in rows[1:]}
    both = by_what["Claim summary CSV"]
    assert both[1:3] == ["biller", "export"]
    assert set(both[6].split()) == {str(history["zoe"].pk), str(history["max"].pk)}
    assert "O'Brien, Zoë" in both[7] and both[8] == ADDRESS


def test_looking_at_the_audit_is_recorded_too(client, owner_user, practice_row):
    client.force_login(owner_user)
    client.get(AUDIT, REMOTE_ADDR=ADDRESS)
    b"".join(client.get(AUDIT, {"format": "csv"}).streaming_content)
    assert list(AccessEvent.objects.order_by("pk").values_list("what", "kind")) == [
        ("Access audit", "view"),
        ("Access audit CSV", "export"),
    ]


def test_the_owner_sees_the_audit_link_in_the_menu(client, owner_user):
    client.force_login(owner_user)
    assert b'href="/practice/audit/"' in client.get(reverse("billing:dashboard")).content


# --- append-only ---------------------------------------------------------------------


def test_the_admin_shows_accesses_but_cannot_add_change_or_delete_them(client, owner_user, history):
    client.force_login(owner_user)
    event = history["biller_zoe"]
    change = reverse("admin:practice_accessevent_change", args=[event.pk])
    assert client.get(reverse("admin:practice_accessevent_changelist")).status_code == 200
    assert client.get(change).status_code == 200
    assert client.post(change, {"what": "nothing to see"}).status_code == 403
    delete = reverse("admin:practice_accessevent_delete", args=[event.pk])
    assert client.get(delete).status_code == 403
    assert client.post(delete, {"post": "yes"}).status_code == 403
    changelist = client.post(
        reverse("admin:practice_accessevent_changelist"),
        {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"},
    )
    assert changelist.status_code in {200, 302}
    event.refresh_from_db()
    assert event.what == "Client page"
    assert AccessEvent.objects.count() == 3


def test_the_models_refuse_to_change_or_delete_an_access(history):
    event = history["biller_zoe"]
    event.what = "changed"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AccessEvent.objects.filter(pk=event.pk).update(what="changed")
    with pytest.raises(AppendOnlyError):
        AccessEvent.objects.all().delete()
    with pytest.raises(AppendOnlyError):
        AccessEventClient.objects.all().delete()
    assert AccessEvent.objects.get(pk=event.pk).what == "Client page"


def test_the_database_refuses_to_update_an_access(history):
    event = history["biller_zoe"]
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE practice_accessevent SET what = 'x' WHERE id = %s", [event.pk])
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE practice_accesseventclient SET client_id = 0")
    assert AccessEvent.objects.get(pk=event.pk).what == "Client page"


# --- retention -----------------------------------------------------------------------


def test_pruning_deletes_only_what_is_older_than_the_retention_period(
    clinician_user, practice_row, settings
):
    settings.AUDIT_RETENTION_DAYS = 30
    someone = factories.ClientFactory()
    now = timezone.now()
    old = _access(clinician_user, [someone], at=now - datetime.timedelta(days=30, minutes=1))
    kept = _access(clinician_user, [someone], at=now - datetime.timedelta(days=29, hours=23))
    out = io.StringIO()
    with time_machine.travel(now, tick=False):
        call_command("prune_audit", "--dry-run", stdout=out)
        assert AccessEvent.objects.count() == 2
        call_command("prune_audit", stdout=out)
    assert "Would delete 1 access records" in out.getvalue()
    assert "Deleted 1 access records (kept 30 days" in out.getvalue()
    assert list(AccessEvent.objects.values_list("pk", flat=True)) == [kept.pk]
    assert not AccessEventClient.objects.filter(event_id=old.pk).exists()
    assert AccessEventClient.objects.filter(event_id=kept.pk).exists()


def test_the_default_retention_is_six_years(clinician_user, practice_row):
    someone = factories.ClientFactory()
    start = timezone.now()
    _access(clinician_user, [someone])
    with time_machine.travel(start + datetime.timedelta(days=6 * 365), tick=False):
        call_command("prune_audit", stdout=io.StringIO())
        assert AccessEvent.objects.count() == 1
    with time_machine.travel(start + datetime.timedelta(days=6 * 365 + 3), tick=False):
        call_command("prune_audit", stdout=io.StringIO())
        assert AccessEvent.objects.count() == 0
