"""Checks a claim before it leaves, the way a clearinghouse would.

Each rule is a small function registered with a name and returns problems: an ``error``
blocks marking the claim ready or submitting it; a ``warning`` does not. Messages are
written for a biller, and name the line when a line is at fault. Coding rules come from
``billing/coding.py``'s tables and payer rules from ``billing/rules.py``
(docs/rules/coding.md §10): the session form checks the same tables before saving.

The package, one module per job: ``core`` (problems, ``ClaimContext``, the registry and
``scrub``), then the rules by topic — ``codes``, ``coverage``, ``filing``,
``electronic``, ``resubmission``, ``parties``. Import from ``billing.scrubber``.
"""

# The rule modules register their rules as they are imported: this order is the order
# the rules run in (and so the order of problems of the same severity and line).
# isort: off
from billing.scrubber.core import (
    ERROR,
    WARNING,
    SESSION,
    CLIENT,
    COVERAGE,
    SIGNATURES_ON_FILE,
    PRACTICE,
    PAYER,
    CLINICIAN,
    LOCATION,
    CLEARINGHOUSE,
    CLAIM,
    PAYER_NUMBER,
    Fix,
    Problem,
    ClaimContext,
    Rule,
    RULES,
    RULE_FIXES,
    rule,
    scrub,
)
from billing.scrubber.codes import (
    TELEHEALTH_MODIFIERS,
    LICENSE_MODIFIERS,
    check_npis,
    check_tax_id,
    check_diagnoses,
    check_pointers,
    check_add_ons,
    check_time_rule,
    check_add_on_units,
    check_same_day,
    check_daily_limit,
    check_prescriber_codes,
    check_license_modifier,
    check_telehealth,
)
from billing.scrubber.coverage import (
    check_coverage_dates,
    check_subscriber,
    check_prior_authorization,
)
from billing.scrubber.filing import (
    TIMELY_FILING_WARNING_DAYS,
    check_zero_charge,
    check_duplicates,
    check_timely_filing,
)
from billing.scrubber.electronic import (
    check_x12_text,
    PARTY_FIXES,
    check_x12_addresses,
    check_payer_id,
)
from billing.scrubber.resubmission import (
    check_already_sent,
    check_resubmission_reference,
)
from billing.scrubber.parties import (
    REBUILD,
    check_signatures,
    check_referring_provider,
    check_billing_address,
)
# isort: on

__all__ = [
    "CLAIM",
    "CLEARINGHOUSE",
    "CLIENT",
    "CLINICIAN",
    "COVERAGE",
    "ERROR",
    "LICENSE_MODIFIERS",
    "LOCATION",
    "PARTY_FIXES",
    "PAYER",
    "PAYER_NUMBER",
    "PRACTICE",
    "REBUILD",
    "RULES",
    "RULE_FIXES",
    "SESSION",
    "SIGNATURES_ON_FILE",
    "TELEHEALTH_MODIFIERS",
    "TIMELY_FILING_WARNING_DAYS",
    "WARNING",
    "ClaimContext",
    "Fix",
    "Problem",
    "Rule",
    "check_add_on_units",
    "check_add_ons",
    "check_already_sent",
    "check_billing_address",
    "check_coverage_dates",
    "check_daily_limit",
    "check_diagnoses",
    "check_duplicates",
    "check_license_modifier",
    "check_npis",
    "check_payer_id",
    "check_pointers",
    "check_prescriber_codes",
    "check_prior_authorization",
    "check_referring_provider",
    "check_resubmission_reference",
    "check_same_day",
    "check_signatures",
    "check_subscriber",
    "check_tax_id",
    "check_telehealth",
    "check_time_rule",
    "check_timely_filing",
    "check_x12_addresses",
    "check_x12_text",
    "check_zero_charge",
    "rule",
    "scrub",
]
