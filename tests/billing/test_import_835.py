"""Posting 835 remittances (billing/posting.py, ``import_835``): matching, amounts,
statuses, reversals, refusals and idempotency. Every file here is built from claims in
the test database by tests/x835.py and passes pyx12 with 0 errors."""

from __future__ import annotations

import io
import json
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing.models import (
    Adjustment,
    Claim,
    ClaimPosting,
    Payment,
    PaymentAllocation,
    ProcedureCode,
    ProviderAdjustment,
    Remittance,
)
from billing.posting import remittance_post
from billing.remittance import RemittanceError, reason_words
from tests import factories
from tests.billing.test_claim_views import Line, make_claim
from tests.threads import at_once
from tests.x835 import ClaimAnswer, LineAnswer, build_835, paid_in_full, reversal_of

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def coverage(practice_row):
    return factories.CoverageFactory()


def run(tmp_path, text: str, name: str = "era.835") -> dict:
    path = tmp_path / name
    path.write_text(text, encoding="ascii")
    out = io.StringIO()
    call_command("import_835", str(path), "--json", stdout=out)
    (line,) = out.getvalue().strip().splitlines()  # exactly one object
    return json.loads(line)


def posted_nothing() -> bool:
    models = (Remittance, Payment, ClaimPosting, PaymentAllocation, Adjustment)
    return not any(model.objects.exists() for model in models)


def test_a_claim_paid_in_full_is_paid_and_keeps_the_payers_claim_number(tmp_path, coverage):
    claim = make_claim(coverage)
    text = build_835(coverage.payer, [paid_in_full(claim, payer_claim_number="PAYER77")])
    summary = run(tmp_path, text)
    assert summary == {
        "claims_matched": 1,
        "claims_unmatched": 0,
        "lines_unmatched": 0,
        "paid": "160.00",
        "patient_responsibility": "0.00",
        "adjustments": "0.00",
        "denied_claims": 0,
        "already_imported": False,
    }
    claim.refresh_from_db()
    # Paid in full, the client owes nothing: nothing more is owed on it (Closed).
    assert (claim.status, claim.payer_claim_number) == (Claim.Status.CLOSED, "PAYER77")
    assert claim.history.first().history_change_reason == "Remittance posted"
    remittance = Remittance.objects.get()
    assert (remittance.trace_number, remittance.amount, remittance.text) == (
        "TRACE0001",
        D("160.00"),
        text,
    )
    assert remittance.payment.method == Payment.Method.CHECK
    (allocation,) = PaymentAllocation.objects.all()
    assert allocation.claim_line == claim.lines.get()
    assert (allocation.allowed, allocation.paid) == (D("160.00"), D("160.00"))


def test_contractual_adjustment_and_copay_split_the_charge(tmp_path, coverage):
    claim = make_claim(coverage)
    line = claim.lines.get()
    answer = ClaimAnswer(
        claim, [LineAnswer(line, D("100.00"), [("CO", "45", D("40.00")), ("PR", "3", D("20"))])]
    )
    summary = run(tmp_path, build_835(coverage.payer, [answer]))
    assert (summary["paid"], summary["patient_responsibility"], summary["adjustments"]) == (
        "100.00",
        "20.00",
        "40.00",
    )
    allocation = PaymentAllocation.objects.get()
    assert (allocation.allowed, allocation.patient_responsibility) == (D("120.00"), D("20.00"))
    assert sorted(Adjustment.objects.values_list("group", "reason_code", "amount")) == [
        ("CO", "45", D("40.00")),
        ("PR", "3", D("20.00")),
    ]
    claim.refresh_from_db()
    assert claim.status == Claim.Status.PAID


def test_coinsurance_and_deductible_are_the_clients_share(tmp_path, coverage):
    claim = make_claim(coverage, [Line(), Line(code="90834", charge=D("120.00"))])
    first, second = claim.lines.all()
    answer = ClaimAnswer(
        claim,
        [
            LineAnswer(first, D("100.00"), [("CO", "45", D("35")), ("PR", "2", D("25"))]),
            LineAnswer(second, D("0"), [("CO", "45", D("20")), ("PR", "1", D("100"))]),
        ],
    )
    summary = run(tmp_path, build_835(coverage.payer, [answer]))
    assert summary["patient_responsibility"] == "125.00"
    claim.refresh_from_db()
    # The deductible line paid nothing but the client owes it: the claim is answered.
    assert claim.status == Claim.Status.PAID


