"""A session's ``line_charges``: the sum of its service lines' charges (None without lines),
kept by the database (migration practice 0015) whatever writes the lines, on SQLite and
PostgreSQL. Each test changes lines one way and compares every session's stored figure
with the sum computed from its lines."""

from __future__ import annotations

import datetime
import importlib
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Sum
from django.test import Client as Browser
from django.urls import reverse

from billing.models import Claim, ProcedureCode
from billing.services import claim_correct, claim_submit, claim_void, claims_build
from practice import bulk, roles
from practice import services as session_services
from practice.models import ServiceLine, Session
from tests import factories
from tests.billing.test_services import ready_session
from tests.html_forms import form_data

pytestmark = pytest.mark.django_db

MIGRATION = importlib.import_module("practice.migrations.0015_session_line_charges")


def stored_and_live() -> dict[int, tuple[Decimal | None, Decimal | None]]:
    """Every session's (stored, live) charges."""
    return {
        pk: (stored, live)
        for pk, stored, live in Session.objects.annotate(live=Sum("lines__charge")).values_list(
            "pk", "line_charges", "live"
        )
    }


def assert_kept() -> dict[int, Decimal | None]:
    both = stored_and_live()
    assert both, "no sessions: the test proves nothing"
    wrong = {pk: pair for pk, pair in both.items() if pair[0] != pair[1]}
    assert not wrong, f"(stored, live) differ: {wrong}"
    return {pk: stored for pk, (stored, _) in both.items()}


def line(code: str = "90837", charge: str = "150.00", units: int = 1):
    return session_services.PlannedLine(
        procedure=ProcedureCode.objects.get(code=code),
        modifiers=(),
        units=units,
        pointers="A",
        charge=Decimal(charge),
        place_of_service="11",
    )


@pytest.fixture
def insured(practice_row):
    return factories.CoverageFactory().client


@pytest.fixture
def session(insured):
    """A ready session with one 90837 line of 160.00 (the factory's charge)."""
    return ready_session(insured)


def test_a_session_without_lines_has_none_and_one_line_its_charge(insured, session):
    bare = factories.SessionFactory(client=insured)
    assert assert_kept()[bare.pk] is None
    assert assert_kept()[session.pk] == Decimal("160.00")


def test_lines_written_one_at_a_time_added_changed_moved_and_deleted(insured, session):
    other = factories.SessionFactory(client=insured)
    second = factories.ServiceLineFactory(session=session, position=2, charge=Decimal("40.10"))
    assert assert_kept()[session.pk] == Decimal("200.10")

    second.charge = Decimal("0.20")
    second.save()
    assert assert_kept()[session.pk] == Decimal("160.20")

    second.session = other
    second.save()
    kept = assert_kept()
    assert (kept[session.pk], kept[other.pk]) == (Decimal("160.00"), Decimal("0.20"))

    second.delete()
    assert assert_kept()[other.pk] is None


def test_the_session_form_saves_edits_and_empties_lines(insured, session):
    diagnoses = [link.diagnosis for link in session.session_diagnoses.all()]
    session.refresh_from_db()
    session_services.session_save(
        session=session,
        diagnoses=diagnoses,
        lines=[line("90834", "120.00"), line("90785", "15.55")],
        user=None,
    )
    assert assert_kept()[session.pk] == Decimal("135.55")

    session_services.session_save(
        session=session, diagnoses=diagnoses, lines=[line("90832", "80.00")], user=None
    )
    assert assert_kept()[session.pk] == Decimal("80.00")

    session_services.session_set_status(session=session, status=Session.Status.NO_SHOW, user=None)
    assert assert_kept()[session.pk] is None

    new = Session(
        client=insured,
        clinician=insured.primary_clinician,
        date=datetime.date(2026, 10, 6),
        minutes=53,
        place_of_service=session.place_of_service,
    )
    session_services.session_save(
        session=new, diagnoses=diagnoses, lines=[line("90837", "175.25")], user=None
    )
    assert assert_kept()[new.pk] == Decimal("175.25")


def test_bulk_writes_updates_deletes_and_raw_sql(insured, session):
    """bulk_create, practice.bulk.insert_rows (COPY on PostgreSQL from ``copy_from`` rows),
    a queryset's update and delete, and SQL written by hand."""
    sessions = [factories.SessionFactory(client=insured) for _ in range(3)]
    procedure = ProcedureCode.objects.get(code="90837")
    ServiceLine.objects.bulk_create(
        [ServiceLine(session=sessions[0], position=1, procedure=procedure, charge=Decimal("1.11"))]
    )
    names = ["session_id", "position", "procedure_id", "units", "charge", "diagnosis_pointers"]
    names += ["modifier_1", "modifier_2", "modifier_3", "modifier_4"]
    rows = [
        (s.pk, p, procedure.pk, 1, Decimal("2.22"), "A", "", "", "", "")
        for s in sessions[1:]
        for p in (1, 2)
    ]
    bulk.insert_rows(ServiceLine, names, rows, copy_from=2)
    kept = assert_kept()
    assert [kept[s.pk] for s in sessions] == [Decimal("1.11"), Decimal("4.44"), Decimal("4.44")]

    ServiceLine.objects.filter(session__in=sessions).update(charge=Decimal("3.00"))
    kept = assert_kept()
    assert [kept[s.pk] for s in sessions] == [Decimal("3.00"), Decimal("6.00"), Decimal("6.00")]

    ServiceLine.objects.filter(session=sessions[1], position=1).update(
        session=sessions[0], position=9
    )
    ServiceLine.objects.filter(session=sessions[2], position=2).delete()
    kept = assert_kept()
    assert [kept[s.pk] for s in sessions] == [Decimal("6.00"), Decimal("3.00"), Decimal("3.00")]

    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE practice_serviceline SET charge = charge + 0.01 WHERE session_id = %s",
            [session.pk],
        )
        cursor.execute("DELETE FROM practice_serviceline WHERE session_id = %s", [sessions[2].pk])
    kept = assert_kept()
    assert (kept[session.pk], kept[sessions[2].pk]) == (Decimal("160.01"), None)


