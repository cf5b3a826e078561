"""Every scrubber problem links to what fixes it (issue 9: "every scrubber error links to the
session or the client field that fixes it"), through the claim page and the Send claims
page as a biller and an owner see them: a page the user may not open is named as text."""

from __future__ import annotations

import datetime
import re
from html import unescape

import pytest
from django.urls import NoReverseMatch, reverse

from billing import scrubber
from billing.models import Claim
from billing.scrubber import RULE_FIXES, Fix, Problem
from billing.templatetags.fixes import FIX_PAGES, fix_url
from tests import factories
from tests.billing.test_scrubber import build, ready_session, save_parties

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 10, 12, 15, 0, tzinfo=datetime.UTC)  # a week after DAY


@pytest.fixture(autouse=True)
def frozen(time_machine):
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def coverage(practice_row):
    return factories.CoverageFactory()


def problems_on(client, user, claim: Claim) -> list[str]:
    """The claim page's problem items as that user sees them (HTML, one per item)."""
    client.force_login(user)
    response = client.get(reverse("billing:claim_detail", args=[claim.pk]))
    assert response.status_code == 200
    return re.findall(
        r'<li class="list-group-item [^"]*scrub-(?:error|warning)">(.*?)</li>',
        response.content.decode(),
        re.S,
    )


def item(items: list[str], text: str) -> str:
    (found,) = [one for one in items if text in unescape(one)]
    return found


def links(html: str) -> list[tuple[str, str]]:
    return [
        (unescape(href), unescape(text))
        for href, text in re.findall(r'<a class="fix-link" href="([^"]+)">([^<]+)</a>', html)
    ]


def test_a_time_rule_error_links_to_its_session(client, biller_user, coverage):
    session = ready_session(coverage.client, minutes=45)  # 90837 needs 53 minutes
    claim = build()
    html = item(problems_on(client, biller_user, claim), "needs 53 or more minutes")
    edit = reverse("practice:session_edit", args=[session.pk])
    assert links(html) == [(edit, "Edit the session")]
    # The session is on the draft claim: its edit page says how to free it.
    response = client.get(edit, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == reverse("practice:session_detail", args=[session.pk])


def test_a_same_day_error_names_no_line_but_links_to_the_days_session(
    client, biller_user, coverage
):
    ready_session(coverage.client, lines=("90834",), minutes=45, start_time=datetime.time(8, 0))
    build()
    crisis = ready_session(coverage.client, lines=("90839",), minutes=60)
    claim = build()  # beside the first claim's 90834 the same day
    html = item(problems_on(client, biller_user, claim), "cannot be billed with")
    assert links(html) == [(reverse("practice:session_edit", args=[crisis.pk]), "Edit the session")]


def test_payer_settings_are_a_link_for_an_owner_and_text_for_a_biller(
    client, biller_user, owner_user, coverage
):
    payer = coverage.payer
    payer.accepts_electronic_claims = True
    payer.payer_id = ""
    payer.save()
    ready_session(coverage.client)
    claim = build()
    text = "has no electronic payer id"
    as_biller = item(problems_on(client, biller_user, claim), text)
    assert links(as_biller) == []
    assert "Payer settings (an owner&#x27;s page)" in as_biller
    as_owner = item(problems_on(client, owner_user, claim), text)
    change = reverse("admin:billing_payer_change", args=[payer.pk])
    assert links(as_owner) == [(change, "Payer settings")]
    assert client.get(change).status_code == 200


def test_a_subscriber_problem_links_to_the_clients_coverages(client, biller_user, coverage):
    ready_session(coverage.client)
    claim = build()
    save_parties(claim, "subscriber", member_id="")
    html = item(problems_on(client, biller_user, claim), "member id is missing")
    edit = reverse("practice:client_edit", args=[coverage.client_id])
    assert links(html) == [(f"{edit}#coverages-forms", "Edit the coverage")]
    assert client.get(edit).status_code == 200


def test_a_practice_problem_links_to_the_practice_settings_for_an_owner(
    client, owner_user, coverage
):
    ready_session(coverage.client)
    claim = build()
    save_parties(claim, "billing", tax_id="12-34")
    html = item(problems_on(client, owner_user, claim), "Billing provider tax id")
    (href, label), *_ = links(html)
    assert label == "Practice settings"
    assert client.get(href).status_code == 200


def test_a_replacement_without_the_payers_number_links_to_its_field(client, biller_user, coverage):
    ready_session(coverage.client)
    claim = build()
    Claim.objects.filter(pk=claim.pk).update(
        frequency=Claim.Frequency.REPLACEMENT, original=Claim.objects.create(
            control_number="OLD-1",
            client=claim.client,
            coverage=claim.coverage,
            payer=claim.payer,
            rendering=claim.rendering,
            status=Claim.Status.REPLACED,
        )
    )  # fmt: skip
    html = item(problems_on(client, biller_user, claim), "needs the payer's claim number")
    page = reverse("billing:claim_detail", args=[claim.pk])
    assert links(html) == [
        (f"{page}#id_number-payer_claim_number", "Enter the payer's claim number")
    ]
    response = client.get(page)
    assert 'id="id_number-payer_claim_number"' in response.content.decode()


def test_the_send_claims_page_links_each_reason_a_claim_is_held(client, owner_user, coverage):
    payer = coverage.payer
    payer.accepts_electronic_claims = True
    payer.save()
    ready_session(coverage.client)
    claim = build()
    Claim.objects.filter(pk=claim.pk).update(status=Claim.Status.READY)
    client.force_login(owner_user)
    response = client.get(reverse("billing:send_claims"), {"payers": [payer.pk]})
    assert response.status_code == 200
    held = response.content.decode().split('id="held-heading"', 1)[1]
    # No clearinghouse is set up in this test: the reason links to where one is added.
    assert (reverse("admin:billing_clearinghouse_changelist"), "Clearinghouses") in links(held)


# --- The table of fix pages ------------------------------------------------------------


def test_every_page_a_rule_names_has_a_link():
    named_in_rules = {
        scrubber.PRACTICE,
        scrubber.CLINICIAN,
        scrubber.LOCATION,
        scrubber.CLEARINGHOUSE,
        scrubber.CLAIM,
        *scrubber.PARTY_FIXES.values(),
    }
    assert set(RULE_FIXES.values()) | named_in_rules <= set(FIX_PAGES)


@pytest.mark.parametrize("page", sorted(FIX_PAGES))
def test_every_fix_page_has_a_url_with_or_without_a_row(page):
    try:
        url = fix_url(Fix(page, 1))
    except NoReverseMatch as error:  # pragma: no cover - the assertion says which
        pytest.fail(f"{page}: {error}")
    assert url and url.startswith("/")


def test_a_problem_without_a_fix_renders_nothing(rf, biller_user):
    from django.template import Context, Template

    request = rf.get("/")
    request.user = biller_user
    template = Template("{% load fixes %}[{% fix_link problem %}]")
    rendered = template.render(Context({"request": request, "problem": Problem("x", "error", "m")}))
    assert rendered == "[]"