def test_a_denial_moves_the_claim_to_denied_with_the_reason_in_our_words(tmp_path, coverage):
    claim = make_claim(coverage)
    answer = ClaimAnswer(
        claim, [LineAnswer(claim.lines.get(), D("0"), [("CO", "50", D("160"))])], status="4"
    )
    summary = run(tmp_path, build_835(coverage.payer, [answer]))
    assert (summary["denied_claims"], summary["adjustments"]) == (1, "160.00")
    claim.refresh_from_db()
    assert claim.status == Claim.Status.DENIED
    adjustment = Adjustment.objects.get()
    assert reason_words(adjustment.reason_code) == "Payer judged it not medically necessary"
    assert reason_words("253") == "Reason code 253"


def test_one_line_denied_leaves_the_claim_partially_paid(tmp_path, coverage):
    claim = make_claim(coverage, [Line(), Line(code="90834", charge=D("120.00"))])
    first, second = claim.lines.all()
    answer = ClaimAnswer(
        claim,
        [LineAnswer(first, D("160")), LineAnswer(second, D("0"), [("CO", "97", D("120"))])],
    )
    run(tmp_path, build_835(coverage.payer, [answer]))
    claim.refresh_from_db()
    assert claim.status == Claim.Status.PARTIALLY_PAID


def test_a_reversal_takes_back_the_posting_exactly_and_a_new_claim_payment_reposts(
    tmp_path, coverage
):
    claim = make_claim(coverage)
    first = ClaimAnswer(claim, [LineAnswer(claim.lines.get(), D("100"), [("CO", "45", D("60"))])])
    run(tmp_path, build_835(coverage.payer, [first], trace="T1"), "one.835")
    corrected = ClaimAnswer(
        claim,
        [LineAnswer(claim.lines.get(), D("110"), [("CO", "45", D("30")), ("PR", "3", D("20"))])],
        payer_claim_number="PCN0002",
    )
    summary = run(
        tmp_path,
        build_835(coverage.payer, [reversal_of(first), corrected], trace="T2"),
        "two.835",
    )
    assert summary["paid"] == "10.00"  # -100 then +110
    original, reversal, repost = ClaimPosting.objects.order_by("pk")
    assert reversal.reverses == original
    assert (reversal.paid, reversal.charge) == (-original.paid, -original.charge)
    net = {
        (a.group, a.reason_code): a.amount
        for a in Adjustment.objects.filter(posting__in=[original, reversal])
    }
    assert net == {("CO", "45"): D("-60.00")}  # the last one read is the reversal's
    assert sum(a.amount for a in Adjustment.objects.filter(posting__in=[original, reversal])) == 0
    claim.refresh_from_db()
    assert (claim.status, claim.payer_claim_number) == (Claim.Status.PAID, "PCN0002")
    assert repost.reverses is None


def test_a_reversal_alone_puts_the_claim_back_to_submitted(tmp_path, coverage):
    claim = make_claim(coverage)
    first = paid_in_full(claim)
    run(tmp_path, build_835(coverage.payer, [first], trace="T1"), "one.835")
    run(tmp_path, build_835(coverage.payer, [reversal_of(first)], trace="T2"), "two.835")
    claim.refresh_from_db()
    assert claim.status == Claim.Status.SUBMITTED
    totals = [sum(a.paid for a in PaymentAllocation.objects.filter(claim_line__claim=claim))]
    assert totals == [D("0.00")]


def test_a_reversal_that_does_not_match_the_earlier_posting_is_refused(tmp_path, coverage):
    claim = make_claim(coverage)
    first = paid_in_full(claim)
    run(tmp_path, build_835(coverage.payer, [first], trace="T1"), "one.835")
    wrong = reversal_of(
        ClaimAnswer(claim, [LineAnswer(claim.lines.get(), D("150"), [("CO", "45", D("10"))])])
    )
    with pytest.raises(CommandError, match=r"Segment CLP\*.*reversal does not match"):
        run(tmp_path, build_835(coverage.payer, [wrong], trace="T2"), "two.835")
    assert ClaimPosting.objects.count() == 1


def test_an_unknown_claim_and_an_unknown_line_are_kept_with_the_remittance(tmp_path, coverage):
    claim = make_claim(coverage, [Line(), Line(code="90834", charge=D("120.00"))])
    first, second = claim.lines.all()
    ours = ClaimAnswer(
        claim,
        [
            LineAnswer(first, D("160"), by_code=True),
            LineAnswer(second, D("120"), by_code=True, code="90832"),
        ],
    )
    stranger = paid_in_full(make_claim(coverage), control_number="NOTOURS1")
    summary = run(tmp_path, build_835(coverage.payer, [ours, stranger]))
    assert (summary["claims_matched"], summary["claims_unmatched"]) == (1, 1)
    assert summary["lines_unmatched"] == 2  # 90832 on our claim, the stranger's line
    kept = ClaimPosting.objects.get(claim=None)
    assert (kept.control_number, kept.paid) == ("NOTOURS1", D("160.00"))
    assert PaymentAllocation.objects.filter(claim_line=None).count() == 2
    matched = PaymentAllocation.objects.get(claim_line=first)
    assert matched.paid == D("160.00")
    claim.refresh_from_db()
    assert claim.status == Claim.Status.PARTIALLY_PAID


