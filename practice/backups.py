"""Backups of the practice database, each proved by restoring it.

HIPAA 45 CFR 164.308(a)(7)(ii)(A) asks for retrievable exact copies of health
information, and 164.312(c)(1) for its integrity: so a backup counts only once it has
been restored somewhere and found to hold the same rows as the live database.

- PostgreSQL: ``pg_dump --format=custom``, restored with ``pg_restore`` into a scratch
  database that this module creates and drops (a new name each run).
- SQLite: the online backup API (``sqlite3.Connection.backup``), checked with
  ``PRAGMA integrity_check``.

Both take the live row counts inside the same snapshot the copy is made from (an exported
snapshot handed to ``pg_dump --snapshot``; one SQLite read transaction), so the comparison
is exact even while people keep working. Backup files are created mode 0600 because they
hold health information; restoring never touches the live database, only a new one.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import re
import secrets
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.postgresql.client import DatabaseClient

FILE_MODE = 0o600
DIR_MODE = 0o700
SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"


class BackupError(Exception):
    """A backup or restore could not be made; the message says what to do."""


@dataclass(frozen=True)
class Verification:
    ok: bool
    detail: str


@dataclass(frozen=True)
class Backup:
    path: Path
    size: int
    counts: dict[str, int]  # live row counts per table, taken in the copy's snapshot
    verification: Verification | None  # None when verification was skipped


@dataclass(frozen=True)
class Restored:
    target: str  # the new database's name (PostgreSQL) or file path (SQLite)
    database_url: str  # what DATABASE_URL becomes to switch to it (no password shown)
    counts: dict[str, int]


def backup_create(*, out_dir: Path, verify: bool = True, using: str = "default") -> Backup:
    """Copy the database ``using`` into a new file in ``out_dir`` named with the UTC time,
    then (unless ``verify`` is false) restore the copy into a scratch database and compare
    the row count of every table with the live database. A copy that fails verification
    is renamed ``….failed``."""
    connection = connections[using]
    out_dir = Path(out_dir)
    out_dir.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    if connection.vendor == "sqlite":
        path, counts = _sqlite_dump(connection, out_dir)
    elif connection.vendor == "postgresql":
        path, counts = _pg_dump(connection, out_dir)
    else:
        raise BackupError(f"Backups support SQLite and PostgreSQL, not {connection.vendor}.")
    verification = backup_verify(path=path, expected=counts, using=using) if verify else None
    if verification and not verification.ok:
        # Kept (it may still be the best copy there is) but named so that nobody restores
        # it, or rotates a good backup away for it, by mistake.
        path = path.rename(path.with_name(path.name + ".failed"))
    return Backup(path=path, size=path.stat().st_size, counts=counts, verification=verification)


def backup_verify(*, path: Path, expected: dict[str, int], using: str = "default") -> Verification:
    """Restore ``path`` into a scratch copy and compare its tables and row counts with
    ``expected``. A file that does not restore, or restores different data, fails. The
    file's kind decides how: a SQLite file is opened where it is; a pg_dump file is
    restored into a scratch database on the server of ``using``."""
    path = Path(path)
    try:
        if _head(path).startswith(SQLITE_MAGIC):
            counts = _sqlite_check(path)
            how = "PRAGMA integrity_check ok"
        elif _head(path).startswith(PGDUMP_MAGIC) and connections[using].vendor == "postgresql":
            with _pg_scratch_restore(connections[using], path) as (name, counts):
                how = f"pg_restore into scratch database {name} (dropped afterwards)"
        else:
            raise BackupError(
                f"{path} is neither a SQLite backup nor a pg_dump file for this PostgreSQL server."
            )
    except BackupError as error:
        return Verification(ok=False, detail=str(error))
    problems = _count_differences(expected, counts)
    if problems:
        return Verification(ok=False, detail=f"{how}, but " + "; ".join(problems))
    rows = sum(counts.values())
    return Verification(
        ok=True,
        detail=f"{how}; {len(counts)} tables, {rows:,} rows, every count equals the live database",
    )


def backup_restore(*, path: Path, into: str | None = None, using: str = "default") -> Restored:
    """Restore the backup ``path`` into a NEW database (PostgreSQL: a database named
    ``into``; SQLite: a file at ``into``) and say how to switch to it. An existing target
    is refused: the live database is never overwritten."""
    connection = connections[using]
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"No backup file at {path}.")
    stamp = _utc_stamp()
    if connection.vendor == "postgresql":
        name = into or _pg_name(f"{connection.settings_dict['NAME']}_restored_{stamp}".lower())
        counts = _pg_restore_new(connection, path, name)
        return Restored(target=name, database_url=_pg_url(connection, name), counts=counts)
    live = Path(connection.settings_dict["NAME"])
    target = Path(into) if into else live.with_name(f"{live.stem}-restored-{stamp}.sqlite3")
    counts = _sqlite_restore_new(path, target)
    return Restored(target=str(target), database_url=f"sqlite:///{target}", counts=counts)


def _count_differences(expected: dict[str, int], actual: dict[str, int]) -> list[str]:
    problems = []
    missing = sorted(set(expected) - set(actual))
    extra = sorted(set(actual) - set(expected))
    if missing:
        problems.append(f"{len(missing)} table(s) missing: {', '.join(missing[:5])}")
    if extra:
        problems.append(f"{len(extra)} unexpected table(s): {', '.join(extra[:5])}")
    differ = [
        f"{table} has {actual[table]:,} rows, live has {expected[table]:,}"
        for table in sorted(set(expected) & set(actual))
        if expected[table] != actual[table]
    ]
    return problems + differ[:10]


def _utc_stamp() -> str:
    return datetime.datetime.now(tz=datetime.UTC).strftime("%Y%m%dT%H%M%SZ")


def _new_file(out_dir: Path, stem: str, suffix: str) -> Path:
    """A new, empty file readable by its owner only, named with the UTC time."""
    stamp = _utc_stamp()
    for n in range(1, 100):
        name = f"{stem}-{stamp}{'' if n == 1 else f'-{n}'}{suffix}"
        path = out_dir / name
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        except FileExistsError:
            continue
        os.close(fd)
        path.chmod(FILE_MODE)  # whatever the umask
        return path
    raise BackupError(f"Could not find a free backup file name in {out_dir}.")


def _head(path: Path) -> bytes:
    try:
        with path.open("rb") as file:
            return file.read(16)
    except OSError as error:
        raise BackupError(f"Cannot read {path}: {error.strerror}.") from error


def _magic(path: Path, expected: bytes, kind: str) -> None:
    if not _head(path).startswith(expected):
        raise BackupError(f"{path} is not a {kind} (its first bytes are wrong).")


# SQLite ---------------------------------------------------------------------------------


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sqlite_counts(db: sqlite3.Connection) -> dict[str, int]:
    tables = [
        row[0]
        for row in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    return {t: db.execute(f"SELECT count(*) FROM {_quote(t)}").fetchone()[0] for t in tables}


def _sqlite_dump(connection: BaseDatabaseWrapper, out_dir: Path) -> tuple[Path, dict[str, int]]:
    live = Path(connection.settings_dict["NAME"])
    if not live.is_file():
        raise BackupError(f"The SQLite database {live} does not exist (in memory or not made).")
    path = _new_file(out_dir, live.stem, ".sqlite3")
    source = sqlite3.connect(live, timeout=20, isolation_level=None)
    try:
        # One read transaction: the counts and the copy see the same snapshot.
        source.execute("BEGIN")
        counts = _sqlite_counts(source)
        _sqlite_copy(source, path)
        source.execute("COMMIT")
    except (sqlite3.Error, OSError) as error:
        path.unlink(missing_ok=True)
        raise BackupError(f"SQLite backup of {live} failed: {error}") from error
    finally:
        source.close()
    return path, counts


def _sqlite_copy(source: sqlite3.Connection, path: Path) -> None:
    """Copy with the backup API (all pages in one step), as a single self-contained file."""
    target = sqlite3.connect(path, isolation_level=None)
    try:
        source.backup(target)
        target.execute("PRAGMA journal_mode=DELETE")  # no -wal file beside the copy
    finally:
        target.close()
    path.chmod(FILE_MODE)


def _sqlite_check(path: Path) -> dict[str, int]:
    """The copy's row counts, after SQLite's own integrity check passes."""
    _magic(path, SQLITE_MAGIC, "SQLite database")
    uri = f"file:{quote(str(path.resolve()))}?mode=ro"
    try:
        with contextlib.closing(sqlite3.connect(uri, uri=True)) as copy:
            found = [row[0] for row in copy.execute("PRAGMA integrity_check")]
            if found != ["ok"]:
                raise BackupError("integrity_check failed: " + "; ".join(found[:5]))
            return _sqlite_counts(copy)
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{path} does not open as a database: {error}") from error


def _sqlite_restore_new(path: Path, target: Path) -> dict[str, int]:
    counts = _sqlite_check(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError as error:
        raise BackupError(
            f"{target} already exists: restore writes a new file and never overwrites one."
        ) from error
    os.close(fd)
    uri = f"file:{quote(str(path.resolve()))}?mode=ro"
    try:
        with contextlib.closing(sqlite3.connect(uri, uri=True)) as source:
            _sqlite_copy(source, target)
    except BaseException:
        target.unlink(missing_ok=True)  # ours, and incomplete
        raise
    return counts


# PostgreSQL -----------------------------------------------------------------------------


def _pg_tool(name: str, connection: BaseDatabaseWrapper) -> str:
    """The path of pg_dump / pg_restore, whose major version must be the server's."""
    tool = shutil.which(name)
    server = connection.pg_version // 10000
    if tool is None:
        raise BackupError(
            f"{name} was not found on PATH. Install the PostgreSQL {server} client "
            f"(Debian/Ubuntu: apt-get install postgresql-client-{server}) or put its bin "
            f"directory first on PATH."
        )
    found = subprocess.run([tool, "--version"], capture_output=True, text=True, check=False)
    match = re.search(r"\)\s*(\d+)", found.stdout)
    client = int(match.group(1)) if match else None
    if client != server:
        raise BackupError(
            f"{tool} is version {client or 'unknown'} but the server runs PostgreSQL {server}: "
            f"use the PostgreSQL {server} client "
            f"(e.g. PATH=/usr/lib/postgresql/{server}/bin:$PATH)."
        )
    return tool


