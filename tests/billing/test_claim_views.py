"""Claim pages (billing/views/claims.py): the list and its filters, building claims from
the web, one claim's detail with the scrubber's findings, and the claim actions."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import NamedTuple
from urllib.parse import parse_qs, urlencode

import pytest
from django.contrib.messages import get_messages
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone

from billing.models import Claim, ClaimDiagnosis, ClaimLine, Payer, ProcedureCode
from billing.services import (
    claim_correct,
    claim_discard,
    claim_submit,
    claims_build,
    new_control_number,
)
from practice.formats import us_date
from practice.models import Coverage, ServiceLine, Session
from tests import factories
from tests.billing.test_services import ready_session

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 10, 5)
# "Now" for these tests: a week after DAY, well inside every filing limit.
NOW = datetime.datetime(2026, 10, 12, 15, 0, tzinfo=datetime.UTC)


class Line(NamedTuple):
    """One claim line as a test wants it on a claim made without the builder."""

    date: datetime.date = DAY
    code: str = "90837"
    charge: Decimal = Decimal("160.00")
    allowed: Decimal | None = None
    modifiers: tuple[str, ...] = ()
    units: int = 1
    pointers: str = "A"
    pos: str = "11"


def make_claim(
    coverage: Coverage,
    lines: list[Line] | tuple[Line, ...] | None = None,
    *,
    codes: tuple[str, ...] = ("F41.1",),
    status: str = Claim.Status.SUBMITTED,
    rendering=None,
    frequency: str = Claim.Frequency.ORIGINAL,
    original: Claim | None = None,
) -> Claim:
    """A claim written straight to the database (fast, and every amount chosen by the test):
    one billed session holds the service lines its claim lines point at."""
    lines = lines or [Line()]
    client = coverage.client
    rendering = rendering or client.primary_clinician
    session = factories.SessionFactory(
        client=client, clinician=rendering, date=lines[0].date, status=Session.Status.BILLED
    )
    claim = Claim.objects.create(
        control_number=new_control_number(),
        status=status,
        frequency=frequency,
        original=original,
        client=client,
        coverage=coverage,
        payer=coverage.payer,
        rendering=rendering,
        parties={"patient": {"first_name": client.first_name, "last_name": client.last_name}},
        total_charge=sum((line.charge for line in lines), Decimal("0.00")),
    )
    ClaimDiagnosis.objects.bulk_create(
        ClaimDiagnosis(claim=claim, position=n, code=code) for n, code in enumerate(codes, 1)
    )
    for position, line in enumerate(lines, start=1):
        service_line = factories.ServiceLineFactory(
            session=session, position=position, charge=line.charge, units=line.units
        )
        modifiers = dict(
            zip(
                ("modifier_1", "modifier_2", "modifier_3", "modifier_4"),
                line.modifiers,
                strict=False,
            )
        )
        ClaimLine.objects.create(
            claim=claim,
            service_line=service_line,
            live=frequency != Claim.Frequency.VOID,
            position=position,
            line_control_number=f"{claim.control_number}-{position}",
            date_of_service=line.date,
            place_of_service=line.pos,
            procedure_code=line.code,
            units=line.units,
            minutes=53,
            charge=line.charge,
            expected_allowed=line.allowed,
            diagnosis_pointers=line.pointers,
            rendering_npi=rendering.npi,
            **modifiers,
        )
    return claim


@pytest.fixture
def frozen(time_machine):
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def insured(practice_row):
    return factories.CoverageFactory().client


@pytest.fixture
def biller(client, biller_user):
    client.force_login(biller_user)
    return client


def texts(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def built_claim(insured, **kw) -> Claim:
    ready_session(insured, **kw)
    (claim,) = claims_build().claims
    return claim


# --- access ------------------------------------------------------------------------------

CLAIM_URLS = [
    ("get", "billing:claim_list", False),
    ("post", "billing:claims_build", False),
    ("get", "billing:claim_detail", True),
    ("post", "billing:claim_mark_ready", True),
    ("post", "billing:claim_submit", True),
    ("post", "billing:claim_void", True),
    ("post", "billing:claim_replace", True),
    ("post", "billing:claim_discard", True),
    ("post", "billing:claim_correct", True),
    ("post", "billing:claim_payer_number", True),
    ("post", "billing:claim_post_eob", True),
    ("get", "billing:summary", False),
    ("get", "billing:summary_payer", True),
]


@pytest.mark.parametrize(("method", "name", "with_pk"), CLAIM_URLS)
def test_a_clinician_gets_403_on_every_claim_and_summary_url(
    client, clinician_user, insured, method, name, with_pk
):
    claim = make_claim(insured.coverages.get())
    client.force_login(clinician_user)
    url = reverse(name, args=[claim.pk] if with_pk else [])
    response = getattr(client, method)(url, {"reason": "x"} if method == "post" else {})
    assert response.status_code == 403
    claim.refresh_from_db()
    assert claim.status == Claim.Status.SUBMITTED


@pytest.mark.parametrize("fixture", ["owner_user", "biller_user"])
def test_owners_and_billers_see_the_claim_pages(client, request, fixture, insured):
    claim = make_claim(insured.coverages.get())
    client.force_login(request.getfixturevalue(fixture))
    for url in [
        reverse("billing:claim_list"),
        reverse("billing:claim_detail", args=[claim.pk]),
        reverse("billing:summary"),
        reverse("billing:dashboard"),
    ]:
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize(
    "name",
    [
        "billing:claim_mark_ready",
        "billing:claim_submit",
        "billing:claim_void",
        "billing:claim_replace",
        "billing:claim_discard",
        "billing:claim_correct",
        "billing:claim_payer_number",
    ],
)
def test_a_claim_action_answers_get_with_405(biller, insured, name):
    claim = make_claim(insured.coverages.get(), status=Claim.Status.DRAFT)
    assert biller.get(reverse(name, args=[claim.pk])).status_code == 405
    claim.refresh_from_db()
    assert claim.status == Claim.Status.DRAFT


def test_building_answers_get_with_405(biller):
    assert biller.get(reverse("billing:claims_build")).status_code == 405


def test_an_unknown_claim_is_a_404(biller, practice_row):
    assert biller.get(reverse("billing:claim_detail", args=[999999])).status_code == 404
    assert biller.post(reverse("billing:claim_submit", args=[999999])).status_code == 404


# --- list --------------------------------------------------------------------------------


def test_the_list_shows_each_claims_columns(biller, insured):
    claim = make_claim(
        insured.coverages.get(),
        [Line(date=DAY), Line(date=DAY + datetime.timedelta(days=14), charge=Decimal("98.50"))],
    )
    response = biller.get(reverse("billing:claim_list"))
    body = response.content.decode()
    assert claim.control_number in body
    assert str(insured) in body
    assert claim.payer.name in body
    assert "10/05/2026 – 10/19/2026" in body
    assert "$258.50" in body
    assert "Submitted" in body
    assert f"/billing/claims/cms1500.pdf?ids={claim.pk}" in body  # the page's claims as one PDF
    (row,) = response.context["claims"]
    assert row.lines_count == 2


def test_the_list_filters_by_payer_status_clinician_and_dates(biller, practice_row):
    first = factories.CoverageFactory()
    second = factories.CoverageFactory()
    other_clinician = factories.ClinicianFactory()
    october = make_claim(first, [Line(date=DAY)], status=Claim.Status.DRAFT)
    november = make_claim(second, [Line(date=datetime.date(2026, 11, 2))])
    by_other = make_claim(first, [Line(date=datetime.date(2026, 9, 1))], rendering=other_clinician)

    def listed(**params) -> set[int]:
        response = biller.get(reverse("billing:claim_list"), params)
        assert response.status_code == 200
        return {claim.pk for claim in response.context["claims"]}

    assert listed() == {october.pk, november.pk, by_other.pk}
    assert listed(payer=second.payer_id) == {november.pk}
    assert listed(status="draft") == {october.pk}
    assert listed(clinician=other_clinician.pk) == {by_other.pk}
    assert listed(date_from="2026-10-01", date_to="2026-10-31") == {october.pk}
    assert listed(date_to="2026-10-31") == {october.pk, by_other.pk}
    # Claims are created "now": every one after 2020, none before.
    assert len(listed(dates="created", date_from="2020-01-01")) == 3
    assert listed(dates="created", date_to="2020-01-01") == set()


def test_the_created_dates_are_the_practices_days(biller, insured, time_machine):
    """A claim made at 11:59 pm is that day's, one at midnight the next day's, though both
    are the same UTC day's 04:00 hour (the filter compares moments, for its index)."""
    coverage = insured.coverages.get()
    zone = timezone.get_current_timezone()
    time_machine.move_to(datetime.datetime(2026, 10, 12, 23, 59, 59, tzinfo=zone), tick=False)
    late = make_claim(coverage, [Line(date=DAY)])
    time_machine.move_to(datetime.datetime(2026, 10, 13, 0, 0, tzinfo=zone), tick=False)
    midnight = make_claim(coverage, [Line(date=DAY)])

    def created(**params) -> set[int]:
        response = biller.get(reverse("billing:claim_list"), {"dates": "created", **params})
        return {claim.pk for claim in response.context["claims"]}

    assert created(date_from="2026-10-12", date_to="2026-10-12") == {late.pk}
    assert created(date_to="2026-10-12") == {late.pk}
    assert created(date_from="2026-10-13") == {midnight.pk}
    assert created(date_from="2026-10-13", date_to="2026-10-13") == {midnight.pk}
    assert created(date_from="2026-10-12") == {late.pk, midnight.pk}


