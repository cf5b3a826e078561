"""`manage.py backup` and `manage.py restore`: verified copies that restore what was there.

SQLite is tested on a real database file made by `migrate` in a subprocess (the suite's own
test database lives in memory, and a backup of it would prove nothing about files);
PostgreSQL in-process on the suite's test database, with scratch databases of our own.
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
import stat
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from practice import backups
from tests import factories

FIRST, LAST = "Zoë", "Ó Briain-Núñez 李"
STAMPED_SQLITE = re.compile(r"^live-\d{8}T\d{6}Z\.sqlite3$")


def seed_billed_client() -> None:
    """A client with a unicode name and one billed claim (run in the database under test)."""
    from billing.models import DiagnosisCode
    from billing.services import claims_build
    from practice.models import Session

    DiagnosisCode.objects.get_or_create(
        code="F41.1", defaults={"description": "Generalized anxiety disorder"}
    )
    factories.PracticeFactory()
    client = factories.CoverageFactory(client__first_name=FIRST, client__last_name=LAST).client
    session = factories.SessionFactory(client=client, status=Session.Status.READY)
    diagnosis = factories.DiagnosisFactory(client=client)
    factories.SessionDiagnosisFactory(session=session, diagnosis=diagnosis, position=1)
    factories.ServiceLineFactory(session=session, position=1)
    (claim,) = claims_build().claims
    assert claim.client == client


def make_live_database() -> None:
    """Schema, catalog (without the ICD-10-CM code set, to be quick) and the seeded client."""
    call_command("migrate", "--no-input", verbosity=0)
    call_command("load_catalog", "--icd10", "none", verbosity=0)
    seed_billed_client()


# SQLite, on a real file ----------------------------------------------------------------


def manage(*args: str, db: Path, check: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}", "DEBUG": "1"}
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if check:
        assert done.returncode == 0, done.stderr
    return done


@pytest.fixture(scope="module")
def live_sqlite(tmp_path_factory) -> Path:
    """A migrated SQLite file holding the catalog and a client with a billed claim."""
    db = tmp_path_factory.mktemp("sqlite") / "live.sqlite3"
    manage("shell", "-c", f"import {__name__} as t; t.make_live_database()", db=db)
    return db


@pytest.fixture(scope="module")
def sqlite_backup(live_sqlite, tmp_path_factory) -> tuple[Path, str]:
    """One `manage.py backup` of the live file: the file made, and what the command said."""
    out = tmp_path_factory.mktemp("backups")
    done = manage("backup", "--out", str(out), db=live_sqlite)
    (made,) = out.iterdir()
    return made, done.stdout


def table_rows(db: Path) -> dict[str, list[tuple]]:
    """Every row of every table, in a stable order."""
    with contextlib.closing(sqlite3.connect(db)) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {t: sorted(map(repr, conn.execute(f'SELECT * FROM "{t}"'))) for t in tables}


def test_sqlite_backup_is_a_private_timestamped_copy_that_passes_verification(
    live_sqlite, sqlite_backup
):
    made, said = sqlite_backup

    assert STAMPED_SQLITE.match(made.name)
    assert stat.S_IMODE(made.stat().st_mode) == 0o600
    tables = len([t for t in table_rows(live_sqlite) if not t.startswith("sqlite_")])
    assert f"Backup:   {made}" in said
    assert f"({made.stat().st_size:,} bytes), mode 0600" in said
    assert f"Tables:   {tables} (" in said
    assert "Verified: OK, PRAGMA integrity_check ok" in said
    assert f"{tables} tables" in said


def test_restored_sqlite_backup_equals_the_original_unicode_client_and_billed_claim_included(
    live_sqlite, sqlite_backup, tmp_path
):
    made, _ = sqlite_backup
    restored = tmp_path / "restored.sqlite3"

    done = manage("restore", str(made), "--into", str(restored), db=live_sqlite)

    assert f"DATABASE_URL=sqlite:///{restored}" in done.stdout
    assert stat.S_IMODE(restored.stat().st_mode) == 0o600
    assert table_rows(restored) == table_rows(live_sqlite)
    with contextlib.closing(sqlite3.connect(restored)) as conn:
        assert conn.execute(
            "SELECT c.status FROM billing_claim c JOIN practice_client p ON p.id = c.client_id"
            " WHERE p.first_name = ? AND p.last_name = ?",
            (FIRST, LAST),
        ).fetchall() == [("draft",)]


def test_restore_never_overwrites_an_existing_file(live_sqlite, sqlite_backup):
    made, _ = sqlite_backup
    before = live_sqlite.read_bytes()

    done = manage("restore", str(made), "--into", str(live_sqlite), db=live_sqlite, check=False)

    assert done.returncode == 1
    assert "already exists: restore writes a new file and never overwrites one" in done.stderr
    assert live_sqlite.read_bytes() == before


def test_a_backup_whose_copy_loses_its_tail_fails_and_is_renamed_failed(live_sqlite, tmp_path):
    """A disk that drops the end of the file: the command must notice and say so."""
    lossy = (
        "import django; django.setup()\n"
        "from practice import backups\n"
        "copy = backups._sqlite_copy\n"
        "def lossy(source, path):\n"
        "    copy(source, path)\n"
        "    size = path.stat().st_size\n"
        "    with open(path, 'r+b') as f: f.truncate(size // 2)\n"
        "backups._sqlite_copy = lossy\n"
        "from django.core.management import execute_from_command_line\n"
        f"execute_from_command_line(['manage.py', 'backup', '--out', {str(tmp_path)!r}])\n"
    )
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{live_sqlite}",
        "DJANGO_SETTINGS_MODULE": "practice.settings",
    }
    done = subprocess.run(
        [sys.executable, "-c", lossy],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )

    assert done.returncode == 1
    assert "Verification FAILED" in done.stderr
    (kept,) = tmp_path.iterdir()
    assert kept.name.endswith(".sqlite3.failed")


@pytest.fixture
def copy_and_counts(live_sqlite, sqlite_backup, tmp_path) -> tuple[Path, dict[str, int]]:
    """A copy of the backup to damage, and the live row counts it must match."""
    made, _ = sqlite_backup
    copy = tmp_path / made.name
    copy.write_bytes(made.read_bytes())
    rows = table_rows(live_sqlite)
    return copy, {t: len(rows[t]) for t in rows if not t.startswith("sqlite_")}


def test_verification_accepts_an_intact_sqlite_copy(copy_and_counts):
    made, counts = copy_and_counts

    result = backups.backup_verify(path=made, expected=counts)

    assert result.ok, result.detail


def test_a_truncated_sqlite_backup_fails_verification(copy_and_counts):
    made, counts = copy_and_counts
    data = made.read_bytes()
    made.write_bytes(data[: len(data) // 3])

    result = backups.backup_verify(path=made, expected=counts)

    assert not result.ok
    assert "integrity_check failed" in result.detail or "malformed" in result.detail


def test_a_sqlite_backup_with_overwritten_pages_fails_verification(copy_and_counts):
    made, counts = copy_and_counts
    data = bytearray(made.read_bytes())
    page = 4096
    for n in range(2, len(data) // page, 3):  # every third page after the schema
        data[n * page : n * page + 200] = b"\xff" * 200
    made.write_bytes(bytes(data))

    result = backups.backup_verify(path=made, expected=counts)

    assert not result.ok


def test_a_sqlite_backup_missing_a_row_fails_verification(copy_and_counts):
    made, counts = copy_and_counts
    with contextlib.closing(sqlite3.connect(made)) as conn, conn:
        conn.execute("DELETE FROM billing_claimline")

    result = backups.backup_verify(path=made, expected=counts)

    assert not result.ok
    assert "billing_claimline has 0 rows, live has 1" in result.detail


def test_a_file_that_is_no_backup_fails_verification(tmp_path):
    junk = tmp_path / "notes.txt"
    junk.write_text("not a database")

    result = backups.backup_verify(path=junk, expected={})

    assert not result.ok
    assert "neither a SQLite backup nor a pg_dump file" in result.detail


# PostgreSQL ----------------------------------------------------------------------------


def pg_databases() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT datname FROM pg_database")
        return {row[0] for row in cursor.fetchall()}


def pg_rows(name: str) -> dict[str, list[str]]:
    """Every row of every table of database ``name``, in a stable order."""
    with backups._pg_raw(connection, name=name) as raw, raw.cursor() as cursor:
        tables = list(backups._pg_counts(cursor))
        found = {}
        for table in tables:
            cursor.execute(f'SELECT * FROM "{table}"')
            found[table] = sorted(map(repr, cursor.fetchall()))
        return found


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_postgresql_backup_is_verified_in_a_scratch_database_that_is_then_dropped(tmp_path):
    seed_billed_client()
    before = pg_databases()
    out = StringIO()

    call_command("backup", "--out", str(tmp_path), stdout=out)

    (made,) = tmp_path.iterdir()
    assert re.match(rf"^{connection.settings_dict['NAME']}-\d{{8}}T\d{{6}}Z\.dump$", made.name)
    assert stat.S_IMODE(made.stat().st_mode) == 0o600
    assert made.read_bytes().startswith(b"PGDMP")
    text = out.getvalue()
    assert "Verified: OK, pg_restore into scratch database" in text
    scratch = re.search(r"scratch database (\S+)", text).group(1)
    assert scratch not in before
    assert pg_databases() == before  # the scratch database is gone again


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_restored_postgresql_backup_equals_the_original(tmp_path):
    seed_billed_client()
    backup = backups.backup_create(out_dir=tmp_path, verify=False)
    name = f"{connection.settings_dict['NAME']}_restore_check"[:63]
    out = StringIO()
    try:
        call_command("restore", str(backup.path), "--into", name, stdout=out)

        assert f"into the new database {name}" in out.getvalue()
        assert pg_rows(name) == pg_rows(connection.settings_dict["NAME"])
        with backups._pg_raw(connection, name=name) as raw:
            assert raw.execute(
                "SELECT c.status FROM billing_claim c JOIN practice_client p"
                " ON p.id = c.client_id WHERE p.first_name = %s AND p.last_name = %s",
                (FIRST, LAST),
            ).fetchall() == [("draft",)]
        with pytest.raises(CommandError, match="already exists"):
            call_command("restore", str(backup.path), "--into", name, stdout=StringIO())
    finally:
        backups._pg_drop_database(connection, name)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_truncated_postgresql_dump_fails_verification_and_leaves_no_scratch_database(
    tmp_path,
):
    seed_billed_client()
    backup = backups.backup_create(out_dir=tmp_path, verify=False)
    data = backup.path.read_bytes()
    backup.path.write_bytes(data[: len(data) // 2])
    before = pg_databases()

    result = backups.backup_verify(path=backup.path, expected=backup.counts)

    assert not result.ok
    assert "pg_restore of" in result.detail
    assert pg_databases() == before


@pytest.mark.postgres
@pytest.mark.django_db
def test_missing_pg_dump_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))

    with pytest.raises(CommandError, match=r"pg_dump was not found on PATH\. Install"):
        call_command("backup", "--out", str(tmp_path / "out"), stdout=StringIO())
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


@pytest.mark.postgres
@pytest.mark.django_db
def test_pg_dump_of_another_major_version_is_refused(tmp_path, monkeypatch):
    fake = tmp_path / "pg_dump"
    fake.write_text("#!/bin/sh\necho 'pg_dump (PostgreSQL) 9.6.24'\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    server = connection.pg_version // 10000

    with pytest.raises(CommandError, match=f"version 9 but the server runs PostgreSQL {server}"):
        call_command("backup", "--out", str(tmp_path / "out"), stdout=StringIO())