def test_an_unbalanced_line_refuses_the_whole_file_naming_the_segment(tmp_path, coverage):
    claim = make_claim(coverage)
    good = make_claim(coverage)
    text = build_835(coverage.payer, [paid_in_full(good), paid_in_full(claim)])
    bad = text.replace(f"REF*6R*{claim.lines.get().line_control_number}", "REF*6R*X").replace(
        "SVC*HC:90837*160*160**1~\nDTM*472*20261005~\nREF*6R*X",
        "SVC*HC:90837*160*150**1~\nDTM*472*20261005~\nREF*6R*X",
    )
    assert bad != text
    with pytest.raises(CommandError, match=r"nothing was posted.*Segment SVC\*HC:90837\*160\*150"):
        run(tmp_path, bad)
    assert posted_nothing()
    good.refresh_from_db()
    assert good.status == Claim.Status.SUBMITTED


def test_a_payment_total_that_does_not_add_up_is_refused(tmp_path, coverage):
    claim = make_claim(coverage)
    text = build_835(coverage.payer, [paid_in_full(claim)], amount=D("150"), check=False)
    with pytest.raises(CommandError, match=r"Segment BPR\*I\*150.*BPR02 150.00"):
        run(tmp_path, text)
    assert posted_nothing()


def test_a_claim_whose_adjustments_do_not_explain_the_difference_is_refused(tmp_path, coverage):
    claim = make_claim(coverage)
    answer = ClaimAnswer(
        claim, [LineAnswer(claim.lines.get(), D("160"))], claim_cas=[("CO", "45", D("5"))]
    )
    with pytest.raises(CommandError, match=r"Segment CLP\*.*claim does not balance"):
        run(tmp_path, build_835(coverage.payer, [answer], check=False))
    assert posted_nothing()


def test_a_malformed_segment_posts_nothing_and_is_named(tmp_path, coverage):
    claim = make_claim(coverage)
    text = build_835(coverage.payer, [paid_in_full(claim)]).replace(
        "DTM*472*20261005", "DTM*472*20261305"
    )
    with pytest.raises(CommandError, match=r"Segment \d+ \(DTM\*472\*20261305\): .*invalid date"):
        run(tmp_path, text)
    assert posted_nothing()


@pytest.mark.parametrize("text", ["", "NOT AN X12 FILE", "ISA*00*"])
def test_garbage_is_refused_without_a_traceback(tmp_path, coverage, text):
    with pytest.raises(CommandError, match="nothing was posted"):
        run(tmp_path, text)
    assert posted_nothing()


def test_an_unknown_payer_is_refused(tmp_path, coverage):
    claim = make_claim(coverage)
    stranger = factories.PayerFactory.build(name="Nobody Health", payer_id="00000")
    with pytest.raises(CommandError, match=r"Segment N1\*PR\*NOBODY HEALTH: no payer"):
        run(tmp_path, build_835(stranger, [paid_in_full(claim)]))
    assert posted_nothing()


def test_importing_the_same_payment_twice_posts_once(tmp_path, coverage):
    claim = make_claim(coverage)
    text = build_835(coverage.payer, [paid_in_full(claim)])
    run(tmp_path, text)
    again = run(tmp_path, text, "copy.835")
    assert again["already_imported"] is True
    assert (again["claims_matched"], again["paid"]) == (0, "0.00")
    assert (Remittance.objects.count(), ClaimPosting.objects.count()) == (1, 1)


def test_provider_adjustments_balance_the_payment_and_are_kept(tmp_path, coverage):
    claim = make_claim(coverage)
    text = build_835(
        coverage.payer, [paid_in_full(claim)], plb=[("WO", D("10.00")), ("L6", D("-1.25"))]
    )
    run(tmp_path, text)
    assert Remittance.objects.get().amount == D("151.25")
    assert sorted(ProviderAdjustment.objects.values_list("reason_code", "amount")) == [
        ("L6", D("-1.25")),
        ("WO", D("10.00")),
    ]


def test_the_command_without_json_says_what_it_posted(tmp_path, coverage):
    claim = make_claim(coverage)
    path = tmp_path / "era.835"
    path.write_text(build_835(coverage.payer, [paid_in_full(claim)]), encoding="ascii")
    out = io.StringIO()
    call_command("import_835", str(path), stdout=out)
    assert "Posted 1 claim(s): paid $160.00" in out.getvalue()
    call_command("import_835", str(path), stdout=out)
    assert "Already imported" in out.getvalue()


def test_a_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="No such file"):
        call_command("import_835", str(tmp_path / "none.835"))


