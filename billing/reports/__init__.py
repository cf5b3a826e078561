"""Report queries: CPT usage, revenue, session mix and billing health, one module per topic.

    common.py   Filters (who sees what), the scoping querysets, "paid", SQL helpers
    periods.py  whole months, the previous period, the same period last year
    codes.py    services by CPT code          revenue.py  revenue by payer and clinician
    mix.py      session mix per clinician     health.py   billing health
    aging.py    A/R aging by payer and client denials.py  denials by reason and payer
    collections.py  money received by payer and clinician

Every table is one function ``(start, end, filters) -> rows`` and one SQL statement: the
database groups and sums (``values()/annotate()``, ``TruncMonth``, ``Count(filter=…)``),
Python only fills gaps (months with no sessions) and divides for percentages. The number
of queries never depends on the number of sessions, so ``bench/`` can call these directly.

Money stays ``Decimal`` end to end. The revenue report's "paid" amounts come from
``claim_line_paid()`` (``billing.payer_money.line_paid``: what the postings allocated to each
claim line, the claim page's rule per line) and ``service_line_paid()`` in ``common.py``
(``billing.ledger.service_line_client_paid``: what a self-pay client's payments were
applied to the session's service line, less refunds). Aging, denials and
collections read the postings (``billing/posting.py``) directly.

Who sees what: ``Filters.user`` limits every query to what that user may see
(``Session.objects.for_user``: a clinician's own sessions, and the claim lines made from
them); ``Filters.clinician`` and ``Filters.payer`` narrow further.

A new report adds a module here and its name below; callers import from
``billing.reports`` (this package) so the modules can move without touching them.
"""

from billing.periods import (
    add_months,
    last_full_months,
    month_end,
    months_in,
    previous_period,
    same_period_last_year,
)
from billing.reports.aging import (
    AGING_LABELS,
    AgingRow,
    ClientAging,
    ar_by_client,
    ar_by_payer,
    payer_owes,
)
from billing.reports.codes import CodeRow, MonthCodeRow, services_by_code, services_by_month
from billing.reports.collections import (
    ClinicianCollectionRow,
    CollectionRow,
    collections_by_clinician,
    collections_by_payer,
)
from billing.reports.common import (
    ATTENDED,
    UNBILLED,
    AddDays,
    Filters,
    _coverage_on_date,
    change,
    claim_line_paid,
    service_line_paid,
    share,
)
from billing.reports.denials import (
    PayerDenialRow,
    ReasonRow,
    denials_by_payer,
    denials_by_reason,
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
from billing.reports.revenue import (
    SELF_PAY,
    ClinicianRevenueRow,
    GapRow,
    PayerRevenueRow,
    expected_vs_paid,
    revenue_by_clinician,
    revenue_by_payer,
)
from practice.common import ZERO

__all__ = [
    "AGE_BUCKETS",
    "AGING_LABELS",
    "ATTENDED",
    "AUTH_VISITS_MARGIN",
    "INDIVIDUAL_CODES",
    "LAG_BUCKETS",
    "LONGEST_LAG",
    "OLDEST_BUCKET",
    "SELF_PAY",
    "UNBILLED",
    "WARNING_DAYS",
    "ZERO",
    "AddDays",
    "AgeRow",
    "AgingRow",
    "AuthRow",
    "ClientAging",
    "ClinicianCollectionRow",
    "ClinicianRevenueRow",
    "CodeRow",
    "CollectionRow",
    "DaysToClaim",
    "FilingRow",
    "Filters",
    "GapRow",
    "LagRow",
    "MixRow",
    "MonthCodeRow",
    "PayerDenialRow",
    "PayerRevenueRow",
    "ReasonRow",
    "StatusRow",
    "_coverage_on_date",
    "_median",
    "add_months",
    "ar_by_client",
    "ar_by_payer",
    "change",
    "claim_line_paid",
    "claims_by_status",
    "collections_by_clinician",
    "collections_by_payer",
    "days_to_claim",
    "denials_by_payer",
    "denials_by_reason",
    "expected_vs_paid",
    "last_full_months",
    "mix_total",
    "month_end",
    "months_in",
    "payer_owes",
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
