"""Uploading an 835 in the biller's screens (billing/views/remittances.py, billing/uploads.py):
list, upload, preview, post as previewed, refusals beside the file field, manual
matching of a claim payment, access. Files are built by tests/x835.py (pyx12: 0 errors)."""

from __future__ import annotations

import hashlib
import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from billing.models import (
    Claim,
    ClaimPosting,
    PaymentAllocation,
    PendingRemittance,
    Remittance,
)
from billing.posting import remittance_post
from practice.models import AccessEvent
from tests import factories
from tests.billing.test_claim_views import Line, make_claim
from tests.x835 import ClaimAnswer, LineAnswer, build_835, paid_in_full

pytestmark = pytest.mark.django_db
D = Decimal
LIST = reverse("billing:remittance_list")


@pytest.fixture
def coverage(practice_row):
    return factories.CoverageFactory()


@pytest.fixture
def biller(client, biller_user):
    client.force_login(biller_user)
    return client


def upload(client, text: str, name: str = "era.835"):
    return client.post(LIST, {"file": SimpleUploadedFile(name, text.encode("latin-1"))})


def digest_of(page: str) -> str:
    return re.search(r'name="digest" value="([0-9a-f]{64})"', page).group(1)


def list_figures(client, remittance: Remittance) -> list[str]:
    """The list row's amount, claims matched, claims unmatched and lines unmatched."""
    listing = client.get(LIST).content.decode()
    row = listing[listing.index(f">{remittance.trace_number}</a>") :]
    return re.findall(r'<td[^>]*class="text-end">([^<]*)</td>', row[: row.index("</tr>")])


def preview_and_post(client, text: str):
    response = upload(client, text)
    assert response.status_code == 302, response.content.decode()[:2000]
    preview = client.get(response.url)
    assert preview.status_code == 200
    page = preview.content.decode()
    return client.post(response.url + "post/", {"digest": digest_of(page)}), page


def test_upload_shows_a_preview_and_posts_nothing_until_post(biller, coverage):
    claim = make_claim(coverage, [Line(), Line(code="90834", charge=D("120.00"))])
    first, second = claim.lines.all()
    answer = ClaimAnswer(
        claim,
        [
            LineAnswer(first, D("100.00"), [("CO", "45", D("35")), ("PR", "2", D("25"))]),
            LineAnswer(second, D("0"), [("CO", "45", D("20")), ("PR", "1", D("100"))]),
        ],
        payer_claim_number="PAYER42",
    )
    text = build_835(coverage.payer, [answer])
    history = claim.history.count()
    response = upload(biller, text)
    assert response.status_code == 302
    pending = PendingRemittance.objects.get()
    assert response.url == reverse("billing:remittance_preview", args=[pending.sha256])
    assert pending.sha256 == hashlib.sha256(text.encode()).hexdigest() and pending.text == text

    page = biller.get(response.url).content.decode()
    row = page[page.index(f'data-claim="{claim.control_number}"') :]
    row = row[: row.index("</tr>")]
    # charge, allowed (paid + client's share), paid, client's share
    for amount in ("$280.00", "$225.00", "$100.00", "$125.00"):
        assert amount in row
    assert "Coinsurance: the client&#x27;s share" in row
    assert "Deductible: the client pays" in row
    assert "Submitted → <strong>Paid</strong>" in row
    assert "none → <strong>PAYER42</strong>" in row
    assert not Remittance.objects.exists() and not ClaimPosting.objects.exists()
    claim.refresh_from_db()
    assert (claim.status, claim.payer_claim_number, claim.history.count()) == (
        "submitted",
        "",
        history,
    )

    response = biller.post(response.url + "post/", {"digest": digest_of(page)})
    remittance = Remittance.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("billing:remittance_detail", args=[remittance.pk])
    claim.refresh_from_db()
    assert (claim.status, claim.payer_claim_number) == (Claim.Status.PAID, "PAYER42")
    assert remittance.text == text and remittance.file_name == "era.835"
    assert PendingRemittance.objects.get().posted_at is not None


