"""Report test fixtures: "today" frozen at 15 February 2026 (America/New_York), so the
default periods are February 2025 – January 2026 (services) and January 2026 (the others);
and the services data set shared by the services and session mix tests."""

from __future__ import annotations

import datetime

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
