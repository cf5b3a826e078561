"""Sign-in protection (django-axes): lock-out per username and per address, the cool-off,
the admin login, the records and the owner's Sign-ins page."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.utils import timezone

from practice.signin import client_address

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"
LIMIT = 5  # settings.AXES_FAILURE_LIMIT's default


def _sign_in(client, username, password=PASSWORD, address="10.0.0.1", url="/login/"):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=address)


def _fail(client, username, times, address="10.0.0.1", url="/login/"):
    for _ in range(times):
        _sign_in(client, username, password="not the password", address=address, url=url)


def _signed_in(response) -> bool:
    return response.status_code == 302 and "_auth_user_id" in response.client.session


def test_four_wrong_passwords_then_the_right_one_signs_in(client, biller_user):
    _fail(client, "biller", LIMIT - 1)
    assert _signed_in(_sign_in(client, "biller"))


def test_the_fifth_wrong_password_locks_the_username_with_a_page_saying_when(client, biller_user):
    _fail(client, "biller", LIMIT - 1)
    response = _sign_in(client, "biller", password="still wrong")
    assert response.status_code == 429
    assert "registration/locked_out.html" in [t.name for t in response.templates]
    text = response.content.decode()
    assert "Sign-in locked" in text
    assert "Try again after" in text
    assert "ask the practice owner" in text


def test_a_locked_username_stays_locked_from_another_address_even_with_the_right_password(
    client, biller_user
):
    for n in range(LIMIT):
        _fail(client, "biller", 1, address=f"10.0.1.{n}")
    response = _sign_in(client, "biller", address="10.9.9.9")
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_failures_from_one_address_lock_that_address_for_every_username(
    client, biller_user, clinician_user
):
    for n in range(LIMIT):
        _fail(client, f"guess{n}", 1, address="10.0.0.66")
    assert _sign_in(client, "clinician", address="10.0.0.66").status_code == 429
    assert _signed_in(_sign_in(client, "clinician", address="10.0.0.67"))


def test_the_lock_lifts_only_after_the_cool_off(client, biller_user):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        _fail(client, "biller", LIMIT)
        traveller.shift(datetime.timedelta(minutes=14, seconds=59))
        assert _sign_in(client, "biller").status_code == 429
        # That try restarted the cool-off: 15 minutes from it, not from the first lock.
        traveller.shift(datetime.timedelta(minutes=14, seconds=59))
        assert _sign_in(client, "biller").status_code == 429
        traveller.shift(datetime.timedelta(minutes=15, seconds=1))
        assert _signed_in(_sign_in(client, "biller"))


def test_the_admin_login_counts_and_shows_the_same_page(client, owner_user):
    _fail(client, "owner", LIMIT, url="/admin/login/")
    response = _sign_in(client, "owner", url="/admin/login/")
    assert response.status_code == 429
    assert b"Sign-in locked" in response.content
    # One count across both log-in pages.
    assert _sign_in(client, "owner").status_code == 429


def test_failed_and_successful_sign_ins_are_recorded_with_address(client, biller_user):
    _fail(client, "biller", 2, address="10.0.0.5")
    _sign_in(client, "biller", address="10.0.0.6")
    failures = AccessFailureLog.objects.filter(username="biller")
    assert [(f.ip_address, f.locked_out) for f in failures] == [("10.0.0.5", False)] * 2
    success = AccessLog.objects.get(username="biller")
    assert success.ip_address == "10.0.0.6"
    # The password is never stored with the attempt.
    assert "not the password" not in AccessAttempt.objects.get().post_data


def test_the_owner_sees_lockouts_and_sign_ins(client, owner_user, biller_user):
    _fail(client, "biller", LIMIT, address="10.0.0.7")
    _sign_in(client, "owner", address="10.0.0.8")
    response = client.get("/account/sign-ins/")
    assert response.status_code == 200
    lockouts = {(lock.kind, lock.value) for lock in response.context["lockouts"]}
    assert lockouts == {("username", "biller"), ("address", "10.0.0.7")}
    results = [(e["username"], e["ok"]) for e in response.context["events"]]
    assert results[0] == ("owner", True)
    assert results.count(("biller", False)) == LIMIT
    assert b"failed, locked out" in response.content


def test_the_sign_ins_page_filters_by_username(client, owner_user, biller_user):
    _fail(client, "biller", 1)
    client.force_login(owner_user)
    response = client.get("/account/sign-ins/", {"user": "owner"})
    assert {e["username"] for e in response.context["events"]} == {"owner"}


def test_the_sign_ins_page_pins_its_query_count(client, owner_user, django_assert_max_num_queries):
    for n in range(10):
        _fail(client, f"someone{n}", 1, address=f"10.0.2.{n}")
    client.force_login(owner_user)
    # session, user, roles, people with their authenticators and their roles, successes,
    # failures, 2 lock-out aggregates, the menu's clinician, the session save, and 4
    # savepoint statements (ATOMIC_REQUESTS).
    with django_assert_max_num_queries(15):
        response = client.get("/account/sign-ins/")
    assert len(response.context["events"]) == 11


def test_the_owner_unlocks_a_username(client, owner_user, biller_user):
    _fail(client, "biller", LIMIT, address="10.0.0.9")
    client.force_login(owner_user)
    response = client.post("/account/sign-ins/unlock/", {"kind": "username", "value": "biller"})
    assert response.status_code == 302
    assert not any(lock.value == "biller" for lock in client.get(response.url).context["lockouts"])
    client.logout()
    assert _signed_in(_sign_in(client, "biller", address="10.0.0.10"))


def test_the_owner_unlocks_an_address(client, owner_user, biller_user):
    for n in range(LIMIT):
        _fail(client, f"guess{n}", 1, address="10.0.0.11")
    client.force_login(owner_user)
    client.post("/account/sign-ins/unlock/", {"kind": "address", "value": "10.0.0.11"})
    client.logout()
    assert _signed_in(_sign_in(client, "biller", address="10.0.0.11"))


@pytest.mark.parametrize("fixture", ["biller_user", "clinician_user"])
def test_only_the_owner_sees_sign_ins_or_unlocks(client, request, fixture, owner_user):
    _fail(client, "owner", LIMIT)
    client.force_login(request.getfixturevalue(fixture))
    assert client.get("/account/sign-ins/").status_code == 403
    response = client.post("/account/sign-ins/unlock/", {"kind": "username", "value": "owner"})
    assert response.status_code == 403
    assert AccessAttempt.objects.filter(username="owner").exists()
    assert b"Sign-ins" not in client.get("/practice/clients/").content


def test_the_owner_finds_sign_ins_in_the_menu(client, owner_user):
    client.force_login(owner_user)
    assert b'href="/account/sign-ins/"' in client.get("/billing/").content


def test_an_unlock_without_a_choice_is_refused_with_a_message(client, owner_user):
    client.force_login(owner_user)
    response = client.post("/account/sign-ins/unlock/", {"kind": "everyone"}, follow=True)
    assert b"Choose a lock-out to lift." in response.content


@pytest.mark.parametrize("value", ["not-an-ip", "10.0.0.0/24", "999.1.1.1"])
def test_unlocking_something_that_is_not_an_address_says_so(client, owner_user, value):
    client.force_login(owner_user)
    response = client.post(
        "/account/sign-ins/unlock/", {"kind": "address", "value": value}, follow=True
    )
    assert response.status_code == 200
    assert b"is not an address." in response.content


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "203.0.113.5", "10.0.0.2"),  # no proxy: the header is the client's own words
        (1, "203.0.113.5", "203.0.113.5"),
        (1, "1.2.3.4, 203.0.113.5", "203.0.113.5"),  # a spoofed entry on the left
        (2, "203.0.113.5, 10.0.0.3", "203.0.113.5"),
        (1, "", "10.0.0.2"),
    ],
)
def test_the_client_address_is_read_behind_trusted_proxies_only(
    rf, settings, proxies, forwarded, expected
):
    settings.TRUSTED_PROXY_COUNT = proxies
    request = rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_address(request) == expected


def test_lock_outs_behind_a_proxy_count_the_clients_address(client, settings, biller_user):
    settings.TRUSTED_PROXY_COUNT = 1
    for n in range(LIMIT):
        client.post(
            "/login/",
            {"username": f"guess{n}", "password": "x"},
            REMOTE_ADDR="10.0.0.2",
            HTTP_X_FORWARDED_FOR="198.51.100.7",
        )
    assert AccessFailureLog.objects.filter(ip_address="198.51.100.7").count() == LIMIT
    # Another client behind the same proxy is not locked out.
    response = client.post(
        "/login/",
        {"username": "biller", "password": PASSWORD},
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="198.51.100.8",
    )
    assert response.status_code == 302


def test_the_login_page_gives_the_idle_log_off_in_minutes(client, settings):
    settings.SESSION_COOKIE_AGE = 1800
    page = client.get("/login/").content.decode()
    assert "Sessions end after 30 minutes of inactivity." in page
    assert "1800" not in page