def _pg_args(connection: BaseDatabaseWrapper) -> tuple[list[str], dict[str, str]]:
    """Connection options for libpq tools: host/port/user as flags, secrets in the
    environment (never on a command line others can read in ``ps``)."""
    settings_dict = connection.settings_dict
    _, env = DatabaseClient.settings_to_cmd_args_env(settings_dict, [])
    args = []
    for flag, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if settings_dict.get(key):
            args.append(f"{flag}={settings_dict[key]}")
    return args, {**os.environ, **(env or {})}


def _pg_run(command: list[str], env: dict[str, str], what: str) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        message = (done.stderr or done.stdout).strip().splitlines()
        raise BackupError(f"{what} failed: " + " | ".join(message[:5]))


@contextlib.contextmanager
def _pg_raw(connection: BaseDatabaseWrapper, name: str | None = None, autocommit: bool = False):
    """A psycopg connection of our own with the project's settings (optionally to another
    database), so the caller's Django connection and its transaction stay untouched."""
    settings_dict = {**connection.settings_dict, "NAME": name or connection.settings_dict["NAME"]}
    wrapper_class = type(connections[connection.alias])  # the class, even through a proxy
    wrapper = wrapper_class(settings_dict, alias=f"__backup_{secrets.token_hex(4)}")
    raw = wrapper.get_new_connection(wrapper.get_connection_params())
    raw.autocommit = autocommit
    try:
        yield raw
    finally:
        raw.close()


