"""Account forms: the two-step sign-in code, and a clinician's default office."""

from __future__ import annotations

from django import forms

from practice.models import Clinician, Location


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


class DefaultOfficeForm(forms.ModelForm):
    """Where the clinician's new sessions and appointments start."""

    class Meta:
        model = Clinician
        fields = ["default_location"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["default_location"]
        field.queryset = Location.objects.filter(active=True)
        field.empty_label = "None (choose each time)"
        field.widget.attrs["class"] = "form-select"