def test_posting_again_or_uploading_a_file_already_imported_changes_nothing_and_says_so(
    biller, coverage
):
    claim = make_claim(coverage)
    text = build_835(coverage.payer, [paid_in_full(claim)])
    response, page = preview_and_post(biller, text)
    assert response.status_code == 302
    rows = ClaimPosting.objects.count(), PaymentAllocation.objects.count()

    again = biller.post(
        reverse("billing:remittance_preview", args=[PendingRemittance.objects.get().sha256])
        + "post/",
        {"digest": digest_of(page)},
        follow=True,
    )
    assert "Already imported" in again.content.decode()
    assert (ClaimPosting.objects.count(), PaymentAllocation.objects.count()) == rows

    # The same payment imported from the command line first, then uploaded.
    other = make_claim(coverage)
    text = build_835(coverage.payer, [paid_in_full(other)], trace="CLI0001")
    remittance_post(text=text)
    rows = ClaimPosting.objects.count()
    preview = biller.get(upload(biller, text).url).content.decode()
    assert "Already imported" in preview and 'name="digest"' not in preview
    assert ClaimPosting.objects.count() == rows


def test_a_malformed_file_is_refused_beside_the_file_field_naming_the_segment(biller, coverage):
    claim = make_claim(coverage)
    text = build_835(coverage.payer, [paid_in_full(claim)])
    broken = text.replace(
        f"CLP*{claim.control_number}*1*160*160", f"CLP*{claim.control_number}*1*160*150"
    )
    response = upload(biller, broken)
    assert response.status_code == 400
    page = response.content.decode()
    feedback = page[page.index('id="file-errors"') :]
    feedback = feedback[: feedback.index("</div>")]
    assert "Refused, nothing was posted." in feedback and "CLP*" in feedback
    assert not PendingRemittance.objects.exists() and not Remittance.objects.exists()


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", "The submitted file is empty."),
        ("ISA*é~".encode(), "is not ASCII"),
        (b"ISA*00*\x00~", "NUL"),
        (b"GS*HP*nonsense~", "does not follow the 835 implementation guide"),
    ],
)
def test_files_that_are_no_835_are_a_400_with_the_reason(biller, coverage, content, words):
    response = biller.post(LIST, {"file": SimpleUploadedFile("x.835", content)})
    assert response.status_code == 400
    assert words in response.content.decode()
    assert not PendingRemittance.objects.exists()


def test_no_file_is_a_400_beside_the_field(biller):
    response = biller.post(LIST, {})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()


