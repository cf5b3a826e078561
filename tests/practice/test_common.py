"""Diagnosis pointers: the one rule that turns a line's letters into codes (the claim
summary, the superbill and claim building all read letters through it)."""

from __future__ import annotations

from practice.common import pointed_codes, pointer_letter


def test_letters_name_codes_in_the_letters_order():
    assert pointed_codes("CA", ["F41.1", "F32.1", "Z63.0"]) == ["Z63.0", "F41.1"]


def test_a_letter_past_the_last_code_or_not_a_pointer_names_nothing():
    assert pointed_codes("ABDz", ["F41.1", "F32.1"]) == ["F41.1", "F32.1"]
    assert pointed_codes("L", ["F41.1"] * 11) == []
    assert pointed_codes("L", [f"F{n}" for n in range(12)]) == ["F11"]
    assert pointed_codes("A", []) == []


def test_the_letter_of_a_position_points_back_at_it():
    codes = [f"F{n}" for n in range(12)]
    assert [pointed_codes(pointer_letter(n), codes)[0] for n in range(1, 13)] == codes
