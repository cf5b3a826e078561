"""Electronic submission: claims out as 837P batches (one file per clearinghouse and payer).

Services in the project's shape (keyword-only, one transaction each). Used by the
``export_837p`` command and the biller's "Send claims" page, so both behave alike:
a claim with scrubber errors never leaves; clean claims go into one file per receiver
and payer; each file is kept as a ``Batch`` with its exact text, and its claims become
Submitted.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.text import slugify

from billing.ledger import client_paid_toward_claims
from billing.models import Batch, Claim, Clearinghouse, ControlCounter
from billing.outputs.x837 import Envelope, OtherPayerAdjudication, render_837p
from billing.outputs.x837_check import check_837p
from billing.scrubber import CLEARINGHOUSE, ERROR, Fix, Problem, scrub
from practice.common import ZERO
from practice.history import acting_user, update_with_history

COUNTERS = ("ISA", "GS", "ST")
# X12 ISA13 and GS06 are at most nine digits.
MAX_CONTROL_NUMBER = 999_999_999
# The 837P implementation guide asks for at most 5,000 claims per transaction set.
MAX_CLAIMS_PER_FILE = 5000


class SubmissionError(Exception):
    """Nothing could be sent, and why."""


def control_numbers_next() -> tuple[int, int, int]:
    """The next interchange, group and transaction control numbers (ISA13, GS06, ST02).

    One ``UPDATE … SET value = value + 1`` moves all three counters inside the caller's
    transaction: on PostgreSQL the row locks make a second export wait until the first
    commits, on SQLite the write lock does; a rolled-back export gives its numbers back
    and a committed one never hands them out again."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("Take control numbers inside the transaction that uses them.")
    moved = ControlCounter.objects.filter(name__in=COUNTERS).update(value=F("value") + 1)
    if moved < len(COUNTERS):
        # A database emptied by hand (or a test flush) lost the rows the migration made.
        ControlCounter.objects.bulk_create(
            [ControlCounter(name=name, value=0) for name in COUNTERS], ignore_conflicts=True
        )
        return control_numbers_next()
    values = dict(ControlCounter.objects.filter(name__in=COUNTERS).values_list("name", "value"))
    numbers = tuple(values[name] for name in COUNTERS)
    if max(numbers) > MAX_CONTROL_NUMBER:
        raise SubmissionError("The control numbers are used up (ISA13 has nine digits).")
    return numbers  # type: ignore[return-value]


def control_numbers_preview() -> tuple[int, int, int]:
    """What ``control_numbers_next`` would hand out, without taking it (dry runs)."""
    values = dict(ControlCounter.objects.filter(name__in=COUNTERS).values_list("name", "value"))
    return tuple(values.get(name, 0) + 1 for name in COUNTERS)  # type: ignore[return-value]


def claims_for_file() -> QuerySet[Claim]:
    """Claims with everything the 837P prints, in a fixed number of queries."""
    return Claim.objects.select_related("payer").with_lines().with_diagnoses()


def sendable_claims(*, payer=None, payers=None, include_drafts: bool = False) -> QuerySet[Claim]:
    """Claims waiting to go out electronically: Ready ones (and drafts when asked) to
    payers that take electronic claims (one payer, some, or all), oldest first."""
    statuses = [Claim.Status.READY] + ([Claim.Status.DRAFT] if include_drafts else [])
    claims = Claim.objects.filter(status__in=statuses, payer__accepts_electronic_claims=True)
    if payer is not None:
        claims = claims.filter(payer=payer)
    if payers is not None:
        claims = claims.filter(payer__in=payers)
    return claims.select_related("payer__clearinghouse", "coverage", "client").order_by(
        "payer__name", "pk"
    )


@dataclass
class PlannedFile:
    """One file to write: its receiver, its payer and its claims."""

    clearinghouse: Clearinghouse
    payer: object
    claims: list[Claim]
    file_name: str = ""
    text: str = ""
    batch: Batch | None = None

    @property
    def total_charge(self) -> Decimal:
        return sum((claim.total_charge for claim in self.claims), ZERO)


@dataclass
class SubmissionPlan:
    """What an export would send, and what it holds back with the reasons."""

    files: list[PlannedFile] = field(default_factory=list)
    held: list[tuple[Claim, list[Problem]]] = field(default_factory=list)

    @property
    def claim_count(self) -> int:
        return sum(len(f.claims) for f in self.files)


