"""Client forms: the client, its diagnoses and its coverages, saved together.

Field rules live on the models (``Client.clean``, ``Coverage.clean``, the validators);
these forms add what needs the catalog, the user or the other rows of the same page:
the ICD-10-CM code typed as text, who may be the primary clinician, and the coverage
order rules that only make sense across a client's coverages.
"""

from __future__ import annotations

import datetime
import re
import unicodedata

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Fieldset, Layout
from crispy_forms.layout import Row as CrispyRow
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.utils import timezone

from billing.models import DiagnosisCode, Payer
from billing.validators import validate_icd10_format
from practice import roles
from practice.formats import us_date
from practice.forms.widgets import DateInput
from practice.models import (
    SIGNATURES,
    Client,
    Clinician,
    Coverage,
    Diagnosis,
    Session,
    SessionDiagnosis,
    SignerRelation,
)
from practice.versions import VersionedModelForm, compare_with_read

EARLIEST_BIRTH_DATE = datetime.date(1900, 1, 1)
SIGNATURE_FIELDS = [
    f"{kind}_{field}"
    for kind, _, _ in SIGNATURES
    for field in ("signed_on", "signer", "signer_relation")
]
# Typographic apostrophes (’ ʼ) are stored as the plain one, so "O’Brien" typed on a
# phone and "O'Brien" typed on a keyboard are the same name (and search finds both).
APOSTROPHES = str.maketrans({"\u2019": "'", "\u02bc": "'", "\u2018": "'"})
ZIP_RE = re.compile(r"^\d{5}(\d{4})?\Z", re.ASCII)
STATE_RE = re.compile(r"^[A-Z]{2}\Z", re.ASCII)
# A code typed without its dot ("F411", "f4310"): docs/rules/identifiers.md §4 stores it with the
# dot.
# A digit among the first three characters keeps words ("ANXIETY") out.
UNDOTTED_ICD10_RE = re.compile(r"^([A-Z][0-9][0-9A-Z]|[A-Z]{2}[0-9])([0-9A-Z]{1,4})\Z")


def normalize_name(value: str) -> str:
    """One spelling per name: NFC (a Mac may send "e" + combining accent) and plain
    apostrophes."""
    return unicodedata.normalize("NFC", value or "").translate(APOSTROPHES).strip()


def check_birth_date(value: datetime.date | None) -> datetime.date | None:
    """A date of birth in the future or before 1900 is impossible (and the database's
    ``client_birth_date_plausible`` constraint agrees for 1900)."""
    if value is None:
        return value
    if value > timezone.localdate():
        raise ValidationError(
            "A date of birth in the future is impossible; check the year.", code="dob_future"
        )
    if value < EARLIEST_BIRTH_DATE:
        raise ValidationError(
            "A date of birth before 1900 is impossible; check the year.", code="dob_too_early"
        )
    return value


class NameField(forms.CharField):
    """A person's name, in one spelling (``normalize_name``)."""

    def clean(self, value):
        return normalize_name(super().clean(value))


class BirthDateField(forms.DateField):
    """A date of birth that can be true (``check_birth_date``)."""

    def clean(self, value):
        return check_birth_date(super().clean(value))


def normalize_icd10(value: str) -> str:
    """``" f41.1 "`` → ``"F41.1"``; ``"F411"`` → ``"F41.1"``; ``"F41.1 Generalized…"`` →
    ``"F41.1"`` (a pasted catalog line keeps only its code)."""
    words = (value or "").strip().upper().split()
    code = words[0] if words else ""
    match = UNDOTTED_ICD10_RE.match(code)
    return f"{match[1]}.{match[2]}" if match else code


def billable_examples(code: str, limit: int = 3) -> list[str]:
    """A few billable codes under a category, for the error message."""
    prefix = code if "." in code else f"{code}."
    return list(
        DiagnosisCode.objects.billable()
        .filter(code__startswith=prefix)
        .order_by("code")
        .values_list("code", flat=True)[:limit]
    )


