"""The demo's sessions: a client's course of care, what each session is, when it fits in
the clinician's day, and its service lines from the session service the form uses."""

from __future__ import annotations

import datetime
import math
from collections.abc import Iterable
from typing import TYPE_CHECKING, NamedTuple

from billing import rules
from practice.models import Session
from practice.services import session_proposal

if TYPE_CHECKING:
    from practice.demo.clients import ClientPlan
    from practice.demo.practice_setup import DemoClinician

# Sessions are on the hour between 08:00 and 19:00: eleven one-hour slots per day.
FIRST_HOUR = 8
SLOTS_PER_DAY = 11
GROUP_SLOT = 9  # 17:00-18:30, two slots
# Recent sessions are a mix of draft and ready; older ones are ready to bill.
RECENT_DAYS = 10

Status = Session.Status


def us_holidays(years: Iterable[int]) -> set[datetime.date]:
    """Days a small practice is closed: New Year, Memorial Day, July 4, Labor Day,
    Thanksgiving, December 24, 25 and 31."""
    days: set[datetime.date] = set()
    for year in years:
        memorial = datetime.date(year, 5, 31)
        memorial -= datetime.timedelta(days=memorial.weekday())
        labor = datetime.date(year, 9, 1)
        labor += datetime.timedelta(days=(7 - labor.weekday()) % 7)
        thanksgiving = datetime.date(year, 11, 1)
        thanksgiving += datetime.timedelta(days=(3 - thanksgiving.weekday()) % 7 + 21)
        days |= {
            datetime.date(year, 1, 1),
            memorial,
            datetime.date(year, 7, 4),
            labor,
            thanksgiving,
            datetime.date(year, 12, 24),
            datetime.date(year, 12, 25),
            datetime.date(year, 12, 31),
        }
    return days


# Try the preferred hour first, then the nearest ones.
TRY_ORDER = [
    sorted(range(SLOTS_PER_DAY), key=lambda hour, p=preferred: (abs(hour - p), hour))
    for preferred in range(SLOTS_PER_DAY)
]

# Usual individual lengths (minutes a 30/45/60-minute session really lasts).
LENGTHS = {
    30: (28, 30, 30, 32, 35),
    45: (40, 43, 45, 45, 45, 47, 50),
    60: (53, 53, 55, 55, 56, 58, 60, 60),
}
CRISIS_MINUTES = (40, 55, 60, 80, 80, 95, 110)
# A prescriber's E/M visit: the whole visit, of which EM_SERVICE_MINUTES are the E/M
# service and the rest psychotherapy (docs/rules/coding.md §5: the add-on is coded from
# the psychotherapy minutes alone).
EM_MINUTES = (35, 40, 40, 45, 55)
EM_SERVICE_MINUTES = 15

# A session's payer is an index into DemoBuilder.payers; this one means self-pay.
NO_PAYER = -1


class Visit(NamedTuple):
    """One planned session, before it has a client id."""

    day: datetime.date
    start: int  # minute of the day
    minutes: int
    service: str
    telehealth: str
    at_home: bool
    interactive_complexity: bool
    group_size: int | None
    payer: int  # index into DemoBuilder.payers, or NO_PAYER
    em: str | None  # the prescriber's E/M code, billed before the psychotherapy add-on
    status: str = Status.READY
    note: str = ""
    therapy: int | None = None  # psychotherapy minutes of an E/M visit


