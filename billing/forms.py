"""Forms of the billing pages: claim list filters, claim actions and the claim summary."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django import forms
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from billing.choices import payer_choices
from billing.models import Claim, ClaimLine, GoodFaithEstimate, Payer, Payment, ProcedureCode
from billing.validators import validate_icd10_format
from practice.forms.widgets import DateInput
from practice.listing import clinician_choices, offer
from practice.models import Client, Clinician, Location

# What the summary shows unless asked otherwise: every claim that still counts.
LIVE_STATUSES = [value for value, _ in Claim.Status.choices if value not in Claim.DEAD_STATUSES]


def previous_month(today: datetime.date | None = None) -> tuple[datetime.date, datetime.date]:
    """The calendar month before ``today``'s: (first day, last day)."""
    today = today or timezone.localdate()
    last = today.replace(day=1) - datetime.timedelta(days=1)
    return last.replace(day=1), last


def lines_between(start: datetime.date | None, end: datetime.date | None) -> Exists:
    """True for a claim with at least one line whose date of service is in the range."""
    lines = ClaimLine.objects.filter(claim=OuterRef("pk"))
    if start:
        lines = lines.filter(date_of_service__gte=start)
    if end:
        lines = lines.filter(date_of_service__lte=end)
    return Exists(lines)


