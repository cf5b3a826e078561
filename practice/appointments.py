"""Appointment workflows: plan (once or recurring), edit one or all future, and say what
happened — attended (the session logged for it), no-show, late cancellation, cancelled.

Written like ``practice/services.py``: keyword-only typed functions, one transaction
each, every row ``full_clean``ed before it is saved. Views call one of these.

The practice's missed-appointment policy (``Practice.late_cancel_hours``,
``no_show_fee``, ``late_cancel_fee``, ``missed_fees_for_all_clients``) is applied here
and nowhere else. A fee is a ``ClientCharge`` — never a service line — so it can never
reach a claim: an insurer does not pay for a session that did not happen, and Medicare
allows the fee for its beneficiaries only under a policy that charges every client alike,
never billing it to Medicare (Medicare Claims Processing Manual, CMS Pub. 100-04,
chapter 1, section 30.3.13).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.utils import timezone

from billing import rules
from billing.models import Payer, PlaceOfService
from practice import services, session_plan
from practice.common import ZERO
from practice.formats import us_date
from practice.models import (
    Appointment,
    AppointmentSeries,
    Client,
    ClientCharge,
    Clinician,
    Location,
    Practice,
    Session,
)

MAX_OCCURRENCES = 52  # a year of weekly sessions; plan further when the year is up
LAST_DATE = datetime.date(9000, 12, 31)  # far enough; date arithmetic overflows at 9999
GROUP_SERVICES = services.GROUP_SERVICES
MEDICARE_FILING_INDICATORS = frozenset({Payer.FilingIndicator.MEDICARE_B})
# What may change on an appointment (the rest — clinician, client, series — may not).
EDITABLE = ("date", "start_time", "minutes", "service", "location", "telehealth")
REOPENABLE = frozenset(
    {Appointment.Status.NO_SHOW, Appointment.Status.LATE_CANCEL, Appointment.Status.CANCELLED}
)


class AppointmentClosed(ValueError):
    """The appointment is no longer planned: someone already said what happened."""


@dataclass(frozen=True)
class MissedFee:
    """What the policy charges for one missed appointment, and why (for the message)."""

    amount: Decimal
    reason: str


@dataclass(frozen=True)
class Outcome:
    """A missed appointment as recorded: its Session row, and the fee if one was charged."""

    appointment: Appointment
    charge: ClientCharge | None
    fee: MissedFee

    @property
    def message(self) -> str:
        what = self.appointment.get_status_display()
        return f"{what} recorded for {self.appointment}. {self.fee.reason}"


# --- pure rules ----------------------------------------------------------------------


def occurrence_dates(
    *, first: datetime.date, every_weeks: int, until: datetime.date | None, count: int | None
) -> list[datetime.date]:
    """The dates of a series: ``first``, then every ``every_weeks`` weeks, through
    ``until`` (inclusive) or ``count`` times, whichever ends first; at most
    ``MAX_OCCURRENCES``. Raises ValueError for a series without an end or too long."""
    if every_weeks not in (1, 2):
        raise ValueError("A series repeats every week or every two weeks.")
    if until is None and count is None:
        raise ValueError("Say when the series ends: a date or a number of times.")
    if until is not None and until < first:
        raise ValueError("The series cannot end before its first appointment.")
    if count is not None and count < 1:
        raise ValueError("A series has at least one appointment.")
    if until is not None and until > LAST_DATE:
        raise ValueError(f"Plan appointments before {us_date(LAST_DATE)}.")
    step = datetime.timedelta(weeks=every_weeks)
    dates: list[datetime.date] = []
    day = first
    while (until is None or day <= until) and (count is None or len(dates) < count):
        if len(dates) == MAX_OCCURRENCES:
            raise ValueError(
                f"A series holds at most {MAX_OCCURRENCES} appointments; end it sooner "
                "and plan the next one when it is up."
            )
        dates.append(day)
        day += step
    return dates


def end_time_of(start: datetime.time, minutes: int) -> datetime.time:
    """The end of an appointment that starts at ``start`` and lasts ``minutes``.
    Raises ValidationError when it would run past midnight."""
    moment = datetime.datetime.combine(datetime.date.min, start) + datetime.timedelta(
        minutes=minutes
    )
    if moment.date() != datetime.date.min or moment.time() == datetime.time(0, 0):
        raise ValidationError({"minutes": "The appointment must end before midnight."})
    return moment.time()


def is_late_cancel(
    *, starts_at: datetime.datetime, cancelled_at: datetime.datetime, window_hours: int
) -> bool:
    """Less notice than the window is late: with a 24-hour window, cancelling exactly 24
    hours ahead is in time, one minute later is late (so is cancelling after the start)."""
    return starts_at - cancelled_at < datetime.timedelta(hours=window_hours)


def is_medicare(client: Client, on: datetime.date) -> bool:
    """Medicare is the payer billed for the client's sessions on that date."""
    coverage = client.coverage_on(on)
    return coverage is not None and coverage.payer.filing_indicator in MEDICARE_FILING_INDICATORS