def _pg_counts(cursor) -> dict[str, int]:
    from psycopg import sql

    cursor.execute(
        "SELECT n.nspname, c.relname FROM pg_class c"
        " JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE c.relkind IN ('r', 'p')"
        " AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
        " AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'"
    )
    counts = {}
    for schema, table in cursor.fetchall():
        query = sql.SQL("SELECT count(*) FROM {}.{}").format(
            sql.Identifier(schema), sql.Identifier(table)
        )
        cursor.execute(query)
        counts[table if schema == "public" else f"{schema}.{table}"] = cursor.fetchone()[0]
    return counts


def _pg_dump(connection: BaseDatabaseWrapper, out_dir: Path) -> tuple[Path, dict[str, int]]:
    import psycopg

    connection.ensure_connection()
    pg_dump = _pg_tool("pg_dump", connection)
    args, env = _pg_args(connection)
    name = connection.settings_dict["NAME"]
    path = _new_file(out_dir, name, ".dump")
    try:
        with _pg_raw(connection) as raw:
            raw.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            raw.read_only = True
            with raw.cursor() as cursor:
                # pg_dump reads the very snapshot the counts were taken in.
                cursor.execute("SELECT pg_export_snapshot()")
                snapshot = cursor.fetchone()[0]
                counts = _pg_counts(cursor)
                dump = [pg_dump, *args, "--format=custom", f"--snapshot={snapshot}"]
                _pg_run([*dump, f"--file={path}", f"--dbname={name}"], env, "pg_dump")
            raw.rollback()
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    path.chmod(FILE_MODE)
    return path, counts