def test_an_unmatched_claim_is_previewed_posted_kept_and_matched_by_hand(biller, coverage):
    claim = make_claim(coverage, [Line(), Line(code="90834", charge=D("120.00"))])
    answer = ClaimAnswer(
        claim,
        [
            LineAnswer(line, line.charge - D("20"), [("PR", "3", D("20"))])
            for line in claim.lines.all()
        ],
        control_number="WRONG123",
        payer_claim_number="PCN9",
    )
    text = build_835(coverage.payer, [answer])
    response = upload(biller, text)
    page = biller.get(response.url).content.decode()
    assert "Matching nothing of ours" in page and "WRONG123" in page

    posted = biller.post(response.url + "post/", {"digest": digest_of(page)})
    remittance = Remittance.objects.get()
    assert posted.url == reverse("billing:remittance_detail", args=[remittance.pk])
    claim.refresh_from_db()
    assert claim.status == Claim.Status.SUBMITTED

    detail = biller.get(posted.url).content.decode()
    assert 'data-unmatched="WRONG123"' in detail
    assert list_figures(biller, remittance) == ["$240.00", "0", "1", "0"]
    waiting = ClaimPosting.objects.get(claim__isnull=True)
    url = reverse("billing:remittance_match", args=[remittance.pk, waiting.pk])

    refused = biller.post(url, {f"p{waiting.pk}-control_number": "NOPE"})
    assert refused.status_code == 400
    assert "No claim &#x27;NOPE&#x27;" in refused.content.decode()

    matched = biller.post(url, {f"p{waiting.pk}-control_number": claim.control_number})
    assert matched.status_code == 302
    claim.refresh_from_db()
    assert (claim.status, claim.payer_claim_number) == (Claim.Status.PAID, "PCN9")
    assert claim.history.first().history_change_reason == "Remittance matched by hand"
    new = ClaimPosting.objects.get(claim=claim)
    assert new.matched_from == waiting and waiting.reversed_by.paid == D("-240.00")
    assert sorted(a.claim_line.procedure_code for a in new.allocations.all()) == [
        "90834",
        "90837",
    ]
    # The payment counts once: the unmatched posting and its reversal cancel out.
    total = sum(p.paid for p in ClaimPosting.objects.filter(payment=waiting.payment))
    assert total == D("240.00")
    assert 'data-unmatched="WRONG123"' not in biller.get(posted.url).content.decode()
    # Matched by hand: the waiting posting and its reversal count no more.
    assert list_figures(biller, remittance) == ["$240.00", "1", "0", "0"]

    again = biller.post(url, {f"p{waiting.pk}-control_number": claim.control_number}, follow=True)
    assert "matched already; nothing was posted" in again.content.decode()
    assert ClaimPosting.objects.filter(claim=claim).count() == 1


def test_a_line_matching_nothing_is_listed_on_the_remittance(biller, coverage):
    claim = make_claim(coverage)
    (line,) = claim.lines.all()
    answer = ClaimAnswer(claim, [LineAnswer(line, line.charge, by_code=True, code="90834")])
    response, page = preview_and_post(biller, build_835(coverage.payer, [answer]))
    assert "matches no line of this claim" in page
    detail = biller.get(response.url).content.decode()
    assert "Lines matching none of the claim" in detail and "90834" in detail
    assert list_figures(biller, Remittance.objects.get())[1:] == ["1", "0", "1"]


def test_a_claim_changed_between_preview_and_post_posts_nothing(biller, coverage):
    claim = make_claim(coverage)
    response = upload(biller, build_835(coverage.payer, [paid_in_full(claim)]))
    page = biller.get(response.url).content.decode()
    Claim.objects.filter(pk=claim.pk).update(status=Claim.Status.VOID)
    posted = biller.post(response.url + "post/", {"digest": digest_of(page)})
    assert posted.status_code == 409
    assert "changed since the preview" in posted.content.decode()
    assert not Remittance.objects.exists()


def test_a_forged_digest_posts_nothing(biller, coverage):
    claim = make_claim(coverage)
    response = upload(biller, build_835(coverage.payer, [paid_in_full(claim)]))
    posted = biller.post(response.url + "post/", {"digest": "0" * 64})
    assert posted.status_code == 409 and not Remittance.objects.exists()


def test_pages_are_read_audited_with_the_clients_shown(biller, coverage):
    claim = make_claim(coverage)
    response, _page = preview_and_post(biller, build_835(coverage.payer, [paid_in_full(claim)]))
    biller.get(response.url)
    events = list(AccessEvent.objects.order_by("pk").values_list("what", "client_count"))
    assert ("Remittance preview", 1) in events and ("Remittance", 1) in events


def test_clinicians_get_403_and_unknown_uploads_404(
    client, clinician_user, biller_user, biller, coverage
):
    claim = make_claim(coverage)
    response = upload(biller, build_835(coverage.payer, [paid_in_full(claim)]))
    preview_url = response.url
    biller.post(
        preview_url + "post/", {"digest": digest_of(biller.get(preview_url).content.decode())}
    )
    remittance = Remittance.objects.get()
    client.force_login(clinician_user)
    for url in (LIST, preview_url, reverse("billing:remittance_detail", args=[remittance.pk])):
        assert client.get(url).status_code == 403
    assert upload(client, "ISA~").status_code == 403
    assert client.post(preview_url + "post/", {"digest": "x"}).status_code == 403
    client.force_login(biller_user)
    missing = reverse("billing:remittance_preview", args=["f" * 64])
    assert client.get(missing).status_code == 404
    assert client.get(reverse("billing:remittance_detail", args=[10**9])).status_code == 404


