import pytest

from tests.e2e.conftest import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_logged_out_visitor_is_sent_to_the_login_page(page, live_server):
    page.goto(f"{live_server.url}/practice/sessions/")
    assert "/login/" in page.url
    assert page.get_by_role("heading", name="Log in").is_visible()


def test_a_wrong_password_is_refused_with_a_message(page, live_server, clinician_user):
    log_in(page, live_server, "clinician", password="not the password")
    assert "/login/" in page.url
    assert page.get_by_text("Please enter a correct username and password").is_visible()


def test_a_clinician_lands_on_their_day(page, live_server, clinician_user):
    log_in(page, live_server, "clinician")
    assert page.url.endswith("/practice/day/")
    assert page.get_by_role("link", name="Log a session").is_visible()