def _join_or(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} or {items[-1]}"


class Row(CrispyRow):
    """A Bootstrap row with small gutters: the default 1.5rem gutter overflows a 375-px
    phone, where the page padding is only .5rem (static/css/app.css)."""

    def __init__(self, *fields, **kwargs) -> None:
        kwargs["css_class"] = f"g-2 {kwargs.get('css_class', '')}".strip()
        super().__init__(*fields, **kwargs)


def _inner_helper() -> FormHelper:
    """Fields only: the page's one <form> wraps the client and both formsets."""
    helper = FormHelper()
    helper.form_tag = False
    helper.disable_csrf = True
    return helper


class AddressCleaning:
    """State and ZIP as claims print them: two capital letters; 5 or 9 digits, no dash.
    ``widgets`` (for Meta.widgets) shows them that way on phones too."""

    widgets = {
        "state": forms.TextInput(attrs={"maxlength": 2, "autocapitalize": "characters"}),
        "zip_code": forms.TextInput(attrs={"inputmode": "numeric"}),
    }

    def clean_state(self) -> str:
        state = self.cleaned_data["state"].strip().upper()
        if state and not STATE_RE.match(state):
            raise ValidationError("Enter the two-letter state code, such as IL.")
        return state

    def clean_zip_code(self) -> str:
        zip_code = self.cleaned_data["zip_code"].replace("-", "").replace(" ", "")
        if zip_code and not ZIP_RE.match(zip_code):
            raise ValidationError("A ZIP code is 5 digits or ZIP+4 (62701 or 62701-1234).")
        return zip_code


class ClientForm(AddressCleaning, VersionedModelForm):
    """The client's identity and contact details.

    Clinicians create clients for themselves only: the primary-clinician field is not
    even on their form, so a forged id in the POST is ignored. Billing staff and owners
    choose among active clinicians.
    """

    class Meta:
        model = Client
        fields = [
            "first_name",
            "last_name",
            "date_of_birth",
            "sex",
            "primary_clinician",
            "self_pay",
            "active",
            "phone",
            "email",
            "address_line1",
            "address_line2",
            "city",
            "state",
            "zip_code",
            *SIGNATURE_FIELDS,
            "version",
        ]
        field_classes = {
            "first_name": NameField,
            "last_name": NameField,
            "date_of_birth": BirthDateField,
            "release_signer": NameField,
            "assignment_signer": NameField,
        }
        widgets = {
            "date_of_birth": DateInput(),
            "release_signed_on": DateInput(),
            "assignment_signed_on": DateInput(),
            "phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
            **AddressCleaning.widgets,
        }
        labels = {
            "active": "Active",
            "release_signed_on": "Release of information signed on",
            "release_signer": "Signed by",
            "release_signer_relation": "Signer is",
            "assignment_signed_on": "Assignment of benefits signed on",
            "assignment_signer": "Signed by",
            "assignment_signer_relation": "Signer is",
        }
        help_texts = {
            "active": "Inactive clients leave the client list and cannot get new sessions.",
            "release_signed_on": "Lets insurers receive what they need to process claims (box 12).",
            "assignment_signed_on": "Lets the insurer pay the practice directly (box 13).",
        }

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        creating = self.instance.pk is None
        clinician = roles.clinician_of(user)
        if roles.sees_all_clients(user):
            field = self.fields["primary_clinician"]
            active = Q(active=True)
            if not creating:
                # Keep a client's current clinician choosable even if they left.
                active |= Q(pk=self.instance.primary_clinician_id)
            field.queryset = Clinician.objects.filter(active)
            field.empty_label = "Choose a clinician"
            if creating and clinician is not None and clinician.active:
                self.initial.setdefault("primary_clinician", clinician.pk)
        else:
            del self.fields["primary_clinician"]
            if creating:
                self.instance.primary_clinician = clinician
        if creating:
            # New clients are active; the checkbox is for deactivating later.
            del self.fields["active"]
        self.helper = _inner_helper()
        self.helper.render_hidden_fields = True  # the version
        self.helper.layout = Layout(
            Row(
                Column("first_name", css_class="col-12 col-md-4"),
                Column("last_name", css_class="col-12 col-md-5"),
                Column("date_of_birth", css_class="col-6 col-md-3"),
            ),
            Row(
                Column("sex", css_class="col-6 col-md-3"),
                *(
                    [Column("primary_clinician", css_class="col-12 col-md-5")]
                    if "primary_clinician" in self.fields
                    else []
                ),
                Column(
                    "self_pay",
                    *(["active"] if "active" in self.fields else []),
                    css_class="col-12 col-md-4",
                ),
            ),
            Fieldset(
                "Contact",
                Row(
                    Column("phone", css_class="col-12 col-md-4"),
                    Column("email", css_class="col-12 col-md-8"),
                ),
                Row(
                    Column("address_line1", css_class="col-12 col-md-6"),
                    Column("address_line2", css_class="col-12 col-md-6"),
                ),
                Row(
                    Column("city", css_class="col-12 col-md-6"),
                    Column("state", css_class="col-4 col-md-2"),
                    Column("zip_code", css_class="col-8 col-md-4"),
                ),
            ),
            Fieldset(
                "Signatures on file",
                *(
                    Row(
                        Column(f"{kind}_signed_on", css_class="col-12 col-md-4"),
                        Column(f"{kind}_signer", css_class="col-7 col-md-5"),
                        Column(f"{kind}_signer_relation", css_class="col-5 col-md-3"),
                    )
                    for kind, _, _ in SIGNATURES
                ),
                css_id="signatures",
            ),
        )
        for kind, _, _ in SIGNATURES:
            self.fields[f"{kind}_signer_relation"].choices = [
                ("", "—"),
                *SignerRelation.choices,
            ]


