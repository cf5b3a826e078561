"""The app's attack surface, discovered rather than listed: every URL pattern from the
resolver, the real pages behind them (crawled from links as a logged-in user), and the
forms and query parameters those pages use. Shared by the hardening and fuzz tests, so a
page someone adds tomorrow is walked and fuzzed without editing a list.
"""

from __future__ import annotations

import dataclasses
import datetime
import inspect
import re
from collections import deque
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urljoin, urlsplit

from django.apps import apps
from django.db import connection
from django.urls import Resolver404, resolve

from billing.models import Claim
from billing.services import claims_build
from practice.models import Session
from tests import factories
from tests.test_access import ROUTES

# Pages a fuzzer must not drive: they end the session it is fuzzing with.
NEVER = {"logout", "admin:logout"}
HOST = "testserver"


# --- a small practice with something on every page -------------------------------------


@dataclasses.dataclass
class World:
    users: dict[str, object]
    ids: list[int]  # every id of every row the pages below show, to aim URLs at


def build_world(*, owner, biller, clinician, other) -> World:
    """Two clinicians' clients with coverage and diagnoses; sessions in draft, ready and
    billed; a draft claim and a submitted one. Enough that lists, details, reports and
    PDFs have rows (fuzzing empty pages finds little)."""
    payer = factories.PayerFactory(name="Fuzz Mutual")
    factories.LocationFactory(practice=clinician.practice)
    day = datetime.date(2026, 10, 5)
    for who in (clinician, other):
        for n in range(2):
            client = factories.ClientFactory(primary_clinician=who, last_name=f"O'Fuzz{n}")
            factories.CoverageFactory(client=client, payer=payer)
            diagnosis = factories.DiagnosisFactory(client=client)
            for week, status in enumerate(
                (Session.Status.READY, Session.Status.READY, Session.Status.DRAFT)
            ):
                session = factories.SessionFactory(
                    client=client, date=day + datetime.timedelta(days=7 * week), status=status
                )
                factories.SessionDiagnosisFactory(session=session, diagnosis=diagnosis)
                factories.ServiceLineFactory(session=session, position=1)
    claims = claims_build(user=owner).claims
    claims[0].status = Claim.Status.SUBMITTED
    claims[0].save(update_fields=["status"])
    ids: set[int] = set()
    for model in main_models():
        ids.update(model.objects.values_list("pk", flat=True)[:50])
    ids = {pk for pk in ids if isinstance(pk, int)}
    return World(
        users={"owner": owner, "biller": biller, "clinician": clinician.user, "other": other.user},
        ids=sorted(ids),
    )


def main_models():
    """The rows a post could save: every table of our two apps (history tables included),
    except the read audit, which records every page shown, a refused form's too."""
    from practice.models import AccessEvent, AccessEventClient

    return [
        model
        for app in ("practice", "billing")
        for model in apps.get_app_config(app).get_models()
        if not model._meta.proxy and model not in (AccessEvent, AccessEventClient)
    ]


def row_counts() -> tuple[int, ...]:
    """Row counts of every main table, in one query."""
    tables = [model._meta.db_table for model in main_models()]
    quote = connection.ops.quote_name
    sql = "SELECT " + ", ".join(f"(SELECT COUNT(*) FROM {quote(t)})" for t in tables)
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return tuple(cursor.fetchone())


# --- pages, forms and parameters ------------------------------------------------------


@dataclasses.dataclass
class Field:
    name: str
    kind: str  # input type, "select", "textarea"
    value: str  # what the browser would send untouched ("" if nothing)
    options: tuple[str, ...] = ()  # a select's values, a radio group's or checkbox's values


@dataclasses.dataclass
class Form:
    page: str  # the URL the form was found on
    method: str
    action: str  # absolute path + query
    fields: dict[str, Field]


class _PageParser(HTMLParser):
    """Links, forms (with their fields' default values and options) and htmx posts."""

    def __init__(self, base: str) -> None:
        super().__init__(convert_charrefs=True)
        self.base = base
        self.links: list[str] = []
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: Field | None = None
        self._textarea: Field | None = None
        self._hx: list[tuple[str, str, Form | None]] = []

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        if tag == "a" and a.get("href"):
            self.links.append(urljoin(self.base, a["href"]))
        for verb in ("hx-get", "hx-post"):
            if a.get(verb):
                self._hx.append((verb[3:].upper(), urljoin(self.base, a[verb]), self._form))
        if tag == "form":
            self._form = Form(
                page=self.base,
                method=(a.get("method") or "get").upper(),
                action=urljoin(self.base, a.get("action") or self.base),
                fields={},
            )
            self.forms.append(self._form)
        if tag == "option" and self._select is not None:
            value = a.get("value", "")
            self._select.options += (value,)
            if "selected" in a or len(self._select.options) == 1:
                self._select.value = value
            return
        form = self._form
        name = a.get("name")
        if form is None or not name:
            return
        if tag == "input":
            kind = (a.get("type") or "text").lower()
            if kind in ("submit", "button", "image", "reset", "file"):
                if kind == "submit":
                    form.fields.setdefault(name, Field(name, kind, "", ()))
                return
            field = form.fields.setdefault(name, Field(name, kind, "", ()))
            if kind in ("checkbox", "radio"):
                field.options += (a.get("value", "on"),)
                if "checked" in a:
                    field.value = a.get("value", "on")
            else:
                field.value = a.get("value", "")
        elif tag == "select":
            self._select = form.fields.setdefault(name, Field(name, "select", "", ()))
        elif tag == "textarea":
            self._textarea = form.fields.setdefault(name, Field(name, "textarea", "", ()))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea.value += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def route_name(path: str) -> str | None:
    try:
        match = resolve(path)
    except Resolver404:
        return None
    if match.url_name is None:  # named as tests/test_access.py names unnamed patterns
        return f"{match.namespace}:None" if match.namespace else "?"
    return match.view_name