def test_a_filter_on_a_claim_with_many_lines_in_range_lists_it_once(biller, insured):
    claim = make_claim(insured.coverages.get(), [Line(date=DAY)] * 3)
    response = biller.get(reverse("billing:claim_list"), {"date_from": "2026-10-01"})
    (row,) = response.context["claims"]
    assert row.pk == claim.pk
    assert row.lines_count == 3


def test_invalid_list_filters_are_shown_and_ignored(biller, insured):
    make_claim(insured.coverages.get())
    response = biller.get(
        reverse("billing:claim_list"), {"date_from": "2026-13-01", "payer": "nope"}
    )
    assert response.status_code == 200
    assert len(response.context["claims"]) == 1
    assert response.context["filters"].errors


def link(body: str, label: str) -> str:
    """The query string of the page link with this label."""
    return body.split(f'">{label}</a>')[0].rsplit('href="', 1)[1].replace("&amp;", "&")


def test_the_list_pages_by_fifty_newest_first_from_the_row_it_follows(
    biller, practice_row, django_assert_max_num_queries
):
    coverage = factories.CoverageFactory()
    claims = [make_claim(coverage) for _ in range(51)]  # created in the same instant
    newest_first = [c.pk for c in sorted(claims, key=lambda c: (c.created_at, c.pk))][::-1]
    last_on_first = Claim.objects.get(pk=newest_first[49])
    url = reverse("billing:claim_list")
    first = biller.get(url)
    assert [c.pk for c in first.context["claims"]] == newest_first[:50]
    body = first.content.decode()
    assert "Newer claims" not in body
    # The boundary falls between two claims of the same timestamp: the cursor names the
    # last row shown by its timestamp and id (practice.listing.Keyset).
    after = first.context["page"].next["after"]
    assert after == f"{last_on_first.created_at.isoformat()}~{last_on_first.pk}"
    assert link(body, "Older claims") == "?" + urlencode({"after": after})
    # Another page costs what the first does: the cursor holds the row's keys.
    with django_assert_max_num_queries(9):
        second = biller.get(url, {"after": after})
    assert [c.pk for c in second.context["claims"]] == newest_first[50:]
    body = second.content.decode()
    assert "Older claims" not in body
    back = biller.get(url, parse_qs(link(body, "Newer claims").lstrip("?")))
    assert [c.pk for c in back.context["claims"]] == newest_first[:50]
    assert back.context["page"].previous is None
    # The filters stay with the page links; past the end of the rows (a payer with none
    # there), the first page.
    other = factories.PayerFactory()
    assert biller.get(url, {"after": after, "payer": other.pk}).context["claims"] == []
    filtered = biller.get(url, {"after": after, "payer": coverage.payer_id}).content.decode()
    assert "Older claims" not in filtered
    assert link(filtered, "Newer claims").startswith(f"?payer={coverage.payer_id}&before=")
    newest = Claim.objects.get(pk=newest_first[0])
    stale = biller.get(url, {"before": f"{newest.created_at.isoformat()}~{newest.pk}"})
    assert [c.pk for c in stale.context["claims"]] == newest_first[:50]
    # A cursor that is not one of ours is refused with the reason.
    naive = newest.created_at.replace(tzinfo=None).isoformat()
    for junk in ("x", "-1", "99999999999", "9" * 40, f"{naive}~{newest.pk}", "2026-13-01T00:00~1"):
        refused = biller.get(url, {"after": junk})
        assert refused.status_code == 400
        assert b"cursor" in refused.content