def _pg_name(name: str) -> str:
    """PostgreSQL identifiers are at most 63 bytes; keep the unique tail."""
    name = re.sub(r"[^a-z0-9_]", "_", name)
    return name if len(name) <= 63 else name[:20] + name[-43:]


def _pg_url(connection: BaseDatabaseWrapper, name: str) -> str:
    s = connection.settings_dict
    user = f"{s['USER']}:…@" if s.get("PASSWORD") else f"{s['USER']}@" if s.get("USER") else ""
    port = f":{s['PORT']}" if s.get("PORT") else ""
    return f"postgres://{user}{s.get('HOST') or ''}{port}/{name}"


def _pg_create_database(connection: BaseDatabaseWrapper, name: str) -> None:
    """An empty database from template0 with the live database's encoding and locale."""
    import psycopg
    from psycopg import sql

    with _pg_raw(connection, autocommit=True) as raw:
        encoding, collate, ctype = raw.execute(
            "SELECT pg_encoding_to_char(encoding), datcollate, datctype"
            " FROM pg_database WHERE datname = current_database()"
        ).fetchone()
        try:
            raw.execute(
                sql.SQL(
                    "CREATE DATABASE {} TEMPLATE template0 ENCODING {} LC_COLLATE {} LC_CTYPE {}"
                ).format(sql.Identifier(name), encoding, collate, ctype)
            )
        except psycopg.errors.DuplicateDatabase as error:
            raise BackupError(
                f"Database {name} already exists: restore makes a new database and never "
                "overwrites one."
            ) from error
        except psycopg.Error as error:
            raise BackupError(f"Could not create database {name}: {error}") from error


def _pg_drop_database(connection: BaseDatabaseWrapper, name: str) -> None:
    from psycopg import sql

    with _pg_raw(connection, autocommit=True) as raw:
        raw.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _pg_restore_into(connection: BaseDatabaseWrapper, path: Path, name: str) -> dict[str, int]:
    """pg_restore ``path`` into the empty database ``name``, all or nothing; its counts."""
    _magic(path, PGDUMP_MAGIC, "pg_dump custom-format file")
    pg_restore = _pg_tool("pg_restore", connection)
    args, env = _pg_args(connection)
    # All or nothing; owners and grants are the restoring user's, as on a new server.
    restore = [pg_restore, *args, "--exit-on-error", "--single-transaction"]
    restore += ["--no-owner", "--no-privileges", f"--dbname={name}", str(path)]
    _pg_run(restore, env, f"pg_restore of {path.name}")
    with _pg_raw(connection, name=name) as raw, raw.cursor() as cursor:
        return _pg_counts(cursor)


@contextlib.contextmanager
def _pg_scratch_restore(
    connection: BaseDatabaseWrapper, path: Path
) -> Iterator[tuple[str, dict[str, int]]]:
    connection.ensure_connection()
    live = connection.settings_dict["NAME"]
    name = _pg_name(f"{live[:20]}_verify_{_utc_stamp()}_{secrets.token_hex(4)}".lower())
    _pg_create_database(connection, name)
    try:
        yield name, _pg_restore_into(connection, path, name)
    finally:
        _pg_drop_database(connection, name)


def _pg_restore_new(connection: BaseDatabaseWrapper, path: Path, name: str) -> dict[str, int]:
    connection.ensure_connection()
    _pg_create_database(connection, name)
    try:
        return _pg_restore_into(connection, path, name)
    except BaseException:
        _pg_drop_database(connection, name)  # ours and empty: --single-transaction
        raise
