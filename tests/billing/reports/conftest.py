"""Report test fixtures: "today" frozen at 15 February 2026 (America/New_York), so the
default periods are February 2025 – January 2026 (services) and January 2026 (the others);
and the services data set shared by the services and session mix tests."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from practice.models import Session
from tests import factories
from tests.billing.reports.helpers import NEW_YORK, D, session


@pytest.fixture(autouse=True)
def frozen(time_machine):
    time_machine.move_to(datetime.datetime(2026, 2, 15, 12, 0, tzinfo=NEW_YORK), tick=False)


# --- The services data set -----------------------------------------------------------
#
# Clinician A ("clinician") and B ("other_clinician"). Period under test: November 2025 –
# January 2026 (three whole months, across the year end). December has only no-shows.
#
#   date        who  status       lines
#   2024-12-20  A    billed       90837                  (same period last year)
#   2025-01-08  A    billed       90837                  (same period last year)
#   2025-01-15  B    billed       90834                  (same period last year)
#   2025-01-22  B    billed       90834                  (same period last year)
#   2025-09-10  B    billed       90834                  (previous period)
#   2025-10-01  A    billed       90837                  (previous period)
#   2025-11-05  A    billed       90837 $160
#   2025-11-12  A    ready        90834 $140
#   2025-11-19  A    no-show
#   2025-11-20  B    closed       90837 $160
#   2025-12-03  A    no-show
#   2025-12-10  A    no-show
#   2026-01-07  A    draft        90837 $160
#   2026-01-07  A    billed       90791 $200 + 96127 ×2 $20   (intake)
#   2026-01-14  B    billed       90832 $100, video telehealth
#   2026-01-21  B    cancelled
#   2026-01-28  B    late cancel


@pytest.fixture
def practice_data(clinician, other_clinician):
    a = factories.ClientFactory(primary_clinician=clinician)
    b = factories.ClientFactory(primary_clinician=other_clinician)
    NO_SHOW, CANCELLED = Session.Status.NO_SHOW, Session.Status.CANCELLED
    session(a, D(2024, 12, 20), ("90837", 1, "160"))
    session(a, D(2025, 1, 8), ("90837", 1, "160"))
    session(b, D(2025, 1, 15), ("90834", 1, "140"))
    session(b, D(2025, 1, 22), ("90834", 1, "140"))
    session(b, D(2025, 9, 10), ("90834", 1, "140"))
    session(a, D(2025, 10, 1), ("90837", 1, "160"))
    session(a, D(2025, 11, 5), ("90837", 1, "160"))
    session(a, D(2025, 11, 12), ("90834", 1, "140"), status=Session.Status.READY, minutes=45)
    session(a, D(2025, 11, 19), status=NO_SHOW)
    session(b, D(2025, 11, 20), ("90837", 1, "160"), status=Session.Status.CLOSED)
    session(a, D(2025, 12, 3), status=NO_SHOW)
    session(a, D(2025, 12, 10), status=NO_SHOW)
    session(a, D(2026, 1, 7), ("90837", 1, "160"), status=Session.Status.DRAFT)
    session(a, D(2026, 1, 7), ("90791", 1, "200"), ("96127", 2, "20"), service="intake")
    session(b, D(2026, 1, 14), ("90832", 1, "100"), telehealth="video", minutes=30)
    session(b, D(2026, 1, 21), status=CANCELLED)
    session(b, D(2026, 1, 28), status=Session.Status.LATE_CANCEL)
    return a, b


# --- The money data set: aging, denials, collections ----------------------------------
#
# Ana Zoë Ångström-O'Brien (clinician A, Acme) and Ben Nguyễn (clinician B, Beta). Today is
# 2026-02-15. Claims (charge; sent; what the payers answered, dated in January 2026):
#
#   c1  Ana  Acme  160        sent 2026-02-01 (14 days)   no answer      owes 160 (0–30)
#   c5  Ana  Acme  160        sent 2026-01-16 (30 days)   no answer      owes 160 (0–30)
#   c6  Ana  Acme  160        sent 2026-01-15 (31 days)   no answer      owes 160 (31–60)
#   c2  Ana  Acme  160        sent 2025-12-01             01-10: paid 100, CO-45 20, PR-3 40
#   c3  Ana  Acme  160 + 160  sent 2025-10-01             01-20: line 1 paid 120, CO-45 40;
#                                                         line 2 denied CO-197 160
#   c4  Ben  Beta  140        sent 2025-11-10             01-25: denied CO-50 140
#   c7  Ben  Beta  150        sent 2025-09-01 (167 days)  no answer      owes 150 (over 120)
#   c8  Ana  Acme  999        a draft: not sent, owes the payer nothing yet
#   client payment: Ana paid $40 by card on 2026-01-12, which settles her c2 share.


def _sent(claim, day):
    from billing.models import Claim

    when = datetime.datetime(day.year, day.month, day.day, 10, 0, tzinfo=NEW_YORK)
    Claim.objects.filter(pk=claim.pk).update(submitted_at=when)
    claim.refresh_from_db()
    return claim


@pytest.fixture
def money_data(practice_row, clinician, other_clinician):
    from billing.eob import EobLine, eob_post
    from billing.models import Claim, Payment
    from billing.payments import client_payment_record
    from tests.billing.test_claim_views import Line, make_claim

    M = Decimal
    acme = factories.PayerFactory(name="Acme Health")
    beta = factories.PayerFactory(name="Beta Care")
    ana = factories.CoverageFactory(
        payer=acme,
        client__first_name="Zoë",
        client__last_name="Ångström-O'Brien",
        client__primary_clinician=clinician,
    )
    ben = factories.CoverageFactory(
        payer=beta,
        client__first_name="Ben",
        client__last_name="Nguyễn",
        client__primary_clinician=other_clinician,
    )
    c1 = _sent(make_claim(ana), D(2026, 2, 1))
    c5 = _sent(make_claim(ana), D(2026, 1, 16))
    c6 = _sent(make_claim(ana), D(2026, 1, 15))
    c2 = _sent(make_claim(ana), D(2025, 12, 1))
    c3 = _sent(make_claim(ana, [Line(), Line(code="90834")]), D(2025, 10, 1))
    c4 = _sent(make_claim(ben, [Line(charge=M("140.00"))]), D(2025, 11, 10))
    c7 = _sent(make_claim(ben, [Line(charge=M("150.00"))]), D(2025, 9, 1))
    make_claim(ana, [Line(charge=M("999.00"))], status=Claim.Status.DRAFT)
    (line,) = c2.lines.all()
    eob_post(
        claim=c2,
        received_on=D(2026, 1, 10),
        check_number="A1",
        lines=[EobLine(line, M("100.00"), (("CO", "45", M("20.00")), ("PR", "3", M("40.00"))))],
    )
    first, second = c3.lines.order_by("position")
    eob_post(
        claim=c3,
        received_on=D(2026, 1, 20),
        check_number="A2",
        lines=[
            EobLine(first, M("120.00"), (("CO", "45", M("40.00")),)),
            EobLine(second, M("0.00"), (("CO", "197", M("160.00")),)),
        ],
    )
    (line,) = c4.lines.all()
    eob_post(
        claim=c4,
        received_on=D(2026, 1, 25),
        check_number="B1",
        lines=[EobLine(line, M("0.00"), (("CO", "50", M("140.00")),))],
    )
    client_payment_record(
        client=ana.client, amount=M("40.00"), method=Payment.Method.CARD, received_on=D(2026, 1, 12)
    )
    return {
        "acme": acme,
        "beta": beta,
        "ana": ana.client,
        "ben": ben.client,
        "claims": {"c1": c1, "c2": c2, "c3": c3, "c4": c4, "c5": c5, "c6": c6, "c7": c7},
    }


@pytest.fixture
def ascii_claim(money_data, clinician):
    """A sent Acme claim (160, sent 2026-02-01) for a client whose name an 835 can carry:
    X12's basic character set has no Å, ë or ễ."""
    from tests.billing.test_claim_views import make_claim

    coverage = factories.CoverageFactory(
        payer=money_data["acme"],
        client__first_name="Ann",
        client__last_name="Lee",
        client__primary_clinician=clinician,
    )
    return _sent(make_claim(coverage), D(2026, 2, 1))


@pytest.fixture
def self_pay(money_data, clinician):
    """Chloé Zéphyr (self-pay, clinician A): a session of 2025-10-01 ($150, 137 days) and
    one of 2026-02-10 ($150, 5 days); she paid $100 on 2026-01-05, which settles the
    oldest first. Øyvind Ærø-D'Souza paid $80 with nothing to pay: a credit."""
    from billing.models import Payment
    from billing.payments import client_payment_record

    M = Decimal
    chloe = factories.ClientFactory(
        first_name="Chloé", last_name="Zéphyr", self_pay=True, primary_clinician=clinician
    )
    oyvind = factories.ClientFactory(
        first_name="Øyvind", last_name="Ærø-D'Souza", self_pay=True, primary_clinician=clinician
    )
    session(chloe, D(2025, 10, 1), ("90837", 1, "150"))
    session(chloe, D(2026, 2, 10), ("90837", 1, "150"), status=Session.Status.READY)
    for who, amount, day in ((chloe, "100.00", D(2026, 1, 5)), (oyvind, "80.00", D(2026, 1, 6))):
        client_payment_record(
            client=who, amount=M(amount), method=Payment.Method.CASH, received_on=day
        )
    return chloe, oyvind
