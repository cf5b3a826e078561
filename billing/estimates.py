"""Good Faith Estimate workflows: who needs one, a pre-filled draft, issuing, delivering,
and the billed charges an estimate is compared with.

The timing and dispute rules are ``billing/gfe.py`` (no database); fees come from
``billing.rules.fee_schedule`` and ``practice.services.line_charge``, the same source as a
logged session's lines, so an estimate and the bill that follows it agree.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import (
    Exists,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from billing import coding, gfe, rules
from billing.models import GoodFaithEstimate, GoodFaithEstimateLine, ProcedureCode
from billing.outputs.superbill import SUPERBILL_STATUSES
from practice.common import MONEY, ZERO
from practice.formats import us_date
from practice.models import (
    Appointment,
    Client,
    Clinician,
    Coverage,
    Location,
    Practice,
    ServiceLine,
    Session,
)
from practice.services import line_charge

# The charges a client is billed for: what their superbill lists (attended sessions once
# ready; drafts are not final).
CHARGED_STATUSES = SUPERBILL_STATUSES
MAX_LINES = 6


class EstimateDelivered(Exception):
    """A delivered estimate never changes: issue a new one that replaces it."""


@dataclass(frozen=True)
class PlannedService:
    """One expected service as the form gives it: a code, units each visit and, when the
    frequency does not decide it, how many visits."""

    procedure: ProcedureCode
    units: int = 1
    visits: int | None = None


@dataclass
class Draft:
    """What the "Create estimate" form starts from (``estimate_prefill``)."""

    clinician: Clinician | None
    location: Location | None
    frequency: str
    period_start: datetime.date
    period_end: datetime.date
    service_date: datetime.date | None
    scheduled_on: datetime.date | None
    diagnosis_codes: str
    services: list[tuple[str, int]] = field(default_factory=list)  # (code, units)


def uninsured_or_self_pay(on: datetime.date) -> Q:
    """Clients the No Surprises Act gives an estimate to without asking (45 CFR 149.610):
    marked self-pay, or with no coverage in force on ``on`` (``CoverageQuerySet.in_force``,
    the one rule for coverage dates)."""
    in_force = Coverage.objects.in_force(on).filter(client=OuterRef("pk"))
    return Q(self_pay=True) | ~Exists(in_force)


def needs_estimate(client: Client, on: datetime.date) -> bool:
    """True for a self-pay client or one with no coverage in force (``Client.coverage_on``)."""
    return client.coverage_on(on) is None


def billed_charges(*, client: Client, start: datetime.date, end: datetime.date) -> Decimal:
    """The client's charges for services dated ``start``–``end`` (one query)."""
    total = ServiceLine.objects.filter(
        session__client=client,
        session__status__in=CHARGED_STATUSES,
        session__date__range=(start, end),
    ).aggregate(total=Sum("charge"))["total"]
    return (total or ZERO).quantize(Decimal("0.01"))


def _visible_sessions(client: Client, user) -> QuerySet[Session]:
    return Session.objects.for_user(user).filter(client=client)


def estimate_prefill(*, client: Client, user, on: datetime.date) -> Draft:
    """A draft from the client's usual service, weekly for 12 months.

    The client's next planned appointment (one the user may see) gives the first service
    date, the day it was booked (which starts the delivery clock), its clinician and
    location, and every two weeks when its series says so. The codes and units are those
    of the client's last attended session, else what ``coding.suggest`` codes for the
    appointment's service and minutes, else 90834. Diagnoses: the current ones by rank.
    Without an appointment the period starts tomorrow, scheduled today.
    """
    last = (
        _visible_sessions(client, user)
        .filter(status__in=Session.ATTENDED_STATUSES)
        .select_related("clinician", "location")
        .with_lines()
        .order_by("-date", "-start_time", "-pk")
        .first()
    )
    planned = (
        Appointment.objects.for_user(user)
        .filter(client=client, status=Appointment.Status.PLANNED, date__gte=on)
        .select_related("clinician", "location", "series")
        .order_by("date", "start_time", "pk")
        .first()
    )
    services = [(line.procedure.code, line.units) for line in last.lines.all()] if last else []
    if not services and planned is not None:
        services = coding.suggest(planned.service, planned.minutes)
    if not services:
        services = [("90834", 1)]  # 45-minute individual psychotherapy: the common case
    codes = (
        client.diagnoses.filter(Q(end_date__isnull=True) | Q(end_date__gte=on))
        .order_by("rank", "pk")
        .values_list("code__code", flat=True)
    )
    frequency = GoodFaithEstimate.Frequency.WEEKLY
    if planned is not None:
        start = planned.date
        booked = timezone.localtime(planned.created_at).date()
        clinician, location = planned.clinician, planned.location
        if planned.series is not None and planned.series.every_weeks == 2:
            frequency = GoodFaithEstimate.Frequency.EVERY_TWO_WEEKS
    else:
        start, booked = on + datetime.timedelta(days=1), on
        clinician = last.clinician if last else client.primary_clinician
        location = last.location if last else None
    return Draft(
        clinician=clinician,
        location=location,
        frequency=frequency,
        period_start=start,
        period_end=gfe.period_end_for(start),
        service_date=start,
        scheduled_on=booked,
        diagnosis_codes=", ".join(codes),
        services=list(services),
    )