class DiagnosisForm(VersionedModelForm):
    """One ICD-10-CM diagnosis, the code typed as text (docs/rules/identifiers.md §4).

    The catalog, not a regex, decides: unknown codes and categories (``F41``, ``F43.1``)
    are refused with billable codes to choose from.
    """

    code = forms.CharField(
        label="ICD-10-CM code",
        max_length=120,
        widget=forms.TextInput(
            attrs={
                "class": "js-icd10",
                "list": "icd10-options",
                "autocomplete": "off",
                "autocapitalize": "characters",
                "spellcheck": "false",
                "placeholder": "F41.1 or a word: anxiety",
            }
        ),
    )

    rank = forms.IntegerField(
        label="Rank",
        initial=1,
        min_value=1,
        max_value=99,
        widget=forms.NumberInput(attrs={"min": 1, "inputmode": "numeric", "class": "js-rank"}),
        error_messages={"min_value": "Rank starts at 1 (1 = the primary diagnosis)."},
    )

    class Meta:
        model = Diagnosis
        fields = ["code", "rank", "start_date", "end_date", "version"]
        widgets = {"start_date": DateInput(), "end_date": DateInput()}
        labels = {"start_date": "Since", "end_date": "Resolved on"}
        help_texts = {"end_date": ""}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.original_code_id = self.instance.code_id
        if self.instance.pk:
            # model_to_dict gave the code's primary key; show what a person types.
            self.initial["code"] = self.instance.code.code

    def initial_from_record(self, record) -> None:
        """The code as the page showed it (``versions.compare_with_read``)."""
        self.initial["code"] = record.code.code

    def has_changed(self) -> bool:
        """A new row counts as filled in once it has a code or a date: its rank alone is
        prefilled (by the page or the script that adds rows), not typed."""
        if self.instance.pk is None:
            return any(
                str(self[name].value() or "").strip() for name in ("code", "start_date", "end_date")
            )
        return super().has_changed()

    @property
    def code_description(self) -> str:
        """The chosen code's description, shown under the field."""
        code = self.instance.code if self.instance.code_id else None
        return code.description if code else ""

    def clean_code(self) -> DiagnosisCode:
        code = normalize_icd10(self.cleaned_data["code"])
        validate_icd10_format(code)
        row = DiagnosisCode.objects.filter(code=code).first()
        if row is None:
            raise ValidationError(
                f"{code} is not in the ICD-10-CM catalog; check it, or type a word of the "
                "diagnosis to search.",
                code="icd10_unknown",
            )
        if not row.billable:
            examples = billable_examples(code)
            hint = (
                f"choose a billable code such as {_join_or(examples)}"
                if examples
                else f"choose a more specific code under {code}"
            )
            raise ValidationError(f"{code} is a category; {hint}.", code="icd10_not_billable")
        unchanged = row.pk == self.original_code_id
        if not row.active and not unchanged:
            raise ValidationError(f"{code} is no longer a valid code.", code="icd10_inactive")
        return row

    def clean(self) -> dict:
        cleaned = super().clean()
        start, end = cleaned.get("start_date"), cleaned.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", "A diagnosis cannot be resolved before it starts.")
        return cleaned

    def validate_unique(self) -> None:
        # The formset compares codes across the page (it shows all of the client's
        # diagnoses), with a clearer message than Django's; the database constraint
        # ``one_diagnosis_code_per_client`` still backs it.
        return None


