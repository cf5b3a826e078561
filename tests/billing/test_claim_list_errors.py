"""The claim list's errors column and filter (issue 9): the count the scrubber kept on each
draft or ready claim when it last checked it (Claim.scrub_errors), never a scrub per row."""

from __future__ import annotations

import datetime
import io
import re

import pytest
from django.core.management import call_command
from django.urls import reverse

from billing.models import Claim, DiagnosisCode
from billing.scrubber import scrub
from billing.services import claim_discard, claims_build, claims_check
from tests import factories
from tests.billing.test_scrubber import ready_session

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 10, 12, 15, 0, tzinfo=datetime.UTC)  # a week after DAY


@pytest.fixture(autouse=True)
def frozen(time_machine):
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def biller(client, biller_user):
    client.force_login(biller_user)
    return client


def errors_column(response) -> dict[str, str]:
    """Control number -> the text of its Errors cell."""
    html = response.content.decode()
    rows = re.findall(r"<tr>\s*<td[^>]*><a href=\"[^\"]+\">([^<]+)</a>.*?</tr>", html, re.S)
    cells = re.findall(r'<td[^>]*class="text-end claim-errors">(.*?)</td>', html, re.S)
    assert len(rows) == len(cells)
    return {
        number: re.sub(r"<[^>]+>", "", cell).strip()
        for number, cell in zip(rows, cells, strict=True)
    }


def build() -> list[Claim]:
    """Build and check claims, as the Build claims button and command do."""
    claims = claims_build().claims
    claims_check(claims=claims)
    return claims


def two_drafts(practice_row) -> tuple[Claim, Claim]:
    """A clean draft and one whose 90837 line has 45 minutes (a time-rule error)."""
    clean = factories.CoverageFactory()
    wrong = factories.CoverageFactory()
    ready_session(clean.client)
    ready_session(wrong.client, minutes=45)
    claims = build()
    by_client = {claim.client_id: claim for claim in claims}
    return by_client[clean.client_id], by_client[wrong.client_id]


def test_building_claims_from_the_page_records_each_drafts_errors(biller, practice_row):
    clean = factories.CoverageFactory()
    wrong = factories.CoverageFactory()
    ready_session(clean.client)
    ready_session(wrong.client, minutes=45)
    assert biller.post(reverse("billing:claims_build")).status_code == 302
    counts = dict(Claim.objects.values_list("client_id", "scrub_errors"))
    assert counts == {clean.client_id: 0, wrong.client_id: 1}


def test_the_build_command_records_each_drafts_errors(practice_row):
    ready_session(factories.CoverageFactory().client, minutes=45)
    call_command("build_claims", stdout=io.StringIO())
    assert Claim.objects.get().scrub_errors == 1


def test_the_list_shows_the_errors_of_draft_and_ready_claims_only(biller, practice_row):
    clean, wrong = two_drafts(practice_row)
    sent = factories.CoverageFactory()
    ready_session(sent.client)
    (submitted,) = build()
    Claim.objects.filter(pk=submitted.pk).update(status=Claim.Status.SUBMITTED)
    column = errors_column(biller.get(reverse("billing:claim_list")))
    assert column == {
        clean.control_number: "0",
        wrong.control_number: "1",
        submitted.control_number: "",
    }


@pytest.mark.parametrize(
    ("choice", "expected"), [("with", ["wrong"]), ("without", ["clean"]), ("", ["clean", "wrong"])]
)
def test_the_errors_filter(biller, practice_row, choice, expected):
    clean, wrong = two_drafts(practice_row)
    discarded = factories.CoverageFactory()
    ready_session(discarded.client)
    (gone,) = build()
    claim_discard(claim=gone)  # never sent and thrown away: in neither list
    response = biller.get(reverse("billing:claim_list"), {"errors": choice})
    names = {clean.pk: "clean", wrong.pk: "wrong", gone.pk: "gone"}
    listed = sorted(names[claim.pk] for claim in response.context["claims"])
    assert listed == (expected if choice else sorted([*expected, "gone"]))


def test_an_unknown_filter_value_is_shown_and_ignored(biller, practice_row):
    two_drafts(practice_row)
    response = biller.get(reverse("billing:claim_list"), {"errors": "some"})
    assert response.status_code == 200
    assert response.context["filters"].errors["errors"]
    assert len(response.context["claims"]) == 2


