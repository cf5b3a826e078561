"""Fuzzing every page, form and query parameter as each role: never a 5xx, and a post the
app refuses saves nothing.

The surface is discovered, not listed (tests/surface.py): URL patterns from the resolver,
real pages by following links, forms and their fields from the rendered HTML, query
parameters from links, GET forms and the views' own source. Each hypothesis example is
one request, inside a savepoint that is rolled back, so the practice is the same for
every request.

`make test` runs a bounded, derandomized number of examples; `make fuzz` sets
SL_FUZZ_EXAMPLES (examples per role) and prints the request and 5xx counts.
"""

from __future__ import annotations

import dataclasses
import os
import re
import traceback
from urllib.parse import quote, urlencode, urlsplit

import pytest
from django.db import transaction
from django.test import Client, override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from practice import roles
from tests import factories, surface

EXAMPLES = int(os.environ.get("SL_FUZZ_EXAMPLES", "0"))
FUZZING = EXAMPLES > 0
EXAMPLES_PER_ROLE = EXAMPLES or 60
ROLES = ("owner", "biller", "clinician", "other")

# Values people and scripts send: Unicode digits int() refuses or accepts, NUL, huge and
# negative numbers, impossible dates, markup, quotes, long text, lists where one is due.
NASTY = [
    "",
    " ",
    "abc",
    "²",
    "③",
    "٣",
    "１２",
    "-1",
    "0",
    "1",
    "007",
    "9" * 25,
    "1.5",
    "1e3",
    "NaN",
    "Infinity",
    "-0.00",
    "99999999.99",
    "2026-02-30",
    "2026-13-01",
    "0000-00-00",
    "9999-12-31",
    "0001-01-01",
    "24:61",
    "\x00",
    "a\x00b",
    "'",
    '"',
    "O'Brien",
    "<script>alert(1)</script>",
    "%",
    "_",
    "\\",
    "true",
    "null",
    "[]",
    "{}",
    "x" * 3000,
    "🙂",
    "\u202e",
    "\r\n",
    "\ud7ff",
    "F41.1",
    "90837",
    "on",
    "csv",
    "ready",
    "draft",
]


def values(ids: list[int]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(NASTY),
        st.sampled_from([str(i) for i in ids] or ["1"]),
        st.integers(-(10**20), 10**20).map(str),
        st.text(max_size=30),
        st.dates().map(str),
    )


@dataclasses.dataclass
class Stats:
    requests: int = 0
    errors: list[str] = dataclasses.field(default_factory=list)


STATS = Stats()


@pytest.fixture(scope="module")
def explored(django_db_setup, django_db_blocker, request):
    """The world and what a crawl as the owner and as a clinician found, built once for the
    module in a transaction that is rolled back at its end."""
    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]),
        transaction.atomic(),
    ):
        factories.PracticeFactory()
        owner = factories.UserFactory(username="fz-owner", role=roles.OWNER)
        biller = factories.UserFactory(username="fz-biller", role=roles.BILLER)
        clinician = factories.ClinicianFactory(
            user=factories.UserFactory(username="fz-clinician", role=roles.CLINICIAN)
        )
        other = factories.ClinicianFactory(
            user=factories.UserFactory(username="fz-other", role=roles.CLINICIAN)
        )
        world = surface.build_world(owner=owner, biller=biller, clinician=clinician, other=other)
        clients = {}
        for role, user in world.users.items():
            clients[role] = Client(raise_request_exception=False)
            clients[role].force_login(user)
        owner_surface = surface.crawl(clients["owner"], world)
        clinician_surface = surface.crawl(clients["clinician"], world)
        surfaces = {
            "owner": owner_surface,
            "biller": owner_surface,
            "clinician": clinician_surface,
            "other": clinician_surface,
        }
        yield world, clients, surfaces
        transaction.set_rollback(True)
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if FUZZING and capture is not None:
        with capture.global_and_fixture_disabled():
            print(f"\nfuzz: {STATS.requests} requests, {len(STATS.errors)} answered 5xx")


def _send(client: Client, method: str, url: str, data: dict[str, list[str]] | None):
    STATS.requests += 1
    if method == "GET":
        return client.get(url)
    return client.post(url, data or {})