class SessionPlanner:
    """``DemoBuilder``'s sessions for one planned client."""

    def plan_sessions(self, plan: ClientPlan) -> list[Visit]:
        """The client's sessions in date order: an intake first (unless the client was
        already in treatment when the window opened), then every one to three weeks
        (a prescriber every two to four), with holidays, vacations, no-shows and late
        cancellations."""
        rng = self.rng
        clinician = self.clinicians[plan.clinician]
        prescriber = clinician.kind.prescriber
        first_day, intake, length = self.course_start(plan)
        if prescriber:
            interval = rng.choice((14, 21, 28, 28))
        else:
            interval = rng.choices((7, 14, 21), weights=(62, 30, 8))[0]
        sessions: list[Visit] = []
        recent = self.until - datetime.timedelta(days=RECENT_DAYS)
        day = first_day
        count = 0
        while day <= self.until and count < length:
            planned, day = day, day + datetime.timedelta(days=interval)
            when = self.session_day(planned)
            if when is None:
                continue
            first_session = intake and count == 0
            visit = self.plan_session(plan, clinician, when, first_session, prescriber)
            if visit is None:
                continue
            count += 1
            status, note = self.attendance(first_session)
            if status == Status.READY and visit.day > recent and rng.random() < 0.55:
                status = Status.DRAFT
            sessions.append(visit._replace(status=status, note=note))
        return sessions

    def course_start(self, plan: ClientPlan) -> tuple[datetime.date, bool, int]:
        """The first planned day (a weekday), whether it is an intake, and how many
        sessions the episode of care has."""
        rng = self.rng
        window = (self.until - self.start).days
        if plan.story:
            first_day = self.start + datetime.timedelta(days=rng.randint(0, min(13, window)))
            intake = True
            length = 10_000
        elif rng.random() < 0.35 and window > 30:
            # Already in treatment when the window opens: no intake in the window.
            first_day = self.start + datetime.timedelta(days=rng.randint(0, 13))
            intake = False
            length = self.episode_length()
        else:
            first_day = self.start + datetime.timedelta(days=rng.randint(0, max(window - 2, 0)))
            intake = True
            length = self.episode_length()
        if first_day.weekday() >= 5:
            first_day += datetime.timedelta(days=7 - first_day.weekday())
        return first_day, intake, length

    def session_day(self, planned: datetime.date) -> datetime.date | None:
        """The day a planned session happens, or None (a vacation or illness, a holiday,
        outside the window)."""
        rng = self.rng
        if rng.random() < 0.05:  # vacation, illness
            return None
        when = planned
        if rng.random() < 0.08:  # moved within the week
            when = planned + datetime.timedelta(days=rng.choice((-2, -1, 1, 2)))
            if when.weekday() >= 5:
                when = planned
        if when in self.holidays or when > self.until or when < self.start:
            return None
        return when

    def attendance(self, first_session: bool) -> tuple[str, str]:
        """(status, note): the first session happens; later ones are sometimes a no-show
        or cancelled."""
        if first_session:
            return Status.READY, ""
        roll = self.rng.random()
        if roll < 0.04:
            return Status.NO_SHOW, ""
        if roll < 0.07:
            return Status.LATE_CANCEL, "Late cancellation; fee policy reviewed with the client."
        if roll < 0.095:
            return Status.CANCELLED, ""
        return Status.READY, ""

    def episode_length(self) -> int:
        """Sessions in one episode of care: many short, some long-term clients."""
        rng = self.rng
        roll = rng.random()
        if roll < 0.2:
            return rng.randint(2, 8)
        if roll < 0.6:
            return rng.randint(9, 30)
        return rng.randint(31, 130)

    def plan_session(
        self,
        plan: ClientPlan,
        clinician: DemoClinician,
        day: datetime.date,
        intake: bool,
        prescriber: bool,
    ) -> Visit | None:
        """What one session is (service, length, telehealth) and when it fits in the
        clinician's day; None when the day is full."""
        service, minutes, em, ic = self.session_kind(plan, clinician, intake, prescriber)
        # Telehealth (docs/rules/coding.md §7.1, §8): by the client's habit; groups meet
        # in the office.
        tele = self.telehealth(plan, service)
        at_home = bool(tele) and self.rng.random() < plan.home_rate
        slot = self.slot(plan, clinician, day, service, minutes)
        if slot is None:
            return None
        day, hour, size = slot
        payer = self.payer_on(plan, day)
        if tele == "audio" and (
            intake or (payer != NO_PAYER and not self.payers[payer].audio_only_allowed)
        ):
            tele = "video"  # intakes, and payers that do not pay audio-only, go by video
        start = (FIRST_HOUR + hour) * 60
        therapy = minutes - EM_SERVICE_MINUTES if em is not None else None
        return Visit(
            day, start, minutes, service, tele, at_home, ic, size, payer, em, therapy=therapy
        )

    def session_kind(
        self, plan: ClientPlan, clinician: DemoClinician, intake: bool, prescriber: bool
    ) -> tuple[str, int, str | None, bool]:
        """(service, minutes, the prescriber's E/M code or None, interactive complexity)."""
        rng = self.rng
        if intake:
            service = "intake_medical" if prescriber else "intake"
            minutes = rng.choice((55, 60, 60, 60))
            return service, minutes, None, plan.child and rng.random() < 0.2
        if prescriber:
            if rng.random() < 0.7:
                service, minutes = "individual", rng.choice(EM_MINUTES)
                em = "99214" if rng.random() < 0.6 else "99213"
                return service, minutes, (em if em in self.procedure_ids else None), False
            return "individual", rng.choice(LENGTHS[plan.usual]), None, False
        return self.therapy_kind(plan, clinician)

    def therapy_kind(
        self, plan: ClientPlan, clinician: DemoClinician
    ) -> tuple[str, int, str | None, bool]:
        """A therapist's session: mostly individual, some family, crisis or group."""
        rng = self.rng
        ic = False
        roll = rng.random()
        family_rate = 0.35 if clinician.kind.key == "family_therapist" else 0.03
        if plan.child:
            family_rate = 0.2
        if roll < 0.012 and not plan.child:
            service, minutes = "crisis", rng.choice(CRISIS_MINUTES)
        elif roll < 0.012 + family_rate:
            without = plan.child and rng.random() < 0.25
            service = "family_without_client" if without else "family"
            minutes = rng.choice((50, 50, 53, 55))
        elif plan.group_member and rng.random() < 0.5:
            service, minutes = "group", 90
        else:
            service, minutes = "individual", rng.choice(LENGTHS[plan.usual])
            ic = rng.random() < (0.15 if plan.child else 0.01)
        return service, minutes, None, ic

    def telehealth(self, plan: ClientPlan, service: str) -> str:
        """The telehealth mode ("video", "audio" or "") by the client's habit; groups meet
        in the office."""
        roll = self.rng.random()
        if service == "group":
            return ""
        if plan.mode == "video":
            return "video" if roll < 0.88 else "audio" if roll < 0.94 else ""
        if plan.mode == "mixed":
            return "video" if roll < 0.45 else "audio" if roll < 0.5 else ""
        return "video" if roll < 0.05 else "audio" if roll < 0.06 else ""

    def slot(
        self,
        plan: ClientPlan,
        clinician: DemoClinician,
        day: datetime.date,
        service: str,
        minutes: int,
    ) -> tuple[datetime.date, int, int | None] | None:
        """(day, hour slot, group size) for the session, or None when it does not fit."""
        index = plan.clinician
        if service != "group":
            hour = self.book(index, day, plan.hour, math.ceil(minutes / 60))
            return None if hour is None else (day, hour, None)
        # The clinician's weekly group, same week, everyone at once.
        day = day + datetime.timedelta(days=clinician.group_weekday - day.weekday())
        if day > self.until or day < self.start or day in self.holidays:
            return None
        key = index * 1_000_000 + day.toordinal()
        size = self.group_sizes.get(key)
        if size is None:
            size = self.group_sizes[key] = self.rng.randint(5, 9)
        return day, GROUP_SLOT, size

    def book(self, clinician: int, day: datetime.date, preferred: int, slots: int) -> int | None:
        """A free start hour for ``slots`` hours on the clinician's day, nearest the
        client's preferred hour, or None when the day is full (no overlapping sessions)."""
        key = clinician * 1_000_000 + day.toordinal()
        mask = self.busy.get(key)
        if mask is None:
            mask = 0
            if day.weekday() == self.clinicians[clinician].group_weekday:
                mask = 0b11 << GROUP_SLOT
        need = (1 << slots) - 1
        for hour in TRY_ORDER[preferred]:
            if hour + slots > SLOTS_PER_DAY:
                continue
            bits = need << hour
            if not mask & bits:
                self.busy[key] = mask | bits
                return hour
        self.busy[key] = mask
        return None

    def lines_for(
        self,
        clinician: int,
        payer: int,
        service: str,
        minutes: int,
        tele: str,
        at_home: bool,
        ic: bool,
        em: str | None,
        therapy: int | None = None,
    ) -> tuple[int, tuple]:
        """(POS id, lines) for a session, from the session service the form uses
        (``practice.services.session_proposal``; memoised: the answer depends only on
        these facts). A line is (procedure id, modifiers, units, charge)."""
        key = (clinician, payer, service, minutes, tele, at_home, ic, em, therapy)
        found = self.line_memo.get(key)
        if found is not None:
            return found
        doctor = self.clinicians[clinician]
        payer_row = None if payer == NO_PAYER else self.payers[payer]
        fees = self.self_pay_fees if payer == NO_PAYER else self.fees[payer]
        proposal = session_proposal(
            service=service,
            minutes=minutes,
            clinician=doctor.model,
            payer=payer_row,
            fees=fees,
            in_person_pos=doctor.pos,
            telehealth=tele,
            client_at_home=at_home,
            interactive_complexity=ic,
            em_code=em or "",
            psychotherapy_minutes=therapy,
        )
        pos = rules.place_of_service(
            telehealth=tele, client_at_home=at_home, in_person_pos=doctor.pos, payer=payer_row
        )
        lines = tuple(
            (
                self.procedure_ids[line.code],
                (*line.modifiers, "", "", "", "")[:4],
                line.units,
                line.charge,
            )
            for line in proposal.lines
        )
        found = self.line_memo[key] = (self.pos_ids[pos], lines)
        return found
