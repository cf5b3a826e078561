"""CMS-1500 (02/12) paper claims, drawn from a claim's snapshot (docs/rules/claim-forms.md §7).

One coordinate table (``FIELDS``, ``TICKS``, ``LINE_FIELDS``, ``DIAGNOSIS_FIELDS``) says
where every piece of data lands, on the form's own print grid: 10 characters per inch
across, 6 lines per inch down, line 1 at the top of the sheet (the grid the NUCC designed
the form on, and the one practice-management systems print to). Both modes use it:

- ``"data"`` prints only the data, in 12-point Courier (10 pitch), upper-case ASCII, for
  a pre-printed red form in the printer;
- ``"facsimile"`` also draws the form itself (boxes, box numbers and labels in red) on
  plain paper, so the data sits in the boxes the same way.

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
from reportlab.lib.colors import Color, black
from reportlab.lib.pagesizes import letter
from reportlab.lib.units import inch
from reportlab.pdfgen.canvas import Canvas

from billing.models import Claim, ClaimLine
from billing.outputs.pdf import digits, iso_date, ocr_text
from practice.common import MAX_DIAGNOSES, POINTER_LETTERS

Mode = Literal["facsimile", "data"]
MODES: tuple[str, ...] = ("facsimile", "data")
LINES_PER_FORM = 6  # docs/rules/claim-forms.md §7: six service lines per form

PAGE_WIDTH, PAGE_HEIGHT = letter
CHAR_WIDTH = inch / 10  # 10 pitch
LINE_HEIGHT = inch / 6  # 6 lines per inch
LEFT = 0.30 * inch  # left edge of column 1
TOP = 0.10 * inch  # top of line 1, below the top of the sheet
DATA_FONT = "Courier"
DATA_SIZE = 12  # Courier 12 pt is exactly 10 characters per inch
MIN_DATA_SIZE = 8  # a long value shrinks to this before it is cut

RED = Color(0.80, 0.10, 0.14)
SHADE = Color(1.0, 0.90, 0.90)


@dataclass(frozen=True)
class Spot:
    """A place on the print grid: line (1 = top), first column (1 = left), width in
    characters."""

    line: int
    col: int
    width: int = 1


# ---------------------------------------------------------------------------------------
# The coordinate table. Box numbers are the form's.
# ---------------------------------------------------------------------------------------
FIELDS: dict[str, Spot] = {
    # Carrier block, top right.
    "payer_1": Spot(2, 41, 36),
    "payer_2": Spot(3, 41, 36),
    "payer_3": Spot(4, 41, 36),
    "payer_4": Spot(5, 41, 36),
    "1a": Spot(8, 50, 29),
    "2": Spot(10, 1, 28),
    "3_dob": Spot(10, 31, 10),
    "4": Spot(10, 50, 29),
    "5_street": Spot(12, 1, 28),
    "7_street": Spot(12, 50, 29),
    "5_city": Spot(14, 1, 23),
    "5_state": Spot(14, 26, 2),
    "7_city": Spot(14, 50, 22),
    "7_state": Spot(14, 74, 2),
    "5_zip": Spot(16, 1, 12),
    "5_area": Spot(16, 15, 3),
    "5_phone": Spot(16, 19, 7),
    "7_zip": Spot(16, 50, 12),
    "7_area": Spot(16, 65, 3),
    "7_phone": Spot(16, 69, 7),
    "9": Spot(18, 1, 28),
    "11": Spot(18, 50, 29),
    "9a": Spot(20, 1, 28),
    "11a_dob": Spot(20, 53, 10),
    "11c": Spot(24, 50, 29),
    "9d": Spot(26, 1, 28),
    "12": Spot(29, 7, 20),
    "13": Spot(29, 55, 24),
    "17_qual": Spot(34, 1, 2),
    "17": Spot(34, 4, 25),
    "17b": Spot(34, 33, 15),
    "21_ind": Spot(37, 44, 1),
    "22_code": Spot(38, 50, 10),
    "22_ref": Spot(38, 62, 17),
    "23": Spot(40, 50, 29),
    "25": Spot(56, 1, 15),
    "26": Spot(56, 23, 13),
    "28": Spot(56, 52, 9),
    "29": Spot(56, 62, 8),
    "33_area": Spot(57, 66, 3),
    "33_phone": Spot(57, 70, 7),
    "31_1": Spot(59, 1, 21),
    "31_2": Spot(60, 1, 21),
    "31_date": Spot(61, 13, 8),
    "32_1": Spot(58, 23, 25),
    "32_2": Spot(59, 23, 25),
    "32_3": Spot(60, 23, 25),
    "32a": Spot(61, 24, 10),
    "33_1": Spot(58, 50, 29),
    "33_2": Spot(59, 50, 29),
    "33_3": Spot(60, 50, 29),
    "33a": Spot(61, 51, 10),
}

# Check boxes: an "X" printed at the spot.
TICKS: dict[str, Spot] = {
    "1_medicare": Spot(8, 1),
    "1_medicaid": Spot(8, 8),
    "1_tricare": Spot(8, 15),
    "1_champva": Spot(8, 24),
    "1_group": Spot(8, 31),
    "1_feca": Spot(8, 39),
    "1_other": Spot(8, 45),
    "3_m": Spot(10, 42),
    "3_f": Spot(10, 47),
    "6_self": Spot(12, 33),
    "6_spouse": Spot(12, 38),
    "6_child": Spot(12, 42),
    "6_other": Spot(12, 47),
    "10a_yes": Spot(20, 35),
    "10a_no": Spot(20, 41),
    "11a_m": Spot(20, 68),
    "11a_f": Spot(20, 75),
    "10b_yes": Spot(22, 35),
    "10b_no": Spot(22, 41),
    "10c_yes": Spot(24, 35),
    "10c_no": Spot(24, 41),
    "11d_yes": Spot(26, 52),
    "11d_no": Spot(26, 57),
    "20_yes": Spot(36, 52),
    "20_no": Spot(36, 57),
    "25_ssn": Spot(56, 17),
    "25_ein": Spot(56, 19),
    "27_yes": Spot(56, 38),
    "27_no": Spot(56, 43),
}

# Box 24, service line 1 (the unshaded half); line n is 2 × (n - 1) grid lines lower.
LINE_FIELDS: dict[str, Spot] = {
    "from": Spot(44, 1, 8),
    "to": Spot(44, 10, 8),
    "pos": Spot(44, 19, 2),
    "code": Spot(44, 25, 6),
    "modifiers": Spot(44, 33, 11),
    "pointers": Spot(44, 45, 4),
    "charge": Spot(44, 50, 8),
    "units": Spot(44, 59, 3),
    "npi": Spot(44, 68, 10),
}

# Box 21: A–D on line 38, E–H on 39, I–L on 40; 13 columns apart.
DIAGNOSIS_FIELDS: tuple[Spot, ...] = tuple(
    Spot(38 + n // 4, 3 + 13 * (n % 4), 8) for n in range(12)
)

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


def line_spot(name: str, number: int) -> Spot:
    """Where a box-24 field of service line ``number`` (1–6 on its form) prints."""
    spot = LINE_FIELDS[name]
    return Spot(spot.line + 2 * (number - 1), spot.col, spot.width)


# ---------------------------------------------------------------------------------------
# Grid → page coordinates.
# ---------------------------------------------------------------------------------------
def x_at(boundary: float) -> float:
    """x of a column boundary: boundary b is the right edge of column b."""
    return LEFT + boundary * CHAR_WIDTH


def col_x(col: int) -> float:
    return x_at(col - 1)


def line_top(line: float) -> float:
    return PAGE_HEIGHT - TOP - (line - 1) * LINE_HEIGHT


def baseline(line: int) -> float:
    return line_top(line) - LINE_HEIGHT + 2.8


# ---------------------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------------------
def claims_for_print(queryset: QuerySet[Claim] | None = None) -> QuerySet[Claim]:
    """Claims with everything the form prints, in three queries whatever their number:
    the claims (with the original claim for box 22), their lines, their diagnoses."""
    queryset = Claim.objects.all() if queryset is None else queryset
    return queryset.select_related("original").with_lines().with_diagnoses()


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


def _street(party: dict) -> str:
    return " ".join(p for p in (party.get("address_line1"), party.get("address_line2")) if p)


def _city_line(party: dict) -> str:
    return " ".join(
        p for p in (party.get("city", ""), party.get("state", ""), party.get("zip_code", "")) if p
    )


def _person_name(person: dict) -> str:
    return " ".join(
        p
        for p in (person.get("first_name"), person.get("last_name"), person.get("credentials"))
        if p
    )


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


def claim_pages(claim: Claim) -> list[FormPage]:
    """The forms one claim prints on (docs/rules/claim-forms.md §7): every box from the snapshot,
    box 24
    six lines at a time, the total on the last form only."""
    parties = claim.parties or {}
    payer = parties.get("payer") or {}
    patient = parties.get("patient") or {}
    subscriber = parties.get("subscriber") or {}
    billing = parties.get("billing") or {}
    rendering = parties.get("rendering") or {}
    supervising = parties.get("supervising")
    facility = parties.get("facility")
    other = parties.get("other_insurance")

    values: dict[str, str] = {}
    ticks: set[str] = set()

    carrier = [payer.get("name", ""), payer.get("address_line1", "")]
    carrier += [payer.get("address_line2", ""), _city_line(payer)]
    for n, text in enumerate((t for t in carrier if t), start=1):
        values[f"payer_{n}"] = text

    ticks.add(PROGRAM_TICK.get(payer.get("filing_indicator", ""), "1_other"))
    values["1a"] = subscriber.get("member_id", "")
    values["2"] = _last_first(patient.get("last_name", ""), patient.get("first_name", ""))
    values["3_dob"] = _mm_dd_yyyy(iso_date(patient.get("date_of_birth")))
    if patient.get("sex") in ("M", "F"):
        ticks.add(f"3_{patient['sex'].lower()}")
    # CMS Pub. 100-04 ch. 26 §10.2 items 4, 7, 11–11d: with Medicare primary, item 11 reads
    # NONE and the boxes about an insurance primary to Medicare (4, 7, 11a, 11c, 11d) stay
    # blank.
    medicare_primary = payer.get("filing_indicator") == "MB"
    values["4"] = _last_first(subscriber.get("last_name", ""), subscriber.get("first_name", ""))
    values["5_street"] = _street(patient)
    values["5_city"] = patient.get("city", "")
    values["5_state"] = patient.get("state", "")
    values["5_zip"] = patient.get("zip_code", "")
    _phone(values, "5", patient.get("phone", ""))
    relationship = subscriber.get("relationship", "18")
    ticks.add(RELATIONSHIP_TICK.get(relationship, "6_other"))
    values["7_street"] = _street(subscriber)
    values["7_city"] = subscriber.get("city", "")
    values["7_state"] = subscriber.get("state", "")
    values["7_zip"] = subscriber.get("zip_code", "")
    if relationship == "18":
        _phone(values, "7", patient.get("phone", ""))
    if medicare_primary:
        for name in ("4", "7_street", "7_city", "7_state", "7_zip", "7_area", "7_phone"):
            values.pop(name, None)

    if other:
        values["9"] = _last_first(
            other.get("subscriber_last_name", ""), other.get("subscriber_first_name", "")
        )
        values["9a"] = other.get("member_id", "")
        values["9d"] = other.get("plan_name", "") or other.get("payer_name", "")
    # 10a–c: a therapy claim is not related to employment or an accident.
    ticks |= {"10a_no", "10b_no", "10c_no"}
    if medicare_primary:
        values["11"] = "NONE"
    else:
        values["11"] = subscriber.get("group_number", "")
        values["11a_dob"] = _mm_dd_yyyy(iso_date(subscriber.get("date_of_birth")))
        if subscriber.get("sex") in ("M", "F"):
            ticks.add(f"11a_{subscriber['sex'].lower()}")
        values["11c"] = subscriber.get("plan_name", "")
        ticks.add("11d_yes" if other else "11d_no")
    values["12"] = "SIGNATURE ON FILE"
    values["13"] = "SIGNATURE ON FILE"

    if supervising:
        # docs/rules/coding.md §9: the supervisor in box 17 with qualifier DQ.
        values["17_qual"] = "DQ"
        values["17"] = _person_name(supervising)
        values["17b"] = supervising.get("npi", "")

    values["21_ind"] = "0"  # ICD-10
    if claim.frequency in (Claim.Frequency.REPLACEMENT, Claim.Frequency.VOID):
        values["22_code"] = claim.frequency
        # NUCC 1500 item 22: the payer's own claim number, never our control number.
        values["22_ref"] = claim.payer_claim_number
    values["23"] = claim.prior_auth_number

    values["25"] = digits(billing.get("tax_id", ""))
    ticks.add("25_ssn" if billing.get("tax_id_type") == "SSN" else "25_ein")
    values["26"] = patient.get("account_number", "")
    ticks.add("27_yes")

    signer = _person_name(rendering)
    if len(signer) <= FIELDS["31_2"].width:
        values["31_2"] = signer
    else:
        values["31_1"] = " ".join(
            p for p in (rendering.get("first_name"), rendering.get("last_name")) if p
        )
        values["31_2"] = rendering.get("credentials", "")
    signed_on = timezone.localdate(claim.created_at) if claim.created_at else None
    values["31_date"] = _mm_dd_yy(signed_on)

    if facility:
        values["32_1"] = facility.get("name", "")
        values["32_2"] = _street(facility)
        values["32_3"] = _city_line(facility)
        values["32a"] = facility.get("npi", "")

    _phone(values, "33", billing.get("phone", ""))
    values["33_1"] = billing.get("name", "")
    values["33_2"] = _street(billing)
    values["33_3"] = _city_line(billing)
    values["33a"] = billing.get("npi", "")

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
        if last and claim.patient_paid:
            page_values["29"] = _money(claim.patient_paid)
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
        _draw_form(canvas)
        canvas.endForm()
    pages = 0
    for claim in claims:
        for page in claim_pages(claim):
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


# ---------------------------------------------------------------------------------------
# The facsimile form (red on white). Horizontal positions are column boundaries
# (x_at), vertical ones grid lines (line_top); data spots come from the table above.
# ---------------------------------------------------------------------------------------
EDGE_L, EDGE_R = -0.4, 79.4  # the form's left and right edges
MID = 48.8  # patient side | insured side


class _Form:
    def __init__(self, canvas: Canvas) -> None:
        self.c = canvas

    def hline(self, line: float, b0: float = EDGE_L, b1: float = EDGE_R, w: float = 0.5):
        self.c.setLineWidth(w)
        self.c.line(x_at(b0), line_top(line), x_at(b1), line_top(line))

    def vline(self, b: float, line0: float, line1: float, w: float = 0.5, dash: bool = False):
        self.c.setLineWidth(w)
        if dash:
            self.c.setDash(1, 1.5)
        self.c.line(x_at(b), line_top(line0), x_at(b), line_top(line1))
        if dash:
            self.c.setDash()

    def label(
        self,
        line: int,
        b: float,
        text: str,
        *,
        row: int = 0,
        size: float = 5.5,
        bold: bool = False,
        right: bool = False,
    ) -> None:
        """Small print in the top of grid line ``line`` (row 0) or just below (row 1)."""
        self.c.setFont("Helvetica-Bold" if bold else "Helvetica", size)
        y = line_top(line) - 5.3 - row * 5.6
        if right:
            self.c.drawRightString(x_at(b), y, text)
        else:
            self.c.drawString(x_at(b) + 1.2, y, text)

    def tick(self, name: str, caption: str = "", *, after: bool = False) -> None:
        """The square of a check box, its caption to the left (or right)."""
        spot = TICKS[name]
        x = col_x(spot.col)
        y = baseline(spot.line) - 1.6
        self.c.rect(x - 0.2, y, CHAR_WIDTH + 0.4, 8.2, stroke=1, fill=0)
        if caption:
            self.c.setFont("Helvetica", 5.5)
            if after:
                self.c.drawString(x + CHAR_WIDTH + 2, y + 2, caption)
            else:
                self.c.drawRightString(x - 2, y + 2, caption)

    def date_marks(self, line: int, col: int, year_digits: int = 2) -> None:
        """MM DD YY(YY) captions above a date spot."""
        for offset, text in ((0, "MM"), (3, "DD"), (6, "YY" if year_digits == 2 else "YYYY")):
            self.c.setFont("Helvetica", 4.5)
            self.c.drawString(col_x(col + offset) + 1, line_top(line) - 11.0, text)


def _draw_form(canvas: Canvas) -> None:
    f = _Form(canvas)
    c = canvas
    c.setStrokeColor(RED)
    c.setFillColor(RED)

    # Header: form title, carrier block, PICA.
    c.setFont("Helvetica-Bold", 22)
    c.drawString(x_at(0) + 1, line_top(4) + 2, "1500")
    c.setFont("Helvetica-Bold", 11)
    c.drawString(x_at(0) + 1, line_top(5) + 1, "HEALTH INSURANCE CLAIM FORM")
    f.label(5, 0, "APPROVED BY NATIONAL UNIFORM CLAIM COMMITTEE (NUCC) 02/12", size=5, row=1)
    for b0, b1 in ((0, 7), (72.4, EDGE_R)):
        c.setLineWidth(0.5)
        c.rect(x_at(b0), line_top(7) + 1.5, x_at(b1) - x_at(b0), 8, stroke=1, fill=0)
        c.setFont("Helvetica-Bold", 5.5)
        c.drawString(x_at(b0) + 2, line_top(7) + 3.5, "PICA")
    c.setLineWidth(0.3)
    c.line(x_at(39.6), line_top(2), x_at(39.6), line_top(6))

    # Outer frame and the patient | insured divider.
    c.setLineWidth(1.2)
    c.rect(x_at(EDGE_L), line_top(62), x_at(EDGE_R) - x_at(EDGE_L), line_top(7) - line_top(62))
    f.vline(MID, 7, 62, w=0.8)

    # 1 and 1a.
    f.label(7, EDGE_L, "1.", bold=True)
    for name, caption, sub in (
        ("1_medicare", "MEDICARE", "(Medicare#)"),
        ("1_medicaid", "MEDICAID", "(Medicaid#)"),
        ("1_tricare", "TRICARE", "(ID#/DoD#)"),
        ("1_champva", "CHAMPVA", "(Member ID#)"),
        ("1_group", "GROUP\nHEALTH PLAN", "(ID#)"),
        ("1_feca", "FECA\nBLK LUNG", "(ID#)"),
        ("1_other", "OTHER", "(ID#)"),
    ):
        col = TICKS[name].col
        for row, part in enumerate(caption.split("\n")):
            f.label(7, col - 1 + 0.6, part, row=row)
        f.tick(name)
        c.setFont("Helvetica", 5)
        c.drawString(col_x(col) + CHAR_WIDTH + 2, baseline(8) + 0.6, sub)
    f.label(7, MID, "1a. INSURED'S I.D. NUMBER")
    f.label(7, 68, "(For Program in Item 1)")

    # 2, 3, 4.
    f.hline(9)
    f.vline(29, 9, 27)
    f.label(9, EDGE_L, "2. PATIENT'S NAME (Last Name, First Name, Middle Initial)")
    f.label(9, 29, "3. PATIENT'S BIRTH DATE")
    f.label(9, 41.5, "SEX")
    f.date_marks(9, FIELDS["3_dob"].col, year_digits=4)
    f.tick("3_m", "M")
    f.tick("3_f", "F")
    f.label(9, MID, "4. INSURED'S NAME (Last Name, First Name, Middle Initial)")

    # 5, 6, 7, 8.
    f.hline(11)
    f.label(11, EDGE_L, "5. PATIENT'S ADDRESS (No., Street)")
    f.label(11, 29, "6. PATIENT RELATIONSHIP TO INSURED")
    for name, caption in (
        ("6_self", "Self"),
        ("6_spouse", "Spouse"),
        ("6_child", "Child"),
        ("6_other", "Other"),
    ):
        f.tick(name, caption)
    f.label(11, MID, "7. INSURED'S ADDRESS (No., Street)")
    f.hline(13)
    for left, state_b, phone_b in ((EDGE_L, 24.6, 13), (MID, 72.6, 63)):
        right = MID if left == EDGE_L else EDGE_R
        f.label(13, left, "CITY")
        f.vline(state_b, 13, 15)
        f.label(13, state_b, "STATE")
        f.hline(15, left, 29 if left == EDGE_L else right)
        f.label(15, left, "ZIP CODE")
        f.vline(phone_b, 15, 17)
        f.label(15, phone_b, "TELEPHONE (Include Area Code)")
        area = FIELDS["5_area" if left == EDGE_L else "7_area"].col
        c.setFont("Courier", 12)
        c.drawString(col_x(area - 1), baseline(16), "(")
        c.drawString(col_x(area + 3), baseline(16), ")")
    f.label(13, 29, "8. RESERVED FOR NUCC USE")

    # 9, 10, 11.
    f.hline(17)
    f.label(17, EDGE_L, "9. OTHER INSURED'S NAME (Last Name, First Name, Middle Initial)")
    f.label(17, 29, "10. IS PATIENT'S CONDITION RELATED TO:")
    f.label(17, MID, "11. INSURED'S POLICY GROUP OR FECA NUMBER")
    for line in (19, 21, 23, 25):
        f.hline(line, EDGE_L, 29)
        f.hline(line, MID, EDGE_R)
    f.hline(25, 29, MID)
    f.label(19, EDGE_L, "a. OTHER INSURED'S POLICY OR GROUP NUMBER")
    f.label(21, EDGE_L, "b. RESERVED FOR NUCC USE")
    f.label(23, EDGE_L, "c. RESERVED FOR NUCC USE")
    f.label(25, EDGE_L, "d. INSURANCE PLAN NAME OR PROGRAM NAME")
    for line, text in (
        (19, "a. EMPLOYMENT? (Current or Previous)"),
        (21, "b. AUTO ACCIDENT?"),
        (23, "c. OTHER ACCIDENT?"),
    ):
        f.label(line, 29, text)
        box = {19: "10a", 21: "10b", 23: "10c"}[line]
        f.tick(f"{box}_yes", "YES", after=True)
        f.tick(f"{box}_no", "NO", after=True)
    f.label(21, 43.5, "PLACE (State)")
    f.label(25, 29, "10d. CLAIM CODES (Designated by NUCC)")
    f.label(19, MID, "a. INSURED'S DATE OF BIRTH")
    f.date_marks(19, FIELDS["11a_dob"].col, year_digits=4)
    f.label(19, 70, "SEX")
    f.tick("11a_m", "M")
    f.tick("11a_f", "F")
    f.label(21, MID, "b. OTHER CLAIM ID (Designated by NUCC)")
    f.label(23, MID, "c. INSURANCE PLAN NAME OR PROGRAM NAME")
    f.label(25, MID, "d. IS THERE ANOTHER HEALTH BENEFIT PLAN?")
    f.tick("11d_yes", "YES", after=True)
    f.tick("11d_no", "NO", after=True)
    c.setFont("Helvetica-Bold", 5)
    c.drawString(col_x(60), baseline(26) + 0.6, "If yes, complete items 9, 9a, and 9d.")

    # 12, 13.
    f.hline(27)
    f.label(27, 3, "READ BACK OF FORM BEFORE COMPLETING & SIGNING THIS FORM.", bold=True)
    f.label(
        28,
        EDGE_L,
        "12. PATIENT'S OR AUTHORIZED PERSON'S SIGNATURE I authorize the release of any medical "
        "or other information necessary",
        size=4.6,
    )
    f.label(
        28,
        EDGE_L,
        "to process this claim. I also request payment of government benefits either to myself "
        "or to the party who accepts assignment below.",
        row=1,
        size=4.6,
    )
    f.label(29, EDGE_L, "SIGNED", row=1)
    f.label(29, 31, "DATE", row=1)
    f.hline(30, 5.5, 28, w=0.3)
    f.hline(30, 34, 47.5, w=0.3)
    f.label(
        27,
        MID,
        "13. INSURED'S OR AUTHORIZED PERSON'S SIGNATURE I authorize payment of",
        size=4.8,
    )
    f.label(28, MID, "medical benefits to the undersigned physician or supplier for", size=4.8)
    f.label(28, MID, "services described below.", row=1, size=4.8)
    f.label(29, MID, "SIGNED", row=1)
    f.hline(30, 53.5, 78.5, w=0.3)

    # 14 – 20.
    f.hline(31, w=1.2)
    f.label(31, EDGE_L, "14. DATE OF CURRENT ILLNESS, INJURY, or PREGNANCY (LMP)")
    f.label(31, 29, "15. OTHER DATE")
    f.label(31, MID, "16. DATES PATIENT UNABLE TO WORK IN CURRENT OCCUPATION")
    f.vline(29, 31, 35)
    f.hline(33)
    f.label(33, EDGE_L, "17. NAME OF REFERRING PROVIDER OR OTHER SOURCE")
    f.vline(2.6, 34, 35, w=0.3)
    f.label(33, 29, "17a.")
    f.hline(34, 29, MID, w=0.3)
    f.label(34, 29, "17b.")
    f.label(34, 29, "NPI", row=1)
    f.vline(32, 33, 35, w=0.3)
    f.label(33, MID, "18. HOSPITALIZATION DATES RELATED TO CURRENT SERVICES")
    f.hline(35)
    f.label(35, EDGE_L, "19. ADDITIONAL CLAIM INFORMATION (Designated by NUCC)")
    f.label(35, MID, "20. OUTSIDE LAB?")
    f.label(35, 61, "$ CHARGES")
    f.vline(61, 35, 39)
    f.tick("20_yes", "YES", after=True)
    f.tick("20_no", "NO", after=True)

    # 21, 22, 23.
    f.hline(37)
    f.label(
        37,
        EDGE_L,
        "21. DIAGNOSIS OR NATURE OF ILLNESS OR INJURY Relate A-L to service line below (24E)",
    )
    ind = FIELDS["21_ind"]
    f.label(37, ind.col - 1.3, "ICD Ind.", row=1, right=True)
    c.setLineWidth(0.4)
    c.rect(col_x(ind.col) - 1, baseline(ind.line) - 2, CHAR_WIDTH + 2, 10, stroke=1, fill=0)
    for n, spot in enumerate(DIAGNOSIS_FIELDS):
        letter_x = col_x(spot.col) - 2.2 * CHAR_WIDTH
        c.setFont("Helvetica", 6)
        c.drawString(letter_x, baseline(spot.line) + 0.5, f"{POINTER_LETTERS[n]}.")
        c.setLineWidth(0.3)
        c.line(
            col_x(spot.col) - 2,
            baseline(spot.line) - 1.5,
            col_x(spot.col) + spot.width * CHAR_WIDTH + 1,
            baseline(spot.line) - 1.5,
        )
    f.label(37, MID, "22. RESUBMISSION")
    f.label(37, MID, "CODE", row=1)
    f.label(37, 61, "ORIGINAL REF. NO.")
    f.hline(39, MID, EDGE_R)
    f.label(39, MID, "23. PRIOR AUTHORIZATION NUMBER")

    # 24.
    f.hline(41)
    # Rules fall in the blank half-column between two data fields, never on a character.
    columns = [8.5, 17.7, 20.7, 23.7, 31.7, 43.6, MID, 57.7, 61.7, 63.8, 66.6]
    dotted = [2.5, 5.5, 11.5, 14.5, 34.5, 37.5, 40.5, 54.5]
    for b in columns:
        f.vline(b, 41 if b != 31.7 else 42, 55)
    for b in dotted:
        f.vline(b, 42, 55, w=0.3, dash=True)
    f.label(41, EDGE_L, "24. A.")
    f.label(41, 2.6, "DATE(S) OF SERVICE")
    f.label(42, 2.0, "From")
    f.label(42, 11.5, "To")
    for col in (1, 10):
        for offset, text in ((0, "MM"), (3, "DD"), (6, "YY")):
            f.label(42, col - 1 + offset + 0.1, text, row=1, size=4.5)
    f.label(41, 17.7, "B.", size=5)
    f.label(41, 17.7, "PLACE OF", row=1, size=4.6)
    f.label(42, 17.7, "SERVICE", size=4.6)
    f.label(41, 20.7, "C.", size=5)
    f.label(42, 20.7, "EMG", size=5)
    f.label(41, 23.7, "D. PROCEDURES, SERVICES, OR SUPPLIES")
    f.label(41, 25.5, "(Explain Unusual Circumstances)", row=1)
    f.label(42, 23.7, "CPT/HCPCS", row=1)
    f.label(42, 35.0, "MODIFIER", row=1)
    f.label(41, 43.6, "E.", size=5)
    f.label(41, 43.6, "DIAGNOSIS", row=1, size=4.6)
    f.label(42, 43.6, "POINTER", size=4.6)
    f.label(41, MID, "F.", size=5)
    f.label(42, 50.5, "$ CHARGES")
    f.label(41, 57.7, "G.", size=5)
    f.label(41, 57.7, "DAYS OR", row=1, size=4.6)
    f.label(42, 57.7, "UNITS", size=4.6)
    f.label(41, 61.7, "H.", size=5)
    f.label(41, 61.7, "EPSDT", row=1, size=4.2)
    f.label(42, 61.7, "Family", size=4.2)
    f.label(42, 61.7, "Plan", row=1, size=4.2)
    f.label(41, 63.8, "I.", size=5)
    f.label(41, 63.8, "ID.", row=1, size=4.6)
    f.label(42, 63.8, "QUAL.", size=4.6)
    f.label(41, 66.6, "J.", size=5)
    f.label(41, 66.6, "RENDERING", row=1, size=4.6)
    f.label(42, 66.6, "PROVIDER ID. #", size=4.6)
    for number in range(1, LINES_PER_FORM + 1):
        shaded = 41 + 2 * number
        c.setFillColor(SHADE)
        c.rect(
            x_at(EDGE_L),
            line_top(shaded + 1),
            x_at(EDGE_R) - x_at(EDGE_L),
            LINE_HEIGHT,
            stroke=0,
            fill=1,
        )
        c.setFillColor(RED)
        f.hline(shaded)
        f.hline(shaded + 1, 63.8, EDGE_R, w=0.3)
        c.setFont("Helvetica-Bold", 8)
        c.drawRightString(x_at(EDGE_L) - 2, baseline(shaded + 1) + 3, str(number))
        f.label(shaded + 1, 63.8, "NPI", size=6, row=1)
    # Redraw the column rules over the shading.
    for b in columns:
        f.vline(b, 43, 55)
    for b in dotted:
        f.vline(b, 43, 55, w=0.3, dash=True)

    # 25 – 30.
    f.hline(55, w=1.2)
    f.label(55, EDGE_L, "25. FEDERAL TAX I.D. NUMBER")
    f.label(55, 15.7, "SSN  EIN", row=1)
    f.tick("25_ssn")
    f.tick("25_ein")
    for b in (21.6, 35.6, 60.6, 70.6):
        f.vline(b, 55, 57)
    f.label(55, 21.6, "26. PATIENT'S ACCOUNT NO.")
    f.label(55, 35.6, "27. ACCEPT ASSIGNMENT?")
    f.label(55, 35.6, "(For govt. claims, see back)", row=1, size=4.6)
    f.tick("27_yes", "YES", after=True)
    f.tick("27_no", "NO", after=True)
    f.label(55, MID, "28. TOTAL CHARGE")
    f.label(55, 60.6, "29. AMOUNT PAID")
    f.label(55, 70.6, "30. Rsvd for NUCC Use")
    for spot in (FIELDS["28"], FIELDS["29"]):
        c.setFont("Helvetica", 7)
        c.drawString(col_x(spot.col - 2) + 2, baseline(spot.line), "$")
        f.vline(spot.col + 4.5, 56, 57, w=0.3, dash=True)

    # 31, 32, 33.
    f.hline(57)
    f.vline(21.6, 57, 62)
    f.label(57, EDGE_L, "31. SIGNATURE OF PHYSICIAN OR SUPPLIER", size=5)
    f.label(57, EDGE_L, "INCLUDING DEGREES OR CREDENTIALS", row=1, size=5)
    f.label(58, EDGE_L, "(I certify that the statements on the reverse", size=4.4)
    f.label(58, EDGE_L, "apply to this bill and are made a part thereof.)", row=1, size=4.4)
    f.label(61, EDGE_L, "SIGNED", row=1, size=5)
    f.label(61, 9.3, "DATE", row=1, size=5)
    f.label(57, 21.6, "32. SERVICE FACILITY LOCATION INFORMATION")
    f.label(57, MID, "33. BILLING PROVIDER INFO & PH #")
    area = FIELDS["33_area"].col
    c.setFont("Courier", 12)
    c.drawString(col_x(area - 1), baseline(57), "(")
    c.drawString(col_x(area + 3), baseline(57), ")")
    for left, right, split in ((21.6, MID, 34.6), (MID, EDGE_R, 61.6)):
        f.hline(61, left, right)
        f.vline(split, 61, 62)
        f.label(61, left, "a.", size=5)
        f.label(61, split, "b.", size=5)
        c.setFillColor(SHADE)
        c.rect(
            x_at(split) + 7,
            line_top(62) + 0.5,
            x_at(right) - x_at(split) - 7.5,
            LINE_HEIGHT - 1,
            stroke=0,
            fill=1,
        )
        c.setFillColor(RED)

    # Footer and the side captions.
    f.label(62, EDGE_L, "NUCC Instruction Manual available at: www.nucc.org", row=1, size=5)
    f.label(62, 28, "PLEASE PRINT OR TYPE", row=1, size=7, bold=True)
    f.label(62, EDGE_R, "APPROVED OMB-0938-1197 FORM 1500 (02-12)", row=1, size=5, right=True)
    for top, bottom, text in (
        (1.5, 6.8, "CARRIER"),
        (7, 31, "PATIENT AND INSURED INFORMATION"),
        (31, 62, "PHYSICIAN OR SUPPLIER INFORMATION"),
    ):
        x = x_at(EDGE_R) + 7
        middle = (line_top(top) + line_top(bottom)) / 2
        half = c.stringWidth(text, "Helvetica-Bold", 6) / 2 + 3
        c.setLineWidth(0.5)
        c.line(x, line_top(top) - 2, x, middle + half)
        c.line(x, middle - half, x, line_top(bottom) + 2)
        c.saveState()
        c.translate(x + 2, middle)
        c.rotate(-90)
        c.setFont("Helvetica-Bold", 6)
        c.drawCentredString(0, 0, text)
        c.restoreState()