def missed_fee(*, practice: Practice, kind: str, medicare: bool) -> MissedFee:
    """The practice's fee for a no-show or late cancellation, or 0.00 with the reason.

    Medicare beneficiaries are charged only when the practice's policy applies to every
    client (CMS Pub. 100-04, ch. 1, §30.3.13); the fee is the client's, never a claim's.
    """
    if kind == Appointment.Status.NO_SHOW:
        amount, label = practice.no_show_fee, "no-show fee"
    elif kind == Appointment.Status.LATE_CANCEL:
        amount, label = practice.late_cancel_fee, "late-cancellation fee"
    else:
        raise ValueError(f"No fee for {kind!r}.")
    if amount <= ZERO:
        return MissedFee(ZERO, f"The practice charges no {label}.")
    if medicare and not practice.missed_fees_for_all_clients:
        return MissedFee(
            ZERO,
            f"No {label}: the client is on Medicare and the practice's policy does not "
            "charge every client (a practice setting).",
        )
    return MissedFee(amount, f"The client is charged the {label} of ${amount:,.2f}.")


# --- reading -------------------------------------------------------------------------


def overlapping(
    *,
    clinician: Clinician,
    date: datetime.date,
    start: datetime.time,
    end: datetime.time,
    service: str,
    excluding: Iterable[int] = (),
) -> Appointment | None:
    """The clinician's first planned or attended appointment that shares time with
    ``start``–``end`` on ``date`` (touching ends do not overlap). Group sessions meet
    once per member at the same time, so two group appointments never overlap."""
    found = (
        Appointment.objects.holding_time()
        .filter(clinician=clinician, date=date, start_time__lt=end, end_time__gt=start)
        .exclude(pk__in=list(excluding))
        .select_related("client")
        .order_by("start_time", "pk")
    )
    if service in GROUP_SERVICES:
        found = found.exclude(service__in=GROUP_SERVICES)
    return found.first()


def overlap_message(appointment: Appointment, other: Appointment) -> str:
    return (
        f"{appointment.clinician.full_name} already has an appointment on "
        f"{us_date(other.date)} from {other.start_time:%H:%M} to {other.end_time:%H:%M} "
        f"({other.client.full_name})."
    )


# --- writing -------------------------------------------------------------------------


def _lock_clinician(clinician: Clinician) -> None:
    """Serialise planning per clinician: two people booking the same hour at once cannot
    both pass the overlap check (PostgreSQL row lock; SQLite queues writers anyway)."""
    Clinician.objects.select_for_update().filter(pk=clinician.pk).exists()


def _check_and_save(appointment: Appointment, *, excluding: Iterable[int] = ()) -> None:
    appointment.end_time = end_time_of(appointment.start_time, appointment.minutes)
    # The overlap first: its message names the other appointment (the database's
    # unique constraint, checked by full_clean, only says the start is taken).
    other = overlapping(
        clinician=appointment.clinician,
        date=appointment.date,
        start=appointment.start_time,
        end=appointment.end_time,
        service=appointment.service,
        excluding=[*excluding, *([appointment.pk] if appointment.pk else [])],
    )
    if other is not None:
        raise ValidationError({"start_time": overlap_message(appointment, other)})
    appointment.full_clean()
    appointment.save()


def appointment_plan(
    *,
    clinician: Clinician,
    client: Client,
    date: datetime.date,
    start_time: datetime.time,
    minutes: int,
    service: str,
    location: Location | None,
    telehealth: str,
    user,
    every_weeks: int | None = None,
    until: datetime.date | None = None,
    count: int | None = None,
) -> list[Appointment]:
    """Plan one appointment, or a series (``every_weeks`` 1 or 2, ending ``until`` a date
    or after ``count`` times). All or nothing: an occurrence that overlaps another of the
    clinician's appointments refuses the whole plan with a ValidationError naming it."""
    if date > LAST_DATE:
        raise ValidationError({"date": f"Plan appointments before {us_date(LAST_DATE)}."})
    if every_weeks:
        try:
            dates = occurrence_dates(first=date, every_weeks=every_weeks, until=until, count=count)
        except ValueError as error:
            raise ValidationError({"repeat": str(error)}) from error
    else:
        dates = [date]
    with transaction.atomic():
        _lock_clinician(clinician)
        series = None
        if every_weeks:
            series = AppointmentSeries(every_weeks=every_weeks, until=until, count=count)
            series.full_clean()
            series.save()
        made = []
        for day in dates:
            appointment = Appointment(
                clinician=clinician,
                client=client,
                series=series,
                date=day,
                start_time=start_time,
                minutes=minutes,
                service=service,
                location=location,
                telehealth=telehealth,
                created_by=user,
            )
            _check_and_save(appointment)
            made.append(appointment)
    return made


