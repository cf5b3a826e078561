"""Small helpers shared by the PDF outputs (CMS-1500, superbill): text that the
standard PDF fonts can print, money and date formats.

ReportLab's standard fonts (Helvetica, Courier) encode text as WinAnsi (cp1252): Latin-1
names such as Zoë or José print as they are, but a character outside it (the "ễ" of
Nguyễn) would come out as a blank box. Such characters are transliterated instead, never
dropped silently: a character with no ASCII form at all prints as "?" so a reader sees
that something is missing.
"""

from __future__ import annotations

import datetime
import functools
import unicodedata
from decimal import Decimal

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