def test_anonymous_users_are_sent_to_sign_in(client):
    response = client.get(LIST)
    assert response.status_code == 302 and "login" in response.url


def test_the_list_runs_the_same_queries_for_1_or_30_remittances(
    biller, coverage, django_assert_max_num_queries
):
    for n in range(30):
        claim = make_claim(coverage)
        remittance_post(text=build_835(coverage.payer, [paid_in_full(claim)], trace=f"T{n}"))
    # session, user, the user's roles, the request's savepoint and release, the
    # session's save (its own savepoint and release); then the page's remittances with
    # payer and counts (one query, a subquery per count; no count of every remittance).
    with django_assert_max_num_queries(9):
        page = biller.get(LIST)
    assert page.content.decode().count('href="/billing/remittances/') >= 30
    # Older ones follow the row named by its cursor (practice.listing): the same
    # queries, the same order.
    newest_first = [r.pk for r in page.context["remittances"]]
    assert newest_first == sorted(newest_first, reverse=True)  # imported one after another
    tenth = Remittance.objects.get(pk=newest_first[9])
    with django_assert_max_num_queries(9):
        older = biller.get(LIST, {"after": f"{tenth.imported_at.isoformat()}~{tenth.pk}"})
    assert [r.pk for r in older.context["remittances"]] == newest_first[10:]


@pytest.mark.parametrize("claims", [1, 20])
def test_the_preview_runs_a_bounded_number_of_queries(
    biller, coverage, claims, django_assert_max_num_queries
):
    answers = [paid_in_full(make_claim(coverage)) for _ in range(claims)]
    response = upload(biller, build_835(coverage.payer, answers))
    # session, user, pending upload; the claims before and their secondary claims; the
    # posting (20 statements, tests/billing/test_import_835.py); the secondary claims it
    # drafted; the rows it wrote (postings with claims and clients, allocations,
    # adjustments); the savepoint's rollback; the read audit (2); the request's own
    # (roles, nav, savepoints, session save).
    with django_assert_max_num_queries(40):
        page = biller.get(response.url)
    assert page.content.decode().count("data-claim=") == claims


def test_the_list_writes_each_remittance_row_and_marks_those_waiting_for_a_person(
    biller, coverage, settings
):
    assert "No remittance imported yet." in biller.get(LIST).content.decode()
    settings.TIME_ZONE = "America/New_York"
    coverage.payer.name = "Blue <Cross> & Shield"
    coverage.payer.save()
    claim = make_claim(coverage)
    (line,) = claim.lines.all()
    answer = ClaimAnswer(claim, [LineAnswer(line, line.charge, by_code=True, code="90834")])
    remittance_post(text=build_835(coverage.payer, [answer], trace="TRACE77"))
    remittance = Remittance.objects.get()
    Remittance.objects.filter(pk=remittance.pk).update(
        imported_at="2026-07-01T02:05:00+00:00"  # 10:05 pm the day before, in New York
    )

    html = biller.get(LIST).content.decode()

    detail = reverse("billing:remittance_detail", args=[remittance.pk])
    assert (
        f'<tr class="table-warning"><td data-label="Payment date">'
        f"{remittance.payment_date:%m/%d/%Y}</td>"
        '<td data-label="Payer">Blue &lt;Cross&gt; &amp; Shield</td>'
        f'<td data-label="Trace number"><a href="{detail}">TRACE77</a></td>'
    ) in html
    assert '<td data-label="Imported">06/30/2026 22:05</td></tr>' in html
    assert list_figures(biller, remittance)[1:] == ["1", "0", "1"]
