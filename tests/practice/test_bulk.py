"""practice.bulk: rows inserted by COPY on PostgreSQL are the rows bulk_create writes, from
model instances (``bulk_insert``) or from tuples of values (``insert_rows``)."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from billing.models import Claim, ClaimDiagnosis
from practice.bulk import analyze, bulk_insert, indexes_built_after, insert_rows
from practice.models import ServiceLine, Session
from tests import factories

pytestmark = pytest.mark.django_db


def _claim(client, coverage, clinician, number: str) -> Claim:
    return Claim(
        control_number=number,
        client=client,
        coverage=coverage,
        payer=coverage.payer,
        rendering=clinician,
        parties={"patient": {"last_name": "Okafor", "first_name": "Ada"}},
        total_charge="150.00",
    )


def test_inserted_objects_get_their_ids_and_read_back_as_written(practice_row):
    coverage = factories.CoverageFactory()
    clinician = factories.ClinicianFactory()
    claims = [_claim(coverage.client, coverage, clinician, f"SLTEST{n}") for n in range(3)]
    inserted = bulk_insert(Claim, claims, copy_from=1)
    assert [c.pk for c in inserted] == sorted({c.pk for c in inserted})
    assert all(c.pk and not c._state.adding for c in inserted)
    stored = Claim.objects.get(pk=inserted[1].pk)
    assert stored.control_number == "SLTEST1"
    assert stored.parties["patient"]["last_name"] == "Okafor"
    assert str(stored.total_charge) == "150.00"
    assert stored.created_at is not None and stored.version == 1
    assert stored.status == Claim.Status.DRAFT
    # The ids work as foreign keys straight away.
    bulk_insert(
        ClaimDiagnosis,
        [ClaimDiagnosis(claim=inserted[0], position=1, code="F41.1")],
        copy_from=1,
    )
    assert inserted[0].diagnoses.get().code == "F41.1"


def test_a_refused_row_raises_the_integrity_error_and_inserts_nothing(practice_row):
    coverage = factories.CoverageFactory()
    clinician = factories.ClinicianFactory()
    twins = [_claim(coverage.client, coverage, clinician, "SLTWIN") for _ in range(2)]
    with pytest.raises(IntegrityError), transaction.atomic():
        bulk_insert(Claim, twins, copy_from=1)
    assert not Claim.objects.filter(control_number="SLTWIN").exists()


def test_a_few_rows_are_one_insert_and_many_rows_a_copy(practice_row, django_assert_num_queries):
    from django.db import connection

    coverage = factories.CoverageFactory()
    clinician = factories.ClinicianFactory()
    few = [_claim(coverage.client, coverage, clinician, f"SLFEW{n}") for n in range(2)]
    with django_assert_num_queries(1):
        bulk_insert(Claim, few)
    many = [_claim(coverage.client, coverage, clinician, f"SLMANY{n}") for n in range(120)]
    if connection.vendor == "postgresql":
        with django_assert_num_queries(2) as ctx:  # the ids, then one COPY
            bulk_insert(Claim, many)
        assert ctx.captured_queries[-1]["sql"].startswith("COPY")
    else:
        bulk_insert(Claim, many)
    assert Claim.objects.filter(control_number__startswith="SLMANY").count() == 120


def _diagnosis_rows(claims: list[Claim]) -> list[tuple]:
    return [(claim.pk, 1, "F41.1") for claim in claims] + [
        (claim.pk, 2, "Z63.0") for claim in claims
    ]


@pytest.mark.parametrize("copy_from", [1, 10_000])  # COPY on PostgreSQL, or one INSERT
def test_rows_of_values_get_their_ids_in_order_and_read_back_as_written(practice_row, copy_from):
    coverage = factories.CoverageFactory()
    clinician = factories.ClinicianFactory()
    claims = bulk_insert(
        Claim, [_claim(coverage.client, coverage, clinician, f"SLROW{n}") for n in range(3)]
    )
    rows = _diagnosis_rows(claims)
    ids = insert_rows(ClaimDiagnosis, ("claim_id", "position", "code"), rows, copy_from=copy_from)
    assert len(ids) == 6 and ids == sorted(set(ids))
    stored = dict(ClaimDiagnosis.objects.values_list("pk", "claim_id"))
    assert [stored[pk] for pk in ids] == [row[0] for row in rows]
    assert (
        list(
            ClaimDiagnosis.objects.filter(pk__in=ids)
            .order_by("pk")
            .values_list("claim_id", "position", "code")
        )
        == rows
    )
    # Rows nothing points at need no ids: the table's own default draws them.
    more = [(claim.pk, 3, "F43.23") for claim in claims]
    assert insert_rows(ClaimDiagnosis, ("claim_id", "position", "code"), more, ids=False) == []
    assert ClaimDiagnosis.objects.filter(code="F43.23").count() == 3


def test_a_refused_row_of_values_raises_the_integrity_error_and_inserts_nothing(practice_row):
    coverage = factories.CoverageFactory()
    claim = bulk_insert(
        Claim, [_claim(coverage.client, coverage, factories.ClinicianFactory(), "SLONE")]
    )[0]
    twice = [(claim.pk, 1, "F41.1"), (claim.pk, 1, "F41.9")]  # one position twice
    for ids in (True, False):
        with pytest.raises(IntegrityError), transaction.atomic():
            insert_rows(
                ClaimDiagnosis, ("claim_id", "position", "code"), twice, ids=ids, copy_from=1
            )
    assert not ClaimDiagnosis.objects.exists()


def test_rows_of_values_are_one_insert_or_a_copy(practice_row, django_assert_num_queries):
    from django.db import connection

    coverage = factories.CoverageFactory()
    clinician = factories.ClinicianFactory()
    claims = bulk_insert(
        Claim, [_claim(coverage.client, coverage, clinician, f"SLMANY{n}") for n in range(60)]
    )
    names = ("claim_id", "position", "code")
    with django_assert_num_queries(1):
        insert_rows(ClaimDiagnosis, names, _diagnosis_rows(claims[:2]))
    many = _diagnosis_rows(claims[2:])  # 116 rows
    copies = connection.vendor == "postgresql"
    with django_assert_num_queries(2 if copies else 1) as ctx:  # the ids, then one COPY
        insert_rows(ClaimDiagnosis, names, many)
    assert ctx.captured_queries[-1]["sql"].startswith("COPY") == copies
    assert ClaimDiagnosis.objects.count() == 120


def test_among_finds_the_rows_in_finds_with_one_array_parameter_on_postgresql(
    django_assert_num_queries,
):
    sessions = [factories.SessionFactory() for _ in range(3)]
    lines = [factories.ServiceLineFactory(session=session) for session in sessions]
    wanted = [sessions[0].pk, sessions[2].pk, sessions[2].pk, None]
    found = Session.objects.filter(pk__among=wanted).order_by("pk")
    assert list(found) == [sessions[0], sessions[2]]
    by_key = ServiceLine.objects.filter(session_id__among=wanted).order_by("pk")
    assert list(by_key) == [lines[0], lines[2]]
    assert not Session.objects.filter(pk__among=[]).exists()
    assert Session.objects.exclude(pk__among=[sessions[1].pk]).count() == 2
    sql, params = Session.objects.filter(pk__among=wanted).query.sql_with_params()
    if connection.vendor == "postgresql":
        assert "= ANY(%s::bigint[])" in sql
        assert params == ([sessions[0].pk, sessions[2].pk, sessions[2].pk],)  # None left out
    else:
        assert " IN (" in sql


@pytest.mark.postgres
def test_analyze_in_a_transaction_gives_statistics_on_the_rows_it_wrote():
    sessions = [factories.SessionFactory() for _ in range(5)]

    def stats() -> tuple[float, int]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT c.reltuples, (SELECT count(*) FROM pg_stats s WHERE "
                "s.schemaname = 'public' AND s.tablename = c.relname) FROM pg_class c "
                "WHERE c.oid = %s::regclass",
                [Session._meta.db_table],
            )
            return cursor.fetchone()

    assert stats()[1] == 0  # no statistics (an earlier test's rolled back with it)
    analyze([Session])  # uncommitted: the test's own transaction
    reltuples, columns = stats()
    assert reltuples == len(sessions)
    assert columns > 0
    with pytest.raises(ValueError, match="VACUUM"):
        analyze([Session], vacuum=True)


def test_analyze_does_nothing_off_postgresql(django_assert_num_queries):
    if connection.vendor == "postgresql":
        pytest.skip("SQLite and others only")
    with django_assert_num_queries(0):
        analyze([Session], vacuum=True)


def _indexes(table: str) -> list[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s ORDER BY 1",
            [table],
        )
        return cursor.fetchall()


@pytest.mark.postgres
def test_indexes_built_after_a_load_come_back_as_they_were():
    table = Session._meta.db_table
    before = _indexes(table)
    with connection.cursor() as cursor:  # as the demo: no key checks left pending
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    with indexes_built_after([Session]):
        during = dict(_indexes(table))
        factories.SessionFactory()
    assert _indexes(table) == before
    dropped = {name for name, _ in before} - set(during)
    assert "practice_se_status_8cc92a_idx" in dropped  # a plain index
    assert {"practice_session_pkey", "session_unbilled"} <= set(during)  # key, partial
    assert Session.objects.count() == 1


def test_indexes_built_after_changes_nothing_off_postgresql(django_assert_num_queries):
    if connection.vendor == "postgresql":
        pytest.skip("SQLite and others only")
    with django_assert_num_queries(0), indexes_built_after([Session]):
        pass
