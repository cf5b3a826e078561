"""Billing's models, one module per topic; import them from here (``billing.models``).

- ``catalog``: procedure codes, modifiers, places of service, diagnosis codes
- ``payers``: payers and the rates they pay
- ``claims``: claims, their diagnoses and lines
- ``electronic``: clearinghouses, control numbers, 837P batches, 999/277CA acknowledgments
- ``estimates``: Good Faith Estimates
- ``money``: remittances, payments, postings, allocations, adjustments, statements

Catalog rows that a session or claim uses are deactivated, never deleted
(``on_delete=PROTECT`` on every reference), so history keeps its meaning.
"""

from billing.models.catalog import (
    DiagnosisCode,
    DiagnosisCodeQuerySet,
    Modifier,
    PlaceOfService,
    ProcedureCode,
    ProcedureCodeQuerySet,
    validate_icd10_billable,
)
from billing.models.claims import (
    Claim,
    ClaimDiagnosis,
    ClaimLine,
    ClaimQuerySet,
)
from billing.models.electronic import (
    Acknowledgment,
    Batch,
    BatchAcknowledgment,
    ClaimAcknowledgment,
    Clearinghouse,
    ControlCounter,
)
from billing.models.estimates import (
    GoodFaithEstimate,
    GoodFaithEstimateLine,
    GoodFaithEstimateQuerySet,
)
from billing.models.money import (
    Adjustment,
    ClaimPosting,
    ClientAllocation,
    Payment,
    PaymentAllocation,
    PendingRemittance,
    ProviderAdjustment,
    Remittance,
    Statement,
)
from billing.models.payers import (
    Payer,
    PayerRate,
    PayerRateQuerySet,
)

__all__ = [
    "Acknowledgment",
    "Adjustment",
    "Batch",
    "BatchAcknowledgment",
    "Claim",
    "ClaimAcknowledgment",
    "ClaimDiagnosis",
    "ClaimLine",
    "ClaimPosting",
    "ClaimQuerySet",
    "Clearinghouse",
    "ClientAllocation",
    "ControlCounter",
    "DiagnosisCode",
    "DiagnosisCodeQuerySet",
    "GoodFaithEstimate",
    "GoodFaithEstimateLine",
    "GoodFaithEstimateQuerySet",
    "Modifier",
    "Payer",
    "PayerRate",
    "PayerRateQuerySet",
    "Payment",
    "PaymentAllocation",
    "PendingRemittance",
    "PlaceOfService",
    "ProcedureCode",
    "ProcedureCodeQuerySet",
    "ProviderAdjustment",
    "Remittance",
    "Statement",
    "validate_icd10_billable",
]
