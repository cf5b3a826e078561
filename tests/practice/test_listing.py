"""practice/listing.py: keyset pages walk every row once, in the list's order, both ways;
row links; cached clinician choices."""

from __future__ import annotations

import datetime
from urllib.parse import parse_qs

import pytest
from django.http import QueryDict
from django.urls import reverse

from practice.formats import us_date
from practice.listing import Key, Keyset, Offered, paginate, row_url
from practice.models import Session
from practice.params import BadParameter, parse_id
from practice.views import sessions as session_views
from tests import factories

pytestmark = pytest.mark.django_db

ORDER = Keyset(
    Key("date", descending=True, parse=datetime.date.fromisoformat),
    Key("start_time", descending=True, nullable=True, parse=datetime.time.fromisoformat),
    Key("pk", descending=True, parse=parse_id),
)
DAY = datetime.date(2026, 9, 14)


def key_of(row):
    return row[1], row[2], row[0]


@pytest.fixture
def patient(clinician):
    return factories.ClientFactory(primary_clinician=clinician)


@pytest.fixture
def sessions(patient):
    """Ties on the date, on the time, and sessions without a start time."""
    made = []
    for day, start in [
        (DAY, datetime.time(9)),
        (DAY, None),
        (DAY, datetime.time(9)),
        (DAY, datetime.time(15)),
        (DAY, None),
        (DAY - datetime.timedelta(days=1), datetime.time(8)),
        (DAY - datetime.timedelta(days=1), None),
        (DAY + datetime.timedelta(days=1), datetime.time(11)),
    ]:
        made.append(
            factories.SessionFactory(client=patient, date=day, start_time=start, end_time=None)
        )
    return made


def expected_order(sessions) -> list[int]:
    """Newest date first; within a date, no start time first, then latest; then id."""
    return [
        s.pk
        for s in sorted(
            sessions,
            key=lambda s: (
                -s.date.toordinal(),
                s.start_time is not None,
                -(s.start_time.hour * 60 + s.start_time.minute) if s.start_time else 0,
                -s.pk,
            ),
        )
    ]


def page(query: dict):
    rows = Session.objects.values_list("pk", "date", "start_time")
    return paginate(
        QueryDict(mutable=True) | query, rows, ORDER, size=3, count=rows.count(), key_of=key_of
    )


def _query(params: dict) -> dict:
    return {k: v for k, v in params.items() if v is not None}


def test_next_links_walk_every_row_once_in_the_lists_order(sessions):
    seen, current = [], page({})
    numbers = [current.number]
    while True:
        seen += [row[0] for row in current.rows]
        if current.next is None:
            break
        current = page(_query(current.next))
        numbers.append(current.number)

    assert seen == expected_order(sessions)
    assert numbers == [1, 2, 3]
    assert current.pages == 3


def test_previous_links_walk_back_through_the_same_pages(sessions):
    forward = [page({})]
    while forward[-1].next is not None:
        forward.append(page(_query(forward[-1].next)))

    back = [forward[-1]]
    while back[-1].previous is not None:
        back.append(page(_query(back[-1].previous)))

    assert [[r[0] for r in p.rows] for p in back] == [[r[0] for r in p.rows] for p in forward][::-1]
    # The first page is reached by the list's own address, not a cursor.
    assert forward[1].previous == {"before": None, "after": None, "page": None}


def test_a_typed_page_number_still_works_by_offset_and_past_the_end_shows_the_last(sessions):
    order = expected_order(sessions)

    assert [r[0] for r in page({"page": "2"}).rows] == order[3:6]
    last = page({"page": "99"})
    assert last.number == 3
    assert [r[0] for r in last.rows] == order[6:]
    assert last.next is None


@pytest.mark.parametrize(
    "cursor", ["x", "2026-09-14~~", "2026-13-01~~5", "2026-09-14~25:00~5", "2026-09-14~~0"]
)
def test_a_cursor_that_is_not_ours_is_refused(sessions, cursor):
    with pytest.raises(BadParameter):
        page({"after": cursor})


