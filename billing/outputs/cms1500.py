"""CMS-1500 (02/12) paper claims, drawn from a claim's snapshot (docs/rules/claim-forms.md §7).

One coordinate table (``FIELDS``, ``TICKS``, ``LINE_FIELDS``, ``DIAGNOSIS_FIELDS``) says
where every piece of data lands, on the form's own print grid: 10 characters per inch
across, 6 lines per inch down, line 1 at the top of the sheet (the grid the NUCC designed
the form on, and the one practice-management systems print to). Both modes use it:

- ``"data"`` prints only the data, in 12-point Courier (10 pitch), upper-case ASCII, for
  a pre-printed red form in the printer;
- ``"facsimile"`` also draws the form itself (boxes, box numbers and labels in red) on
  plain paper, so the data sits in the boxes the same way.

Here: which data goes in which box (``claim_pages``) and printing it. The form's grid,
its coordinate table and the facsimile drawing are ``billing/outputs/cms1500_form.py``.

A claim with more than six service lines continues on further forms: lines 1–6 on the
first, 7–12 on the second and so on; every box other than 24 repeats, and box 28 carries
the total only on the claim's last form ("CONTINUED" on the others), as the NUCC 1500
instructions ask.

A printer that shifts the page can be corrected with ``offset`` (points, x right, y up).
"""

from __future__ import annotations

import datetime
import io
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from django.db.models import QuerySet
from django.utils import timezone
from reportlab.lib.colors import black
from reportlab.lib.pagesizes import letter
from reportlab.pdfgen.canvas import Canvas

from billing.ledger import amount_paid_box_29
from billing.models import Claim, ClaimLine
from billing.outputs.cms1500_form import (
    DATA_FONT,
    DATA_SIZE,
    DIAGNOSIS_FIELDS,
    FIELDS,
    LINES_PER_FORM,
    MIN_DATA_SIZE,
    TICKS,
    Spot,
    baseline,
    col_x,
    draw_form,
    line_spot,
)
from billing.outputs.pdf import digits, iso_date, ocr_text
from billing.parties import Person, PostalAddress
from practice.common import MAX_DIAGNOSES

Mode = Literal["facsimile", "data"]
MODES: tuple[str, ...] = ("facsimile", "data")

# Box 1 (docs/rules/claim-forms.md §3 claim filing indicator → program).
PROGRAM_TICK = {
    "MB": "1_medicare",
    "MC": "1_medicaid",
    "CH": "1_tricare",
    "VA": "1_champva",
    "CI": "1_group",
    "BL": "1_group",
    "HM": "1_group",
}
# Box 6 (docs/rules/claim-forms.md §4 subscriber relationship).
RELATIONSHIP_TICK = {"18": "6_self", "01": "6_spouse", "19": "6_child"}


# ---------------------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------------------
def claims_for_print(queryset: QuerySet[Claim] | None = None) -> QuerySet[Claim]:
    """Claims with everything the form prints, in three queries whatever their number:
    the claims (with the original claim for box 22), their lines, their diagnoses."""
    queryset = Claim.objects.all() if queryset is None else queryset
    return queryset.select_related("original", "payer").with_lines().with_diagnoses()


def _money(amount: Decimal) -> str:
    """8 characters, the decimal point printed as a space: the form's dotted line
    separates dollars from cents ("  160 00")."""
    return f"{Decimal(amount):8.2f}".replace(".", " ")


def _mm_dd_yy(value: datetime.date | None) -> str:
    return value.strftime("%m %d %y") if value else ""


def _mm_dd_yyyy(value: datetime.date | None) -> str:
    return value.strftime("%m %d %Y") if value else ""


def _last_first(last: str, first: str) -> str:
    return f"{last}, {first}" if last and first else (last or first)


def _street(party: PostalAddress) -> str:
    return " ".join(p for p in (party.address_line1, party.address_line2) if p)


def _zip(value: str) -> str:
    """NUCC 1500 items 5, 7, 32, 33: a nine-digit ZIP code prints with its hyphen."""
    number = digits(value)
    return f"{number[:5]}-{number[5:]}" if len(number) == 9 else value or ""


def _city_line(party: PostalAddress) -> str:
    return " ".join(p for p in (party.city, party.state, _zip(party.zip_code)) if p)


def _person_name(person: Person) -> str:
    return " ".join(p for p in (person.first_name, person.last_name, person.credentials) if p)


def _phone(values: dict[str, str], prefix: str, phone: str) -> None:
    number = digits(phone)
    if len(number) == 11 and number.startswith("1"):
        number = number[1:]
    if len(number) == 10:
        values[f"{prefix}_area"] = number[:3]
        values[f"{prefix}_phone"] = number[3:]
    elif number:
        values[f"{prefix}_phone"] = number


@dataclass
class FormPage:
    """What one form prints: text by field name, ticked boxes, diagnoses, up to six
    service lines."""

    values: dict[str, str]
    ticks: set[str]
    diagnoses: list[tuple[int, str]]
    lines: list[dict[str, str]]