@pytest.mark.parametrize("claims", [2, 30])
def test_the_list_runs_the_same_queries_for_2_or_30_claims(
    biller, clinician, django_assert_max_num_queries, claims
):
    payers = [factories.PayerFactory() for _ in range(3)]
    for n in range(claims):
        coverage = factories.CoverageFactory(
            payer=payers[n % 3], client__primary_clinician=clinician
        )
        make_claim(coverage, [Line(), Line(code="90785")])
    biller.get(reverse("billing:claim_list"))  # the filter selects' lists, cached now
    # 9 = the login session, the user, the user's roles, the page of claims (payer,
    # client and the lines' dates and count in it; no count of every claim:
    # practice.listing.paginate), the session save, and the request's two savepoint pairs
    # (ATOMIC_REQUESTS). None of them per claim; payers and clinicians for the selects
    # come from the cache (billing/choices.py, practice/listing.py), and billing staff's
    # menu asks for no clinician row.
    with django_assert_max_num_queries(9):
        response = biller.get(reverse("billing:claim_list"))
    assert len(response.context["claims"]) == claims
    row = response.context["claims"][0]
    assert (row.lines_count, row.dates) == (2, us_date(DAY))


def test_a_new_payer_or_clinician_is_offered_at_once_and_a_gone_one_refused(biller):
    biller.get(reverse("billing:claim_list"))  # the selects' lists are cached
    payer = factories.PayerFactory(name="Zenith Mutual")
    clinician = factories.ClinicianFactory(last_name="Quill")
    page = biller.get(reverse("billing:claim_list")).content.decode()
    assert f'<option value="{payer.pk}">Zenith Mutual</option>' in page
    assert f'<option value="{clinician.pk}">{clinician}</option>' in page
    gone = payer.pk
    payer.delete()
    response = biller.get(reverse("billing:claim_list"), {"payer": gone})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Zenith Mutual" not in page
    assert "Select a valid choice" in page