def test_the_session_list_links_its_pages_by_cursor(client, clinician_user, patient):
    for n in range(53):
        factories.SessionFactory(client=patient, date=DAY - datetime.timedelta(days=n))
    client.force_login(clinician_user)
    url = reverse("practice:session_list")

    first = client.get(url, {"status": "draft"})
    link = first.content.decode().split('">Next</a>')[0].rsplit('href="', 1)[1]
    params = parse_qs(link.lstrip("?").replace("&amp;", "&"))
    second = client.get(url, {k: v[0] for k, v in params.items()})

    assert params["status"] == ["draft"] and params["page"] == ["2"]
    assert params["after"] == [
        f"{(DAY - datetime.timedelta(days=49)).isoformat()}~10:00:00~"
        f"{first.context['sessions'][-1].pk}"
    ]
    assert [s.date for s in second.context["sessions"]] == [
        us_date(DAY - datetime.timedelta(days=n)) for n in (50, 51, 52)
    ]
    assert "Page 2 of 2" in second.content.decode()
    assert client.get(url, {"after": "nonsense"}).status_code == 400


def test_row_url_is_the_reversed_url_of_each_id():
    detail = row_url("practice:session_detail")

    assert [detail(pk) for pk in (1, 42)] == [
        reverse("practice:session_detail", args=[1]),
        reverse("practice:session_detail", args=[42]),
    ]


def uncounted(query: dict):
    rows = Session.objects.values_list("pk", "date", "start_time")
    return paginate(QueryDict(mutable=True) | query, rows, ORDER, size=3, key_of=key_of)


def test_a_list_too_long_to_count_walks_both_ways_without_page_numbers(sessions):
    forward = [uncounted({})]
    while forward[-1].next is not None:
        forward.append(uncounted(_query(forward[-1].next)))
    back = [forward[-1]]
    while back[-1].previous is not None:
        back.append(uncounted(_query(back[-1].previous)))

    assert [r[0] for p in forward for r in p.rows] == expected_order(sessions)
    assert [[r[0] for r in p.rows] for p in back] == [[r[0] for r in p] for p in forward][::-1]
    assert {(p.number, p.pages) for p in forward} == {(None, None)}
    assert {p.next["page"] for p in forward[:-1]} == {None}
    # A typed page number means nothing to such a list: the first page.
    assert [r[0] for r in uncounted({"page": "2"}).rows] == expected_order(sessions)[:3]


@pytest.mark.parametrize("pager", [page, uncounted])
def test_a_cursor_past_either_end_shows_the_first_page(sessions, pager):
    order = expected_order(sessions)
    oldest, newest = Session.objects.get(pk=order[-1]), Session.objects.get(pk=order[0])
    past_the_end = ORDER.cursor((oldest.date, oldest.start_time, oldest.pk))
    before_the_start = ORDER.cursor((newest.date, newest.start_time, newest.pk))

    for query in ({"after": past_the_end}, {"before": before_the_start, "page": "2"}):
        shown = pager(query)
        assert [r[0] for r in shown.rows] == order[:3]
        assert shown.previous is None and shown.next is not None
        assert shown.number in (1, None)


def test_a_page_boundary_inside_a_tie_loses_and_repeats_no_row(patient):
    """Six sessions on one date and time: only the id orders them, and the pages of two
    split them without losing or repeating one, both ways."""
    tied = [
        factories.SessionFactory(
            client=patient, date=DAY, start_time=datetime.time(9), end_time=None
        ).pk
        for _ in range(6)
    ]
    rows = Session.objects.values_list("pk", "date", "start_time")

    def at(query):
        return paginate(QueryDict(mutable=True) | query, rows, ORDER, size=4, key_of=key_of)

    first = at({})
    second = at(_query(first.next))
    assert [r[0] for r in first.rows + second.rows] == sorted(tied, reverse=True)
    assert second.next is None
    assert [r[0] for r in at(_query(second.previous)).rows] == [r[0] for r in first.rows]