def test_opening_a_claim_checks_it_again_without_a_new_version(biller, practice_row):
    _, wrong = two_drafts(practice_row)
    wrong = Claim.objects.get(pk=wrong.pk)
    line = wrong.lines.get()
    line.minutes = 53  # as if the session had been corrected and the claim rebuilt
    line.save()
    versions, history = wrong.version, wrong.history.count()
    assert biller.get(reverse("billing:claim_detail", args=[wrong.pk])).status_code == 200
    wrong.refresh_from_db()
    assert wrong.scrub_errors == 0
    assert (wrong.version, wrong.history.count()) == (versions, history)


def test_a_claim_never_checked_shows_a_question_mark(biller, practice_row):
    clean, _ = two_drafts(practice_row)
    Claim.objects.filter(pk=clean.pk).update(scrub_errors=None)
    assert errors_column(biller.get(reverse("billing:claim_list")))[clean.control_number] == "?"
    scrub(Claim.objects.get(pk=clean.pk))
    assert errors_column(biller.get(reverse("billing:claim_list")))[clean.control_number] == "0"


@pytest.mark.parametrize("claims", [1, 30])
def test_the_errors_column_and_filter_add_no_query_per_claim(
    biller, practice_row, django_assert_max_num_queries, claims
):
    for n in range(claims):
        ready_session(factories.CoverageFactory().client, minutes=45 if n % 2 else 53)
    assert len(build()) == claims
    # 12 = the login session, the user, the user's roles, the user's clinician row (menu),
    # payers and clinicians for the filter selects (then cached), the page of claims with
    # their kept error counts and their lines' dates and count, the session save, and the
    # request's two savepoint pairs (ATOMIC_REQUESTS). None of them per claim.
    for query in ({}, {"errors": "with"}):
        with django_assert_max_num_queries(12):
            response = biller.get(reverse("billing:claim_list"), query)
        assert response.status_code == 200
    assert len(response.context["claims"]) == claims // 2


def test_a_payer_setting_change_clears_the_counts_its_unsent_claims_kept(biller, practice_row):
    clean, wrong = two_drafts(practice_row)
    sent = factories.CoverageFactory(payer=clean.payer)
    ready_session(sent.client, minutes=45)
    (submitted,) = build()
    Claim.objects.filter(pk=submitted.pk).update(status=Claim.Status.SUBMITTED)
    payer = clean.payer
    payer.requires_prior_authorization = True  # as the admin's payer page saves it
    payer.save()
    column = errors_column(biller.get(reverse("billing:claim_list")))
    assert column[clean.control_number] == "?"
    assert column[wrong.control_number] == "1"  # another payer's claim keeps its count
    assert Claim.objects.get(pk=submitted.pk).scrub_errors == 1  # a sent claim keeps its own
    # Neither filter trusts a count that may be stale; opening the claim checks it again.
    assert [
        c.pk
        for c in biller.get(reverse("billing:claim_list"), {"errors": "without"}).context["claims"]
    ] == []
    assert biller.get(reverse("billing:claim_detail", args=[clean.pk])).status_code == 200
    assert Claim.objects.get(pk=clean.pk).scrub_errors == 1  # the missing authorization


def test_a_coverage_change_clears_the_count_of_the_claims_billed_on_it(biller, practice_row):
    clean, wrong = two_drafts(practice_row)
    coverage = clean.coverage
    coverage.effective_to = datetime.date(2026, 10, 4)  # ended the day before the session
    coverage.save()
    assert Claim.objects.get(pk=clean.pk).scrub_errors is None
    assert Claim.objects.get(pk=wrong.pk).scrub_errors == 1
    scrub(Claim.objects.get(pk=clean.pk))
    assert Claim.objects.get(pk=clean.pk).scrub_errors > 0


def test_catalog_and_clinician_changes_clear_the_counts_of_the_claims_that_read_them(
    practice_row,
):
    clean, wrong = two_drafts(practice_row)
    DiagnosisCode.objects.get(code="F41.1").save()  # both claims carry F41.1
    assert set(Claim.objects.values_list("scrub_errors", flat=True)) == {None}
    scrub(Claim.objects.get(pk=clean.pk))
    scrub(Claim.objects.get(pk=wrong.pk))
    clinician = clean.lines.get().service_line.session.clinician
    assert wrong.lines.get().service_line.session.clinician_id != clinician.pk
    clinician.save()
    counts = dict(Claim.objects.values_list("pk", "scrub_errors"))
    assert counts == {clean.pk: None, wrong.pk: 1}