@pytest.mark.parametrize("count", [1, 20])
def test_posting_runs_the_same_statements_for_1_or_20_claims(
    count, coverage, django_assert_num_queries
):
    claims = [make_claim(coverage) for _ in range(count)]
    text = build_835(coverage.payer, [paid_in_full(c) for c in claims])
    # The outer atomic's savepoint and release; payers; the remittance's savepoint,
    # insert and release; payment; claims (locked) and their lines; postings;
    # allocations; the payer's contract rates; claims update; history insert; the answered clients'
    # coverages and their claims' secondary claims (billing/secondary.py). Adjustments and
    # PLBs add one insert each when the file has any, whatever the number of claims; rates
    # on file add the practice's tolerance and the clinicians' levels of licence. +1: the
    # clients' payments, in case a copay taken earlier now pays the share the payer named
    # (billing/payments.py). +3: what is still owed on the paid claims, so those owed
    # nothing close in the same update (what payers paid and wrote off on their lines,
    # what the clients paid on them: billing.ledger.owed_on_claims). A reversal adds the
    # postings it takes back, with their allocations and adjustments.
    with django_assert_num_queries(20):
        remittance_post(text=text)
    assert Claim.objects.filter(status=Claim.Status.CLOSED).count() == count


def _busy_payment(count: int) -> str:
    """An 835 answering ``count`` claims of as many clients, each of whom paid a $20 copay
    before the answer; every other client has a second coverage (a secondary claim is
    drafted, and the share is billed on to it), the others' credit pays the share the
    payer names, and their claim closes."""
    import datetime

    from billing.payments import client_payment_record

    first = factories.PayerFactory(name="First Health")
    second = factories.PayerFactory(name="Second Mutual")
    answers = []
    for index in range(count):
        coverage = factories.CoverageFactory(payer=first)
        if index % 2 == 0:
            factories.CoverageFactory(payer=second, client=coverage.client, priority=2)
        claim = make_claim(coverage, [Line(), Line(code="90834", charge=D("120.00"))])
        client_payment_record(
            client=coverage.client,
            amount=D("20.00"),
            method="cash",
            received_on=datetime.date(2026, 10, 5),
        )
        one, two = claim.lines.all()
        answers.append(
            ClaimAnswer(
                claim,
                [
                    LineAnswer(one, D("100.00"), [("CO", "45", D("40.00")), ("PR", "3", D("20"))]),
                    LineAnswer(two, D("120.00")),
                ],
            )
        )
    return build_835(first, answers)


@pytest.mark.parametrize("count", [2, 12])
def test_posting_with_secondary_claims_and_copays_runs_a_fixed_number_of_statements(
    count, practice_row, django_assert_max_num_queries
):
    text = _busy_payment(count)
    # Those of the 20-statement file above, and for the secondary claims (what they copy:
    # lines, diagnoses, people, the primaries' answers; their rows and history) and the
    # copays (the clients' payments, locks, allocations, charges; the claims they close):
    # the same for 2 claims as for 12.
    with django_assert_max_num_queries(54):
        remittance_post(text=text)
    assert Claim.objects.filter(primary_claim__isnull=False).count() == count // 2
    assert Claim.objects.filter(status=Claim.Status.CLOSED).count() == count // 2


