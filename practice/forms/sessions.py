"""Session forms: the facts of one session as a person typed them, and the list's filters.

``SessionForm`` reads the encounter and refuses what cannot be read (times, dates, whose
client, a missing location or group size); ``facts()`` hands what it read to
``practice.session_plan``, which decides what the session bills and whether a
rule stops it. The line override is ``practice/forms/session_lines.py``; the page that
puts the two together is ``practice/forms/session_entry.py``. Initial values for a new,
repeated or attended session are here too.
"""

from __future__ import annotations

import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Case, IntegerField, Q, Value, When
from django.utils import timezone
from django.utils.safestring import SafeString

from billing import coding
from practice import roles, services, session_plan
from practice.forms.widgets import DateInput, TimeInput
from practice.listing import clinician_choices
from practice.models import Client, Clinician, Diagnosis, Location, Session
from practice.params import parse_id
from practice.services import (
    GROUP_SERVICES,
    MAX_DIAGNOSES,
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
    "no_diagnosis": services.NO_DIAGNOSIS_MESSAGE,
    "too_many_diagnoses": f"A session carries at most {MAX_DIAGNOSES} diagnoses (A–L).",
    "client_changed": "The client changed: choose this client's diagnoses.",
    "no_location": "Choose where the session took place: it sets the place of service.",
    "group_size": "Enter how many people took part in the group (at least 2).",
    "em_minutes": services.EM_MINUTES_MESSAGE,
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
        help_text="Only without start and end times: with both, the minutes are theirs.",
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

    def get_initial_for_field(self, field, field_name):
        """A page opened with a start and an end shows no minutes: they are the times'
        (the browser disables Minutes too), so a changed end time is never contradicted
        by the minutes the page was opened with."""
        if (
            field_name == "minutes"
            and self.initial.get("start_time")
            and self.initial.get("end_time")
        ):
            return None
        return super().get_initial_for_field(field, field_name)

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
        return cleaned

    def _clean_em(self, cleaned: dict) -> None:
        """docs/rules/coding.md §5: an E/M visit has two times, the visit's and the
        psychotherapy's, which cannot exceed it. (Who may bill it is
        ``session_plan.session_plan``'s to say.)"""
        em_code = cleaned.get("em_code", "")
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
        """With a start and an end, the minutes are theirs: CPT time counts face-to-face
        minutes, which ``coding.minutes_between`` derives from them. Minutes typed as
        well must agree (the page disables Minutes once both times are in); minutes that
        disagree are refused beside Minutes, never silently replaced."""
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
            typed = minutes
            minutes = 0 if end == start else coding.minutes_between(start, end)
            if typed is not None and minutes >= 1 and typed != minutes:
                self.add_error(
                    "minutes",
                    ValidationError(
                        f"The start and end times make {minutes} minutes, not {typed}: "
                        "clear Minutes or correct the times.",
                        "minutes_disagree",
                    ),
                )
                return
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

    def facts(self) -> session_plan.SessionFacts:
        """What the form read, for ``session_plan.session_plan`` (call after ``is_valid``)."""
        cleaned = self.cleaned_data
        return session_plan.SessionFacts(
            client=cleaned.get("client"),
            clinician=self.session_clinician,
            date=cleaned.get("date"),
            service=cleaned.get("service"),
            minutes=cleaned.get("minutes"),
            start_time=cleaned.get("start_time"),
            end_time=cleaned.get("end_time"),
            telehealth=cleaned.get("telehealth", ""),
            client_at_home=bool(cleaned.get("client_at_home")),
            location=cleaned.get("location"),
            interactive_complexity=bool(cleaned.get("interactive_complexity")),
            em_code=cleaned.get("em_code", ""),
            psychotherapy_minutes=cleaned.get("psychotherapy_minutes"),
            diagnoses=tuple(cleaned.get("diagnoses") or ()),
            unreadable=frozenset(self.errors),
        )


def default_location_id(clinician: Clinician | None) -> int | None:
    """Where a new session or appointment starts (in person): the clinician's default
    office while it is active, else the practice's only active location (one query, two
    when the default office was retired)."""
    locations = Location.objects.filter(active=True)
    if clinician is not None and clinician.default_location_id:
        office = locations.filter(pk=clinician.default_location_id).values_list("pk", flat=True)
        found = office.first()
        if found is not None:
            return found
    only = list(locations.values_list("pk", flat=True)[:2])
    return only[0] if len(only) == 1 else None


def initial_for_create(*, user, client: Client | None = None) -> dict:
    """A new session: today, individual, in person at the clinician's default office (or
    the practice's only location), and every diagnosis of the client still active, in
    claim order (at most the twelve a claim carries)."""
    own = roles.clinician_of(user)
    initial: dict = {
        "date": timezone.localdate(),
        "service": Session.Service.INDIVIDUAL,
        "client_at_home": True,
    }
    location = default_location_id(own)
    if location is not None:
        initial["location"] = location
    if roles.sees_all_clients(user) and own is not None:
        initial["clinician"] = own.pk
    if client is not None:
        initial["client"] = client.pk
        active = client.diagnoses.filter(end_date__isnull=True).order_by("rank", "pk")
        diagnoses = list(active.values_list("pk", flat=True)[:MAX_DIAGNOSES])
        if diagnoses:
            initial["diagnoses"] = diagnoses
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


class SessionFilterForm(forms.Form):
    """The session list's filters (GET). Invalid values are ignored, never widen access.

    Everyone finds a client by name (a practice's or a clinician's clients make a long
    dropdown, and one query a page); a client's page still links here with the client's
    id (``client``, hidden). Billing staff also filter by clinician, from choices cached
    for a few minutes (``practice.listing.clinician_choices``). The page renders the
    fields itself (no crispy layout): no query and no template include per field.
    """

    client = forms.ModelChoiceField(
        queryset=Client.objects.none(), required=False, widget=forms.HiddenInput()
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
        if not roles.sees_all_clients(user):
            del self.fields["clinician"]

    def clinician_options(self) -> SafeString:
        """The clinician select's ``<option>`` elements after "All clinicians", the
        chosen one selected (written once per process: ``practice.listing.Offered``)."""
        if "clinician" not in self.fields:
            return SafeString("")
        value = self["clinician"].value()
        return clinician_choices().options({"" if value is None else str(value)})

    def chosen_client(self) -> Client | None:
        """The client the list is narrowed to (a link from the client's page), if valid."""
        return self.cleaned_data.get("client") if self.is_bound and self.is_valid() else None

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
