"""Payer rules: turn a session's facts into service lines the client's payer accepts.

``billing/coding.py`` says which CPT codes a session earns; this module adds what the
payer wants around them (docs/rules/coding.md §7–§9): the place of service and
telehealth modifier, the level-of-license modifier, whom to name as rendering provider
for a pre-licensed clinician, and the fee. The functions take model instances already loaded
and touch the database only where their docstring says so, so a form and a bulk demo
loader can share them.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from billing import coding
from billing.models import Payer, PayerRate, ProcedureCode
from practice.common import ZERO

# docs/rules/coding.md §8: 10 = telehealth with the client at home, 02 = elsewhere. Used when the
# payer names no POS of its own, and for self-pay clients.
DEFAULT_TELEHEALTH_HOME_POS = "10"
DEFAULT_TELEHEALTH_OTHER_POS = "02"
# docs/rules/coding.md §7.1: 95 = audio and video, 93 = audio only (Medicare too).
DEFAULT_VIDEO_MODIFIER = "95"
DEFAULT_AUDIO_MODIFIER = "93"

VIDEO = "video"
AUDIO = "audio"


@dataclass(frozen=True)
class ProposedLine:
    """One service line as the rules propose it, before the clinician saves it."""

    code: str
    units: int
    modifiers: tuple[str, ...]
    place_of_service: str
    charge: Decimal
    description: str = ""

    @property
    def unit_fee(self) -> Decimal:
        return (self.charge / self.units).quantize(Decimal("0.01")) if self.units else ZERO


@dataclass(frozen=True)
class Proposal:
    """What the rules propose for a session: lines, warnings that do not block, and notes
    that say why the lines are what they are where that is not obvious."""

    lines: tuple[ProposedLine, ...]
    warnings: tuple[str, ...] = field(default_factory=tuple)
    notes: tuple[str, ...] = field(default_factory=tuple)


def place_of_service(
    *, telehealth: str, client_at_home: bool, in_person_pos: str, payer: Payer | None
) -> str:
    """docs/rules/coding.md §8: in person, the location's POS; by telehealth, the payer's choice of
    POS for a client at home (often 10, some want 11) or elsewhere (often 02)."""
    if not telehealth:
        return in_person_pos
    if client_at_home:
        chosen = payer.telehealth_home_pos if payer else None
        return chosen.code if chosen else DEFAULT_TELEHEALTH_HOME_POS
    chosen = payer.telehealth_other_pos if payer else None
    return chosen.code if chosen else DEFAULT_TELEHEALTH_OTHER_POS


def telehealth_modifier(*, telehealth: str, payer: Payer | None) -> str:
    """docs/rules/coding.md §7.1: the modifier the payer wants for video (95, GT or none)
    or for audio only (93 or none); 95/93 for self-pay."""
    if not telehealth:
        return ""
    if payer is None:
        return DEFAULT_AUDIO_MODIFIER if telehealth == AUDIO else DEFAULT_VIDEO_MODIFIER
    return payer.audio_only_modifier if telehealth == AUDIO else payer.telehealth_modifier


def billing_clinicians(clinician, payer: Payer | None):
    """docs/rules/coding.md §9: ``(rendering, supervising)`` for a session's clinician
    under a payer.

    A licensed clinician renders their own services. For a pre-licensed clinician the
    payer decides: bill the supervisor as rendering provider, name the supervisor in the
    supervising slot, or bill the associate directly. The session always keeps who
    actually saw the client; this only decides what the claim names.
    """
    supervisor = clinician.supervisor if clinician.supervisor_id else None
    if supervisor is None or payer is None:
        return clinician, None
    if payer.supervision_billing == Payer.SupervisionBilling.SUPERVISOR_RENDERS:
        return supervisor, None
    if payer.supervision_billing == Payer.SupervisionBilling.SUPERVISOR_DQ:
        return clinician, supervisor
    return clinician, None


def license_modifier(*, payer: Payer | None, clinician) -> str:
    """docs/rules/coding.md §7.2: the level-of-license modifier a payer wants (HO, HP,
    AJ…), or "". It describes the clinician who actually saw the client, even when the
    claim names a supervisor as rendering provider: an associate's session is never AH."""
    if payer is None or not payer.wants_license_modifier:
        return ""
    return clinician.license_level