def claim_pages(claim: Claim, *, amount_paid: Decimal | None = None) -> list[FormPage]:
    """The forms one claim prints on (docs/rules/claim-forms.md §7): every box from the snapshot,
    box 24
    six lines at a time, the total on the last form only."""
    parties = claim.party
    payer = parties.payer
    patient = parties.patient
    subscriber = parties.subscriber
    billing = parties.billing
    rendering = parties.rendering
    supervising = parties.supervising
    facility = parties.facility
    other = parties.other_insurance

    values: dict[str, str] = {}
    ticks: set[str] = set()

    carrier = [payer.name, payer.address_line1, payer.address_line2, _city_line(payer)]
    for n, text in enumerate((t for t in carrier if t), start=1):
        values[f"payer_{n}"] = text

    ticks.add(PROGRAM_TICK.get(payer.filing_indicator, "1_other"))
    values["1a"] = subscriber.member_id
    values["2"] = _last_first(patient.last_name, patient.first_name)
    values["3_dob"] = _mm_dd_yyyy(iso_date(patient.date_of_birth))
    if patient.sex in ("M", "F"):
        ticks.add(f"3_{patient.sex.lower()}")
    # CMS Pub. 100-04 ch. 26 §10.2 items 4, 7, 11–11d: with Medicare primary, item 11 reads
    # NONE and the boxes about an insurance primary to Medicare (4, 7, 11a, 11c, 11d) stay
    # blank.
    medicare_primary = payer.filing_indicator == "MB"
    values["4"] = _last_first(subscriber.last_name, subscriber.first_name)
    values["5_street"] = _street(patient)
    values["5_city"] = patient.city
    values["5_state"] = patient.state
    values["5_zip"] = _zip(patient.zip_code)
    _phone(values, "5", patient.phone)
    relationship = subscriber.relationship
    ticks.add(RELATIONSHIP_TICK.get(relationship, "6_other"))
    values["7_street"] = _street(subscriber)
    values["7_city"] = subscriber.city
    values["7_state"] = subscriber.state
    values["7_zip"] = _zip(subscriber.zip_code)
    if relationship == "18":
        _phone(values, "7", patient.phone)
    if medicare_primary:
        for name in ("4", "7_street", "7_city", "7_state", "7_zip", "7_area", "7_phone"):
            values.pop(name, None)

    if other:
        values["9"] = _last_first(other.subscriber_last_name, other.subscriber_first_name)
        values["9a"] = other.member_id
        values["9d"] = other.plan_name or other.payer_name
    # 10a–c: a therapy claim is not related to employment or an accident.
    ticks |= {"10a_no", "10b_no", "10c_no"}
    if medicare_primary:
        values["11"] = "NONE"
    else:
        values["11"] = subscriber.group_number
        values["11a_dob"] = _mm_dd_yyyy(iso_date(subscriber.date_of_birth))
        if subscriber.sex in ("M", "F"):
            ticks.add(f"11a_{subscriber.sex.lower()}")
        values["11c"] = subscriber.plan_name
        ticks.add("11d_yes" if other else "11d_no")
    # NUCC 1500 items 12 and 13 (docs/rules/claim-forms.md §8): "SIGNATURE ON FILE" only
    # for a signature the client's record holds, box 12 with the date it was signed;
    # otherwise blank (the scrubber's "signatures" rule stops such a claim).
    release = parties.signatures.release
    if release:
        values["12"] = "SIGNATURE ON FILE"
        values["12_date"] = _mm_dd_yy(iso_date(release.signed_on))
    if parties.signatures.assignment:
        values["13"] = "SIGNATURE ON FILE"

    # NUCC 1500 item 17 (docs/rules/claim-forms.md §9): one provider, the referring one
    # (DN) before a supervising one (DQ; docs/rules/coding.md §9). The 837P carries both.
    referring = parties.referring
    shown = ("DN", referring) if referring else ("DQ", supervising) if supervising else None
    if shown:
        values["17_qual"] = shown[0]
        values["17"] = _person_name(shown[1])
        values["17b"] = shown[1].npi

    values["21_ind"] = "0"  # ICD-10
    if claim.frequency in (Claim.Frequency.REPLACEMENT, Claim.Frequency.VOID):
        values["22_code"] = claim.frequency
        # NUCC 1500 item 22: the payer's own claim number, never our control number.
        values["22_ref"] = claim.payer_claim_number
    values["23"] = claim.prior_auth_number

    values["25"] = digits(billing.tax_id)
    ticks.add("25_ssn" if billing.tax_id_type == "SSN" else "25_ein")
    values["26"] = patient.account_number
    ticks.add("27_yes")

    signer = _person_name(rendering)
    if len(signer) <= FIELDS["31_2"].width:
        values["31_2"] = signer
    else:
        values["31_1"] = " ".join(p for p in (rendering.first_name, rendering.last_name) if p)
        values["31_2"] = rendering.credentials
    signed_on = timezone.localdate(claim.created_at) if claim.created_at else None
    values["31_date"] = _mm_dd_yy(signed_on)

    if facility:
        values["32_1"] = facility.name
        values["32_2"] = _street(facility)
        values["32_3"] = _city_line(facility)
        values["32a"] = facility.npi

    _phone(values, "33", billing.phone)
    values["33_1"] = billing.name
    values["33_2"] = _street(billing)
    values["33_3"] = _city_line(billing)
    values["33a"] = billing.npi

    # NUCC 1500 item 21 (CMS Pub. 100-04 ch. 26 §10.3 item 21): codes print without the
    # dot, which is implied.
    diagnoses = [
        (d.position, d.code.replace(".", ""))
        for d in claim.diagnoses.all()
        if 1 <= d.position <= MAX_DIAGNOSES
    ]
    claim_lines = list(claim.lines.all())
    chunks = [
        claim_lines[i : i + LINES_PER_FORM] for i in range(0, len(claim_lines), LINES_PER_FORM)
    ] or [[]]
    pages = []
    for number, chunk in enumerate(chunks, start=1):
        page_values = dict(values)
        last = number == len(chunks)
        page_values["28"] = _money(claim.total_charge) if last else "CONTINUED"
        # Box 29 as the payer wants it (billing.ledger.amount_paid_box_29), blank when
        # nothing was paid (NUCC: no amount paid, leave it blank).
        if last and amount_paid:
            page_values["29"] = _money(amount_paid)
        pages.append(
            FormPage(
                values=page_values,
                ticks=set(ticks),
                diagnoses=diagnoses,
                lines=[_line_values(line) for line in chunk],
            )
        )
    return pages


