"""Session forms: log one session and see the lines it will bill before saving.

``SessionForm`` holds the facts of the encounter and checks what a person can get wrong
(times, dates, whose client, overlaps). ``LineFormSet`` lets a clinician change the
proposed lines; each row is checked against the catalog and the lines together against
the coding rules of ``billing/coding.py`` (docs/rules/coding.md): a line that breaks one
is refused beside its field, never saved with a warning. ``SessionEntry`` puts the two
together with the payer rules and says which lines will be saved and what to warn about. Saving is
``practice.services.session_save``.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Case, IntegerField, Q, Value, When
from django.forms.widgets import DateTimeBaseInput
from django.http import QueryDict
from django.utils import timezone

from billing import coding, rules
from billing.models import Modifier, PlaceOfService, ProcedureCode
from practice import roles, services
from practice.forms.widgets import DateInput, TimeInput
from practice.models import Client, Clinician, Diagnosis, Location, Session
from practice.params import parse_id
from practice.services import (
    GROUP_SERVICES,
    MAX_DIAGNOSES,
    MAX_MODIFIERS,
    MAX_POINTERS,
    POINTER_LETTERS,
    PlannedLine,
)
from practice.versions import VersionedModelForm

MAX_MINUTES = 8 * 60
# Errors that only say "not filled in yet": the live preview keeps quiet about them.
QUIET_CODES = frozenset({"required", "missing_time", "client_changed"})

MESSAGES = {
    "ends_before_start": "The session ends before it starts.",
    "no_minutes": "A session lasts at least one minute.",
    "too_long": "A session cannot be longer than 8 hours (480 minutes).",
    "future": "The date of service cannot be in the future.",
    "missing_time": "Enter the start and end times, or the minutes.",
    "no_diagnosis": "Choose at least one diagnosis: every service line points at one.",
    "too_many_diagnoses": f"A session carries at most {MAX_DIAGNOSES} diagnoses (A–L).",
    "client_changed": "The client changed: choose this client's diagnoses.",
    "no_location": "Choose where the session took place: it sets the place of service.",
    "group_size": "Enter how many people took part in the group (at least 2).",
    "em_minutes": "With an E/M visit, enter the psychotherapy minutes (not counting the E/M "
    "service): the add-on code comes from them.",
}


class DiagnosesField(forms.ModelMultipleChoiceField):
    """The client's diagnoses, cleaned to a list in the order submitted (first = A)."""

    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, obj: Diagnosis) -> str:
        return f"{obj.code.code} {obj.code.description}"

    def clean(self, value) -> list[Diagnosis]:
        chosen = {str(d.pk): d for d in super().clean(value)}
        return [chosen[key] for key in dict.fromkeys(str(v) for v in value or []) if key in chosen]


def _em_choices() -> list[tuple[str, str]]:
    return [("", "No E/M visit")] + [
        (code, f"{code} {coding.DESCRIPTIONS.get(code, '')}".strip())
        for code in sorted(coding.EM_CODES)
    ]