def audio_only_refusal(*, telehealth: str, payer: Payer | None) -> str:
    """docs/rules/coding.md §7.1: why this payer will not pay an audio-only session, or ""
    (the one home of this check: the proposal, lines set by hand and the scrubber)."""
    if telehealth == AUDIO and payer is not None and not payer.audio_only_allowed:
        return f"{payer.name} does not pay for audio-only sessions."
    return ""


def line_modifiers(*, telehealth: str, payer: Payer | None, clinician) -> tuple[str, ...]:
    """Modifiers for every line of a session: level of license first (when the payer
    wants it, the level of whoever saw the client), then telehealth
    (docs/rules/coding.md §7)."""
    modifiers: list[str] = []
    level = license_modifier(payer=payer, clinician=clinician)
    if level:
        modifiers.append(level)
    tele = telehealth_modifier(telehealth=telehealth, payer=payer)
    if tele:
        modifiers.append(tele)
    return tuple(modifiers)


def fee_schedule(payer: Payer | None, on: datetime.date) -> dict[str, Decimal]:
    """Unit fee per code on a date (one or two queries): the practice's standard charge,
    or — for a payer set to charge its contracted rate — the payer's rate where it has one.
    """
    fees = dict(ProcedureCode.objects.values_list("code", "default_charge"))
    if payer is not None and payer.charge_basis == Payer.ChargeBasis.CONTRACT_RATE:
        rates = (
            PayerRate.objects.in_force(on)
            .filter(payer=payer)
            .order_by("procedure__code", "effective_from")
            .values_list("procedure__code", "allowed_amount")
        )
        fees.update(dict(rates))  # later effective_from wins
    return fees


def propose(
    *,
    service: str,
    minutes: int,
    clinician,
    payer: Payer | None,
    fees: Mapping[str, Decimal],
    in_person_pos: str = "11",
    telehealth: str = "",
    client_at_home: bool = True,
    interactive_complexity: bool = False,
    with_em: bool = False,
) -> Proposal:
    """The service lines for a session, coded (docs/rules/coding.md §2–§5) and dressed for
    the payer (§7–§9). Raises ``ValueError`` with a reason a clinician understands when the
    facts cannot be coded (e.g. interactive complexity with a crisis session)."""
    codes = coding.suggest(service, minutes, with_em=with_em)
    if interactive_complexity and codes:
        codes = coding.add_interactive_complexity(codes)
    pos = place_of_service(
        telehealth=telehealth,
        client_at_home=client_at_home,
        in_person_pos=in_person_pos,
        payer=payer,
    )
    modifiers = line_modifiers(telehealth=telehealth, payer=payer, clinician=clinician)
    lines = tuple(
        ProposedLine(
            code=code,
            units=units,
            modifiers=modifiers,
            place_of_service=pos,
            charge=(fees.get(code, ZERO) * units).quantize(Decimal("0.01")),
            description=coding.DESCRIPTIONS.get(code, ""),
        )
        for code, units in codes
    )
    warnings: list[str] = []
    if not lines:
        warnings.append(
            f"{minutes} minutes is too short for any {service.replace('_', ' ')} code; "
            "the session cannot be billed as logged."
        )
    refusal = audio_only_refusal(telehealth=telehealth, payer=payer)
    if refusal:
        warnings.append(refusal)
    missing = [line.code for line in lines if line.code not in fees]
    if missing:
        warnings.append(f"No fee on file for {', '.join(missing)}; the charge is $0.00.")
    notes = tuple(coding.explanations(service, minutes, codes))
    return Proposal(lines=lines, warnings=tuple(warnings), notes=notes)
