"""Session mix per clinician: 90832/90834/90837 shares, telehealth, no-shows."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import (
    Count,
    Q,
)

from billing.reports.common import (
    ATTENDED,
    Filters,
    _name,
    _sessions,
    share,
)
from practice.models import Session

# The three time-based individual psychotherapy codes (docs/rules/coding.md §2.1): 30, 45, 60
# minutes.
INDIVIDUAL_CODES = ("90832", "90834", "90837")


@dataclass(frozen=True)
class MixRow:
    clinician_id: int | None  # None: the all-clinicians total
    clinician: str
    individual: int
    code_counts: tuple[int, ...]  # sessions per INDIVIDUAL_CODES, in that order
    attended: int
    telehealth: int
    scheduled: int
    no_shows: int
    late_cancels: int

    @property
    def code_shares(self) -> tuple[Decimal | None, ...]:
        return tuple(share(n, self.individual) for n in self.code_counts)

    @property
    def in_office(self) -> int:
        return self.attended - self.telehealth

    @property
    def telehealth_share(self) -> Decimal | None:
        return share(self.telehealth, self.attended)

    @property
    def in_office_share(self) -> Decimal | None:
        return share(self.in_office, self.attended)

    @property
    def no_show_rate(self) -> Decimal | None:
        return share(self.no_shows, self.scheduled)

    @property
    def late_cancel_rate(self) -> Decimal | None:
        return share(self.late_cancels, self.scheduled)


def session_mix(start: datetime.date, end: datetime.date, filters: Filters) -> list[MixRow]:
    """Per clinician: how their individual psychotherapy sessions split between 90832,
    90834 and 90837 (shares of the individual sessions billed with one of the three), the
    telehealth and in-office shares of attended sessions, and no-show and late-cancel
    rates over every scheduled session except those cancelled in time.

    SQL: SELECT s.clinician_id, COUNT(DISTINCT s.id) FILTER (WHERE individual AND code IN
    (…)), COUNT(DISTINCT s.id) FILTER (WHERE code = '90832'), … FILTER (WHERE telehealth
    <> ''), … FILTER (WHERE status <> 'cancelled'), … FILTER (WHERE status = 'no_show')
    FROM session s LEFT JOIN serviceline l LEFT JOIN procedurecode pc WHERE s.date
    BETWEEN … GROUP BY s.clinician_id
    """
    attended = Q(status__in=ATTENDED)
    individual = attended & Q(service=Session.Service.INDIVIDUAL)
    per_code = {
        f"code_{code}": Count(
            "pk", distinct=True, filter=individual & Q(lines__procedure__code=code)
        )
        for code in INDIVIDUAL_CODES
    }
    found = (
        _sessions(filters)
        .filter(date__range=(start, end))
        .values(
            "clinician_id",
            "clinician__first_name",
            "clinician__last_name",
            "clinician__credentials",
        )
        .annotate(
            individual=Count(
                "pk",
                distinct=True,
                filter=individual & Q(lines__procedure__code__in=INDIVIDUAL_CODES),
            ),
            **per_code,
            attended_count=Count("pk", distinct=True, filter=attended),
            telehealth_count=Count("pk", distinct=True, filter=attended & ~Q(telehealth="")),
            scheduled=Count("pk", distinct=True, filter=~Q(status=Session.Status.CANCELLED)),
            no_shows=Count("pk", distinct=True, filter=Q(status=Session.Status.NO_SHOW)),
            late_cancels=Count("pk", distinct=True, filter=Q(status=Session.Status.LATE_CANCEL)),
        )
        .order_by("clinician__last_name", "clinician__first_name", "clinician_id")
    )
    return [
        MixRow(
            clinician_id=row["clinician_id"],
            clinician=_name(row, "clinician__"),
            individual=row["individual"],
            code_counts=tuple(row[f"code_{code}"] for code in INDIVIDUAL_CODES),
            attended=row["attended_count"],
            telehealth=row["telehealth_count"],
            scheduled=row["scheduled"],
            no_shows=row["no_shows"],
            late_cancels=row["late_cancels"],
        )
        for row in found
    ]


def mix_total(rows: list[MixRow]) -> MixRow:
    """All clinicians together (counts add up; rates are recomputed, not averaged)."""
    return MixRow(
        clinician_id=None,
        clinician="All clinicians",
        individual=sum(r.individual for r in rows),
        code_counts=tuple(
            sum(r.code_counts[i] for r in rows) for i in range(len(INDIVIDUAL_CODES))
        ),
        attended=sum(r.attended for r in rows),
        telehealth=sum(r.telehealth for r in rows),
        scheduled=sum(r.scheduled for r in rows),
        no_shows=sum(r.no_shows for r in rows),
        late_cancels=sum(r.late_cancels for r in rows),
    )
