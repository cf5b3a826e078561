"""The small vocabulary both apps share: imports nothing of ours, so `billing.models`
and `practice.models` can both stand on it without importing each other.

Here: money's zero and its SQL type, the claim's diagnosis pointer alphabet, and the
abstract field sets (`Address`, `LineModifiers`) that several models carry.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django.core.validators import MaxLengthValidator
from django.db import models

from practice.formats import zip_plus4

ZERO = Decimal("0.00")
"""Money's zero, with its two places (money is Decimal, never float)."""

MONEY = models.DecimalField(max_digits=12, decimal_places=2)
"""The type of money worked out in SQL (a sum, a subquery's total, a coalesced zero): two
places, and twelve digits, room for a practice's totals of any column."""

POINTER_LETTERS = "ABCDEFGHIJKL"
"""CMS-1500 box 21 names a claim's diagnoses A–L; a line points at them by letter
(docs/rules/identifiers.md §6)."""

MAX_DIAGNOSES = len(POINTER_LETTERS)
"""A claim (and so a session) carries twelve diagnoses at most (837P HI allows twelve too)."""

MAX_POINTERS = 4
"""A service line points at four diagnoses at most (box 24E; 837P SV107)."""


def pointer_letter(position: int) -> str:
    """The letter of a claim's ``position``-th diagnosis (1 → A, 12 → L)."""
    return POINTER_LETTERS[position - 1]


def pointed_codes(pointers: str, codes: Sequence[str]) -> list[str]:
    """The diagnosis codes a line's pointer letters name, in the letters' order: A is
    ``codes[0]``. A letter past the last code (or not a pointer letter) names nothing."""
    named = POINTER_LETTERS[: len(codes)]
    return [codes[named.index(letter)] for letter in pointers if letter in named]


ADDRESS_LINE_LENGTH = 55
"""The longest street line a claim prints (837P N301/N302)."""

CITY_LENGTH = 30
"""The longest city a claim prints (837P N401)."""


class Address(models.Model):
    """Postal address fields, as claims print them: new input is held to the lengths a
    claim prints (the validators). The columns are wider (100, 60) so that the payers'
    addresses saved before they shared these fields are kept whole."""

    address_line1 = models.CharField(
        "address", max_length=100, blank=True, validators=[MaxLengthValidator(ADDRESS_LINE_LENGTH)]
    )
    address_line2 = models.CharField(
        "address line 2",
        max_length=100,
        blank=True,
        validators=[MaxLengthValidator(ADDRESS_LINE_LENGTH)],
    )
    city = models.CharField(max_length=60, blank=True, validators=[MaxLengthValidator(CITY_LENGTH)])
    state = models.CharField(max_length=2, blank=True)
    zip_code = models.CharField("ZIP code", max_length=10, blank=True)

    class Meta:
        abstract = True

    @property
    def zip_display(self) -> str:
        """ZIP+4 with its hyphen for people (stored as 9 digits, as the 837P sends it)."""
        return zip_plus4(self.zip_code)

    @property
    def address_lines(self) -> list[str]:
        city_line = " ".join(
            p for p in [f"{self.city}," if self.city else "", self.state, self.zip_display] if p
        )
        return [line for line in [self.address_line1, self.address_line2, city_line] if line]


class LineModifiers(models.Model):
    """Up to four modifiers on a line (docs/rules/coding.md §7), as the CMS-1500 and 837P carry
    them."""

    modifier_1 = models.CharField(max_length=2, blank=True)
    modifier_2 = models.CharField(max_length=2, blank=True)
    modifier_3 = models.CharField(max_length=2, blank=True)
    modifier_4 = models.CharField(max_length=2, blank=True)

    class Meta:
        abstract = True

    @property
    def modifiers(self) -> list[str]:
        return present_modifiers(self.modifier_1, self.modifier_2, self.modifier_3, self.modifier_4)


def present_modifiers(*modifiers: str) -> list[str]:
    """A line's modifiers in order, the empty slots left out."""
    return [m for m in modifiers if m]
