"""The session form's line override: service lines a clinician sets by hand.

Each row is read against the code and modifier catalogs and the session's diagnoses
(pointers A–L); whether the lines together may be billed is for
``practice.session_plan`` to decide (docs/rules/coding.md).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from django import forms
from django.core.exceptions import ValidationError

from billing.models import Modifier, ProcedureCode
from practice import services
from practice.services import MAX_MODIFIERS, MAX_POINTERS, POINTER_LETTERS
from practice.session_plan import LineChoice

MODIFIER_SPLIT = re.compile(r"[\s,;]+")
LINE_EXTRA = 2


class LineForm(forms.Form):
    """One service line the clinician sets by hand."""

    code = forms.CharField(label="Code", max_length=5, required=False)
    modifiers = forms.CharField(label="Modifiers", max_length=20, required=False)
    units = forms.IntegerField(label="Units", min_value=1, max_value=99, required=False)
    pointers = forms.CharField(label="Pointers", max_length=8, required=False)

    def __init__(
        self,
        *args,
        catalog: Mapping[str, ProcedureCode],
        modifier_catalog: Mapping[str, bool],
        diagnosis_count: int,
        **kwargs,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.catalog = catalog
        self.modifier_catalog = modifier_catalog
        self.diagnosis_count = diagnosis_count
        for name in ("code", "modifiers", "pointers"):
            self.fields[name].widget.attrs["autocapitalize"] = "characters"
        self.fields["units"].widget.attrs["inputmode"] = "numeric"

    def clean_code(self) -> str:
        code = self.cleaned_data["code"].strip().upper()
        if not code:
            return ""
        procedure = self.catalog.get(code)
        if procedure is None:
            raise ValidationError(f"Unknown code {code}: it is not in the code catalog.")
        if not procedure.active:
            raise ValidationError(f"{code} is inactive in the code catalog.")
        return code

    def clean_modifiers(self) -> tuple[str, ...]:
        raw = self.cleaned_data["modifiers"].strip().upper()
        modifiers = tuple(m for m in MODIFIER_SPLIT.split(raw) if m)
        if len(modifiers) > MAX_MODIFIERS:
            raise ValidationError(
                f"A line carries at most {MAX_MODIFIERS} modifiers ({len(modifiers)} entered)."
            )
        for modifier in modifiers:
            active = self.modifier_catalog.get(modifier)
            if active is None:
                raise ValidationError(f"Unknown modifier {modifier}.")
            if not active:
                raise ValidationError(f"Modifier {modifier} is inactive in the catalog.")
        if len(set(modifiers)) < len(modifiers):
            raise ValidationError("A modifier is listed twice.")
        return modifiers

    def clean_pointers(self) -> str:
        letters = re.sub(r"[\s,;]+", "", self.cleaned_data["pointers"].upper())
        if not letters:
            return services.pointer_letters(self.diagnosis_count) or "A"
        if any(letter not in POINTER_LETTERS for letter in letters):
            raise ValidationError("Use the diagnosis letters A–L.")
        if len(letters) > MAX_POINTERS:
            raise ValidationError(f"A line points at {MAX_POINTERS} diagnoses at most.")
        if len(set(letters)) < len(letters):
            raise ValidationError("A pointer letter is listed twice.")
        count = self.diagnosis_count
        has = {0: "none", 1: "1 (A)"}.get(count, f"{count} (A–{POINTER_LETTERS[count - 1]})")
        for letter in letters:
            if POINTER_LETTERS.index(letter) >= count:
                raise ValidationError(
                    f"Pointer {letter} points at no diagnosis: this session has {has}."
                )
        return letters

    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("code") and not cleaned.get("units"):
            cleaned["units"] = 1
        return cleaned


class BaseLineFormSet(forms.BaseFormSet):
    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        for name, field in form.fields.items():
            field.label = f"Line {i + 1} {LineForm.base_fields[name].label.lower()}"
        return form

    def filled(self) -> list[dict]:
        return [
            form.cleaned_data
            for form in self.forms
            if getattr(form, "cleaned_data", None) and form.cleaned_data.get("code")
        ]

    def choices(self) -> list[LineChoice] | None:
        """The rows as lines for ``session_plan.session_plan``, or None when a row cannot be
        read (its errors are beside it)."""
        if not self.is_valid():
            return None
        return [
            LineChoice(
                procedure=self.form_kwargs["catalog"][row["code"]],
                modifiers=row["modifiers"],
                units=row["units"],
                pointers=row["pointers"],
            )
            for row in self.filled()
        ]

    def clean(self) -> None:
        if any(self.errors):
            return
        if not self.filled():
            raise ValidationError(
                "Enter at least one line, or untick “Change the proposed lines”.", "no_lines"
            )


LineFormSet = forms.formset_factory(
    LineForm, formset=BaseLineFormSet, extra=LINE_EXTRA, max_num=12, validate_max=True
)


def catalogs() -> tuple[dict[str, ProcedureCode], dict[str, bool]]:
    """The code catalog by code and each modifier's active flag (two queries)."""
    procedures = {p.code: p for p in ProcedureCode.objects.all()}
    modifiers = dict(Modifier.objects.values_list("code", "active"))
    return procedures, modifiers
