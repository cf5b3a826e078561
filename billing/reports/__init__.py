"""Report queries: CPT usage, revenue, session mix and billing health, one module per topic.

    common.py   Filters (who sees what), the scoping querysets, "paid", SQL helpers
    periods.py  whole months, the previous period, the same period last year
    codes.py    services by CPT code          revenue.py  revenue by payer and clinician
    mix.py      session mix per clinician     health.py   billing health

Every table is one function ``(start, end, filters) -> rows`` and one SQL statement: the
database groups and sums (``values()/annotate()``, ``TruncMonth``, ``Count(filter=…)``),
Python only fills gaps (months with no sessions) and divides for percentages. The number
of queries never depends on the number of sessions, so ``bench/`` can call these directly.

Money stays ``Decimal`` end to end. Every "paid" amount comes from ``claim_line_paid()`` /
``service_line_paid()`` in ``common.py``, the one place to plug payments in; until then
they are NULL and the pages show "—".

Who sees what: ``Filters.user`` limits every query to what that user may see
(``Session.objects.for_user``: a clinician's own sessions, and the claim lines made from
them); ``Filters.clinician`` and ``Filters.payer`` narrow further.

A new report adds a module here and its name below; callers import from
``billing.reports`` (this package) so the modules can move without touching them.
"""

from billing.reports.codes import CodeRow, MonthCodeRow, services_by_code, services_by_month
from billing.reports.common import (
    ATTENDED,
    MONEY,
    UNBILLED,
    ZERO,
    AddDays,
    Filters,
    _coverage_on_date,
    change,
    claim_line_paid,
    service_line_paid,
    share,
)
from billing.reports.health import (
    AGE_BUCKETS,
    AUTH_VISITS_MARGIN,
    LAG_BUCKETS,
    LONGEST_LAG,
    OLDEST_BUCKET,
    WARNING_DAYS,
    AgeRow,
    AuthRow,
    DaysToClaim,
    FilingRow,
    LagRow,
    StatusRow,
    _median,
    claims_by_status,
    days_to_claim,
    prior_auths_running_out,
    timely_filing_risk,
    unbilled_by_age,
)
from billing.reports.mix import INDIVIDUAL_CODES, MixRow, mix_total, session_mix
from billing.reports.periods import (
    add_months,
    last_full_months,
    month_end,
    months_in,
    previous_period,
    same_period_last_year,
)
from billing.reports.revenue import (
    SELF_PAY,
    ClinicianRevenueRow,
    GapRow,
    PayerRevenueRow,
    expected_vs_paid,
    revenue_by_clinician,
    revenue_by_payer,
)

__all__ = [
    "AGE_BUCKETS",
    "ATTENDED",
    "AUTH_VISITS_MARGIN",
    "INDIVIDUAL_CODES",
    "LAG_BUCKETS",
    "LONGEST_LAG",
    "MONEY",
    "OLDEST_BUCKET",
    "SELF_PAY",
    "UNBILLED",
    "WARNING_DAYS",
    "ZERO",
    "AddDays",
    "AgeRow",
    "AuthRow",
    "ClinicianRevenueRow",
    "CodeRow",
    "DaysToClaim",
    "FilingRow",
    "Filters",
    "GapRow",
    "LagRow",
    "MixRow",
    "MonthCodeRow",
    "PayerRevenueRow",
    "StatusRow",
    "_coverage_on_date",
    "_median",
    "add_months",
    "change",
    "claim_line_paid",
    "claims_by_status",
    "days_to_claim",
    "expected_vs_paid",
    "last_full_months",
    "mix_total",
    "month_end",
    "months_in",
    "previous_period",
    "prior_auths_running_out",
    "revenue_by_clinician",
    "revenue_by_payer",
    "same_period_last_year",
    "service_line_paid",
    "services_by_code",
    "services_by_month",
    "session_mix",
    "share",
    "timely_filing_risk",
    "unbilled_by_age",
]