def test_a_large_file_writes_every_row_as_a_small_one_does(practice_row):
    """50 claims of two lines (100 allocations), then their reversals and corrections
    (100 postings, 200 allocations): on PostgreSQL the rows go by COPY
    (practice.bulk.insert_rows), and each must point where the small files' rows do."""
    coverage = factories.CoverageFactory()
    factories.PayerRateFactory(
        payer=coverage.payer,
        procedure=ProcedureCode.objects.get(code="90837"),
        allowed_amount=D("125.00"),
    )
    claims = [
        make_claim(coverage, [Line(), Line(code="90834", charge=D("120.00"))]) for _ in range(50)
    ]
    answers = []
    for index, claim in enumerate(claims):
        first, second = claim.lines.all()
        lines = [LineAnswer(first, D("100.00"), [("CO", "45", D("40")), ("PR", "3", D("20"))])]
        # Every tenth claim's second line comes back under a code we did not bill.
        other = {"by_code": True, "code": "90791"} if index % 10 == 0 else {}
        lines.append(LineAnswer(second, D("120.00"), **other))
        answers.append(ClaimAnswer(claim, lines, payer_claim_number=f"PCN{index}"))
    result = remittance_post(text=build_835(coverage.payer, answers, trace="BIG1"))
    assert (result.claims_matched, result.lines_unmatched) == (50, 5)
    for index, claim in enumerate(claims):
        claim.refresh_from_db()
        first, second = claim.lines.all()
        posting = ClaimPosting.objects.get(claim=claim)
        assert (posting.payer_claim_number, posting.paid) == (f"PCN{index}", D("220.00"))
        one, two = posting.allocations.order_by("pk")
        assert (one.claim_line, one.allowed, one.paid) == (first, D("120.00"), D("100.00"))
        assert (one.expected_allowed, one.underpaid_by) == (D("125.00"), D("5.00"))
        assert sorted(one.adjustments.values_list("posting", "group", "amount")) == [
            (posting.pk, "CO", D("40.00")),
            (posting.pk, "PR", D("20.00")),
        ]
        assert (two.claim_line, two.procedure_code) == (
            (None, "90791") if index % 10 == 0 else (second, "90834")
        )
        assert not two.adjustments.exists()
        partly = index % 10 == 0  # its second line is not answered
        assert claim.status == (Claim.Status.PARTIALLY_PAID if partly else Claim.Status.PAID)
    assert Adjustment.objects.count() == 100

    corrections = [
        x for answer in answers for x in (reversal_of(answer), paid_in_full(answer.claim))
    ]
    with CaptureQueriesContext(connection) as written:
        result = remittance_post(text=build_835(coverage.payer, corrections, trace="BIG2"))
    copies = [q["sql"].split(" (")[0] for q in written if q["sql"].startswith("COPY")]
    if connection.vendor == "postgresql":  # postings, allocations, adjustments
        assert copies == [
            'COPY "billing_claimposting"',
            'COPY "billing_paymentallocation"',
            'COPY "billing_adjustment"',
        ]
    assert (result.claims_matched, result.paid) == (100, D("3000.00"))  # 50 × (280 − 220)
    for claim in claims:
        claim.refresh_from_db()
        original, reversal, repost = ClaimPosting.objects.filter(claim=claim).order_by("pk")
        assert (reversal.reverses, repost.reverses) == (original, None)
        for old in original.allocations.all():
            negated = PaymentAllocation.objects.get(reverses=old)
            assert (negated.posting, negated.claim_line_id) == (reversal, old.claim_line_id)
            assert (negated.paid, negated.allowed) == (-old.paid, -old.allowed)
            assert sorted(negated.adjustments.values_list("group", "amount")) == sorted(
                (a.group, -a.amount) for a in old.adjustments.all()
            )
        assert [a.paid for a in repost.allocations.order_by("pk")] == [D("160.00"), D("120.00")]
        assert claim.status == Claim.Status.CLOSED  # paid in full, nothing owed


def test_the_service_raises_for_a_refused_file_and_keeps_the_database_as_it_was(coverage):
    with pytest.raises(RemittanceError):
        remittance_post(text="ISA*garbage~")
    assert posted_nothing()


# --- pyx12's helpers (billing/remittance.py answers two of them with less work) --------


@pytest.mark.parametrize(
    "value",
    [chr(n) * 2 for n in range(0x80)]
    + [
        "SL8F2DC48431DD",
        "",
        " ",
        "A\x07B\x01",
        "\x17x\x09",
        "caf\xe9",
        "x\x7f",
        "\u2028",
        "a\u00a0b",
    ],
)
def test_the_control_character_check_answers_as_pyx12s_own(value):
    from billing import remittance

    assert remittance._control_character(value) == remittance._contains_control_character(value)


def _outcome(parse, segment, ref_des):
    from pyx12.errors import EngineError

    try:
        return parse(segment, ref_des)
    except EngineError as error:  # a designator of another segment
        return str(error)


@pytest.mark.parametrize(
    ("ref_des", "on_clp"),
    [
        ("CLP01", (0, None)),
        ("CLP07", (6, None)),
        ("01", (0, None)),
        ("03-1", (2, 0)),
        ("CLP", (None, None)),
        ("SVC01-2", "Invalid Reference Designator: SVC01-2, seg_id: CLP"),
        ("CAS02", "Invalid Reference Designator: CAS02, seg_id: CLP"),
    ],
)
def test_a_segment_reads_a_reference_designator_as_pyx12_does(ref_des, on_clp):
    from pyx12.segment import Segment

    from billing import remittance

    clp = Segment("CLP*SL1*1*160*160**12*PCN", "~", "*", ":")
    svc = Segment("SVC*HC:90837*160*160**1", "~", "*", ":")
    for _twice in range(2):  # the second time from what was kept
        assert _outcome(remittance._parse_refdes, clp, ref_des) == on_clp
        for segment in (clp, svc):
            assert _outcome(remittance._parse_refdes, segment, ref_des) == _outcome(
                remittance._pyx12_parse_refdes, segment, ref_des
            )