# The subscriber's name, birth date, sex and address (the client's own when the client
# is the subscriber).
SUBSCRIBER_FIELDS = (
    "subscriber_first_name",
    "subscriber_last_name",
    "subscriber_date_of_birth",
    "subscriber_sex",
    "address_line1",
    "address_line2",
    "city",
    "state",
    "zip_code",
)


class CoverageForm(AddressCleaning, VersionedModelForm):
    """One insurance policy (docs/rules/claims.md "Coverage in force"): payer, member, subscriber,
    dates, authorization."""

    copay = forms.DecimalField(
        max_digits=10,
        decimal_places=2,
        min_value=0,
        required=False,
        # Declared fields lose the model default; new rows need it to look untouched.
        initial=Coverage._meta.get_field("copay").default,
        widget=forms.NumberInput(attrs={"step": "0.01", "min": 0, "inputmode": "decimal"}),
        error_messages={"min_value": "A copay cannot be negative."},
    )
    prior_auth_visits = forms.IntegerField(
        label="Authorized visits",
        required=False,
        min_value=0,
        max_value=32767,
        widget=forms.NumberInput(attrs={"min": 0, "inputmode": "numeric"}),
        error_messages={"min_value": "Authorized visits cannot be negative."},
    )

    class Meta:
        model = Coverage
        fields = [
            "payer",
            "member_id",
            "group_number",
            "plan_name",
            "priority",
            "relationship",
            *SUBSCRIBER_FIELDS,
            "effective_from",
            "effective_to",
            "copay",
            "prior_auth_number",
            "prior_auth_visits",
            "prior_auth_from",
            "prior_auth_to",
            "referring_first_name",
            "referring_last_name",
            "referring_npi",
            "version",
        ]
        field_classes = {
            "subscriber_first_name": NameField,
            "subscriber_last_name": NameField,
            "subscriber_date_of_birth": BirthDateField,
            "referring_first_name": NameField,
            "referring_last_name": NameField,
        }
        widgets = {
            "effective_from": DateInput(),
            "effective_to": DateInput(),
            "subscriber_date_of_birth": DateInput(),
            "prior_auth_from": DateInput(),
            "prior_auth_to": DateInput(),
            "member_id": forms.TextInput(attrs={"autocapitalize": "characters"}),
            **AddressCleaning.widgets,
        }
        labels = {
            "member_id": "Member id",
            "relationship": "Client is the subscriber's",
            "subscriber_first_name": "Subscriber first name",
            "subscriber_last_name": "Subscriber last name",
            "subscriber_date_of_birth": "Subscriber date of birth",
            "subscriber_sex": "Subscriber sex",
            "address_line1": "Subscriber address",
            "address_line2": "Address line 2",
            "effective_from": "Effective from",
            "effective_to": "Effective to",
            "prior_auth_number": "Prior authorization number",
            "prior_auth_from": "Authorized from",
            "prior_auth_to": "Authorized to",
            "referring_first_name": "Referring provider first name",
            "referring_last_name": "Last name",
            "referring_npi": "NPI",
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        payer = self.fields["payer"]
        active = Q(active=True)
        if self.instance.pk:
            # A payer deactivated since stays on the coverages that already name it.
            active |= Q(pk=self.instance.payer_id)
        payer.queryset = Payer.objects.filter(active)
        payer.empty_label = "Choose a payer"
        self.fields["relationship"].widget.attrs["class"] = "js-relationship"

    def clean_member_id(self) -> str:
        return self.cleaned_data["member_id"].strip()

    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("copay") is None and "copay" not in self.errors:
            cleaned["copay"] = Coverage._meta.get_field("copay").default
        relationship = cleaned.get("relationship")
        if relationship == Coverage.Relationship.SELF:
            # The client is the subscriber: details typed before switching to "Self"
            # would print as someone else's on the claim.
            for name in SUBSCRIBER_FIELDS:
                cleaned[name] = None if name == "subscriber_date_of_birth" else ""
        elif (
            relationship
            and not cleaned.get("subscriber_sex")
            and "subscriber_sex" not in (self.errors)
        ):
            # Coverage.clean asks for the names and date of birth; claims need sex too
            # (837P DMG, CMS-1500 box 11a).
            self.add_error("subscriber_sex", "Enter the subscriber's sex (Unknown is allowed).")
        auth_details = any(
            cleaned.get(name) not in (None, "")
            for name in ("prior_auth_visits", "prior_auth_from", "prior_auth_to")
        )
        if auth_details and not cleaned.get("prior_auth_number"):
            self.add_error(
                "prior_auth_number", "Enter the authorization number for these visits or dates."
            )
        return cleaned


def _live_forms(formset: forms.BaseFormSet) -> list[forms.Form]:
    """Forms that will be saved: filled in, valid so far, not marked for removal."""
    return [
        form
        for form in formset.forms
        if getattr(form, "cleaned_data", None) and not formset._should_delete_form(form)
    ]


class BaseDiagnosisFormSet(forms.BaseInlineFormSet):
    def add_fields(self, form: forms.Form, index: int | None) -> None:
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = "Remove this diagnosis"

    def clean(self) -> None:
        # Not calling super(): its uniqueness check says "Please correct the duplicate
        # data for code"; this one names the code.
        seen: set[str] = set()
        for form in _live_forms(self):
            code = form.cleaned_data.get("code")
            if code is None:
                continue
            if code.code in seen:
                form.add_error("code", f"{code.code} is already among this client's diagnoses.")
            seen.add(code.code)
        self._check_used_diagnoses()

    def _check_used_diagnoses(self) -> None:
        """A diagnosis on sessions stays (sessions point at it; resolve it instead), and
        one on billed sessions keeps its code (the claim went out with that code)."""
        removed = [f for f in self.initial_forms if self._should_delete_form(f)]
        recoded = [
            f
            for f in self.initial_forms
            if f not in removed
            and f.cleaned_data.get("code") is not None
            and f.cleaned_data["code"].pk != f.original_code_id
        ]
        if recoded:
            billed = set(
                SessionDiagnosis.objects.filter(
                    diagnosis__in=[f.instance.pk for f in recoded],
                    session__status__in=Session.BILLED_STATUSES,
                ).values_list("diagnosis", flat=True)
            )
            for form in recoded:
                if form.instance.pk in billed:
                    form.add_error(
                        "code",
                        f"{form.initial['code']} is on billed sessions, so its code cannot "
                        "change; resolve it and add the new code as another diagnosis.",
                    )
        if removed:
            counts = dict(
                SessionDiagnosis.objects.filter(diagnosis__in=[f.instance.pk for f in removed])
                .values("diagnosis")
                .annotate(n=Count("pk"))
                .values_list("diagnosis", "n")
            )
            # A non-form error: Django ignores the errors of rows marked for removal.
            problems = [
                f"{form.initial['code']} is on {n} session{'s' if n > 1 else ''} and cannot be "
                "removed; give it a 'resolved on' date instead."
                for form in removed
                if (n := counts.get(form.instance.pk))
            ]
            if problems:
                raise ValidationError(problems)


Period = tuple[datetime.date, datetime.date | None]


def _period(form: forms.Form) -> Period:
    return form.cleaned_data["effective_from"], form.cleaned_data.get("effective_to")


def _overlap(a: Period, b: Period) -> bool:
    """Two date ranges share a day; ``None`` as the end means open-ended."""
    (a_from, a_to), (b_from, b_to) = a, b
    return (a_to is None or b_from <= a_to) and (b_to is None or a_from <= b_to)


class BaseCoverageFormSet(forms.BaseInlineFormSet):
    def add_fields(self, form: forms.Form, index: int | None) -> None:
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = "Remove this coverage"

    def clean(self) -> None:
        """Coverage order (docs/rules/claims.md "Coverage in force", CMS-1500 box 9/11d): a
        secondary coverage needs a
        primary in effect at the same time, a tertiary one a primary and a secondary; two
        coverages of the same priority cannot be in effect at once (which one pays first
        would be ambiguous)."""
        super().clean()
        # Read the values first: add_error() drops a field from cleaned_data.
        live = [
            (form, form.cleaned_data["priority"], form.cleaned_data["payer"], _period(form))
            for form in _live_forms(self)
            if not form.errors
        ]
        labels = {value: label.lower() for value, label in Coverage.Priority.choices}
        for form, priority, _payer, period in live:
            for needed in range(1, priority):
                if not any(
                    other_priority == needed and _overlap(period, other_period)
                    for other, other_priority, _, other_period in live
                    if other is not form
                ):
                    form.add_error(
                        "priority",
                        f"A {labels[priority]} coverage needs a {labels[needed]} coverage in "
                        f"effect at the same time; add the {labels[needed]} coverage, or "
                        f"make this one {labels[needed]}.",
                    )
                    break
        for index, (form, priority, _payer, period) in enumerate(live):
            for _earlier, earlier_priority, earlier_payer, earlier_period in live[:index]:
                if earlier_priority == priority and _overlap(period, earlier_period):
                    form.add_error(
                        "effective_from",
                        f"Two {labels[priority]} coverages overlap in time (this one and "
                        f"{earlier_payer} from {us_date(earlier_period[0])}); give the older "
                        "one an 'effective to' date, or change a priority.",
                    )
                    break


DiagnosisFormSet = forms.inlineformset_factory(
    Client,
    Diagnosis,
    form=DiagnosisForm,
    formset=BaseDiagnosisFormSet,
    extra=1,
    can_delete=True,
)
CoverageFormSet = forms.inlineformset_factory(
    Client,
    Coverage,
    form=CoverageForm,
    formset=BaseCoverageFormSet,
    extra=1,
    can_delete=True,
)


def client_forms(
    *, data, user, client: Client
) -> tuple[ClientForm, BaseDiagnosisFormSet, BaseCoverageFormSet]:
    """The three forms of the client page, bound to ``data`` (``None`` for a blank page)."""
    form = ClientForm(data, instance=client, user=user)
    diagnoses = DiagnosisFormSet(
        data,
        instance=client,
        prefix="diagnoses",
        queryset=Diagnosis.objects.select_related("code"),
    )
    # The blank row offers the next rank (the same on GET and POST, or the untouched row
    # would look edited).
    diagnoses.initial_extra = [{"rank": diagnoses.initial_form_count() + 1}]
    coverages = CoverageFormSet(
        data,
        instance=client,
        prefix="coverages",
        queryset=Coverage.objects.select_related("payer"),
    )
    for bound in [form, *diagnoses.initial_forms, *coverages.initial_forms]:
        compare_with_read(bound)
    return form, diagnoses, coverages