def future_of(appointment: Appointment) -> list[Appointment]:
    """This appointment and the later planned ones of its series (just itself alone)."""
    if appointment.series_id is None:
        return [appointment]
    later = list(
        Appointment.objects.filter(
            series_id=appointment.series_id,
            status=Appointment.Status.PLANNED,
            date__gt=appointment.date,
        ).select_related("clinician", "client")
    )
    return [appointment, *later]


def appointment_update(
    *, appointment: Appointment, changes: Mapping[str, Any], future: bool, user
) -> list[Appointment]:
    """Change a planned appointment, or it and every later planned one of its series
    (``future``): times, length, kind and place are copied; a new date moves each of
    them by the same number of days. Refuses, changing nothing, when any of them would
    overlap another appointment or is no longer planned."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValueError(f"These cannot change here: {', '.join(sorted(unknown))}.")
    with transaction.atomic():
        _lock_clinician(appointment.clinician)
        current = Appointment.objects.select_for_update().get(pk=appointment.pk)
        if current.status != Appointment.Status.PLANNED:
            raise AppointmentClosed(
                f"This appointment is {current.get_status_display().lower()}: "
                "only planned appointments can be changed."
            )
        targets = future_of(appointment) if future else [appointment]
        shift = datetime.timedelta(0)
        if "date" in changes:
            if changes["date"] > LAST_DATE:
                raise ValidationError({"date": f"Plan appointments before {us_date(LAST_DATE)}."})
            shift = changes["date"] - current.date
        moved = [target.pk for target in targets]
        for target in targets:
            for name, value in changes.items():
                if name != "date":
                    setattr(target, name, value)
            target.date = target.date + shift
            try:
                _check_and_save(target, excluding=moved)
            except ValidationError as error:
                if target is appointment:
                    raise
                raise ValidationError(
                    {
                        NON_FIELD_ERRORS: [
                            f"The appointment on {us_date(target.date)}: {message}"
                            for message in error.messages
                        ]
                    }
                ) from error
    return targets


def _lock_planned(appointment: Appointment, *, allow_relog: bool = False) -> Appointment:
    """The appointment re-read under a row lock, refused unless still planned (or, to log
    it again, attended with its session since deleted)."""
    current = (
        # Lock the appointment row only: its location may be null (an outer join).
        Appointment.objects.select_for_update(of=("self",))
        .select_related("clinician__practice", "client", "location__default_pos")
        .get(pk=appointment.pk)
    )
    relog = allow_relog and current.status == Appointment.Status.ATTENDED and not current.session_id
    if current.status != Appointment.Status.PLANNED and not relog:
        raise AppointmentClosed(
            f"This appointment is already marked {current.get_status_display().lower()}."
        )
    return current


def appointment_cancel(
    *, appointment: Appointment, user, future: bool = False, at: datetime.datetime | None = None
) -> list[Appointment]:
    """Cancel without a fee (in time, or the practice waives it): this appointment, or it
    and the later planned ones of its series. The slot becomes free."""
    at = at or timezone.now()
    with transaction.atomic():
        _lock_planned(appointment)
        targets = future_of(appointment) if future else [appointment]
        for target in targets:
            target.status = Appointment.Status.CANCELLED
            target.cancelled_at = at
            target.full_clean()
            target.save(update_fields=["status", "cancelled_at", "updated_at"])
    return targets


def _missed_session(appointment: Appointment, status: str, user) -> Session:
    """A no-show or late-cancellation Session (no lines), so session lists and reports
    count it as they always have."""
    client = appointment.client
    coverage = client.coverage_on(appointment.date)
    pos = rules.place_of_service(
        telehealth=appointment.telehealth,
        client_at_home=True,
        in_person_pos=appointment.location.default_pos.code if appointment.location else "11",
        payer=coverage.payer if coverage else None,
    )
    session = Session(
        client=client,
        clinician=appointment.clinician,
        date=appointment.date,
        start_time=appointment.start_time,
        end_time=appointment.end_time,
        minutes=appointment.minutes,
        service=appointment.service,
        location=appointment.location,
        place_of_service=PlaceOfService.objects.get(code=pos),
        telehealth=appointment.telehealth,
        status=status,
    )
    return services.session_save(session=session, diagnoses=[], lines=[], user=user)


def _record_missed(original: Appointment, status: str, user, at) -> Outcome:
    """Under the appointment's row lock: refuse what the policy does not allow, write the
    missed Session, then the fee the practice's policy (read now, not from the caller's
    copy) charges."""
    appointment = _lock_planned(original)
    practice = appointment.clinician.practice
    if status == Appointment.Status.NO_SHOW and at < appointment.starts_at:
        raise ValueError(
            f"The appointment starts at {appointment.start_time:%H:%M} on "
            f"{us_date(appointment.date)}: a no-show is recorded after the start."
        )
    window = practice.late_cancel_hours
    if status == Appointment.Status.LATE_CANCEL:
        if not is_late_cancel(
            starts_at=appointment.starts_at, cancelled_at=at, window_hours=window
        ):
            raise ValueError(
                f"Cancelled more than {window} hours ahead: that is in time, not a late "
                "cancellation. Mark it cancelled instead."
            )
        appointment.cancelled_at = at
    appointment.status = status
    appointment.session = _missed_session(appointment, status, user)
    appointment.full_clean()
    appointment.save()
    fee = missed_fee(
        practice=practice, kind=status, medicare=is_medicare(appointment.client, appointment.date)
    )
    charge = None
    if fee.amount > ZERO:
        charge = ClientCharge(
            client=appointment.client,
            appointment=appointment,
            kind=status,
            date=appointment.date,
            amount=fee.amount,
            created_by=user,
        )
        charge.full_clean()
        charge.save()
    original.status, original.session = appointment.status, appointment.session
    return Outcome(appointment=appointment, charge=charge, fee=fee)


def appointment_no_show(
    *, appointment: Appointment, user, at: datetime.datetime | None = None
) -> Outcome:
    """The client did not come: record it once the start has passed, with the practice's
    no-show fee when its policy charges one (``missed_fee``)."""
    with transaction.atomic():
        return _record_missed(appointment, Appointment.Status.NO_SHOW, user, at or timezone.now())


def appointment_late_cancel(
    *, appointment: Appointment, user, at: datetime.datetime | None = None
) -> Outcome:
    """The client cancelled with less notice than the practice's window (``at`` is when
    they cancelled, now by default): record it with the late-cancellation fee when the
    policy charges one. Earlier notice is an ordinary cancellation, refused here."""
    with transaction.atomic():
        return _record_missed(
            appointment, Appointment.Status.LATE_CANCEL, user, at or timezone.now()
        )


def appointment_reopen(*, appointment: Appointment, user) -> Appointment:
    """Undo a no-show, late cancellation or cancellation tapped by mistake: the
    appointment is planned again, its not-seen session (no lines, never billed) and its
    fee are removed — their change history keeps the record. Refused when the slot has
    been given to another appointment since."""
    with transaction.atomic():
        current = (
            Appointment.objects.select_for_update(of=("self",))
            .select_related("clinician", "client", "session")
            .get(pk=appointment.pk)
        )
        if current.status not in REOPENABLE:
            raise AppointmentClosed(
                f"This appointment is {current.get_status_display().lower()}: there is "
                "nothing to undo."
            )
        _lock_clinician(current.clinician)
        missed = current.session
        ClientCharge.objects.filter(appointment=current).delete()
        current.status = Appointment.Status.PLANNED
        current.cancelled_at = None
        current.session = None
        _check_and_save(current)
        if missed is not None and missed.status in services.NOT_SEEN_STATUSES:
            missed.delete()
    appointment.status, appointment.session = current.status, None
    return current


def appointment_attend(
    *, appointment: Appointment, plan: session_plan.SessionPlan, user, ready: bool = False
) -> tuple[Session, str]:
    """Save the session logged for an appointment (as ``session_plan.session_plan`` decided
    it) and mark the appointment attended, linked to it, in one transaction; then, when
    asked, mark the session ready to bill: ``(session, why_not_ready)`` as
    ``services.session_log`` answers."""
    session = plan.session
    if session.client_id != appointment.client_id:
        raise ValidationError(
            {"client": f"This appointment is with {appointment.client.full_name}."}
        )
    if session.clinician_id != appointment.clinician_id:
        raise ValidationError(
            {"clinician": f"This appointment is with {appointment.clinician.full_name}."}
        )
    adding = session.pk is None
    try:
        with transaction.atomic():
            current = _lock_planned(appointment, allow_relog=True)
            services.session_log(plan=plan, user=user)
            current.status = Appointment.Status.ATTENDED
            current.session = session
            current.save(update_fields=["status", "session", "updated_at"])
    except Exception:
        if adding:  # rolled back: the form may be shown again as a new session
            session.pk = None
            session._state.adding = True
        raise
    appointment.status, appointment.session = current.status, session
    return session, services.session_mark_ready(session=session, user=user) if ready else ""