def _pyx12_own(monkeypatch) -> None:
    """pyx12 as it comes: every helper billing/remittance.py answers with less work put
    back (the maps stay kept: they are only read)."""
    import pyx12.map_if
    import pyx12.map_walker
    import pyx12.segment
    import pyx12.validation

    from billing import remittance

    monkeypatch.setattr(
        pyx12.validation, "contains_control_character", remittance._contains_control_character
    )
    monkeypatch.setattr(pyx12.segment.Segment, "_parse_refdes", remittance._pyx12_parse_refdes)
    monkeypatch.setattr(pyx12.map_walker, "NodeCounter", remittance._NodeCounterBase)
    segment_if, element_if = pyx12.map_if.segment_if, pyx12.map_if.element_if
    monkeypatch.setattr(segment_if, "get_child_node_by_idx", remittance._pyx12_child_node_by_idx)
    monkeypatch.setattr(segment_if, "is_valid_errors", remittance._pyx12_segment_valid)
    monkeypatch.setattr(element_if, "is_valid_errors", remittance._pyx12_element_valid)


def _pyx12_answer(text: str) -> tuple[bool, dict, list[str]]:
    """pyx12's verdict, its whole JSON error document and our sentences from it."""
    import pyx12.x12n_document

    from billing import remittance

    errors = io.StringIO()
    valid = pyx12.x12n_document.x12n_document(
        remittance._PARAMS, io.StringIO(text), None, None, None, errors
    )
    return valid, json.loads(errors.getvalue() or "{}"), remittance.pyx12_problems(text)


def _files_to_check(payer, claims) -> dict[str, str]:
    """A valid 835 and the same file broken in each way pyx12 looks at: codes, dates,
    lengths, element counts, composites, separators, segments missing, repeated, unknown
    or out of place."""
    one, two, three = claims
    first, second = two.lines.all()
    answers = [
        paid_in_full(one, payer_claim_number="PCN1"),
        ClaimAnswer(
            two,
            [
                LineAnswer(first, D("100.00"), [("CO", "45", D("40")), ("PR", "3", D("20"))]),
                LineAnswer(second, D("0.00"), [("CO", "97", D("120"))], by_code=True),
            ],
            payer_claim_number="PCN2",
        ),
        reversal_of(paid_in_full(three, payer_claim_number="PCN3")),
    ]
    good = build_835(payer, answers)
    svc = next(s for s in good.split("~\n") if s.startswith("SVC*"))
    return {
        "valid": good,
        "a status code that is none": good.replace("*PCN1", "*PCN1", 1).replace(
            f"CLP*{one.control_number}*1*", f"CLP*{one.control_number}*99*"
        ),
        "a date that is none": good.replace("DTM*472*2026", "DTM*472*1926", 1).replace(
            "DTM*472*1926", "DTM*472*19261341", 1
        ),
        "too many elements": good.replace("CAS*CO*45*40", "CAS*CO*45*40" + "*1" * 20),
        "trailing empty elements": good.replace("*PCN2", "*PCN2***"),
        "a value too long": good.replace("*PCN1", "*" + "P" * 60),
        "a composite where an element belongs": good.replace("*PCN1", "*PCN:1"),
        "another sub-element separator": good.replace("*0*T*:", "*0*T*>", 1),
        "a control character": good.replace("*PCN3", "*PCN\x073"),
        "a mandatory segment missing": good.replace("TRN*1*TRACE0001*1999999999~\n", ""),
        "a segment repeated": good.replace("LX*1~\n", "LX*1~\nLX*1~\n"),
        "a segment unknown": good.replace("LX*1~\n", "LX*1~\nZZZ*1~\n"),
        "a segment out of place": good.replace(svc + "~\n", "").replace(
            "N1*PE*", svc + "~\nN1*PE*"
        ),
        "a loop repeated past its limit": good.replace(
            "N3*1 PAYER WAY~\n", "N3*1 PAYER WAY~\n" * 3
        ),
    }


def test_pyx12_with_our_helpers_answers_every_file_as_pyx12_itself(coverage, monkeypatch):
    """The whole JSON error document and the verdict, for a valid 835 and each broken
    copy, are pyx12's own; each file twice with our helpers (the second time from the
    answers the map's nodes kept)."""
    claims = [
        make_claim(coverage),
        make_claim(coverage, [Line(), Line(code="90834", charge=D("120.00"))]),
        make_claim(coverage, [Line(modifiers=("95",))]),
    ]
    files = _files_to_check(coverage.payer, claims)
    ours = {name: _pyx12_answer(text) for name, text in files.items()}
    again = {name: _pyx12_answer(text) for name, text in files.items()}
    _pyx12_own(monkeypatch)
    theirs = {name: _pyx12_answer(text) for name, text in files.items()}
    assert ours["valid"] == (True, theirs["valid"][1], [])
    for name in files:
        assert ours[name] == theirs[name], name
        assert again[name] == theirs[name], name
    broken = [name for name in files if not theirs[name][0] or theirs[name][2]]
    assert len(broken) == len(files) - 1  # each broken copy is refused