def submission_plan(*, claims: Iterable[Claim], today=None) -> SubmissionPlan:
    """Scrub each claim and group the clean ones per clearinghouse and payer
    (at most ``MAX_CLAIMS_PER_FILE`` a file). Nothing is written."""
    plan = SubmissionPlan()
    default = Clearinghouse.default()
    groups: dict[tuple[int, int], PlannedFile] = {}
    for claim in claims:
        errors = [p for p in scrub(claim, today=today) if p.is_error]
        clearinghouse = claim.payer.clearinghouse or default
        if clearinghouse is None:
            errors.append(
                Problem(
                    "clearinghouse",
                    ERROR,
                    "No clearinghouse is set up: add one in the admin (Clearinghouses) and "
                    "make it the default.",
                    fix=Fix(CLEARINGHOUSE),
                )
            )
        if errors:
            plan.held.append((claim, errors))
            continue
        key = (clearinghouse.pk, claim.payer_id)
        if key not in groups or len(groups[key].claims) >= MAX_CLAIMS_PER_FILE:
            groups[key] = PlannedFile(clearinghouse=clearinghouse, payer=claim.payer, claims=[])
            plan.files.append(groups[key])
        groups[key].claims.append(claim)
    return plan


def _file_name(planned: PlannedFile, isa13: int, created) -> str:
    payer = slugify(planned.payer.payer_id or planned.payer.name)[:30]
    receiver = slugify(planned.clearinghouse.name)[:30]
    return f"837P-{created:%Y%m%d}-{receiver}-{payer}-{isa13:09d}.txt"


def _render(
    planned: PlannedFile,
    numbers: tuple[int, int, int],
    created,
    adjudications: dict[int, OtherPayerAdjudication] | None,
) -> None:
    claims = list(claims_for_file().filter(pk__in=[c.pk for c in planned.claims]).order_by("pk"))
    envelope = Envelope.for_clearinghouse(planned.clearinghouse, numbers=numbers, created=created)
    if adjudications is None:  # a secondary claim carries its primary's answer
        from billing.secondary import adjudications_for

        adjudications = adjudications_for(claims)
    planned.text = render_837p(
        claims,
        envelope,
        adjudications=adjudications,
        client_paid=client_paid_toward_claims([c.pk for c in claims]),
    )
    planned.file_name = _file_name(planned, numbers[0], created)
    problems = check_837p(planned.text)
    if problems:
        # Our own generator broke a rule a clearinghouse checks: never send such a file.
        raise SubmissionError(f"{planned.file_name}: {problems[0]}")


def plan_preview(
    plan: SubmissionPlan, *, adjudications: dict[int, OtherPayerAdjudication] | None = None
) -> SubmissionPlan:
    """Render every planned file with the control numbers it would get, saving nothing."""
    isa, gs, st = control_numbers_preview()
    created = timezone.localtime()
    for offset, planned in enumerate(plan.files):
        _render(planned, (isa + offset, gs + offset, st + offset), created, adjudications)
    return plan


@transaction.atomic
def batch_send(
    *,
    planned: PlannedFile,
    user=None,
    adjudications: dict[int, OtherPayerAdjudication] | None = None,
) -> Batch:
    """Write one planned file as a Batch and mark its claims Submitted.

    The claims are locked and re-read first: one that left Ready/Draft meanwhile (sent by
    someone else, voided) is dropped from the file; when none remain nothing is written."""
    pks = [claim.pk for claim in planned.claims]
    locked = list(
        Claim.objects.select_for_update()
        .filter(pk__in=pks, status__in=[Claim.Status.READY, Claim.Status.DRAFT])
        .order_by("pk")
    )
    still = {claim.pk for claim in locked}
    planned.claims = [claim for claim in planned.claims if claim.pk in still]
    if not planned.claims:
        raise SubmissionError("These claims were sent or changed by someone else meanwhile.")
    created = timezone.localtime()
    numbers = control_numbers_next()
    _render(planned, numbers, created, adjudications)
    batch = Batch(
        clearinghouse=planned.clearinghouse,
        payer=planned.payer,
        interchange_control_number=numbers[0],
        group_control_number=numbers[1],
        transaction_control_number=numbers[2],
        usage=planned.clearinghouse.usage,
        file_name=planned.file_name,
        text=planned.text,
        claim_count=len(planned.claims),
        total_charge=planned.total_charge,
        created_at=created,
        created_by=acting_user(user),
    )
    batch.full_clean()
    batch.save()
    batch.claims.add(*planned.claims)
    update_with_history(
        locked,
        user=user,
        reason=f"Sent in {batch.file_name}",
        status=Claim.Status.SUBMITTED,
        submitted_at=created,
    )
    # A claim page read before the send must not act on the claim afterwards.
    Claim.objects.filter(pk__in=still).update(version=F("version") + 1)
    planned.batch = batch
    return batch


def claims_send(
    *,
    claims: Iterable[Claim],
    user=None,
    dry_run: bool = False,
    adjudications: dict[int, OtherPayerAdjudication] | None = None,
) -> SubmissionPlan:
    """Scrub, group and send: one Batch per clearinghouse and payer (each in its own
    transaction, so one file's failure leaves the others sent). ``dry_run`` renders the
    files with the numbers they would get and changes nothing."""
    plan = submission_plan(claims=claims)
    if dry_run:
        return plan_preview(plan, adjudications=adjudications)
    for planned in plan.files:
        batch_send(planned=planned, user=user, adjudications=adjudications)
    return plan
