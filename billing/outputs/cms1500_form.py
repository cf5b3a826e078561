"""The CMS-1500 (02/12) form itself: its print grid, where each box's data lands, and
the red facsimile of the form for plain paper (docs/rules/claim-forms.md §7).

One coordinate table (``FIELDS``, ``TICKS``, ``LINE_FIELDS``, ``DIAGNOSIS_FIELDS``) says
where every piece of data lands, on the form's own print grid: 10 characters per inch
across, 6 lines per inch down, line 1 at the top of the sheet (the grid the NUCC designed
the form on, and the one practice-management systems print to). ``draw_form`` draws the
boxes, box numbers and labels in red on that grid, so the data sits in the boxes the same
way on the facsimile as on a pre-printed form. What goes in the boxes is
``billing/outputs/cms1500.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

from reportlab.lib.colors import Color
from reportlab.lib.pagesizes import letter
from reportlab.lib.units import inch
from reportlab.pdfgen.canvas import Canvas

from practice.common import POINTER_LETTERS

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
    "12_date": Spot(29, 36, 10),
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


# One drawing pass down the paper form, box by box: splitting it would scatter the form.
def draw_form(canvas: Canvas) -> None:  # noqa: C901
    """The blank form in red: every box, its number and its label."""
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