def test_a_stale_copy_in_memory_is_never_written(session):
    """A session read before its lines changed and saved after keeps its lines' sum; so
    does one that asks for another figure, or is created with one."""
    stale = Session.objects.get(pk=session.pk)
    factories.ServiceLineFactory(session=session, position=2, charge=Decimal("10.00"))
    stale.note = "saved from an old page"
    stale.save()
    assert assert_kept()[session.pk] == Decimal("170.00")

    Session.objects.filter(pk=session.pk).update(line_charges=Decimal("1.00"))
    assert assert_kept()[session.pk] == Decimal("170.00")

    stale.pk = None
    stale._state.adding = True
    stale.line_charges = Decimal("170.00")
    stale.save()
    assert assert_kept()[stale.pk] is None


def test_claims_built_corrected_and_voided(insured, session):
    """A claim's life moves its sessions' statuses (billed, ready again, billed) and the
    correction rewrites the session's line; the stored sum follows the lines throughout."""
    (claim,) = claims_build().claims
    claim = claim_submit(claim=claim)
    assert assert_kept()[session.pk] == Decimal("160.00")

    claim_correct(claim=claim, reason="45 minutes", payer_claim_number="P-1")
    session.refresh_from_db()
    assert session.status == Session.Status.READY
    diagnoses = [link.diagnosis for link in session.session_diagnoses.all()]
    session_services.session_save(
        session=session, diagnoses=diagnoses, lines=[line("90834", "120.00")], user=None
    )
    assert assert_kept()[session.pk] == Decimal("120.00")

    claim.refresh_from_db()
    claim_void(claim=claim, reason="not our client")
    assert Claim.objects.filter(frequency=Claim.Frequency.VOID).exists()
    assert assert_kept()[session.pk] == Decimal("120.00")


def test_the_admin_adds_changes_and_deletes_lines(insured, session):
    owner = Browser()
    owner.force_login(factories.UserFactory(username="owner", role=roles.OWNER))
    session.status = Session.Status.DRAFT
    session.save()
    url = reverse("admin:practice_session_change", args=[session.pk])
    data = form_data(owner.get(url).content, form_id="session_form")
    (first,) = session.lines.all()
    data.update(
        {
            "lines-0-charge": "99.99",
            "lines-TOTAL_FORMS": "2",
            "lines-1-position": "2",
            "lines-1-procedure": str(ProcedureCode.objects.get(code="90785").pk),
            "lines-1-units": "1",
            "lines-1-charge": "12.01",
            "lines-1-diagnosis_pointers": "A",
            "lines-1-session": str(session.pk),
        }
    )
    response = owner.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert assert_kept()[session.pk] == Decimal("112.00")

    data = form_data(owner.get(url).content, form_id="session_form")
    data[f"lines-{[*session.lines.values_list('pk', flat=True)].index(first.pk)}-DELETE"] = "on"
    assert owner.post(url, data).status_code == 302
    assert assert_kept()[session.pk] == Decimal("12.01")


def test_the_migration_fills_every_session_with_lines(insured, session):
    """The backfill of rows written before the column existed (emptied, as the new column
    comes, with the triggers dropped; then the migration's own forward step again): every
    session with lines gets its sum, open or billed; one without lines keeps None."""
    bare = factories.SessionFactory(client=insured)
    factories.ServiceLineFactory(session=session, position=2, charge=Decimal("0.01"))
    billed = ready_session(insured, date=datetime.date(2026, 9, 7))
    Session.objects.filter(pk=billed.pk).update(status=Session.Status.BILLED)

    class Editor:
        pass

    editor = Editor()
    editor.connection = connection
    MIGRATION.stop_keeping_line_charges(None, editor)
    Session.objects.update(line_charges=None)
    assert stored_and_live()[session.pk] == (None, Decimal("160.01"))
    MIGRATION.keep_line_charges(None, editor)

    both = stored_and_live()
    assert (both[session.pk], both[bare.pk]) == ((Decimal("160.01"),) * 2, (None, None))
    assert both[billed.pk] == (Decimal("160.00"),) * 2
    ServiceLine.objects.filter(session=session).update(charge=Decimal("1.00"))
    assert assert_kept()[session.pk] == Decimal("2.00")  # kept again