def _address(lines: Sequence[str]) -> str:
    return ", ".join(line for line in lines if line)


def estimate_create(
    *,
    client: Client,
    clinician: Clinician,
    location: Location | None,
    frequency: str,
    period_start: datetime.date,
    period_end: datetime.date,
    services: Sequence[PlannedService],
    issued_by,
    diagnosis_codes: str = "",
    service_date: datetime.date | None = None,
    scheduled_on: datetime.date | None = None,
    requested_on: datetime.date | None = None,
    replaces: GoodFaithEstimate | None = None,
) -> GoodFaithEstimate:
    """Issue an estimate (not yet delivered) with its lines, in one transaction.

    Fees: the self-pay fee schedule on the first day of the period
    (``rules.fee_schedule(None, …)``, as a self-pay session's lines are charged) × units ×
    visits; visits follow the frequency over the period unless given. The deadline is
    ``gfe.delivery_deadline``. Raises ``ValidationError`` (by field) for a period over 12
    months, no services, or a ``replaces`` that is already replaced.
    """
    errors: dict[str, str] = {}
    if period_end < period_start:
        errors["period_end"] = "The period cannot end before it starts."
    elif gfe.period_too_long(period_start, period_end):
        errors["period_end"] = (
            "One estimate covers at most 12 months: end the period by "
            f"{us_date(gfe.period_end_for(period_start))} and issue a new one after."
        )
    if not services:
        errors["__all__"] = "Add at least one expected service."
    if frequency not in GoodFaithEstimate.Frequency.values:
        errors["frequency"] = "Choose how often the service is expected."
    if errors:
        raise ValidationError(errors)
    practice = Practice.current()
    if practice is None:
        raise ValidationError("Set up the practice (name, tax id) in the admin first.")
    fees = rules.fee_schedule(None, period_start)
    default_visits = gfe.visits_in_period(period_start, period_end, frequency)
    with transaction.atomic():
        if replaces is not None:
            replaces = GoodFaithEstimate.objects.select_for_update().get(pk=replaces.pk)
            if not replaces.is_delivered:
                raise ValidationError(
                    f"{replaces.number} was never given to the client: discard it instead."
                )
            if GoodFaithEstimate.objects.filter(replaces=replaces).exists():
                raise ValidationError(f"{replaces.number} has already been replaced.")
        estimate = GoodFaithEstimate(
            client=client,
            clinician=clinician,
            location=location,
            replaces=replaces,
            client_name=client.full_name,
            client_birth_date=client.date_of_birth,
            clinician_name=clinician.full_name,
            clinician_credentials=clinician.credentials,
            clinician_npi=clinician.npi,
            practice_name=practice.name,
            practice_tax_id=practice.tax_id,
            practice_npi=practice.npi,
            practice_phone=practice.phone,
            practice_address=_address(practice.address_lines),
            location_name=location.name if location else "",
            location_address=_address(location.address_lines) if location else "",
            diagnosis_codes=diagnosis_codes.strip(),
            frequency=frequency,
            period_start=period_start,
            period_end=period_end,
            service_date=service_date,
            scheduled_on=scheduled_on,
            requested_on=requested_on,
            deadline=gfe.delivery_deadline(
                scheduled_on=scheduled_on, service_date=service_date, requested_on=requested_on
            ),
            issued_by=issued_by,
        )
        lines = []
        for position, service in enumerate(services, start=1):
            visits = service.visits or default_visits
            code = service.procedure.code
            unit_fee = line_charge(fees=fees, code=code, units=1)
            lines.append(
                GoodFaithEstimateLine(
                    position=position,
                    procedure=service.procedure,
                    code=code,
                    description=service.procedure.description[:120],
                    diagnosis_codes=estimate.diagnosis_codes,
                    units=service.units,
                    visits=visits,
                    unit_fee=unit_fee,
                    total=line_charge(fees=fees, code=code, units=service.units) * visits,
                )
            )
        estimate.total = sum((line.total for line in lines), ZERO)
        estimate.full_clean()
        estimate.save()
        for line in lines:
            line.estimate = estimate
            line.full_clean()
        GoodFaithEstimateLine.objects.bulk_create(lines)
    return estimate


