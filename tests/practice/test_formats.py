"""Dates people read are MM/DD/YYYY and ZIP+4 has its hyphen, wherever they are shown;
machine formats (date inputs, CSV, X12) stay ISO."""

from __future__ import annotations

import datetime

import pytest
from django import forms
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

from billing.services import claims_build
from practice.formats import date_writer, datetime_writer, us_date, us_datetime, zip_plus4
from practice.forms.widgets import DateInput
from tests import factories
from tests.billing.test_scrubber import ready_session

BIRTHDAY = datetime.date(1984, 12, 18)


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (BIRTHDAY, "12/18/1984"),
        ("1984-12-18", "12/18/1984"),  # a claim snapshot keeps dates as text
        (datetime.date(2028, 2, 29), "02/29/2028"),
        (None, ""),
        ("", ""),
        ("not a date", "not a date"),
    ],
)
def test_us_date(value, shown):
    assert us_date(value) == shown


def test_a_moment_reads_in_the_practices_time_zone(settings):
    settings.TIME_ZONE = "America/New_York"
    late = datetime.datetime(2027, 1, 1, 3, 30, tzinfo=datetime.UTC)  # 10:30 pm the day before
    assert us_date(late) == "12/31/2026"
    assert us_datetime(late) == "12/31/2026 22:30"


@pytest.mark.parametrize(
    ("stored", "shown"),
    [("627011234", "62701-1234"), ("62701", "62701"), ("", ""), (None, ""), ("6270", "6270")],
)
def test_zip_plus4_has_its_hyphen(stored, shown):
    assert zip_plus4(stored) == shown


def test_templates_show_a_bare_date_and_the_date_filter_as_mm_dd_yyyy():
    html = Template(
        '{% load people %}{{ day }}|{{ day|date }}|{{ at|date:"SHORT_DATETIME_FORMAT" }}|'
        "{{ iso|us_date }}|{{ zip|zip_plus4 }}"
    ).render(
        Context(
            {
                "day": BIRTHDAY,
                "at": datetime.datetime(2026, 12, 1, 9, 5),
                "iso": "1984-12-18",
                "zip": "627011234",
            }
        )
    )
    assert html == "12/18/1984|12/18/1984|12/01/2026 09:05|12/18/1984|62701-1234"


def test_a_date_input_keeps_its_iso_value():
    class Form(forms.Form):
        born = forms.DateField(widget=DateInput())

    assert 'value="1984-12-18"' in str(Form(initial={"born": BIRTHDAY})["born"])
    assert Form({"born": "1984-12-18"}).is_valid()


@pytest.mark.django_db
def test_a_session_names_its_date_as_people_read_it():
    """Messages name sessions ("Skipped 10/05/2026 Ana Lima (…)"), never 2026-10-05."""
    session = factories.SessionFactory(date=datetime.date(2026, 10, 5))
    assert str(session).startswith("10/05/2026 ")


def test_a_party_address_shows_zip_plus4_with_its_hyphen():
    party = {"address_line1": "1 Main St", "city": "Springfield", "state": "IL"}
    html = Template('{% include "billing/includes/_party_address.html" with party=party %}').render(
        Context({"party": {**party, "zip_code": "627011234"}})
    )
    assert "Springfield, IL 62701-1234" in html


@pytest.mark.django_db
def test_the_claim_page_shows_the_clients_birth_date_as_people_read_it(client, biller_user):
    person = factories.CoverageFactory(client__date_of_birth=BIRTHDAY).client
    ready_session(person)
    (claim,) = claims_build().claims
    client.force_login(biller_user)
    html = client.get(reverse("billing:claim_detail", args=[claim.pk])).content.decode()
    assert "born 12/18/1984" in html
    assert "1984-12-18" not in html


def test_a_pages_writers_write_what_us_date_and_us_datetime_write(settings):
    settings.TIME_ZONE = "America/New_York"
    day, moment = date_writer(), datetime_writer()
    late = datetime.datetime(2027, 1, 1, 3, 30, tzinfo=datetime.UTC)
    for value in (BIRTHDAY, datetime.date(5, 1, 2), datetime.date(2028, 2, 29)):
        assert day(value) == us_date(value) == value.strftime("%m/%d/") + f"{value.year:04d}"
    assert moment(late) == us_datetime(late) == "12/31/2026 22:30"
    assert moment(datetime.datetime(2026, 12, 1, 9, 5)) == "12/01/2026 09:05"  # naive: as is
    assert day(None) == moment(None) == ""


def test_a_format_of_other_characters_is_written_by_django():
    """Only our formats' characters are written by hand, per language; any other format
    (here German's, "j. F Y") is Django's to write."""
    with translation.override("de"):
        assert us_date(BIRTHDAY) == date_writer()(BIRTHDAY) == "18. Dezember 1984"
    assert us_date(BIRTHDAY) == date_writer()(BIRTHDAY) == "12/18/1984"