def test_a_clinician_pages_through_their_own_sessions_only(
    client, clinician_user, patient, other_clinician
):
    theirs = factories.ClientFactory(primary_clinician=other_clinician)
    own = []
    for n in range(60):
        day = DAY - datetime.timedelta(days=n // 2)
        own.append(factories.SessionFactory(client=patient, date=day).pk)
        factories.SessionFactory(client=theirs, clinician=other_clinician, date=day)
    client.force_login(clinician_user)
    url = reverse("practice:session_list")

    first = client.get(url)
    link = first.content.decode().split('">Next</a>')[0].rsplit('href="', 1)[1]
    second = client.get(
        url, {k: v[0] for k, v in parse_qs(link.lstrip("?").replace("&amp;", "&")).items()}
    )

    shown = [s.pk for s in first.context["sessions"]] + [s.pk for s in second.context["sessions"]]
    assert sorted(shown) == sorted(own)
    assert first.context["count"] == 60
    assert "Page 2 of 2" in second.content.decode()


def test_past_the_counted_sessions_the_list_says_more_and_pages_by_cursor(
    client, biller_user, patient, monkeypatch, django_assert_max_num_queries
):
    """A practice's whole history is too many sessions to count and total on every visit:
    past ``COUNTED`` the list says "more than", totals nothing and pages without numbers;
    a filter that narrows them counts and totals again."""
    monkeypatch.setattr(session_views, "COUNTED", 4)
    made = [
        factories.SessionFactory(client=patient, date=DAY - datetime.timedelta(days=n)).pk
        for n in range(55)
    ]
    client.force_login(biller_user)
    url = reverse("practice:session_list")

    client.get(url)  # the clinician filter's choices, cached from now on
    # session, user, roles, the capped count, the page, its lines, the session's save
    # and the request's two savepoint pairs: no total past the cap.
    with django_assert_max_num_queries(11):
        first = client.get(url)
    body = first.content.decode()
    assert first.context["count"] is None and first.context["total"] is None
    assert "More than <strong>4</strong> sessions" in body
    assert "Page 1 of" not in body
    link = body.split('">Next</a>')[0].rsplit('href="', 1)[1]
    params = parse_qs(link.lstrip("?").replace("&amp;", "&"))
    assert "page" not in params
    second = client.get(url, {k: v[0] for k, v in params.items()})
    shown = [s.pk for s in first.context["sessions"]] + [s.pk for s in second.context["sessions"]]
    assert shown == made
    assert second.context["page"].next is None

    narrowed = client.get(url, {"date_from": (DAY - datetime.timedelta(days=2)).isoformat()})
    assert narrowed.context["count"] == 3
    assert narrowed.context["total"] is not None


def test_the_session_rows_written_in_python_escape_what_people_typed(client, clinician_user):
    """practice/templatetags/session_rows.py writes the rows without the template engine:
    text from people must come out escaped all the same."""
    someone = factories.ClientFactory(
        first_name='<script>alert("x")</script>', last_name="O'Brien & Sons"
    )
    someone.primary_clinician = clinician_user.clinician
    someone.save()
    factories.SessionFactory(client=someone, date=DAY)
    client.force_login(clinician_user)
    body = client.get(reverse("practice:session_list")).content.decode()
    assert "<script>alert" not in body
    assert "O&#x27;Brien &amp; Sons, &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in body
    assert 'aria-label="Mark the ' in body and "Ready</button>" in body


def test_offered_choices_select_exactly_the_chosen_values():
    """``Offered.options`` marks a value, never one it is the prefix of ("1" in "11"),
    and escapes what people typed; with a blank first when asked."""
    offered = Offered([("1", "Ann <b>"), ("11", "Bo & Co"), ("2", "Zoë")])
    assert offered.options({"1"}) == (
        '<option value="1" selected>Ann &lt;b&gt;</option>'
        '<option value="11">Bo &amp; Co</option><option value="2">Zoë</option>'
    )
    assert " selected" not in offered.options({"3"}) and " selected" not in offered.options()
    assert offered.options({"11", "2"}).count(" selected") == 2
    blank = offered.with_blank("All clinicians")
    assert list(blank) == [("", "All clinicians"), *offered.pairs]
    assert blank.options({""}).startswith('<option value="" selected>All clinicians</option>')
    assert blank.options({"2"}).startswith('<option value="">All clinicians</option>')


def test_the_session_lists_clinician_filter_keeps_the_choice(client, biller_user):
    chosen = factories.ClinicianFactory(first_name="Zoë", last_name="<Ng>")
    client.force_login(biller_user)
    body = client.get(reverse("practice:session_list"), {"clinician": chosen.pk}).content.decode()
    select = body.split('<select name="clinician"', 1)[1].split("</select>", 1)[0]
    assert select.count(" selected") == 1
    assert f'<option value="{chosen.pk}" selected>' in select
    assert "&lt;Ng&gt;" in select and "<Ng>" not in select