@dataclasses.dataclass
class Surface:
    """What a role's crawl found: one URL per pattern, the forms, the query parameters."""

    pages: dict[str, str]  # pattern name → a URL (path + query) that answered
    statuses: dict[str, int]
    forms: list[Form]
    params: dict[str, set[str]]  # pattern name → query parameter names seen or read
    cache_control: dict[str, str] = dataclasses.field(default_factory=dict)


def _is_html(response) -> bool:
    return response.get("Content-Type", "").startswith("text/html") and hasattr(response, "content")


def _seeds(world: World) -> list[str]:
    """Each pattern once, its id slot filled with a real row: of the admin's model for an
    admin page, else the world's first id (the crawl then follows real links)."""
    first = str(world.ids[0]) if world.ids else "1"
    plain, with_id = ["/"], []
    for name, route in ROUTES:
        if name in NEVER or "(" in route:  # a regex route: the crawl finds its pages
            continue
        if not re.search(r"/(?:1|x)/", route):
            plain.append(route)
            continue
        model = _admin_model(name)
        pk = first
        if model is not None:
            pk = str(model.objects.values_list("pk", flat=True).first() or first)
        with_id.append(re.sub(r"/(?:1|x)/", f"/{pk}/", route, count=1))
    # Pages without an id first: the links they show to real rows then win over guesses.
    return plain + with_id


def _admin_model(name: str):
    """The model behind an admin URL name such as ``admin:billing_payer_change``."""
    from django.contrib import admin

    for model in admin.site._registry:
        if name.startswith(f"admin:{model._meta.app_label}_{model._meta.model_name}_"):
            return model
    return None


def crawl(client, world: World, *, per_pattern: int = 1, max_pages: int = 400) -> Surface:
    """GET the seeds and follow same-site links, at most ``per_pattern`` distinct URLs a
    pattern (query strings told apart), and record every form and query parameter."""
    queue = deque(_seeds(world))
    seen: set[str] = set()
    per: dict[str, int] = {}
    surface = Surface(pages={}, statuses={}, forms=[], params={})
    while queue and len(seen) < max_pages:
        url = queue.popleft()
        parts = urlsplit(url)
        if parts.netloc not in ("", HOST) or parts.scheme not in ("", "http"):
            continue
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        name = route_name(parts.path)
        if name is None or name in NEVER or path in seen or per.get(name, 0) >= per_pattern:
            if name is not None:
                surface.params.setdefault(name, set()).update(
                    k for k, _ in parse_qsl(parts.query, keep_blank_values=True)
                )
            continue
        seen.add(path)
        per[name] = per.get(name, 0) + 1
        response = client.get(path)
        surface.statuses.setdefault(name, response.status_code)
        surface.cache_control.setdefault(name, response.get("Cache-Control", ""))
        surface.pages.setdefault(name, path)
        params = surface.params.setdefault(name, set())
        params.update(k for k, _ in parse_qsl(parts.query, keep_blank_values=True))
        if response.status_code != 200 or not _is_html(response):
            continue
        parser = _PageParser(f"http://{HOST}{path}")
        parser.feed(response.content.decode(response.charset or "utf-8", "replace"))
        queue.extend(parser.links)
        for form in parser.forms:
            target = urlsplit(form.action)
            target_name = route_name(target.path)
            if target_name is None or target_name in NEVER:
                continue
            form.action = target.path + (f"?{target.query}" if target.query else "")
            if form.method == "GET":
                surface.params.setdefault(target_name, set()).update(form.fields)
                queue.append(form.action)
            else:
                surface.forms.append(form)
        for method, target_url, around in parser._hx:
            target = urlsplit(target_url)
            target_name = route_name(target.path)
            if target_name is None:
                continue
            action = target.path + (f"?{target.query}" if target.query else "")
            if method == "GET":
                surface.params.setdefault(target_name, set()).update(
                    around.fields if around else ()
                )
                continue
            # An htmx post sends the fields of the form it sits in.
            surface.forms.append(
                Form(
                    page=around.page if around else path,
                    method="POST",
                    action=action,
                    fields=dict(around.fields) if around else {},
                )
            )
    for name, params in surface.params.items():
        params.update(_params_read_by_view(name))
    return surface


_PARAM_RE = re.compile(r"""request\.GET(?:\.get|\.getlist|)\s*[\(\[]\s*["']([\w-]+)["']""")
_PARAM_HELPER_RE = re.compile(r"""id_param\(\s*request\.GET\s*,\s*["']([\w-]+)["']""")


def _params_read_by_view(name: str) -> set[str]:
    """Query parameters a view reads by name in its own module (``request.GET.get("x")``,
    ``id_param(request.GET, "x")``): those a page never links to are fuzzed too."""
    from django.urls import reverse
    from django.urls.exceptions import NoReverseMatch

    try:
        path = reverse(name)
    except NoReverseMatch:
        try:
            path = reverse(name, args=[1])
        except NoReverseMatch:
            return set()
    try:
        func = resolve(path).func
    except Resolver404:
        return set()
    module = inspect.getmodule(inspect.unwrap(func))
    if module is None or not module.__name__.startswith(("practice", "billing")):
        return set()
    source = inspect.getsource(module)
    return set(_PARAM_RE.findall(source)) | set(_PARAM_HELPER_RE.findall(source))