def _line_values(line: ClaimLine) -> dict[str, str]:
    # One line is one date of service, so "to" repeats "from" (NUCC: both dates).
    return {
        "from": _mm_dd_yy(line.date_of_service),
        "to": _mm_dd_yy(line.date_of_service),
        "pos": line.place_of_service,
        "code": line.procedure_code,
        "modifiers": " ".join(line.modifiers),
        "pointers": line.diagnosis_pointers,
        "charge": _money(line.charge),
        "units": str(line.units),
        "npi": line.rendering_npi,
    }


# ---------------------------------------------------------------------------------------
# Drawing
# ---------------------------------------------------------------------------------------
def _put(canvas: Canvas, spot: Spot, text: str, *, raw: bool = False) -> None:
    """Print ``text`` at ``spot`` in the data font; shrink a value too long for its box,
    then cut it (never past the box's right edge)."""
    text = text if raw else ocr_text(text)
    if not text.strip():
        return
    size = DATA_SIZE
    if len(text) > spot.width:
        size = max(MIN_DATA_SIZE, DATA_SIZE * spot.width / len(text))
        fits = int(spot.width * DATA_SIZE / size + 1e-6)
        text = text[:fits]
    canvas.setFont(DATA_FONT, size)
    canvas.drawString(col_x(spot.col), baseline(spot.line), text)


def _draw_data(canvas: Canvas, page: FormPage) -> None:
    canvas.setFillColor(black)
    for name, text in page.values.items():
        _put(canvas, FIELDS[name], text, raw=name in ("28", "29"))
    for name in sorted(page.ticks):
        _put(canvas, TICKS[name], "X")
    for position, code in page.diagnoses:
        _put(canvas, DIAGNOSIS_FIELDS[position - 1], code)
    for number, line in enumerate(page.lines, start=1):
        for name, text in line.items():
            _put(canvas, line_spot(name, number), text, raw=name == "charge")


def render_cms1500(
    claims: Iterable[Claim],
    *,
    mode: Mode = "facsimile",
    offset: tuple[float, float] = (0.0, 0.0),
) -> bytes:
    """One PDF, US Letter, with every form of every claim in order (docs/rules/claim-forms.md §7).

    Pass claims from ``claims_for_print()`` so lines and diagnoses come prefetched.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=letter, pageCompression=1)
    canvas.setTitle("CMS-1500 claim forms")
    canvas.setCreator("SessionLedger")
    if mode == "facsimile":
        canvas.beginForm("cms1500")
        draw_form(canvas)
        canvas.endForm()
    pages = 0
    claims = list(claims)
    paid = amount_paid_box_29(claims)
    for claim in claims:
        for page in claim_pages(claim, amount_paid=paid.get(claim.pk)):
            canvas.saveState()
            canvas.translate(*offset)
            if mode == "facsimile":
                canvas.doForm("cms1500")
            _draw_data(canvas, page)
            canvas.restoreState()
            canvas.showPage()
            pages += 1
    if not pages:
        raise ValueError("No claims to print.")
    canvas.save()
    return buffer.getvalue()
