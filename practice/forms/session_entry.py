"""The session page: the session form and its line override read together, what
``practice.session_plan`` decides for them, and where each answer shows.

``SessionEntry`` parses (``SessionForm``, ``LineFormSet``), asks the service once and
puts each problem beside its field; it decides nothing. Saving is
``practice.services.session_log``.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.forms.widgets import DateTimeBaseInput
from django.http import QueryDict

from billing.models import PlaceOfService
from practice import services, session_plan
from practice.forms.session_lines import LINE_EXTRA, BaseLineFormSet, LineFormSet, catalogs
from practice.forms.sessions import QUIET_CODES, SessionForm, initial_from_session
from practice.models import Diagnosis, Session
from practice.services import PlannedLine


class SessionEntry:
    """A session form with its line overrides: which lines it will save, what to warn.

    ``is_valid()`` reads both and asks ``session_plan.session_plan``; afterwards ``plan``
    (its ``lines``, ``warnings``, ``diagnoses`` and ``place_of_service``) is what
    ``services.session_log`` saves.
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
        self.plan: session_plan.SessionPlan | None = None
        self._valid: bool | None = None

    @property
    def session(self) -> Session:
        return self.form.instance

    @property
    def diagnoses(self) -> list[Diagnosis]:
        return list(self.form.cleaned_data.get("diagnoses", []))

    @property
    def lines(self) -> list[PlannedLine]:
        return self.plan.lines if self.plan else []

    @property
    def warnings(self) -> list[str]:
        return self.plan.warnings if self.plan else []

    @property
    def notes(self) -> list[str]:
        """Why the proposed lines are what they are, where that is not obvious."""
        proposal = self.plan.proposal if self.plan else None
        return list(proposal.notes) if proposal and not self.form.override else []

    @property
    def place_of_service(self) -> PlaceOfService | None:
        return self.plan.place_of_service if self.plan else None

    def is_valid(self) -> bool:
        if self._valid is None:
            self._valid = self._validate()
        return self._valid

    def _validate(self) -> bool:
        form = self.form
        form_ok = form.is_valid()
        diagnosis_count = len(form.cleaned_data.get("diagnoses") or [])
        procedures, modifiers = catalogs()
        form_kwargs = {
            "catalog": procedures,
            "modifier_catalog": modifiers,
            "diagnosis_count": diagnosis_count,
        }
        override = form.override
        chosen = None
        if override:
            # Bound rows get no initial: a row equal to its initial value would count as
            # "unchanged" and be skipped as empty.
            self.formset = LineFormSet(form.data, prefix="lines", form_kwargs=form_kwargs)
            chosen = self.formset.choices()
        self.plan = session_plan.session_plan(
            session=form.instance,
            facts=form.facts(),
            chosen_lines=chosen,
            override=override,
            procedures=procedures,
        )
        if not override:
            self.formset = LineFormSet(
                None,
                prefix="lines",
                initial=self._proposal_rows(diagnosis_count),
                form_kwargs=form_kwargs,
            )
        self._show(self.plan.problems)
        return form_ok and not form.errors and self.plan.ok

    def _show(self, problems: Sequence[session_plan.Problem]) -> None:
        """Each problem beside what it is about: a session field, a line's code, the lines
        set by hand as a whole, or the page."""
        form = self.form
        rows = [row for row in self.formset.forms if getattr(row, "cleaned_data", {}).get("code")]
        for problem in problems:
            error = ValidationError(problem.message, problem.code)
            if problem.line is not None:
                rows[problem.line].add_error("code", error)
            elif problem.on_lines:
                self.formset._non_form_errors.append(problem.message)
            else:
                form.add_error(problem.field, error)

    def _proposal_rows(self, diagnosis_count: int) -> list[dict]:
        """The override rows start as the proposed lines."""
        proposal = self.plan.proposal if self.plan else None
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
        return self.plan.total if self.plan else services.ZERO

    @property
    def payer_label(self) -> str:
        coverage = self.plan.coverage if self.plan else None
        if coverage is not None:
            return coverage.payer.name
        client = getattr(self.form, "cleaned_data", {}).get("client")
        return (
            "Self-pay" if client is not None and client.self_pay else "No coverage (self-pay rules)"
        )

    @property
    def problems(self) -> list[str]:
        """Errors worth showing in the live preview (not "fill this in yet"). Where the
        session took place is asked only once the client and its length are in: a page
        just opened does not start with a complaint."""
        quiet = QUIET_CODES | {"no_location"} if self.missing else QUIET_CODES
        messages: list[str] = []
        for errors in self.form.errors.as_data().values():
            messages.extend(m for e in errors if e.code not in quiet for m in e.messages)
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
