"""Appointment forms: plan one or a series, change one or all future, pick whose day.

Forms parse and show errors; ``practice/appointments.py`` decides (overlaps, series).
``session_initial`` fills the session form for an attended appointment.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import Q

from practice import roles
from practice.forms.sessions import initial_for_create, initial_from_session, last_session
from practice.forms.widgets import DateInput, TimeInput
from practice.models import Appointment, AppointmentSeries, Client, Clinician, Location

REPEAT_CHOICES = [
    ("", "Once"),
    (str(AppointmentSeries.Every.WEEK), "Every week"),
    (str(AppointmentSeries.Every.TWO_WEEKS), "Every two weeks"),
]
SCOPE_ONE, SCOPE_FUTURE = "one", "future"


class AppointmentForm(forms.ModelForm):
    """Plan an appointment (``instance`` unsaved) or change a planned one."""

    repeat = forms.ChoiceField(label="Repeats", choices=REPEAT_CHOICES, required=False)
    repeat_until = forms.DateField(label="Until", required=False, widget=DateInput())
    repeat_count = forms.IntegerField(
        label="Or this many times",
        required=False,
        min_value=1,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    scope = forms.ChoiceField(
        label="Change",
        choices=[
            (SCOPE_ONE, "This appointment only"),
            (SCOPE_FUTURE, "This and all later ones in the series"),
        ],
        initial=SCOPE_ONE,
        widget=forms.RadioSelect,
    )

    class Meta:
        model = Appointment
        fields = [
            "client",
            "clinician",
            "date",
            "start_time",
            "minutes",
            "service",
            "telehealth",
            "location",
        ]
        labels = {
            "start_time": "Start",
            "minutes": "Minutes",
            "service": "Service",
            "telehealth": "How",
        }
        widgets = {
            "date": DateInput(),
            "start_time": TimeInput(),
            "telehealth": forms.RadioSelect,
            "minutes": forms.NumberInput(attrs={"inputmode": "numeric"}),
        }

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.staff = roles.sees_all_clients(user)
        editing = self.instance.pk is not None
        appointment = self.instance
        client_field = self.fields["client"]
        client_field.queryset = Client.objects.for_user(user).filter(
            Q(active=True) | Q(pk=appointment.client_id)
        )
        client_field.empty_label = "Choose a client"
        client_field.error_messages["invalid_choice"] = "Choose one of the active clients listed."
        if self.staff and not editing:
            self.fields["clinician"].queryset = Clinician.objects.active()
            self.fields["clinician"].empty_label = "Choose the clinician"
        else:
            del self.fields["clinician"]
        if editing:
            # Who the appointment is with stays; plan a new one for someone else.
            del self.fields["client"]
            for name in ("repeat", "repeat_until", "repeat_count"):
                del self.fields[name]
            if appointment.series_id is None:
                del self.fields["scope"]
        else:
            del self.fields["scope"]
        self.fields["location"].queryset = Location.objects.filter(
            Q(active=True) | Q(pk=appointment.location_id)
        )
        self.fields["location"].required = False
        self.fields["location"].empty_label = "No location (telehealth)"
        self.fields["telehealth"].choices = [
            ("", "In person"),
            ("video", "Video (telehealth)"),
            ("audio", "Audio only (telehealth)"),
        ]
        self.fields["minutes"].widget.attrs.pop("min", None)

    def clean_minutes(self) -> int:
        minutes = self.cleaned_data["minutes"]
        if minutes is None or not 1 <= minutes <= 480:
            raise ValidationError("An appointment lasts from 1 to 480 minutes.")
        return minutes

    def clean(self) -> dict:
        cleaned = super().clean()
        in_person = not cleaned.get("telehealth")
        if in_person and not cleaned.get("location") and "location" not in self.errors:
            self.add_error("location", "Choose the location, or telehealth.")
        ends = cleaned.get("repeat_until") or cleaned.get("repeat_count")
        if cleaned.get("repeat") and not ends:
            self.add_error("repeat_until", "Say when the series ends: a date or how many times.")
        return cleaned

    def _post_clean(self) -> None:
        # The service runs the model's checks (and the overlap rule) when it saves.
        pass

    @property
    def future(self) -> bool:
        return self.cleaned_data.get("scope") == SCOPE_FUTURE

    def show(self, error: ValidationError) -> None:
        """A service's refusal, next to the field it names (else above the form)."""
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for name, errors in error.error_dict.items():
            field = name if name in self.fields else None
            if name == NON_FIELD_ERRORS:
                field = None
            for item in errors:
                self.add_error(field, item)


class ClinicianPickForm(forms.Form):
    """Billing staff choose whose day they look at."""

    clinician = forms.ModelChoiceField(
        queryset=Clinician.objects.active(), empty_label="Choose a clinician", required=False
    )


def session_initial(*, appointment: Appointment, user) -> dict:
    """The session form for an attended appointment: the client's last session (its
    diagnoses, E/M code, at-home flag…) overlaid with what was planned — date, times,
    length, kind and place."""
    client = appointment.client
    initial = initial_for_create(user=user, client=client)
    last = last_session(user=user, client=client)
    if last is not None:
        initial.update(initial_from_session(last))
    initial.update(
        client=client.pk,
        clinician=appointment.clinician_id,
        date=appointment.date,
        start_time=appointment.start_time,
        end_time=appointment.end_time,
        minutes=appointment.minutes,
        service=appointment.service,
        location=appointment.location_id,
        telehealth=appointment.telehealth,
    )
    if not roles.sees_all_clients(user):
        initial.pop("clinician", None)
    return initial