def test_the_loop_counter_counts_as_pyx12s_own():
    """pyx12's walker counts by path: the same counts, from paths and their texts."""
    from pyx12.nodeCounter import NodeCounter
    from pyx12.path import X12Path

    from billing.remittance import _NodeCounter

    paths = [
        "/ISA_LOOP",
        "/ISA_LOOP/ISA",
        "/ISA_LOOP/GS_LOOP",
        "/ISA_LOOP/GS_LOOP/ST_LOOP/DETAIL/2000",
        "/ISA_LOOP/GS_LOOP/ST_LOOP/DETAIL/2000/2100/CLP",
        "/ISA_LOOP/GS_LOOP/ST_LOOP/DETAIL/2000/2100/2110/SVC",
        "/ISA_LOOP/GS_LOOP/ST_LOOP/DETAIL/2000/2100/2110/CAS",
        "/ISA_LOOP/GS_LOOP/ST_LOOP/DETAIL/2000/2100",
        "/ISA_LOOP/GS_LOOP/ST_LOOP/DETAIL/20000",
        "/ISA_LOOP/GS_LOOP/ST_LOOP/DETAIL/2000/",
        "/ISA_LOOP/GS_LOOP/ST_LOOP/DETAIL/2000/2100/REF02",
    ]
    objects = {text: X12Path(text) for text in paths}  # as a map node keeps its path
    steps = [("increment", p) for p in paths for _ in range(2)] + [
        ("reset_to_node", "/ISA_LOOP/GS_LOOP/ST_LOOP/DETAIL/2000/2100"),
        ("increment", "/ISA_LOOP/GS_LOOP/ST_LOOP/DETAIL/2000/2100/2110/SVC"),
        ("setCount", "/ISA_LOOP/GS_LOOP/ST_LOOP/DETAIL/2000/2100/CLP"),
        ("reset_to_node", "/ISA_LOOP/GS_LOOP/ST_LOOP/DETAIL/2000/"),
        ("reset_to_node", "/ISA_LOOP/ISA"),
        ("increment", "/ISA_LOOP/GS_LOOP/ST_LOOP/DETAIL/2000"),
        ("reset_to_node", "/ISA_LOOP"),
    ]
    start = {X12Path("/ISA_LOOP"): 3, "/ISA_LOOP/GS_LOOP": 2}
    for by_text in (True, False):
        ours, theirs = _NodeCounter(start), NodeCounter(start)
        for step, path in steps:
            key = path if by_text else objects[path]
            for counter in (ours, theirs):
                if step == "setCount":
                    counter.setCount(key, 7)
                else:
                    getattr(counter, step)(key)
            assert [ours.get_count(p) for p in paths] == [theirs.get_count(p) for p in paths]
            assert [ours.get_count(objects[p]) for p in paths] == [
                theirs.get_count(objects[p]) for p in paths
            ]
            assert ours.getState() == theirs.getState()


def test_a_segment_finds_its_elements_as_pyx12_does():
    """Every segment of the 835's and the envelope's maps, at every position and past
    them: the very element pyx12 finds, or its error."""
    from pyx12.errors import EngineError
    from pyx12.map_if import segment_if

    from billing import remittance

    names = ("x12.control.00501.xml", "835.5010.X221.A1.xml", "835.5010.X221.A1.v2.xml")
    maps = [remittance._map_file(name, remittance._PARAMS) for name in names]

    def segments(node):  # a map's or a loop's children sit in its pos_map
        if isinstance(node, segment_if):
            yield node
        for children in getattr(node, "pos_map", {}).values():
            for child in children:
                yield from segments(child)

    def outcome(find, node, idx):
        try:
            return ("node", id(find(node, idx)))  # None or the node itself
        except EngineError as error:
            return ("error", str(error))

    checked = 0
    for loaded in maps:
        for node in segments(loaded):
            for idx in range(-1, len(node.children) + 2):
                theirs = outcome(remittance._pyx12_child_node_by_idx, node, idx)
                for _twice in range(2):  # the second time from what the node kept
                    assert outcome(remittance._child_node_by_idx, node, idx) == theirs
                checked += 1
    assert checked > 1000


def test_a_control_character_in_an_element_refuses_the_file_naming_it(tmp_path, coverage):
    claim = make_claim(coverage)
    text = build_835(coverage.payer, [paid_in_full(claim, payer_claim_number="PCN1")])
    bad = text.replace("*PCN1", "*PCN\x071")
    with pytest.raises(
        CommandError, match=r"Payer Claim Control Number.*control character\(<BEL>\)"
    ):
        run(tmp_path, bad)
    assert posted_nothing()