def _record_5xx(role: str, method: str, url: str, data, response) -> str | None:
    if response.status_code < 500:
        return None
    where = f"{role} {method} {url} {data!r}"[:4000]
    exc = getattr(response, "exc_info", None)
    cause = "".join(traceback.format_exception(*exc)[-3:]) if exc else ""
    message = f"{response.status_code} {where}\n{cause}"
    STATS.errors.append(message)
    return message


def _with_id(path: str, pk: str) -> str:
    return re.sub(r"/\d+/", lambda _: f"/{quote(pk, safe='')}/", path, count=1)


@st.composite
def get_requests(draw, surface_: surface.Surface, ids: list[int]):
    name = draw(st.sampled_from(sorted(surface_.pages)))
    path = urlsplit(surface_.pages[name]).path
    if re.search(r"/\d+/", path) and draw(st.booleans()):
        path = _with_id(path, draw(values(ids)) or "0")
    known = sorted(surface_.params.get(name, ()))
    names = draw(st.lists(st.sampled_from(known or ["q"]) | st.text(max_size=8), max_size=4))
    query = [(n, draw(values(ids))) for n in names]
    return "GET", path + ("?" + urlencode(query) if query else ""), None


@st.composite
def post_requests(draw, surface_: surface.Surface, ids: list[int]):
    form = draw(st.sampled_from(surface_.forms))
    data: dict[str, list[str]] = {}
    for field in form.fields.values():
        if field.kind == "submit":
            continue
        if field.kind in ("checkbox", "radio"):
            if field.value:
                data[field.name] = [field.value]
            continue
        data[field.name] = [field.value]
    names = sorted(form.fields) or ["x"]
    for name in draw(st.lists(st.sampled_from(names), min_size=1, max_size=4)):
        field = form.fields.get(name)
        choice = values(ids)
        if field is not None and field.options:
            choice = st.sampled_from(field.options) | choice
        if draw(st.integers(0, 9)) == 0:
            data.pop(name, None)  # a field the browser would have sent, missing
        else:
            data[name] = draw(st.lists(choice, min_size=1, max_size=3 if field else 1))
    return "POST", form.action, data


def _fuzz(role: str, explored) -> None:
    world, clients, surfaces = explored
    surface_ = surfaces[role]
    client = clients[role]
    strategy = get_requests(surface_, world.ids)
    if surface_.forms:
        strategy = st.one_of(strategy, post_requests(surface_, world.ids))

    @settings(
        max_examples=EXAMPLES_PER_ROLE,
        derandomize=not FUZZING,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def one_request(req):
        method, url, data = req
        with transaction.atomic():
            before = surface.row_counts() if method == "POST" else None
            response = _send(client, method, url, data)
            problem = _record_5xx(role, method, url, data, response)
            if before is not None and response.status_code not in (301, 302, 303):
                after = surface.row_counts()
                assert after == before, (
                    f"{role} POST {url} answered {response.status_code} and saved rows: {data!r}"[
                        :800
                    ]
                )
            transaction.set_rollback(True)
        if problem and not FUZZING:
            raise AssertionError(problem)

    one_request()


@pytest.mark.parametrize("role", ROLES)
def test_no_request_as_any_role_answers_5xx_or_saves_from_a_refused_post(role, explored, db):
    already = len(STATS.errors)
    _fuzz(role, explored)
    errors = STATS.errors[already:]
    assert not errors, f"{len(errors)} requests answered 5xx:\n\n" + "\n\n".join(errors[:20])


def test_the_crawl_reaches_every_url_pattern_and_the_forms(explored, db):
    from tests.test_access import ROUTES

    _, _, surfaces = explored
    reached = set(surfaces["owner"].pages)
    missing = {
        name
        for name, route in ROUTES
        if name not in surface.NEVER and "(" not in route and name not in reached
    }
    assert not missing
    actions = {urlsplit(form.action).path for form in surfaces["clinician"].forms}
    assert {"/practice/sessions/new/", "/practice/sessions/suggest/"} <= actions


def test_every_page_the_crawl_reached_answered_no_store(explored, db):
    """Health information must not sit in a browser or proxy cache: every URL pattern,
    as the owner (who reaches the admin too) and as a clinician."""
    _, _, surfaces = explored
    for role in ("owner", "clinician"):
        for name, cache_control in surfaces[role].cache_control.items():
            assert "no-store" in cache_control, (role, name, surfaces[role].pages[name])
