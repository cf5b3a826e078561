"""Saves and live code proposals at the same time, against a real threaded server.

On SQLite, every request runs in a transaction (ATOMIC_REQUESTS). With SQLite's default
DEFERRED transactions, a save that started as a reader failed at once with "database is
locked" whenever a proposal request held the file: 13 of 20 saves answered 500 before the
fix. The server here is `manage.py runserver` (what `make run` starts) on a file database
of its own, so the requests meet the same locks a practice's would; the test runs against
the backend of the suite's own pass (SQLite file, or a scratch PostgreSQL database).

It does not use the test database: the server is another process with its own
connections, set up by the management commands a practice runs.
"""

from __future__ import annotations

import datetime as dt
import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.db import connection

from practice.demo.data import DEMO_PASSWORD

ROOT = Path(__file__).resolve().parent.parent
SAVES = 30
PROPOSALS_PER_SAVE = 2
CLIENT_THREADS = 8  # a busy practice's browsers, well past the two a clinician has open


class _SessionForm(HTMLParser):
    """The fields the browser would post from the session form, as rendered."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: list[tuple[str, str]] = []
        self._in_form = False
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {key: value or "" for key, value in attrs}
        if tag == "form" and a.get("id") == "session-form":
            self._in_form = True
        if not self._in_form:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.fields.append((name, a.get("value") or "on"))
            elif kind not in ("submit", "button"):
                self.fields.append((name, a.get("value", "")))
        elif tag == "select":
            self._select = name
        elif tag == "option" and self._select and "selected" in a:
            self.fields.append((self._select, a.get("value", "")))
        elif tag == "textarea" and name:
            self.fields.append((name, ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._in_form = False
        elif tag == "select":
            self._select = None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Browser:
    """A logged-in user agent with its cookies, like one browser tab."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def csrf(self) -> str:
        return next(cookie.value for cookie in self.jar if cookie.name == "csrftoken")

    def get(self, path: str) -> str:
        return self.opener.open(self.base + path, timeout=60).read().decode()

    def post(self, path: str, fields: list[tuple[str, str]]) -> tuple[int, str]:
        fields = [(k, self.csrf() if k == "csrfmiddlewaretoken" else v) for k, v in fields]
        request = urllib.request.Request(
            self.base + path,
            data=urllib.parse.urlencode(fields).encode(),
            headers={"Referer": self.base + path},
        )
        try:
            response = self.opener.open(request, timeout=60)
        except urllib.error.HTTPError as error:
            return error.code, ""
        response.read()
        return response.status, response.url

    def log_in(self, username: str) -> None:
        self.get("/login/")
        fields = [
            ("csrfmiddlewaretoken", ""),
            ("username", username),
            ("password", DEMO_PASSWORD),
        ]
        status, url = self.post("/login/", fields)
        assert status == 200 and "/login/" not in url, "the demo login did not work"


@pytest.fixture
def server_env(tmp_path):
    """Environment for a server on the suite's backend, on a database of its own."""
    env = {**os.environ, "DEBUG": "1", "PYTHONUNBUFFERED": "1"}
    scratch = None
    if connection.vendor == "postgresql":
        import psycopg

        scratch = f"sl_concurrency_{uuid.uuid4().hex[:10]}"
        db = connection.settings_dict
        base = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT'] or 5432}"
        admin = psycopg.connect(f"{base}/postgres", autocommit=True)
        admin.execute(f'CREATE DATABASE "{scratch}"')
        env["DATABASE_URL"] = f"{base}/{scratch}"
    else:
        env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'practice.sqlite3'}"
    yield env
    if scratch:
        admin.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
        admin.close()


def _manage(env: dict[str, str], *args: str) -> None:
    subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True
    )


def _session_count(env: dict[str, str]) -> int:
    code = "from practice.models import Session; print(Session.objects.count())"
    out = subprocess.run(
        [sys.executable, "manage.py", "shell", "-v0", "-c", code],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return int(out.stdout.strip())


@pytest.fixture
def live_practice(server_env):
    """The demo practice served by `manage.py runserver` (threaded) on a free port."""
    _manage(server_env, "migrate", "--no-input", "-v0")
    _manage(server_env, "load_catalog", "--icd10", "therapy", "-v0")
    _manage(server_env, "demo", "--clients", "8", "--months", "1")
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env=server_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(base + "/login/", timeout=2).read()
            break
        except OSError:
            time.sleep(0.2)
    try:
        yield base, server_env
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_saves_racing_live_proposals_all_succeed_and_all_are_stored(live_practice):
    base, env = live_practice
    tab = Browser(base)
    tab.log_in("clinician")
    client_id = re.findall(r'href="/practice/clients/(\d+)/"', tab.get("/practice/clients/"))[0]
    form = _SessionForm()
    form.feed(tab.get(f"/practice/sessions/new/?repeat={client_id}"))
    assert ("client", client_id) in form.fields, "the repeat form did not fill in the client"
    before = _session_count(env)

    outcomes: Counter[tuple[str, int]] = Counter()
    saved_at: list[str] = []

    def save(day: int) -> None:
        date = (dt.date(2025, 1, 1) + dt.timedelta(days=day)).isoformat()
        fields = [(k, date if k == "date" else v) for k, v in form.fields]
        status, url = tab.post("/practice/sessions/new/", fields)
        outcomes["save", status] += 1
        if status == 200 and "/sessions/new/" not in url:
            saved_at.append(url)

    def propose(minutes: int) -> None:
        fields = [(k, str(minutes) if k == "minutes" else v) for k, v in form.fields]
        status, _ = tab.post("/practice/sessions/suggest/", fields)
        outcomes["proposal", status] += 1

    with ThreadPoolExecutor(CLIENT_THREADS) as pool:
        futures = []
        for day in range(SAVES):
            futures.append(pool.submit(save, day))
            for offset in range(PROPOSALS_PER_SAVE):
                futures.append(pool.submit(propose, 38 + (day + offset) % 20))
        for future in futures:
            future.result()  # a dropped connection fails the test too

    print(f"\n{connection.vendor}: {dict(outcomes)}; stored {len(saved_at)} of {SAVES}")
    assert outcomes == Counter({("save", 200): SAVES, ("proposal", 200): SAVES * 2})
    assert len(saved_at) == SAVES, "a save was answered with the form again"
    assert _session_count(env) == before + SAVES