# --- building from the web ---------------------------------------------------------------


def test_the_build_button_builds_and_lists_skipped_sessions(biller, insured, frozen):
    ready_session(insured)
    ready_session(insured, date=DAY + datetime.timedelta(days=7))
    uncovered = factories.CoverageFactory(effective_from=datetime.date(2027, 1, 1)).client
    skipped = ready_session(uncovered)
    response = biller.post(reverse("billing:claims_build"))
    assert response.status_code == 302
    assert response["Location"] == reverse("billing:claim_list")
    messages = texts(response)
    assert messages[0] == "Built 1 claim (2 lines) as drafts: check each one and mark it ready."
    assert messages[1] == f"Skipped {skipped}: no insurance coverage on the date of service."
    claim = Claim.objects.get()
    assert claim.created_by.username == "biller"
    assert claim.status == Claim.Status.DRAFT


def test_the_build_button_takes_a_payer_and_a_through_date(biller, practice_row):
    acme = factories.CoverageFactory()
    other = factories.CoverageFactory()
    ready_session(acme.client)
    ready_session(acme.client, date=DAY + datetime.timedelta(days=30))
    ready_session(other.client)
    biller.post(reverse("billing:claims_build"), {"payer": acme.payer_id, "through": "2026-10-31"})
    (claim,) = Claim.objects.all()
    assert claim.payer_id == acme.payer_id
    assert list(claim.lines.values_list("date_of_service", flat=True)) == [DAY]


def test_more_than_twenty_skipped_sessions_are_summed_up(biller, practice_row, frozen):
    uncovered = factories.CoverageFactory(effective_from=datetime.date(2027, 1, 1)).client
    for n in range(22):
        ready_session(uncovered, date=DAY - datetime.timedelta(days=n))
    messages = texts(biller.post(reverse("billing:claims_build")))
    assert len(messages) == 1 + 20 + 1
    assert messages[-1] == "…and 2 more sessions skipped."


