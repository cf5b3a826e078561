"""What the PDF outputs share: text that the standard PDF fonts can print, money and
date formats (CMS-1500, superbill, statement, estimate), and the page set-up of the PDFs a
person reads (statement, receipt, Good Faith Estimate, superbill): US Letter, margins,
the Unicode font, paragraph styles, ruled tables and the document build.

ReportLab's standard fonts (Helvetica, Courier) encode text as WinAnsi (cp1252): Latin-1
names such as Zoë or José print as they are, but a character outside it (the "ễ" of
Nguyễn) would come out as a blank box. Such characters are transliterated instead, never
dropped silently: a character with no ASCII form at all prints as "?" so a reader sees
that something is missing.
"""

from __future__ import annotations

import datetime
import functools
import io
import unicodedata
from collections.abc import Callable
from decimal import Decimal
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import letter
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import inch
from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

from practice import formats

# Letters that NFKD does not decompose into ASCII.
_ASCII_FALLBACK = {
    "ß": "ss",
    "ẞ": "SS",
    "Æ": "AE",
    "æ": "ae",
    "Œ": "OE",
    "œ": "oe",
    "Ø": "O",
    "ø": "o",
    "Ł": "L",
    "ł": "l",
    "Đ": "D",
    "đ": "d",
    "Ð": "D",
    "ð": "d",
    "Þ": "TH",
    "þ": "th",
    "ı": "i",
    "‘": "'",
    "’": "'",
    "ʼ": "'",
    "“": '"',
    "”": '"',
    "–": "-",
    "—": "-",
}


def _ascii_char(char: str) -> str:
    if char.isascii():
        return char
    if char in _ASCII_FALLBACK:
        return _ASCII_FALLBACK[char]
    if unicodedata.category(char) == "Zs":
        return " "
    decomposed = "".join(
        c for c in unicodedata.normalize("NFKD", char) if c.isascii() and c.isprintable()
    )
    return decomposed or "?"


def to_ascii(text: object) -> str:
    """ASCII transliteration: "Nguyễn" -> "Nguyen", "Zoë" -> "Zoe"; "?" when a character
    has no ASCII form, so nothing disappears without a trace."""
    return "".join(_ascii_char(c) for c in str(text or ""))


def ocr_text(text: object) -> str:
    """Text for a CMS-1500 box: upper-case ASCII on one line (NUCC: capital letters
    read best by the payers' scanners)."""
    return " ".join(to_ascii(text).upper().split())


def printable(text: object) -> str:
    """Text the standard PDF fonts can draw: cp1252 characters kept (Zoë, José, Müller),
    anything else transliterated (Nguyễn -> Nguyen)."""
    out = []
    for char in str(text or ""):
        try:
            char.encode("cp1252")
        except UnicodeEncodeError:
            out.append(_ascii_char(char))
        else:
            out.append(char)
    return "".join(out)


def money(amount: Decimal | None) -> str:
    """1234.5 -> "1,234.50" (no currency sign: the column heading says $)."""
    value = Decimal(amount or 0).quantize(Decimal("0.01"))
    return f"{value:,.2f}"


def us_date(value: datetime.date | None) -> str:
    """MM/DD/YYYY, the order US payers and clients read (practice/formats has the rule)."""
    return formats.us_date(value)


def iso_date(value: str | None) -> datetime.date | None:
    """A snapshot date ("1988-04-12") back to a date; None when empty or malformed."""
    try:
        return datetime.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def digits(text: object) -> str:
    return "".join(c for c in str(text or "") if c.isdigit())


def us_phone(text: str) -> str:
    """ "2175550100" -> "(217) 555-0100"; anything that is not 10 digits stays as typed."""
    number = digits(text)
    if len(number) == 11 and number.startswith("1"):
        number = number[1:]
    if len(number) != 10:
        return text
    return f"({number[:3]}) {number[3:6]}-{number[6:]}"


UNICODE_FONT = "NotoSans"


@functools.cache
def unicode_font() -> str:
    """Register and name a TrueType font that draws any Latin, Greek or Cyrillic name as
    written (Nguyễn, Łukasz, O’Brien), for PDFs a person reads rather than a scanner.

    Noto Sans (SIL Open Font License) is shipped by the ``fontpkg-noto-sans`` package, so
    nothing is fetched at run time. ReportLab embeds the subset used. It is a variable
    font drawn at its default (regular) weight; bold text uses it too.
    """
    import fontpkg_noto_sans
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    path = fontpkg_noto_sans.ROOT / "files" / "NotoSans[wdth,wght].ttf"
    pdfmetrics.registerFont(TTFont(UNICODE_FONT, str(path)))
    for bold in (0, 1):
        for italic in (0, 1):
            addMapping(UNICODE_FONT, bold, italic, UNICODE_FONT)
    return UNICODE_FONT


# ---------------------------------------------------------------------------------------
# Page set-up of the PDFs a person reads
# ---------------------------------------------------------------------------------------
MARGIN = 0.7 * inch
FRAME_PADDING = 6  # SimpleDocTemplate's frame padding, each side
GRID = colors.Color(0.55, 0.55, 0.55)  # thin rules between table rows
SHADE = colors.Color(0.93, 0.93, 0.93)  # a table's heading row


def frame_width(margin: float = MARGIN) -> float:
    """The width a story can fill on US Letter with ``margin`` left and right."""
    return letter[0] - 2 * margin - 2 * FRAME_PADDING


