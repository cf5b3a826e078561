"""The small vocabulary both apps share: imports nothing of ours, so `billing.models`
and `practice.models` can both stand on it without importing each other.

Here: the money zero, the claim's diagnosis pointer alphabet, and the abstract field sets
(`Address`, `LineModifiers`) that several models carry.
"""

from __future__ import annotations

from decimal import Decimal

ZERO = Decimal("0.00")
"""Money's zero, with its two places (money is Decimal, never float)."""

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