def estimate_deliver(
    *, estimate: GoodFaithEstimate, method: str, user, at: datetime.datetime | None = None
) -> GoodFaithEstimate:
    """Record that the client was given the estimate, how and by whom. After this the
    estimate never changes (``EstimateDelivered``)."""
    if method not in GoodFaithEstimate.Delivery.values:
        raise ValidationError({"delivery_method": "Say how the estimate was given."})
    with transaction.atomic():
        locked = GoodFaithEstimate.objects.select_for_update().get(pk=estimate.pk)
        if locked.is_delivered:
            raise EstimateDelivered(
                f"{locked.number} was already given on "
                f"{us_date(locked.delivered_at)}; it cannot change. "
                "Issue a new estimate to replace it."
            )
        locked.delivered_at = at or timezone.now()
        locked.delivered_by = user
        locked.delivery_method = method
        locked.full_clean()
        locked.save(update_fields=["delivered_at", "delivered_by", "delivery_method"])
    return locked


def estimate_discard(*, estimate: GoodFaithEstimate) -> None:
    """Delete an estimate that was never given to the client."""
    with transaction.atomic():
        locked = GoodFaithEstimate.objects.select_for_update().get(pk=estimate.pk)
        if locked.is_delivered:
            raise EstimateDelivered(
                f"{locked.number} was given to the client and is kept; replace it instead."
            )
        locked.delete()


@dataclass(frozen=True)
class Standing:
    """An estimate next to what has been billed in its period."""

    estimate: GoodFaithEstimate
    billed: Decimal

    @property
    def over(self) -> Decimal:
        return self.billed - self.estimate.total

    @property
    def alert(self) -> bool:
        return self.estimate.is_delivered and gfe.dispute_alert(
            billed=self.billed, estimated=self.estimate.total
        )


def current_estimate(*, client: Client, on: datetime.date) -> Standing | None:
    """The client's estimate in use (the newest not replaced whose period is not over)
    and the charges billed in its period (two queries), or None (one)."""
    estimate = GoodFaithEstimate.objects.current(on).filter(client=client).first()
    if estimate is None:
        return None
    billed = billed_charges(client=client, start=estimate.period_start, end=estimate.period_end)
    return Standing(estimate=estimate, billed=billed)


@dataclass(frozen=True)
class NeedRow:
    """One line of "Clients needing a GFE"."""

    client: Client
    reason: str
    urgency: int  # lower first
    deadline: datetime.date | None = None
    over: Decimal | None = None


def _money(value: Decimal) -> str:
    return f"${value:,.2f}"


def clients_needing_estimate(*, clients: QuerySet[Client], on: datetime.date) -> list[NeedRow]:
    """Active clients who need attention for a Good Faith Estimate, most urgent first
    (one query):

    - an estimate given, but billed charges in its period are $400 or more above it;
    - an estimate not yet given (its deadline passed, due, or none set);
    - uninsured or self-pay with no current estimate.
    """
    current = GoodFaithEstimate.objects.current(on).filter(client=OuterRef("pk"))
    first = current.order_by("-created_at", "-pk")

    def latest(name: str):
        return Subquery(first.values(name)[:1])

    billed = (
        ServiceLine.objects.filter(
            session__client=OuterRef("pk"),
            session__status__in=CHARGED_STATUSES,
            session__date__gte=OuterRef("gfe_start"),
            session__date__lte=OuterRef("gfe_end"),
        )
        .order_by()
        .values("session__client")
        .annotate(total=Sum("charge"))
        .values("total")
    )
    rows = (
        clients.filter(active=True)
        .annotate(
            gfe_id=latest("pk"),
            gfe_start=latest("period_start"),
            gfe_end=latest("period_end"),
            gfe_total=latest("total"),
            gfe_deadline=latest("deadline"),
            gfe_delivered_at=latest("delivered_at"),
        )
        .annotate(gfe_billed=Coalesce(Subquery(billed, output_field=MONEY), Value(ZERO)))
        .filter(uninsured_or_self_pay(on) | Q(gfe_id__isnull=False))
        .select_related("primary_clinician")
        .order_by("last_name", "first_name", "pk")
    )
    out: list[NeedRow] = []
    for client in rows:
        if client.gfe_id is None:
            out.append(NeedRow(client, "No current estimate", urgency=2))
            continue
        deadline = client.gfe_deadline
        if client.gfe_delivered_at is None:
            if deadline is not None and deadline < on:
                reason, urgency = f"Not given; deadline {us_date(deadline)} passed", 0
            elif deadline is not None:
                reason, urgency = f"Not given; due by {us_date(deadline)}", 1
            else:
                reason, urgency = "Not given yet", 2
            out.append(NeedRow(client, reason, urgency=urgency, deadline=deadline))
            continue
        billed_total = Decimal(client.gfe_billed).quantize(Decimal("0.01"))
        estimated = Decimal(client.gfe_total)
        if gfe.dispute_alert(billed=billed_total, estimated=estimated):
            over = billed_total - estimated
            out.append(
                NeedRow(
                    client,
                    f"Billed {_money(over)} above the estimate: the client may dispute",
                    urgency=0,
                    over=over,
                )
            )
    out.sort(key=lambda row: (row.urgency, row.deadline or datetime.date.max))
    return out