class SessionForm(VersionedModelForm):
    """The facts of one session. Billing staff also choose the clinician."""

    minutes = forms.IntegerField(
        label="Minutes",
        required=False,
        help_text="Only when no start and end times are given.",
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    em_code = forms.ChoiceField(
        label="E/M visit (prescribers)",
        required=False,
        choices=_em_choices,
        help_text="Psychotherapy then bills as the E/M add-on (90833/90836/90838).",
    )
    psychotherapy_minutes = forms.IntegerField(
        label="Psychotherapy minutes (with an E/M visit)",
        required=False,
        min_value=0,
        help_text="Psychotherapy time alone, not counting the E/M service.",
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    diagnoses = DiagnosesField(
        label="Diagnoses",
        queryset=Diagnosis.objects.none(),
        required=False,
        help_text="In claim order: the first checked is A, the next B…",
    )
    override_lines = forms.BooleanField(label="Change the proposed lines", required=False)

    class Meta:
        model = Session
        fields = [
            "client",
            "clinician",
            "date",
            "start_time",
            "end_time",
            "minutes",
            "psychotherapy_minutes",
            "service",
            "telehealth",
            "client_at_home",
            "location",
            "interactive_complexity",
            "group_size",
            "note",
            "version",
        ]
        labels = {
            # Labels stay distinct ("Date", not "Date of service", beside "Service") so
            # each input is found by its own label, by people and by browser tests.
            "date": "Date",
            "start_time": "Start time",
            "end_time": "End time",
            "service": "Service",
            "telehealth": "How the session took place",
            "client_at_home": "At home",
            "interactive_complexity": "Interactive complexity (90785)",
            "group_size": "People in the group",
            "note": "Billing note",
        }
        widgets = {
            "date": DateInput(),
            "start_time": TimeInput(),
            "end_time": TimeInput(),
            "telehealth": forms.RadioSelect,
            "note": forms.Textarea(attrs={"rows": 2}),
        }
        help_texts = {
            "date": "The date of service.",
            "client_at_home": "The person joined from their own home (POS 10 for most payers).",
        }

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.staff = roles.sees_all_clients(user)
        session = self.instance
        client_field = self.fields["client"]
        client_field.queryset = Client.objects.for_user(user).filter(
            Q(active=True) | Q(pk=session.client_id)
        )
        client_field.empty_label = "Choose a client"
        client_field.error_messages["invalid_choice"] = (
            "Choose an active client."
            if self.staff
            else "Choose one of your active clients: this one is not yours or is inactive."
        )
        if self.staff:
            self.fields["clinician"].queryset = Clinician.objects.filter(
                Q(active=True) | Q(pk=session.clinician_id)
            )
            self.fields["clinician"].empty_label = "Choose the clinician"
        else:
            del self.fields["clinician"]
            if session.pk is None:
                session.clinician = roles.clinician_of(user)
        self.fields["location"].queryset = Location.objects.filter(
            Q(active=True) | Q(pk=session.location_id)
        ).select_related("default_pos")
        self.fields["location"].empty_label = "No location (telehealth)"
        self.fields["telehealth"].choices = [
            ("", "In person"),
            (Session.Telehealth.VIDEO, "Video (telehealth)"),
            (Session.Telehealth.AUDIO, "Audio only (telehealth)"),
        ]
        # No min/max attributes: the server's messages (beside each field) say why.
        self.fields["group_size"].widget.attrs.update({"inputmode": "numeric"})
        self.fields["psychotherapy_minutes"].widget.attrs.pop("min", None)
        if not self.staff and not (session.clinician_id and session.clinician.prescriber):
            # docs/rules/coding.md §6: only prescribers bill E/M visits; no dropdown for
            # anyone else (billing staff choose the clinician, so clean() checks theirs).
            del self.fields["em_code"]
            del self.fields["psychotherapy_minutes"]
        self.selected_client = self._selected_client()
        self.fields["diagnoses"].queryset = self._diagnoses_for(self.selected_client)
        if not self.is_bound and self.initial.get("diagnoses"):
            # Repeating a session: drop diagnoses resolved since.
            listed = {d.pk for d in self.fields["diagnoses"].queryset}
            self.initial["diagnoses"] = [pk for pk in self._chosen_diagnosis_ids() if pk in listed]
        # Filled in by clean() when the facts are complete enough to code.
        self.proposal: rules.Proposal | None = None
        self.coverage = None
        self.fees: Mapping[str, Decimal] = {}
        self.pos_code = ""

    # --- which client, which diagnoses ----------------------------------------------

    def _raw(self, name: str):
        if self.is_bound:
            return self.data.get(self.add_prefix(name))
        return self.initial.get(name, self.fields[name].initial if name in self.fields else None)

    def _selected_client(self) -> Client | None:
        raw = self._raw("client")
        if raw is None and not self.is_bound and self.instance.client_id:
            raw = self.instance.client_id
        if isinstance(raw, Client):
            raw = raw.pk
        pk = parse_id(raw)
        if pk is None:
            return None
        return self.fields["client"].queryset.filter(pk=pk).first()

    def _reference_date(self) -> datetime.date:
        raw = self._raw("date") or self.instance.date
        if isinstance(raw, datetime.date):
            return raw
        try:
            return datetime.date.fromisoformat(str(raw))
        except ValueError:
            return timezone.localdate()

    def _chosen_diagnosis_ids(self) -> list[int]:
        if self.is_bound:
            raw = self.data.getlist(self.add_prefix("diagnoses"))
        elif "diagnoses" in self.initial:
            raw = [getattr(d, "pk", d) for d in self.initial["diagnoses"]]
        else:
            raw = []
        return [pk for pk in map(parse_id, raw) if pk is not None]

    def _diagnoses_for(self, client: Client | None):
        """The client's diagnoses still active on the date (plus any this session already
        uses), the chosen ones first in their order so the page lists them as A, B…"""
        if client is None:
            return Diagnosis.objects.none()
        on = self._reference_date()
        linked = (
            list(self.instance.session_diagnoses.values_list("diagnosis_id", flat=True))
            if self.instance.pk
            else []
        )
        diagnoses = (
            Diagnosis.objects.filter(client=client)
            .filter(Q(end_date__isnull=True) | Q(end_date__gte=on) | Q(pk__in=linked))
            .select_related("code")
        )
        chosen = self._chosen_diagnosis_ids()
        if not chosen:
            # (A constant CASE would read as "ORDER BY 0", a column number, on PostgreSQL.)
            return diagnoses.order_by("rank", "pk")
        order = Case(
            *[When(pk=pk, then=Value(i)) for i, pk in enumerate(chosen)],
            default=Value(len(chosen)),
            output_field=IntegerField(),
        )
        return diagnoses.order_by(order, "rank", "pk")

    @property
    def client_changed(self) -> bool:
        """The page listed its diagnoses for another client than the one now chosen (the
        page posts ``rendered_client``; a post without it is taken as it stands)."""
        if not self.is_bound or self.add_prefix("rendered_client") not in self.data:
            return False
        shown = self.data.get(self.add_prefix("rendered_client"), "")
        chosen = self.data.get(self.add_prefix("client"), "")
        return shown != chosen

    @property
    def override(self) -> bool:
        if self.is_bound:
            return self.fields["override_lines"].widget.value_from_datadict(
                self.data, self.files, self.add_prefix("override_lines")
            )
        return bool(self.initial.get("override_lines"))

    @property
    def session_clinician(self) -> Clinician | None:
        if self.staff:
            return self.cleaned_data.get("clinician") if hasattr(self, "cleaned_data") else None
        return self.instance.clinician if self.instance.clinician_id else None

    # --- field rules ------------------------------------------------------------------

    def clean_date(self) -> datetime.date:
        value = self.cleaned_data["date"]
        if value > timezone.localdate():
            raise ValidationError(MESSAGES["future"], code="future")
        return value

    def clean_diagnoses(self) -> list[Diagnosis]:
        value = self.cleaned_data["diagnoses"]
        if len(value) > MAX_DIAGNOSES:
            raise ValidationError(MESSAGES["too_many_diagnoses"], code="too_many")
        return value

    def clean(self) -> dict:
        cleaned = super().clean()
        self._clean_times(cleaned)
        service = cleaned.get("service")
        if service in GROUP_SERVICES:
            if not cleaned.get("group_size") or cleaned["group_size"] < 2:
                self.add_error("group_size", ValidationError(MESSAGES["group_size"], "group"))
        else:
            cleaned["group_size"] = None
        telehealth = cleaned.get("telehealth", "")
        if not telehealth and not cleaned.get("location") and "location" not in self.errors:
            self.add_error("location", ValidationError(MESSAGES["no_location"], "no_location"))
        if self.client_changed and "client" not in self.errors:
            self.errors.pop("diagnoses", None)
            self.add_error(
                "diagnoses", ValidationError(MESSAGES["client_changed"], "client_changed")
            )
        self._clean_em(cleaned)
        self._clean_overlap(cleaned)
        self._propose(cleaned)
        return cleaned

    def _clean_em(self, cleaned: dict) -> None:
        """docs/rules/coding.md §5–6: an E/M visit is a prescriber's, and has two times,
        the visit's and the psychotherapy's (which cannot exceed it). A non-prescriber's
        "intake with medical services" (90792) is refused with the reason."""
        clinician = self.session_clinician
        em_code = cleaned.get("em_code", "")
        prescriber = clinician.prescriber if clinician else True
        who = str(clinician) if clinician else ""
        if em_code and not prescriber:
            problems = coding.credential_problems([em_code], prescriber=False, who=who)
            self.add_error("em_code", ValidationError(problems, "credentials"))
        if cleaned.get("service") == Session.Service.INTAKE_MEDICAL and not prescriber:
            problems = coding.credential_problems(
                [coding.UNTIMED_CODES[Session.Service.INTAKE_MEDICAL]], prescriber=False, who=who
            )
            self.add_error("service", ValidationError(problems, "credentials"))
        therapy, minutes = cleaned.get("psychotherapy_minutes"), cleaned.get("minutes")
        if not em_code:
            cleaned["psychotherapy_minutes"] = None
        elif therapy is None:
            if "psychotherapy_minutes" not in self.errors:
                self.add_error(
                    "psychotherapy_minutes", ValidationError(MESSAGES["em_minutes"], "em_minutes")
                )
        elif minutes and therapy > minutes:
            self.add_error(
                "psychotherapy_minutes",
                ValidationError(
                    f"The psychotherapy minutes cannot exceed the session's {minutes} minutes.",
                    "em_minutes_over",
                ),
            )

    def _clean_times(self, cleaned: dict) -> None:
        """Times win over typed minutes: CPT time counts face-to-face minutes,
        which ``coding.minutes_between`` derives from the start and end."""
        if "start_time" in self.errors or "end_time" in self.errors or "minutes" in self.errors:
            return
        start, end = cleaned.get("start_time"), cleaned.get("end_time")
        minutes = cleaned.get("minutes")
        field = "minutes"
        if start and end:
            field = "end_time"
            if end < start:
                self.add_error(field, ValidationError(MESSAGES["ends_before_start"], "order"))
                return
            minutes = 0 if end == start else coding.minutes_between(start, end)
        elif start and minutes is not None and minutes > 0:
            field = "end_time"
            end_moment = datetime.datetime.combine(datetime.date.min, start) + datetime.timedelta(
                minutes=minutes
            )
            if end_moment.date() != datetime.date.min:
                self.add_error(
                    field, ValidationError("The session must end by midnight.", "midnight")
                )
                return
            cleaned["end_time"] = end_moment.time()
        elif start and minutes is None:
            self.add_error(
                "end_time", ValidationError("Enter the end time, or the minutes.", "missing_time")
            )
            return
        elif end:
            self.add_error(
                "start_time", ValidationError("Enter the start time too.", "missing_time")
            )
            return
        elif minutes is None:
            self.add_error("minutes", ValidationError(MESSAGES["missing_time"], "missing_time"))
            return
        if minutes < 1:
            self.add_error(field, ValidationError(MESSAGES["no_minutes"], "no_minutes"))
        elif minutes > MAX_MINUTES:
            self.add_error(field, ValidationError(MESSAGES["too_long"], "too_long"))
        else:
            cleaned["minutes"] = minutes

    def _clean_overlap(self, cleaned: dict) -> None:
        """One clinician cannot see two clients at once. Group sessions are logged once
        per member at the same time, so they never count as overlapping."""
        clinician, day = self.session_clinician, cleaned.get("date")
        start, end = cleaned.get("start_time"), cleaned.get("end_time")
        if not (clinician and day and start and end) or cleaned.get("service") in GROUP_SERVICES:
            return
        if self.errors.get("end_time") or self.errors.get("start_time"):
            return
        other = (
            Session.objects.filter(
                clinician=clinician, date=day, start_time__lt=end, end_time__gt=start
            )
            .exclude(status__in=services.NOT_SEEN_STATUSES)
            .exclude(service__in=GROUP_SERVICES)
            .exclude(pk=self.instance.pk)
            .select_related("client")
            .order_by("start_time")
            .first()
        )
        if other is not None:
            self.add_error(
                "start_time",
                ValidationError(
                    f"This overlaps another session of {clinician.full_name} on "
                    f"{day:%m/%d/%Y} ({other.start_time:%H:%M}–{other.end_time:%H:%M}, "
                    f"{other.client}).",
                    code="overlap",
                ),
            )

    def _propose(self, cleaned: dict) -> None:
        """Code the session for the client's payer (billing.rules) once the facts are in."""
        client, clinician = cleaned.get("client"), self.session_clinician
        day, service, minutes = cleaned.get("date"), cleaned.get("service"), cleaned.get("minutes")
        if not (client and clinician and day and service) or not minutes:
            return
        blocking = ("start_time", "end_time", "minutes", "em_code", "psychotherapy_minutes")
        if any(name in self.errors for name in (*blocking, "service")):
            return
        location = cleaned.get("location")
        self.coverage = client.coverage_on(day)
        payer = self.coverage.payer if self.coverage else None
        self.fees = rules.fee_schedule(payer, day)
        telehealth = cleaned.get("telehealth", "")
        in_person_pos = location.default_pos.code if location else "11"
        client_at_home = bool(cleaned.get("client_at_home"))
        self.pos_code = rules.place_of_service(
            telehealth=telehealth,
            client_at_home=client_at_home,
            in_person_pos=in_person_pos,
            payer=payer,
        )
        try:
            self.proposal = services.session_proposal(
                service=service,
                minutes=minutes,
                clinician=clinician,
                payer=payer,
                fees=self.fees,
                in_person_pos=in_person_pos,
                telehealth=telehealth,
                client_at_home=client_at_home,
                interactive_complexity=bool(cleaned.get("interactive_complexity")),
                em_code=cleaned.get("em_code", ""),
                psychotherapy_minutes=cleaned.get("psychotherapy_minutes"),
            )
        except ValueError as error:
            self.add_error("interactive_complexity", ValidationError(str(error), "coding"))


MODIFIER_SPLIT = re.compile(r"[\s,;]+")


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

    def clean(self) -> None:
        if any(self.errors):
            return
        codes = [row["code"] for row in self.filled()]
        if not codes:
            raise ValidationError(
                "Enter at least one line, or untick “Change the proposed lines”.", "no_lines"
            )
        problems = coding.check_add_ons(codes)
        if problems:
            raise ValidationError(problems, code="add_on")


LINE_EXTRA = 2
LineFormSet = forms.formset_factory(
    LineForm, formset=BaseLineFormSet, extra=LINE_EXTRA, max_num=12, validate_max=True
)


def _catalogs() -> tuple[dict[str, ProcedureCode], dict[str, bool]]:
    procedures = {p.code: p for p in ProcedureCode.objects.all()}
    modifiers = dict(Modifier.objects.values_list("code", "active"))
    return procedures, modifiers


class SessionEntry:
    """A session form with its line overrides: which lines it will save, what to warn.

    ``is_valid()`` runs every check; afterwards ``lines``, ``warnings``, ``diagnoses`` and
    ``place_of_service`` are what ``services.session_save`` needs.
    """

    def __init__(
        self,
        *,
        user,
        data: QueryDict | None = None,
        instance: Session | None = None,
        initial: dict | None = None,
    ) -> None:
        self.form = SessionForm(data, instance=instance, initial=initial, user=user)
        self.formset: BaseLineFormSet | None = None
        self.lines: list[PlannedLine] = []
        self.warnings: list[str] = []
        self.place_of_service: PlaceOfService | None = None
        self._valid: bool | None = None

    @property
    def session(self) -> Session:
        return self.form.instance

    @property
    def diagnoses(self) -> list[Diagnosis]:
        return list(self.form.cleaned_data.get("diagnoses", []))

    def is_valid(self) -> bool:
        if self._valid is None:
            self._valid = self._validate()
        return self._valid

    def _validate(self) -> bool:
        form = self.form
        form_ok = form.is_valid()
        diagnoses = form.cleaned_data.get("diagnoses") or []
        procedures, modifiers = _catalogs()
        # Bound rows get no initial: a row equal to its initial value would count as
        # "unchanged" and be skipped as empty.
        bound = form.override
        self.formset = LineFormSet(
            form.data if bound else None,
            prefix="lines",
            initial=None if bound else self._proposal_rows(len(diagnoses)),
            form_kwargs={
                "catalog": procedures,
                "modifier_catalog": modifiers,
                "diagnosis_count": len(diagnoses),
            },
        )
        if form.proposal is None:
            return False
        if form.override:
            if not self.formset.is_valid():
                return False
            self.lines = [
                self._planned(
                    procedures[row["code"]], row["modifiers"], row["units"], row["pointers"]
                )
                for row in self.formset.filled()
            ]
            refusal = rules.audio_only_refusal(
                telehealth=form.cleaned_data.get("telehealth", ""),
                payer=form.coverage.payer if form.coverage else None,
            )
            self.warnings.extend([refusal] if refusal else [])
        else:
            if not self._lines_from_proposal(procedures, len(diagnoses)):
                return False
            self.warnings.extend(form.proposal.warnings)
        if not self._check_codes():
            return False
        if self.lines and not diagnoses and "diagnoses" not in form.errors:
            form.add_error("diagnoses", ValidationError(MESSAGES["no_diagnosis"], "no_diagnosis"))
        self.place_of_service = PlaceOfService.objects.filter(code=form.pos_code).first()
        if self.place_of_service is None:
            form.add_error(None, f"Place of service {form.pos_code} is not in the catalog.")
        if not form.errors:
            self.warnings.extend(
                services.session_warnings(
                    session=form.instance,
                    coverage=form.coverage,
                    codes=[line.code for line in self.lines],
                )
            )
        return form_ok and not form.errors

    def _lines_from_proposal(self, procedures: Mapping[str, ProcedureCode], count: int) -> bool:
        form = self.form
        unusable = [
            f"{line.code} is not in the code catalog; ask the owner to add it."
            if line.code not in procedures
            else f"{line.code} is inactive in the code catalog."
            for line in form.proposal.lines
            if line.code not in procedures or not procedures[line.code].active
        ]
        for message in unusable:
            form.add_error(None, message)
        if unusable:
            return False
        pointers = services.pointer_letters(count) or "A"
        self.lines = [
            self._planned(procedures[line.code], line.modifiers, line.units, pointers)
            for line in form.proposal.lines
        ]
        problems = coding.check_add_ons([line.code for line in self.lines])
        for problem in problems:
            form.add_error(None, problem)
        return not problems

    def _check_codes(self) -> bool:
        """The coding rules over the lines to be saved (``services.session_code_problems``):
        a broken rule is an error beside the line's code when the lines were set by hand,
        beside the service otherwise. Nothing that breaks one is saved (docs/rules/coding.md
        §10)."""
        form = self.form
        problems = services.session_code_problems(
            session=form.instance, lines=[(line.code, line.units) for line in self.lines]
        )
        rows = [row for row in self.formset.forms if getattr(row, "cleaned_data", {}).get("code")]
        for index, message in problems:
            if form.override and index is not None:
                rows[index].add_error("code", ValidationError(message, "coding"))
            elif form.override:
                self.formset._non_form_errors.append(message)
            else:
                form.add_error("service", ValidationError(message, "coding"))
        return not problems

    def _planned(self, procedure, modifiers, units, pointers) -> PlannedLine:
        return PlannedLine(
            procedure=procedure,
            modifiers=tuple(modifiers),
            units=units,
            pointers=pointers,
            charge=services.line_charge(fees=self.form.fees, code=procedure.code, units=units),
            place_of_service=self.form.pos_code,
        )

    def _proposal_rows(self, diagnosis_count: int) -> list[dict]:
        """The override rows start as the proposed lines."""
        proposal = self.form.proposal
        if proposal is None:
            return []
        pointers = services.pointer_letters(diagnosis_count) or "A"
        return [
            {
                "code": line.code,
                "modifiers": " ".join(line.modifiers),
                "units": line.units,
                "pointers": pointers,
            }
            for line in proposal.lines
        ]

    @property
    def total(self) -> Decimal:
        return sum((line.charge for line in self.lines), services.ZERO)

    @property
    def payer_label(self) -> str:
        coverage = self.form.coverage
        if coverage is not None:
            return coverage.payer.name
        client = getattr(self.form, "cleaned_data", {}).get("client")
        return (
            "Self-pay" if client is not None and client.self_pay else "No coverage (self-pay rules)"
        )

    @property
    def problems(self) -> list[str]:
        """Errors worth showing in the live preview (not "fill this in yet")."""
        messages: list[str] = []
        for errors in self.form.errors.as_data().values():
            messages.extend(m for e in errors if e.code not in QUIET_CODES for m in e.messages)
        if self.formset is not None and self.form.override and self.formset.is_bound:
            for form_errors in self.formset.errors:
                for errors in form_errors.values():
                    messages.extend(errors)
            messages.extend(self.formset.non_form_errors())
        return list(dict.fromkeys(messages))

    @property
    def missing(self) -> list[str]:
        """What the preview still needs before it can propose lines."""
        cleaned = getattr(self.form, "cleaned_data", {})
        wanted = [("client", "the client"), ("date", "the date")]
        if self.form.staff:
            wanted.insert(1, ("clinician", "the clinician"))
        loud = {
            name
            for name, errors in self.form.errors.as_data().items()
            if any(error.code not in QUIET_CODES for error in errors)
        }
        names = [label for name, label in wanted if not cleaned.get(name) and name not in loud]
        if not cleaned.get("minutes") and not {"start_time", "end_time", "minutes"} & loud:
            names.append("the start and end times (or minutes)")
        return names


def session_data(form: SessionForm) -> QueryDict:
    """What an unbound form would submit as it stands: lets a page opened with initial
    values (editing, repeating) show its proposed lines straight away."""
    data = QueryDict(mutable=True)
    for name, field in form.fields.items():
        value = form[name].value()
        if isinstance(value, list | tuple):
            data.setlist(form.add_prefix(name), [str(v) for v in value])
        elif isinstance(value, bool):
            if value:
                data[form.add_prefix(name)] = "on"
        elif isinstance(field.widget, DateTimeBaseInput):
            formatted = field.widget.format_value(value) if value else ""
            data[form.add_prefix(name)] = formatted or ""
        elif value is not None:
            data[form.add_prefix(name)] = str(value)
    client = form.selected_client
    data[form.add_prefix("rendered_client")] = str(client.pk) if client else ""
    return data


def initial_for_create(*, user, client: Client | None = None) -> dict:
    """A new session: today, individual, and the practice's only location if it has one."""
    initial: dict = {
        "date": timezone.localdate(),
        "service": Session.Service.INDIVIDUAL,
        "client_at_home": True,
    }
    locations = list(Location.objects.filter(active=True)[:2])
    if len(locations) == 1:
        initial["location"] = locations[0].pk
    if roles.sees_all_clients(user):
        own = roles.clinician_of(user)
        if own is not None:
            initial["clinician"] = own.pk
    if client is not None:
        initial["client"] = client.pk
        principal = client.diagnoses.filter(end_date__isnull=True).order_by("rank", "pk").first()
        if principal is not None:
            initial["diagnoses"] = [principal.pk]
    return initial


def last_session(*, user, client: Client) -> Session | None:
    """The client's latest attended session that the user may see."""
    return (
        Session.objects.for_user(user)
        .filter(client=client, status__in=Session.ATTENDED_STATUSES)
        .order_by("-date", "-start_time", "-pk")
        .first()
    )


def initial_from_session(session: Session, *, with_lines: bool = False) -> dict:
    """Form values that repeat a session: service, length, where, and its diagnoses."""
    lines = list(session.lines.select_related("procedure"))
    em_codes = [line.procedure.code for line in lines if line.procedure.code in coding.EM_CODES]
    initial = {
        "client": session.client_id,
        "clinician": session.clinician_id,
        "service": session.service,
        "start_time": session.start_time,
        "end_time": session.end_time,
        "minutes": session.minutes,
        "location": session.location_id,
        "telehealth": session.telehealth,
        "client_at_home": session.client_at_home,
        "interactive_complexity": session.interactive_complexity,
        "group_size": session.group_size,
        "em_code": em_codes[0] if em_codes else "",
        "psychotherapy_minutes": session.psychotherapy_minutes,
        "diagnoses": list(
            session.session_diagnoses.order_by("position").values_list("diagnosis_id", flat=True)
        ),
    }
    if with_lines and lines:
        initial["lines"] = [
            {
                "code": line.procedure.code,
                "modifiers": " ".join(line.modifiers),
                "units": line.units,
                "pointers": line.diagnosis_pointers,
            }
            for line in lines
        ]
    return initial


def _line_rows(lines: Sequence[PlannedLine]) -> list[dict]:
    return [
        {
            "code": line.code,
            "modifiers": " ".join(line.modifiers),
            "units": line.units,
            "pointers": line.pointers,
        }
        for line in lines
    ]


def _line_data(rows: Sequence[dict]) -> dict[str, str]:
    data = {
        "lines-TOTAL_FORMS": str(len(rows) + LINE_EXTRA),
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "12",
    }
    for i, row in enumerate(rows):
        data.update({f"lines-{i}-{name}": str(value) for name, value in row.items()})
    return data


def preview_of(entry: SessionEntry) -> SessionEntry:
    """The entry as its page would submit it now, validated: a page opened with values
    (editing, repeating) shows its proposed lines and warnings before any change, while
    the page itself shows the unbound form (no error messages before the first save)."""
    data = session_data(entry.form)
    rows = entry.form.initial.get("lines")
    if entry.form.override and rows:
        data.update(_line_data(rows))
    preview = SessionEntry(user=entry.form.user, data=data, instance=entry.form.instance)
    preview.is_valid()
    return preview


def entries_for_edit(*, user, session: Session) -> tuple[SessionEntry, SessionEntry]:
    """(entry, preview) for editing a saved session. Lines that differ from what the
    rules propose today were set by hand: the page opens with the override on."""
    initial = initial_from_session(session, with_lines=True)
    saved = initial.pop("lines", [])
    entry = SessionEntry(user=user, instance=session, initial=initial)
    preview = preview_of(entry)
    if saved and saved != _line_rows(preview.lines):
        initial.update(override_lines=True, lines=saved)
        entry = SessionEntry(user=user, instance=session, initial=initial)
        preview = preview_of(entry)
    return entry, preview


class SessionFilterForm(forms.Form):
    """The session list's filters (GET). Invalid values are ignored, never widen access."""

    client = forms.ModelChoiceField(
        queryset=Client.objects.none(), required=False, empty_label="All clients"
    )
    name = forms.CharField(label="Client name", required=False, max_length=100)
    clinician = forms.ModelChoiceField(
        queryset=Clinician.objects.all(), required=False, empty_label="All clinicians"
    )
    status = forms.ChoiceField(
        choices=[("", "Any status"), *Session.Status.choices], required=False
    )
    date_from = forms.DateField(label="From", required=False, widget=DateInput())
    date_to = forms.DateField(label="To", required=False, widget=DateInput())

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = Client.objects.for_user(user)
        if roles.sees_all_clients(user):
            # A practice's thousands of clients make no dropdown: billing staff search by
            # name, and links (from a client's page) still pass the client's id.
            self.fields["client"].widget = forms.HiddenInput()
        else:
            del self.fields["clinician"]
            del self.fields["name"]

    def filter(self, sessions):
        if not self.is_bound:
            return sessions
        self.is_valid()
        wanted = self.cleaned_data
        if wanted.get("client"):
            sessions = sessions.filter(client=wanted["client"])
        for word in (wanted.get("name") or "").split():
            sessions = sessions.filter(
                Q(client__first_name__icontains=word) | Q(client__last_name__icontains=word)
            )
        if wanted.get("clinician"):
            sessions = sessions.filter(clinician=wanted["clinician"])
        if wanted.get("status"):
            sessions = sessions.filter(status=wanted["status"])
        if wanted.get("date_from"):
            sessions = sessions.filter(date__gte=wanted["date_from"])
        if wanted.get("date_to"):
            sessions = sessions.filter(date__lte=wanted["date_to"])
        return sessions