WIDTH = frame_width()


def styles(prefix: str) -> dict[str, ParagraphStyle]:
    """The paragraph styles of a statement, receipt or estimate, all in the Unicode font
    (registered here, before the first paragraph is measured)."""
    font = unicode_font()
    body = ParagraphStyle(f"{prefix}-body", fontName=font, fontSize=9, leading=11.5)
    return {
        "body": body,
        "small": ParagraphStyle(f"{prefix}-small", parent=body, fontSize=7.5, leading=9.5),
        "cell": ParagraphStyle(f"{prefix}-cell", parent=body, fontSize=8, leading=10),
        "cell_right": ParagraphStyle(
            f"{prefix}-cell-r", parent=body, fontSize=8, alignment=TA_RIGHT
        ),
        "head": ParagraphStyle(
            f"{prefix}-head", parent=body, fontSize=11, leading=14, spaceBefore=6
        ),
        "title": ParagraphStyle(f"{prefix}-title", parent=body, fontSize=18, leading=22),
        "right": ParagraphStyle(f"{prefix}-right", parent=body, alignment=TA_RIGHT),
        "big": ParagraphStyle(
            f"{prefix}-big", parent=body, fontSize=13, leading=16, alignment=TA_RIGHT
        ),
    }


def para(text: object, style: ParagraphStyle) -> Paragraph:
    """A paragraph of plain text: markup characters in names (O'Brien & Co <x>) print as
    typed."""
    return Paragraph(escape(str(text or "")), style)


def heading_row(
    labels: list[str], s: dict[str, ParagraphStyle], *, numbers_from: int
) -> list[Paragraph]:
    """A data table's heading cells: text columns left, the columns of numbers (from
    index ``numbers_from`` on) right-aligned over their figures."""
    return [
        para(label, s["cell_right" if n >= numbers_from else "cell"])
        for n, label in enumerate(labels)
    ]


# The page heading: practice on the left, title and facts on the right, a rule below.
HEADER_STYLE = [
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ("LEFTPADDING", (0, 0), (-1, -1), 0),
    ("LINEBELOW", (0, 0), (-1, 0), 1, colors.black),
    ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
]


def header_table(
    left: object, right: object, *, width: float = WIDTH, split: float = 0.55, extra: tuple = ()
) -> Table:
    """The page heading: ``left`` takes ``split`` of the width, ``right`` the rest."""
    table = Table([[left, right]], colWidths=[width * split, width * (1 - split)])
    table.setStyle(TableStyle([*HEADER_STYLE, *extra]))
    return table


def ruled_rows(*, last: int = -1) -> list[tuple]:
    """Table style of a data table: a shaded heading row ruled in black, thin grey rules
    below the rows up to ``last`` (-2: not under a totals row)."""
    return [
        ("BACKGROUND", (0, 0), (-1, 0), SHADE),
        ("LINEBELOW", (0, 0), (-1, 0), 0.75, colors.black),
        ("LINEBELOW", (0, 1), (-1, last), 0.25, GRID),
    ]


def data_table(
    rows: list[list[object]], widths: list[float], *, last: int = -1, extra: tuple = ()
) -> Table:
    """A data table filling the page width (``widths`` are relative), its heading row
    repeated on each page, ruled as ``ruled_rows``; ``extra`` adds style commands."""
    scale = WIDTH / sum(widths)
    table = Table(rows, colWidths=[w * scale for w in widths], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                *ruled_rows(last=last),
                ("LEFTPADDING", (0, 0), (-1, -1), 2),
                ("RIGHTPADDING", (0, 0), (-1, -1), 2),
                *extra,
            ]
        )
    )
    return table


def plain_cells(
    style: ParagraphStyle, *, rows_from: int = 0, right_from: int | None = None
) -> tuple:
    """Style commands for a data table whose cells from row ``rows_from`` on are plain
    strings where they can be: dates and amounts, one short line that never wraps. They
    print in ``style``'s font, size and leading, right-aligned from column ``right_from``.
    A string cell is drawn as it is; a Paragraph is parsed as markup and broken into lines
    first, which a statement of thirty lines paid some 150 times (most of its PDF's time)."""
    commands: list[tuple] = [
        ("FONT", (0, rows_from), (-1, -1), style.fontName, style.fontSize, style.leading)
    ]
    if right_from is not None:
        commands.append(("ALIGN", (right_from, rows_from), (-1, -1), "RIGHT"))
    return tuple(commands)


def build(
    story: list[object],
    *,
    title: str,
    author: str,
    margin: float = MARGIN,
    bottom_margin: float | None = None,
    invariant: bool = False,
    canvasmaker: Callable | None = None,
) -> bytes:
    """The PDF bytes of ``story`` on US Letter. ``invariant``: no creation time or random
    id, so the same data gives the same bytes."""
    buffer = io.BytesIO()
    options: dict[str, object] = {"invariant": 1} if invariant else {}
    doc = SimpleDocTemplate(
        buffer,
        pagesize=letter,
        leftMargin=margin,
        rightMargin=margin,
        topMargin=margin,
        bottomMargin=margin if bottom_margin is None else bottom_margin,
        title=title,
        author=author,
        creator="SessionLedger",
        **options,
    )
    if canvasmaker is None:
        doc.build(story)
    else:
        doc.build(story, canvasmaker=canvasmaker)
    return buffer.getvalue()
