"""The one field of the two-step sign-in pages: a code from the app or a recovery code."""

from __future__ import annotations

from django import forms


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code",
        max_length=32,
        help_text="The 6-digit code your authenticator app shows, or one recovery code.",
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autofocus": True, "inputmode": "text"}
        ),
    )

    def clean_code(self) -> str:
        # Apps show "123 456"; recovery codes are printed in lower case.
        code = "".join(self.cleaned_data["code"].split()).lower()
        if not code.isascii() or not code.isalnum():
            raise forms.ValidationError("Letters and digits only.")
        return code

    @property
    def is_app_code(self) -> bool:
        code = self.cleaned_data["code"]
        return len(code) == 6 and code.isdigit()