# --- properties ----------------------------------------------------------------------

cents = st.integers(min_value=0, max_value=50_000).map(lambda n: D(n) / 100)


@st.composite
def line_answers(draw):
    """A line's charge split into contractual, client's share and paid (≥ 0 each)."""
    contractual, client, paid = draw(cents), draw(cents), draw(cents)
    reason = draw(st.sampled_from(["1", "2", "3"]))
    cas = [("CO", "45", contractual)] if contractual else []
    cas += [("PR", reason, client)] if client else []
    return contractual + client + paid, paid, cas


def line_balances(claim: Claim) -> dict[int, tuple[Decimal, Decimal, Decimal]]:
    """Per claim line: Σ paid, Σ client's share, Σ adjustments over every posting."""
    balances = {}
    for line in claim.lines.all():
        allocations = PaymentAllocation.objects.filter(claim_line=line)
        adjustments = Adjustment.objects.filter(allocation__claim_line=line)
        balances[line.pk] = (
            sum((a.paid for a in allocations), D("0.00")),
            sum((a.patient_responsibility for a in allocations), D("0.00")),
            sum((a.amount for a in adjustments), D("0.00")),
        )
    return balances


traces = iter(range(10**6))


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(first=line_answers(), second=line_answers())
def test_postings_balance_per_line_and_a_reversal_restores_the_prior_balances(
    coverage, first, second
):
    """charge = paid + adjustments per line, whatever the split; posting a second answer
    and reversing it leaves every balance (and the status) as after the first."""
    charge, paid, cas = first
    claim = make_claim(coverage, [Line(charge=charge)])
    line = claim.lines.get()
    payer = coverage.payer
    one = ClaimAnswer(claim, [LineAnswer(line, paid, cas)])
    remittance_post(text=build_835(payer, [one], trace=f"P{next(traces)}"))
    for allocation in PaymentAllocation.objects.filter(claim_line=line):
        adjusted = sum((a.amount for a in allocation.adjustments.all()), D("0.00"))
        assert allocation.charge == allocation.paid + adjusted
    claim.refresh_from_db()
    before, status = line_balances(claim), claim.status

    _charge, paid2, cas2 = second
    other = ClaimAnswer(claim, [LineAnswer(line, paid2, cas2, charge=_charge)])
    # A payer's second answer for the same claim (a correction), then its reversal.
    remittance_post(text=build_835(payer, [reversal_of(one), other], trace=f"P{next(traces)}"))
    remittance_post(text=build_835(payer, [reversal_of(other), one], trace=f"P{next(traces)}"))
    claim.refresh_from_db()
    assert (line_balances(claim), claim.status) == (before, status)


# --- concurrency ---------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_imports_of_one_file_at_the_same_time_post_it_once(practice_row):
    coverage = factories.CoverageFactory()
    claims = [make_claim(coverage) for _ in range(5)]
    text = build_835(coverage.payer, [paid_in_full(c) for c in claims])
    results = at_once(lambda: remittance_post(text=text), lambda: remittance_post(text=text))
    assert sorted(r.already_imported for r in results) == [False, True]
    assert (Remittance.objects.count(), ClaimPosting.objects.count()) == (1, 5)
    assert Claim.objects.filter(status=Claim.Status.CLOSED).count() == 5  # paid in full


# --- the claim page --------------------------------------------------------------------


def money_rows(client, claim: Claim) -> dict[str, str]:
    import re

    from django.urls import reverse

    page = client.get(reverse("billing:claim_detail", args=[claim.pk])).content.decode()
    return {
        name: re.sub(r"<[^>]+>", "", amount).strip()
        for name, amount in re.findall(
            r'data-money="(\w+)"><td colspan="8">[^<]*</td><td class="text-end">([^<]*)</td>',
            page,
        )
    }


def test_the_claim_page_shows_paid_and_balance_from_the_postings(
    client, biller_user, coverage, tmp_path
):
    client.force_login(biller_user)
    claim = make_claim(coverage)
    assert money_rows(client, claim) == {"paid": "$0.00", "balance": "$160.00"}
    answer = ClaimAnswer(
        claim,
        [LineAnswer(claim.lines.get(), D("100.00"), [("CO", "45", D("40")), ("PR", "3", D("20"))])],
    )
    run(tmp_path, build_835(coverage.payer, [answer], trace="T1"), "one.835")
    # The client's $20 copay is still owed: it stays in the balance.
    assert money_rows(client, claim) == {
        "paid": "$100.00",
        "adjustments": "$40.00",
        "patient": "$20.00",
        "balance": "$20.00",
    }
    run(tmp_path, build_835(coverage.payer, [reversal_of(answer)], trace="T2"), "two.835")
    assert money_rows(client, claim) == {"paid": "$0.00", "balance": "$160.00"}
