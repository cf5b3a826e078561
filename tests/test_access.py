"""Every page needs a login: walk the URL configuration rather than listing URLs by hand."""

from __future__ import annotations

import re

import pytest
from django.http import HttpRequest
from django.urls import URLPattern, URLResolver, get_resolver

pytestmark = pytest.mark.django_db

# The two login pages, and logout (POST only; it ends a session).
PUBLIC = {"login", "logout", "admin:login"}
# Deliberately public: a phone calendar cannot sign in, so the secret token in the
# address is the key (practice/calendar.py); tested below and in tests/practice/test_day.py.
PUBLIC_BY_TOKEN = {"calendar_feed"}


def _patterns(resolver=None, prefix: str = "", namespace: str = ""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace or namespace
            yield from _patterns(entry, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            yield (
                (f"{namespace}:{entry.name}" if namespace else entry.name),
                prefix + str(entry.pattern),
            )


def _concrete(route: str) -> str:
    """Fill converters and regex groups with plausible values."""
    route = re.sub(r"<(?:int:)?(\w+)>", "1", route)
    route = re.sub(r"<str:\w+>", "x", route)
    route = re.sub(r"<path:\w+>", "x", route)
    route = re.sub(r"<slug:\w+>", "x", route)
    route = re.sub(r"\(\?P<\w+>[^)]*\)", "1", route)
    return "/" + route.lstrip("^").rstrip("$").replace("\\", "")


ROUTES = sorted(
    {
        (name or "?", _concrete(route))
        for name, route in _patterns()
        if name not in PUBLIC | PUBLIC_BY_TOKEN
    }
)


def test_the_url_walk_finds_the_pages_of_both_apps():
    names = {name for name, _ in ROUTES}
    assert "practice:session_list" in names
    assert "billing:dashboard" in names
    assert any(name.startswith("admin:") for name in names)


@pytest.mark.parametrize(("name", "url"), ROUTES, ids=[r[1] for r in ROUTES])
def test_every_page_sends_a_logged_out_visitor_to_a_login_page(client, name, url):
    response = client.get(url)
    assert response.status_code == 302, f"{name} answered {response.status_code} logged out"
    assert "login" in response["Location"]


def test_the_login_page_itself_is_public(client):
    assert client.get("/login/").status_code == 200


def test_the_only_page_without_a_login_is_the_calendar_feed_and_a_bad_token_is_a_404(client):
    public = {name for name, _ in _patterns()} & PUBLIC_BY_TOKEN
    assert public == {"calendar_feed"}
    assert client.get("/calendar/no-such-token.ics").status_code == 404


def test_a_user_without_a_role_is_told_so(client, django_user_model):
    django_user_model.objects.create_user("norole", password="x-long-password-1")
    # django-axes watches every sign-in and needs the request it came with.
    client.login(request=HttpRequest(), username="norole", password="x-long-password-1")
    response = client.get("/")
    assert response.status_code == 403
    assert b"no role yet" in response.content


@pytest.mark.parametrize(
    ("fixture", "target"),
    [
        ("owner_user", "/billing/"),
        ("biller_user", "/billing/"),
        ("clinician_user", "/practice/day/"),
    ],
)
def test_the_home_page_sends_each_role_to_its_work(client, request, fixture, target):
    client.force_login(request.getfixturevalue(fixture))
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == target


def test_a_clinician_cannot_open_billing_pages(client, clinician_user):
    client.force_login(clinician_user)
    assert client.get("/billing/").status_code == 403