def test_building_with_nothing_ready_says_so(biller, practice_row):
    response = biller.post(reverse("billing:claims_build"))
    assert texts(response) == ["No claims built: no ready session was left to bill."]


def test_building_with_a_bad_date_or_payer_is_a_message_not_an_error(biller, practice_row):
    response = biller.post(
        reverse("billing:claims_build"), {"through": "2026-02-30", "payer": "999"}
    )
    assert response.status_code == 302
    assert sorted(texts(response)) == [
        "Payer: Select a valid choice. That choice is not one of the available choices.",
        "Sessions through: Enter a valid date.",
    ]
    assert not Claim.objects.exists()


def test_building_without_a_practice_is_a_message(biller, db):
    response = biller.post(reverse("billing:claims_build"))
    assert response.status_code == 302
    assert texts(response) == [
        "Set up the practice (name, tax id, address) before building claims."
    ]


# --- detail ------------------------------------------------------------------------------


def test_the_detail_shows_parties_diagnoses_lines_totals_and_the_pdf_link(biller, insured, frozen):
    factories.PayerRateFactory(
        payer=insured.coverages.get().payer,
        procedure=ProcedureCode.objects.get(code="90837"),
        allowed_amount=Decimal("120.00"),
    )
    claim = built_claim(insured, codes=("F41.1", "F32.A"), pointers="BA")
    response = biller.get(reverse("billing:claim_detail", args=[claim.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    parties = claim.parties
    for text in [
        parties["patient"]["last_name"],
        parties["subscriber"]["member_id"],
        parties["payer"]["name"],
        parties["rendering"]["npi"],
        parties["billing"]["name"],
        parties["billing"]["tax_id"],
        "A.</strong> F41.1",
        "B.</strong> F32.A",
        "90837",
        "<td>BA</td>",  # the line's pointers: F32.A then F41.1
        "$160.00",
        "$120.00",  # expected allowed, from the payer's rate
        f"/billing/claims/{claim.pk}/cms1500.pdf",
        "No problems found.",
        "Mark ready",
        "Discard",
    ]:
        assert text in body, text


def test_the_detail_shows_a_time_rule_error_naming_its_line(biller, insured, frozen):
    claim = built_claim(insured, minutes=30)
    response = biller.get(reverse("billing:claim_detail", args=[claim.pk]))
    body = response.content.decode()
    errors = response.context["errors"]
    assert [p.rule for p in errors] == ["time_rule"]
    assert errors[0].line == 1
    assert "list-group-item-danger" in body
    assert "Error · line 1:" in body
    assert "90837 needs 53 or more minutes but the session recorded 30." in body
    assert 'class="table-danger"' in body


def test_the_detail_shows_warnings_in_amber(client, biller_user, insured, time_machine):
    claim = built_claim(insured)
    # Ten days before the 90-day filing limit: a warning, not an error.
    time_machine.move_to(
        datetime.datetime.combine(
            DAY + datetime.timedelta(days=80), datetime.time(12), tzinfo=datetime.UTC
        ),
        tick=False,
    )
    client.force_login(biller_user)  # after moving the clock, or the login expires
    body = client.get(reverse("billing:claim_detail", args=[claim.pk])).content.decode()
    assert "list-group-item-warning" in body
    assert "Warning · line 1:" in body
    assert "list-group-item-danger" not in body


def test_the_detail_of_a_replacement_shows_the_claims_history(biller, insured, frozen):
    original = claim_submit(claim=built_claim(insured))
    claim_correct(claim=original, reason="wrong code", payer_claim_number="P-77")
    response = biller.post(reverse("billing:claim_replace", args=[original.pk]))
    replacement = Claim.objects.get(original=original)
    detail = biller.get(response["Location"])
    family = detail.context["family"]
    assert [c.pk for c in family] == [original.pk, replacement.pk]
    body = detail.content.decode()
    assert "Replacement of a prior claim" in body
    assert f'href="/billing/claims/{original.pk}/"' in body


# --- actions -----------------------------------------------------------------------------


def test_mark_ready_is_refused_with_the_scrubbers_errors(biller, insured, frozen):
    claim = built_claim(insured, minutes=30)
    response = biller.post(reverse("billing:claim_mark_ready", args=[claim.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("billing:claim_detail", args=[claim.pk])
    (message,) = texts(response)
    assert message.startswith(f"Claim {claim.control_number} was not marked ready. Fix 1 error")
    assert "90837 needs 53 or more minutes" in message
    claim.refresh_from_db()
    assert claim.status == Claim.Status.DRAFT


def test_mark_ready_then_submit(biller, insured, frozen):
    claim = built_claim(insured)
    response = biller.post(reverse("billing:claim_mark_ready", args=[claim.pk]))
    assert texts(response) == [f"Claim {claim.control_number} is ready to submit."]
    claim.refresh_from_db()
    assert claim.status == Claim.Status.READY
    response = biller.post(reverse("billing:claim_submit", args=[claim.pk]))
    # Messages pile up until a page shows them; this test never follows a redirect.
    assert texts(response)[-1] == f"Claim {claim.control_number} is marked submitted."
    claim.refresh_from_db()
    assert claim.status == Claim.Status.SUBMITTED
    assert claim.submitted_at == NOW


def test_submitting_twice_is_a_message_not_an_error(biller, insured, frozen):
    claim = claim_submit(claim=built_claim(insured))
    response = biller.post(reverse("billing:claim_submit", args=[claim.pk]))
    assert response.status_code == 302
    assert texts(response) == [
        f"Claim {claim.control_number} was not submitted. This claim is already submitted."
    ]


def test_discarding_a_draft_gives_the_sessions_back_without_a_void(biller, insured, frozen):
    claim = built_claim(insured)
    response = biller.post(
        reverse("billing:claim_discard", args=[claim.pk]), {"reason": "Wrong client's coverage"}
    )
    assert response["Location"] == reverse("billing:claim_detail", args=[claim.pk])
    claim.refresh_from_db()
    assert claim.status == Claim.Status.DISCARDED
    assert claim.status_note == "Wrong client's coverage"
    assert set(Session.objects.values_list("status", flat=True)) == {Session.Status.READY}
    assert texts(response) == [
        f"Claim {claim.control_number} is discarded; its sessions are ready to bill again."
    ]
    assert Claim.objects.count() == 1


def test_a_draft_offers_discard_and_no_void(biller, insured, frozen):
    claim = built_claim(insured)
    body = biller.get(reverse("billing:claim_detail", args=[claim.pk])).content.decode()
    assert ">Discard</button>" in body
    assert ">Void</button>" not in body
    assert "void claim sent to the payer" not in body


def test_voiding_a_draft_is_refused_with_the_way_to_discard_it(biller, insured, frozen):
    claim = built_claim(insured)
    response = biller.post(reverse("billing:claim_void", args=[claim.pk]), {"reason": "oops"})
    assert texts(response) == [
        f"Claim {claim.control_number} was not voided. This claim was never sent: discard "
        "it instead (nothing to void at the payer)."
    ]
    claim.refresh_from_db()
    assert claim.status == Claim.Status.DRAFT


def test_voiding_needs_a_reason(biller, insured, frozen):
    claim = built_claim(insured)
    response = biller.post(reverse("billing:claim_void", args=[claim.pk]), {"reason": "   "})
    assert response.status_code == 302
    assert texts(response) == ["To void a claim, give the reason."]
    claim.refresh_from_db()
    assert claim.status == Claim.Status.DRAFT


def test_voiding_a_submitted_claim_opens_the_void_claim_to_send(biller, insured, frozen):
    claim = claim_submit(claim=built_claim(insured))
    response = biller.post(
        reverse("billing:claim_void", args=[claim.pk]), {"reason": "Billed the wrong payer"}
    )
    void = Claim.objects.get(frequency=Claim.Frequency.VOID)
    assert void.original == claim
    assert response["Location"] == reverse("billing:claim_detail", args=[void.pk])
    assert void.control_number in texts(response)[0]
    assert set(Session.objects.values_list("status", flat=True)) == {Session.Status.READY}
    # A void claim cannot itself be voided; the page says why.
    again = biller.post(reverse("billing:claim_void", args=[void.pk]), {"reason": "again"})
    assert again.status_code == 302
    assert "A void claim cannot itself be voided." in texts(again)[-1]


def test_correcting_a_sent_claim_needs_a_reason_and_the_payers_number(biller, insured, frozen):
    claim = claim_submit(claim=built_claim(insured))
    response = biller.post(
        reverse("billing:claim_correct", args=[claim.pk]),
        {"reason": "", "payer_claim_number": ""},
    )
    assert texts(response) == [
        "What is corrected: This field is required.",
        "Payer's claim number: This field is required.",
    ]
    claim.refresh_from_db()
    assert claim.status == Claim.Status.SUBMITTED


def test_correcting_then_replacing_a_sent_claim_opens_the_replacement(biller, insured, frozen):
    claim = claim_submit(claim=built_claim(insured))
    response = biller.post(
        reverse("billing:claim_correct", args=[claim.pk]),
        {"reason": "Wrong modifier", "payer_claim_number": "PAYER-9"},
    )
    assert "is being corrected" in texts(response)[-1]
    detail = biller.get(reverse("billing:claim_detail", args=[claim.pk])).content.decode()
    assert "Build the replacement" in detail
    session = Session.objects.get()
    assert f'href="{reverse("practice:session_detail", args=[session.pk])}"' in detail
    response = biller.post(reverse("billing:claim_replace", args=[claim.pk]))
    replacement = Claim.objects.get(frequency=Claim.Frequency.REPLACEMENT)
    assert response["Location"] == reverse("billing:claim_detail", args=[replacement.pk])
    claim.refresh_from_db()
    assert claim.status == Claim.Status.REPLACED
    assert ClaimLine.objects.filter(live=True).get().claim == replacement


def test_replacing_a_draft_is_a_message_not_an_error(biller, insured, frozen):
    claim = built_claim(insured)
    response = biller.post(reverse("billing:claim_replace", args=[claim.pk]))
    assert response.status_code == 302
    assert texts(response)[0].startswith(
        f"Claim {claim.control_number} was not replaced. Correct the claim first"
    )
    assert Claim.objects.count() == 1


def test_the_dashboard_counts_ready_sessions_and_claims_by_status(biller, insured, frozen):
    ready_session(insured)
    make_claim(insured.coverages.get(), status=Claim.Status.DRAFT)
    make_claim(insured.coverages.get())
    response = biller.get(reverse("billing:dashboard"))
    body = response.content.decode()
    assert response.context["ready_sessions"] == 1
    assert {row["status"]: row["count"] for row in response.context["claim_rows"]} == {
        "draft": 1,
        "submitted": 1,
    }
    assert reverse("billing:claim_list") in body
    assert reverse("billing:summary") in body
    assert reverse("billing:claims_build") in body
    assert Payer.objects.exists()


def test_the_dashboard_leaves_settled_work_to_the_reports(biller, insured, frozen):
    session = ready_session(insured)
    Session.objects.filter(pk=session.pk).update(status=Session.Status.CLOSED)
    make_claim(insured.coverages.get(), status=Claim.Status.PAID)
    make_claim(insured.coverages.get(), status=Claim.Status.DENIED)
    response = biller.get(reverse("billing:dashboard"))
    assert [row["status"] for row in response.context["claim_rows"]] == ["denied"]
    assert response.context["rows"] == []


def test_the_dashboard_counts_are_links_and_a_self_pay_difference_is_explained(
    biller, insured, frozen
):
    ready_session(insured)
    ready_session(factories.ClientFactory(self_pay=True))
    make_claim(insured.coverages.get(), status=Claim.Status.DRAFT)

    response = biller.get(reverse("billing:dashboard"))

    body = response.content.decode()
    assert (response.context["ready_sessions"], response.context["ready_all"]) == (1, 2)
    assert "1</strong> session ready to go on claims" in body
    assert "1 is self-pay (billed on a superbill)" in body
    sessions = reverse("practice:session_list")
    assert f'<a href="{sessions}?status=ready">2</a>' in body
    assert f'<a href="{sessions}?status=ready">2 ready to bill</a>' in body
    assert f'<a href="{reverse("billing:claim_list")}?status=draft">1</a>' in body


def test_the_dashboard_says_nothing_more_when_the_two_ready_counts_agree(biller, insured, frozen):
    ready_session(insured)
    body = biller.get(reverse("billing:dashboard")).content.decode()
    assert "ready to go on claims" in body and "ready to bill</a>," not in body


def test_the_dashboard_tells_each_kind_of_ready_session_and_open_claim_apart(
    biller, insured, frozen
):
    """At the edges of each count: a ready session on a claim being corrected is ready but
    not billable (it goes on the replacement); one whose draft claim was discarded is
    billable again; a self-pay one goes on a superbill; a draft without lines has no
    charges; a claim being corrected or rejected is open work, a paid or discarded one
    is not."""
    billable = ready_session(insured)
    corrected = ready_session(insured, date=DAY - datetime.timedelta(days=7))
    (sent,) = claims_build(session_ids=[corrected.pk]).claims
    claim_correct(claim=claim_submit(claim=sent), reason="wrong code", payer_claim_number="P-1")
    again = ready_session(insured, date=DAY - datetime.timedelta(days=14))
    (dropped,) = claims_build(session_ids=[again.pk]).claims
    claim_discard(claim=dropped)
    ready_session(factories.ClientFactory(self_pay=True))
    factories.SessionFactory(client=insured, date=DAY, status=Session.Status.DRAFT)
    make_claim(insured.coverages.get(), status=Claim.Status.PAID)
    make_claim(insured.coverages.get(), status=Claim.Status.REJECTED)

    response = biller.get(reverse("billing:dashboard"))

    context = response.context
    assert Session.objects.get(pk=corrected.pk).status == Session.Status.READY
    assert Session.objects.get(pk=again.pk).status == Session.Status.READY
    assert (context["ready_all"], context["ready_sessions"]) == (4, 2)
    assert (context["ready_self_pay"], context["ready_corrections"]) == (1, 1)
    rows = {row["status"]: (row["count"], row["charges"]) for row in context["rows"]}
    assert rows == {"draft": (1, None), "ready": (4, Decimal("640.00"))}
    claims = {row["status"]: row["count"] for row in context["claim_rows"]}
    assert claims == {"rejected": 1, "correcting": 1}
    assert billable.pk  # the plain ready session, counted among the 2 billable


def test_the_dashboard_charges_are_the_sums_of_the_unbilled_sessions_lines(biller, insured, frozen):
    """The charges per status (each session's stored ``line_charges``) against the plain
    sum of the lines of the sessions in that status: several lines, a line of 0.00, a
    draft without lines, lines changed after the session was written, billed work left
    out."""
    several = ready_session(insured)
    factories.ServiceLineFactory(session=several, position=2, charge=Decimal("24.35"))
    free = ready_session(insured, date=DAY - datetime.timedelta(days=7))
    free.lines.update(charge=Decimal("0.00"))
    draft = factories.SessionFactory(client=insured, date=DAY, status=Session.Status.DRAFT)
    factories.SessionFactory(client=insured, date=DAY, status=Session.Status.DRAFT)
    factories.ServiceLineFactory(session=draft, position=1, charge=Decimal("99.99")).delete()
    factories.ServiceLineFactory(session=draft, position=1, charge=Decimal("80.10"))
    make_claim(insured.coverages.get())  # a billed session with a line

    rows = biller.get(reverse("billing:dashboard")).context["rows"]

    plain = {
        status: ServiceLine.objects.filter(session__status=status).aggregate(charges=Sum("charge"))[
            "charges"
        ]
        for status in ("draft", "ready")
    }
    assert {row["status"]: row["charges"] for row in rows} == plain
    assert plain == {"draft": Decimal("80.10"), "ready": Decimal("184.35")}


@pytest.mark.parametrize("sessions", [1, 12])
def test_the_dashboard_runs_the_same_queries_for_1_or_12_of_each(
    biller, insured, frozen, django_assert_max_num_queries, sessions
):
    for _ in range(sessions):
        ready_session(insured)
        ready_session(factories.ClientFactory(self_pay=True))
        make_claim(insured.coverages.get(), status=Claim.Status.DRAFT)
    # 10 = the login session, the user, the user's roles, the request's savepoint pairs
    # and the session's save; then the open sessions by status with their charges and the
    # billable and self-pay ready ones, and the open claims by status.
    with django_assert_max_num_queries(10):
        response = biller.get(reverse("billing:dashboard"))
    assert (response.context["ready_sessions"], response.context["ready_self_pay"]) == (
        sessions,
        sessions,
    )
    (ready,) = [row for row in response.context["rows"] if row["status"] == "ready"]
    assert ready["count"] == 2 * sessions and ready["charges"] > 0