class ClaimFilterForm(forms.Form):
    """The claim list's filters (GET). Invalid values are shown and ignored."""

    SERVICE = "service"
    CREATED = "created"
    WITH_ERRORS = "with"
    WITHOUT_ERRORS = "without"

    payer = forms.ModelChoiceField(
        queryset=Payer.objects.all(), required=False, empty_label="All payers"
    )
    status = forms.ChoiceField(choices=[("", "Any status"), *Claim.Status.choices], required=False)
    clinician = forms.ModelChoiceField(
        queryset=Clinician.objects.all(),
        required=False,
        empty_label="All clinicians",
        label="Rendering clinician",
    )
    dates = forms.ChoiceField(
        label="Dates of",
        choices=[(SERVICE, "Service"), (CREATED, "Claim created")],
        required=False,
    )
    date_from = forms.DateField(label="From", required=False, widget=DateInput())
    date_to = forms.DateField(label="To", required=False, widget=DateInput())
    errors = forms.ChoiceField(
        label="Scrubber errors",
        choices=[("", "Any"), (WITH_ERRORS, "With errors"), (WITHOUT_ERRORS, "Without errors")],
        required=False,
        help_text="Draft and ready claims, as last checked.",
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        offer(self.fields["payer"], payer_choices())  # the selects: cached lists
        offer(self.fields["clinician"], clinician_choices())

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", "The end date is before the start date.")
        return data

    def filter(self, claims: QuerySet[Claim]) -> QuerySet[Claim]:
        self.is_valid()
        wanted = self.cleaned_data
        if wanted.get("payer"):
            claims = claims.filter(payer=wanted["payer"])
        if wanted.get("status"):
            claims = claims.filter(status=wanted["status"])
        if wanted.get("clinician"):
            claims = claims.filter(rendering=wanted["clinician"])
        start, end = wanted.get("date_from"), wanted.get("date_to")
        if wanted.get("dates") == self.CREATED:
            # The practice's days as moments, so the list's (created_at, id) index serves
            # the range (a date taken of each row's time would read every claim).
            if start:
                claims = claims.filter(created_at__gte=_day_start(start))
            if end:
                claims = claims.filter(created_at__lt=_day_start(end + datetime.timedelta(days=1)))
        elif start or end:
            # A subquery, not a join: a join would list a claim once per matching line.
            claims = claims.filter(lines_between(start, end))
        if wanted.get("errors"):
            # The count the scrubber kept (Claim.scrub_errors); a claim never checked is
            # in neither list.
            unsent = claims.filter(status__in=[Claim.Status.DRAFT, Claim.Status.READY])
            if wanted["errors"] == self.WITH_ERRORS:
                claims = unsent.filter(scrub_errors__gt=0)
            else:
                claims = unsent.filter(scrub_errors=0)
        return claims


def _day_start(day: datetime.date) -> datetime.datetime:
    """Midnight starting ``day`` in the practice's time zone."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


class BuildClaimsForm(forms.Form):
    """Build claims from ready sessions, optionally for one payer or up to a date."""

    payer = forms.ModelChoiceField(
        queryset=Payer.objects.all(), required=False, empty_label="Every payer"
    )
    through = forms.DateField(
        label="Sessions through", required=False, widget=DateInput(), help_text="Inclusive."
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        offer(self.fields["payer"], payer_choices())


class ClaimVoidForm(forms.Form):
    reason = forms.CharField(
        max_length=200,
        help_text="Kept on the claim and on the void claim sent to the payer.",
    )

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("Say why the claim is voided.")
        return reason


class ClaimDiscardForm(forms.Form):
    """Discard a claim never sent; the reason is optional (nothing goes to the payer)."""

    reason = forms.CharField(label="Why discard it (optional)", max_length=200, required=False)


class PayerClaimNumberForm(forms.Form):
    payer_claim_number = forms.CharField(
        label="Payer's claim number",
        max_length=Claim._meta.get_field("payer_claim_number").max_length,
        required=False,
        help_text="From the payer's remittance or portal; a replacement or void carries it "
        "in box 22.",
    )


class ClaimCorrectForm(forms.Form):
    """Open a correction of a sent claim: why, and the payer's number for box 22."""

    reason = forms.CharField(label="What is corrected", max_length=200)
    payer_claim_number = forms.CharField(
        label="Payer's claim number",
        max_length=Claim._meta.get_field("payer_claim_number").max_length,
        help_text="From the payer's remittance or portal (box 22).",
    )

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("Say why the claim is corrected.")
        return reason


class SummaryForm(forms.Form):
    """The claim summary's choices (GET): a date-of-service range, payers and statuses.

    Without a range in the query string the previous calendar month is used; without
    statuses, every live claim (not void, not replaced).
    """

    start = forms.DateField(label="Services from", widget=DateInput())
    end = forms.DateField(label="Through", widget=DateInput())
    payers = forms.ModelMultipleChoiceField(
        queryset=Payer.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: every payer.",
    )
    statuses = forms.MultipleChoiceField(
        choices=Claim.Status.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: every claim that is not void or replaced.",
    )

    def __init__(self, query, *, today: datetime.date | None = None, **kwargs) -> None:
        data = query.copy()
        first, last = previous_month(today)
        if "start" not in data:
            data["start"] = first.isoformat()
        if "end" not in data:
            data["end"] = last.isoformat()
        if not data.getlist("statuses"):
            data.setlist("statuses", LIVE_STATUSES)
        super().__init__(data, **kwargs)
        self.fields["payers"].choices = payer_choices()  # the boxes: a cached list

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", "The end date is before the start date.")
        return data


class EstimateForm(forms.Form):
    """A Good Faith Estimate's header: who, where, how often, the period and the dates
    that start the delivery clock (45 CFR 149.610). The services are ``EstimateLineForm``s."""

    clinician = forms.ModelChoiceField(queryset=Clinician.objects.none())
    location = forms.ModelChoiceField(
        queryset=Location.objects.none(),
        required=False,
        empty_label="Telehealth or the practice's address",
    )
    frequency = forms.ChoiceField(choices=GoodFaithEstimate.Frequency.choices)
    period_start = forms.DateField(label="Period from", widget=DateInput())
    period_end = forms.DateField(
        label="Period to", widget=DateInput(), help_text="At most 12 months after the start."
    )
    service_date = forms.DateField(
        label="First service scheduled for",
        required=False,
        widget=DateInput(),
        help_text="Empty when the client only asked for an estimate.",
    )
    scheduled_on = forms.DateField(
        label="Scheduled on", required=False, widget=DateInput(), help_text="When it was booked."
    )
    requested_on = forms.DateField(
        label="Client asked for an estimate on", required=False, widget=DateInput()
    )
    diagnosis_codes = forms.CharField(
        label="Diagnosis codes",
        required=False,
        max_length=120,
        help_text="ICD-10-CM codes if known, separated by commas.",
    )

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        from practice import roles

        own = roles.clinician_of(user)
        clinicians = Clinician.objects.active().select_related("supervisor")
        if not roles.sees_all_clients(user):
            clinicians = clinicians.filter(pk=own.pk if own else None)
        self.fields["clinician"].queryset = clinicians
        self.fields["location"].queryset = Location.objects.filter(active=True)

    def clean_diagnosis_codes(self) -> str:
        codes = [c.strip().upper() for c in self.cleaned_data["diagnosis_codes"].split(",")]
        codes = [c for c in codes if c]
        for code in codes:
            validate_icd10_format(code)
        return ", ".join(dict.fromkeys(codes))

    def clean(self) -> dict:
        data = super().clean()
        if data.get("service_date") and not data.get("scheduled_on"):
            self.add_error("scheduled_on", "Say when the service was scheduled.")
        if data.get("scheduled_on") and not data.get("service_date"):
            self.add_error("service_date", "Say when the first service is scheduled for.")
        if not data.get("scheduled_on") and not data.get("requested_on"):
            self.add_error(
                None, "Give the date it was scheduled or the date the client asked for it."
            )
        return data


class EstimateLineForm(forms.Form):
    """One expected service: a code from the catalog and units each visit; visits follow
    the frequency unless given."""

    code = forms.CharField(label="CPT code", max_length=5, required=False)
    units = forms.IntegerField(label="Units a visit", min_value=1, max_value=99, initial=1)
    visits = forms.IntegerField(
        label="Visits", min_value=1, max_value=400, required=False, help_text="Empty: by frequency."
    )

    def clean_code(self) -> ProcedureCode | None:
        code = self.cleaned_data["code"].strip().upper()
        if not code:
            return None
        procedure = ProcedureCode.objects.filter(code=code, active=True).first()
        if procedure is None:
            raise forms.ValidationError(f"{code} is not an active code in the catalog.")
        return procedure


EstimateLineFormSet = forms.formset_factory(EstimateLineForm, extra=1, max_num=6, validate_max=True)


class EstimateDeliveryForm(forms.Form):
    method = forms.ChoiceField(
        label="Given to the client",
        choices=GoodFaithEstimate.Delivery.choices,
        widget=forms.Select(attrs={"class": "form-select"}),
    )


class SendClaimsForm(forms.Form):
    """Send claims: which payers' claims to put into 837P files, and whether clean drafts go
    too. Only payers that take electronic claims are offered."""

    payers = forms.ModelMultipleChoiceField(
        queryset=Payer.objects.filter(accepts_electronic_claims=True).order_by("name"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Pick at least one payer."},
    )
    include_drafts = forms.BooleanField(
        label="Also send draft claims that have no errors", required=False
    )


class ClientChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Client) -> str:
        return f"{obj} (account {obj.account_number})"


class SuperbillForm(forms.Form):
    """Whose superbill, for which dates (GET). The client is one the user may see: a
    number outside that set reads like one that does not exist, so nothing leaks."""

    client = ClientChoiceField(
        queryset=Client.objects.none(),
        empty_label="Choose a client",
        error_messages={
            "required": "Choose the client the superbill is for.",
            "invalid_choice": "Choose a client from the list: that one is not among the "
            "clients you can see.",
        },
    )
    start = forms.DateField(
        label="From",
        widget=DateInput(),
        error_messages={"required": "Give the first date of service.", "invalid": "Give a date."},
    )
    end = forms.DateField(
        label="To",
        widget=DateInput(),
        error_messages={"required": "Give the last date of service.", "invalid": "Give a date."},
    )

    def __init__(self, data=None, *, user, **kwargs) -> None:
        super().__init__(data, **kwargs)
        self.fields["client"].queryset = Client.objects.for_user(user)

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", "The last date is before the first.")
        return data


class AcknowledgmentUploadForm(forms.Form):
    """Upload a 999 or 277CA file from the clearinghouse (the kind is read from the file).
    ``clean_file`` leaves the text in ``cleaned_data["text"]``."""

    MAX_BYTES = 10 * 1024 * 1024  # a 277CA for 5,000 claims is about 2 MB

    file = forms.FileField(
        label="999 or 277CA file",
        help_text="The acknowledgment file the clearinghouse sent back for a batch.",
        error_messages={"required": "Choose the 999 or 277CA file to upload."},
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > self.MAX_BYTES:
            raise forms.ValidationError("This file is larger than 10 MB: not an acknowledgment.")
        raw = upload.read()
        try:
            text = raw.decode("ascii")
        except UnicodeDecodeError as error:
            raise forms.ValidationError(
                f"This is not an X12 file: byte {error.start} is not ASCII."
            ) from None
        if not text.lstrip().startswith("ISA"):
            raise forms.ValidationError("This is not an X12 file: it does not start with ISA.")
        self.cleaned_data["text"] = text
        return upload


PATIENT_REASONS = [("1", "1 Deductible"), ("2", "2 Coinsurance"), ("3", "3 Copay")]
WRITE_OFF_REASONS = [
    ("45", "45 Above the fee schedule"),
    ("97", "97 Bundled"),
    ("50", "50 Not medically necessary"),
    ("96", "96 Not covered"),
    ("16", "16 Missing information"),
    ("18", "18 Duplicate"),
    ("29", "29 Filed too late"),
    ("197", "197 No prior authorization"),
]


class EobForm(forms.Form):
    """A payer's paper EOB for one claim, one row of fields per claim line: allowed
    (optional), paid, the amount written off (CO, with its reason) and the client's share
    (PR, with its reason). The service checks that each line adds up."""

    received_on = forms.DateField(
        label="Received on", widget=forms.DateInput(attrs={"type": "date"})
    )
    check_number = forms.CharField(label="Check or EOB number", max_length=50, required=False)

    def __init__(self, *args, lines, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.claim_lines = list(lines)
        money = {"max_digits": 10, "decimal_places": 2, "min_value": 0}
        for line in self.claim_lines:
            key = f"line-{line.pk}"
            self.fields[f"{key}-allowed"] = forms.DecimalField(
                label="Allowed", required=False, **money
            )
            self.fields[f"{key}-paid"] = forms.DecimalField(label="Paid", **money)
            self.fields[f"{key}-co"] = forms.DecimalField(
                label="Written off", required=False, **money
            )
            self.fields[f"{key}-co_reason"] = forms.ChoiceField(
                label="Reason", choices=WRITE_OFF_REASONS
            )
            self.fields[f"{key}-pr"] = forms.DecimalField(
                label="Client's share", required=False, **money
            )
            self.fields[f"{key}-pr_reason"] = forms.ChoiceField(
                label="Reason", choices=PATIENT_REASONS
            )

    def rows(self):
        """Each claim line with its bound fields, for the template."""
        for line in self.claim_lines:
            key = f"line-{line.pk}"
            yield (
                line,
                [
                    self[f"{key}-{name}"]
                    for name in ("allowed", "paid", "co", "co_reason", "pr", "pr_reason")
                ],
            )

    def eob_lines(self):
        from billing.eob import EobLine

        found = []
        for line in self.claim_lines:
            key = f"line-{line.pk}"
            data = self.cleaned_data
            adjustments = []
            if data.get(f"{key}-co"):
                adjustments.append(("CO", data[f"{key}-co_reason"], data[f"{key}-co"]))
            if data.get(f"{key}-pr"):
                adjustments.append(("PR", data[f"{key}-pr_reason"], data[f"{key}-pr"]))
            found.append(
                EobLine(
                    claim_line=line,
                    paid=data[f"{key}-paid"],
                    adjustments=tuple(adjustments),
                    allowed=data.get(f"{key}-allowed"),
                )
            )
        return found


class ClientPaymentForm(forms.Form):
    """A client's payment: amount, method, check number, date (billing/payments.py
    checks the rules and says which field is wrong)."""

    amount = forms.DecimalField(max_digits=10, decimal_places=2, min_value=Decimal("0.01"))
    method = forms.ChoiceField(
        choices=[
            (m.value, m.label)
            for m in (Payment.Method.CARD, Payment.Method.CASH, Payment.Method.CHECK)
        ]
    )
    reference = forms.CharField(
        label="Check number", max_length=50, required=False, help_text="For a check."
    )
    received_on = forms.DateField(label="Date", widget=DateInput())
    session = forms.IntegerField(widget=forms.HiddenInput(), required=False)


class ClientRefundForm(forms.Form):
    amount = forms.DecimalField(max_digits=10, decimal_places=2, min_value=Decimal("0.01"))
    method = forms.ChoiceField(
        choices=[
            (m.value, m.label)
            for m in (Payment.Method.CARD, Payment.Method.CASH, Payment.Method.CHECK)
        ]
    )
    reference = forms.CharField(label="Check number", max_length=50, required=False)
    received_on = forms.DateField(label="Refunded on", widget=DateInput())


class StatementMonthForm(forms.Form):
    month = forms.RegexField(
        regex=r"^\d{4}-(0[1-9]|1[0-2])$",
        max_length=7,
        error_messages={"invalid": "Enter a month as YYYY-MM."},
        widget=forms.TextInput(attrs={"placeholder": "YYYY-MM", "inputmode": "numeric"}),
    )

    def clean_month(self) -> datetime.date:
        year, month = self.cleaned_data["month"].split("-")
        first = datetime.date(int(year), int(month), 1)
        if first > timezone.localdate():
            raise forms.ValidationError("That month has not started yet.")
        return first


class RemittanceUploadForm(forms.Form):
    """An 835 file to preview (billing/views/remittances.py). The file's contents are
    checked by ``billing.uploads.upload_keep``; its errors are added to ``file``."""

    file = forms.FileField(
        label="835 file",
        help_text="The remittance (ERA) file from the clearinghouse or the payer.",
    )

    def clean_file(self):
        from billing.uploads import MAX_UPLOAD_BYTES

        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                f"The file is {upload.size // 1024} KB; an 835 larger than "
                f"{MAX_UPLOAD_BYTES // (1024 * 1024)} MB is not accepted here (use "
                "manage.py import_835)."
            )
        raw = upload.read()
        try:
            self.text = raw.decode("ascii")
        except UnicodeDecodeError as error:
            raise forms.ValidationError(
                f"This is not an X12 file: byte {error.start} is not ASCII."
            ) from None
        if "\x00" in self.text:
            raise forms.ValidationError("This is not an X12 file: it holds a NUL byte.")
        return upload


class ClaimMatchForm(forms.Form):
    """Our claim number for a claim payment the import could not match."""

    control_number = forms.CharField(
        label="Our claim number", max_length=20, help_text="As it shows on the claim page."
    )
