"""No lost updates: a form carries the version of the row it was read at, and a save
over a newer row is refused with what changed, who changed it and when.

The version column is django-concurrency's ``AutoIncVersionField``: every ``save()``
bumps it with ``UPDATE … SET version = version + 1 WHERE pk = … AND version = <read>``,
so even a write that skipped our checks cannot overwrite a newer row. The services
(``practice/services.py``, ``billing/services.py``) call ``ensure_current`` inside their
transaction, under the row lock, before writing anything: it refuses a stale edit with
the differences, read from django-simple-history's records of the row.

See docs/concurrent-edits.md.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from concurrency.exceptions import RecordModifiedError
from django import forms
from django.db import models

from practice.formats import us_date, us_datetime

# Columns that change on every save or never change: not worth showing.
HIDDEN_FIELDS = frozenset({"id", "version", "created_at", "updated_at", "created_by"})
MAX_VERSION = 2**63 - 1
BLANK = "(blank)"


@dataclass(frozen=True)
class Change:
    """One field someone else changed since the form was read."""

    field: str
    name: str  # the model field's name
    was: str  # when the form was read
    theirs: str  # now
    yours: str  # in the refused form
    who: str
    when: datetime.datetime | None


@dataclass(frozen=True)
class Conflict:
    """A row that moved on since the form was read: its version now and what changed."""

    obj: models.Model
    version: int
    changes: list[Change] = field(default_factory=list)

    @property
    def label(self) -> str:
        name, text = str(self.obj._meta.verbose_name), str(self.obj)
        return text if text.lower().startswith(name.lower()) else f"{name.capitalize()} {text}"

    @property
    def summary(self) -> str:
        """The changes in one sentence, for a message."""
        if not self.changes:
            return f"{self.label} was changed by someone else."
        parts = [
            f"{c.field} is now {c.theirs}"
            + (f", was {c.was}" if c.was else "")
            + (f" ({_by(c)})" if c.who or c.when else "")
            for c in self.changes
        ]
        return f"{self.label} was changed since you opened it: {'; '.join(parts)}."


class StaleEdit(Exception):
    """A form was read at an older version of a row someone has saved since; nothing
    was written. ``conflicts`` say which rows, what changed, who and when."""

    def __init__(self, conflicts: list[Conflict]) -> None:
        self.conflicts = conflicts
        super().__init__(" ".join(c.summary for c in conflicts))

    def conflict_of(self, obj: models.Model) -> Conflict | None:
        for conflict in self.conflicts:
            if type(conflict.obj) is type(obj) and conflict.obj.pk == obj.pk:
                return conflict
        return None

    def version_of(self, obj: models.Model) -> int | None:
        """The row's version now, for the form to carry when it is shown again."""
        conflict = self.conflict_of(obj)
        return conflict.version if conflict is not None else None

    def show_on(self, form: forms.BaseForm) -> bool:
        """Prepare a refused form to be shown again: it keeps the user's input, carries
        the row's version now (saving again, after reading the changes, is deliberate),
        and the changes take the form's labels ("Billing note", not "Note"). False when
        the form's row is not among the stale ones."""
        conflict = self.conflict_of(form.instance) if form.instance.pk else None
        if conflict is None:
            return False
        form.data = form.data.copy()
        form.data[form.add_prefix("version")] = str(conflict.version)
        conflict.changes[:] = [
            dataclasses.replace(change, field=str(form.fields[change.name].label))
            if change.name in form.fields and form.fields[change.name].label
            else change
            for change in conflict.changes
        ]
        return True


def _by(change: Change) -> str:
    when = us_datetime(change.when) if change.when else ""
    return " ".join(part for part in (f"by {change.who}" if change.who else "", when) if part)


class VersionField(forms.IntegerField):
    """The hidden field a form carries its row's version in. Left out (an old page, a
    script), the row's version when the request read it is used instead."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", MAX_VERSION)
        kwargs.setdefault(
            "error_messages",
            {
                "invalid": "This page is damaged; reload it and enter your changes again.",
                "min_value": "This page is damaged; reload it and enter your changes again.",
                "max_value": "This page is damaged; reload it and enter your changes again.",
            },
        )
        super().__init__(**kwargs)


class VersionedModelForm(forms.ModelForm):
    """A model form whose ``version`` field (listed in ``Meta.fields``) sets the version
    the instance was read at. A blank version keeps the one loaded with the instance."""

    version = VersionField()

    def clean_version(self) -> int:
        value = self.cleaned_data.get("version")
        return self.instance.version if value is None else value

    def clean(self) -> dict:
        cleaned = super().clean()
        # The field is hidden: its error shows with the form's own errors.
        for message in self._errors.pop("version", []) if self._errors else []:
            self.add_error(None, message)
        return cleaned


class VersionedAdminForm(VersionedModelForm):
    """An admin change form (or inline row) that carries its row's version, like the
    app's forms. The admin validates inside its transaction, so the check here holds the
    row lock through the save. The change page's own row is always saved by the admin,
    so it is always checked; an inline row only when this page changed it."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        compare_with_read(self)

    def _post_clean(self) -> None:
        super()._post_clean()
        inline = self.prefix is not None
        if self.instance.pk is None or self.errors or (inline and not self.has_changed()):
            return
        try:
            ensure_current(self.instance)
        except StaleEdit as stale:
            stale.show_on(self)
            self.add_error(
                None,
                f"{stale} Nothing was saved; save again to apply your values over theirs, "
                "or reload the page to start from theirs.",
            )


def compare_with_read(form: forms.ModelForm) -> None:
    """Make a bound form's ``has_changed`` compare what was posted with the row as the
    page showed it (the history record of the version the page carried), not with the
    row now. A row someone else changed since, that this user did not touch, then counts
    as unchanged: it is left alone instead of written back as it was read, and its
    change does not stand in the way of this user's save. A form may refine the values
    taken from the record with ``initial_from_record(record)``."""
    if not form.is_bound or form.instance.pk is None:
        return
    field = form.fields.get("version")
    try:
        posted = field.clean(form.data.get(form.add_prefix("version"))) if field else None
    except forms.ValidationError:
        return
    if posted is None or posted == form.instance.version:
        return
    model = type(form.instance)
    history = getattr(model, "history", None)
    record = (
        history.filter(**{model._meta.pk.attname: form.instance.pk}, version=posted).first()
        if history is not None
        else None
    )
    if record is None:
        return
    for f in model._meta.concrete_fields:
        if f.name in form.fields:
            form.initial[f.name] = getattr(record, f.attname)
    if hasattr(form, "initial_from_record"):
        form.initial_from_record(record)


def read_version(data, *, name: str = "version") -> int | None:
    """The version a plain (non-model) form posted, or None when absent or malformed
    (then the service checks against the row as this request read it)."""
    form = forms.Form(data)
    form.fields[name] = VersionField()
    return form.cleaned_data.get(name) if form.is_valid() else None


def ensure_current(
    obj: models.Model, *, locked_version: int | None = None, read_version: int | None = None
) -> None:
    """Refuse (StaleEdit) when ``obj``'s row moved past ``read_version`` (by default
    ``obj.version``: a model form sets it from the page).

    Call it inside the service's transaction. Without ``locked_version`` it locks the
    row (``SELECT … FOR UPDATE``) and reads its version, so two saves of one row queue
    and the second sees the first's version; the version column's conditional UPDATE
    backs this up where the database has no row locks (SQLite).
    """
    if obj.pk is None:
        return
    if locked_version is None:
        locked_version = (
            type(obj)
            ._default_manager.select_for_update()
            .filter(pk=obj.pk)
            .values_list("version", flat=True)
            .first()
        )
    if locked_version is None:
        raise StaleEdit([Conflict(obj=obj, version=0)])  # deleted since
    read = obj.version if read_version is None else read_version
    if locked_version != read:
        raise StaleEdit([conflict(obj, current_version=locked_version, read_version=read)])


def ensure_all_current(objects: Iterable[models.Model]) -> None:
    """``ensure_current`` for several rows; one StaleEdit naming every stale one."""
    conflicts: list[Conflict] = []
    for obj in objects:
        try:
            ensure_current(obj)
        except StaleEdit as stale:
            conflicts.extend(stale.conflicts)
    if conflicts:
        raise StaleEdit(conflicts)


@contextlib.contextmanager
def refuse_stale() -> Iterator[None]:
    """Turn the version column's refusal of a save (a race the checks did not see, on a
    database without row locks) into the same StaleEdit, with the same details. Put it
    outside the transaction, so the details are read after the rollback."""
    try:
        yield
    except RecordModifiedError as error:
        obj = error.target
        current = (
            type(obj)._default_manager.filter(pk=obj.pk).values_list("version", flat=True).first()
        )
        raise StaleEdit([conflict(obj, current_version=current or 0)]) from error


def conflict(
    obj: models.Model, *, current_version: int, read_version: int | None = None
) -> Conflict:
    """What changed in ``obj``'s row between ``read_version`` (what the page read; by
    default ``obj.version``) and now, with ``obj``'s own values as "yours" and the
    history's user and time."""
    model = type(obj)
    read_version = obj.version if read_version is None else read_version
    current = model._default_manager.filter(pk=obj.pk).first()
    history = getattr(model, "history", None)
    if current is None or history is None:
        return Conflict(obj=obj, version=current_version)
    records = list(
        history.filter(**{model._meta.pk.attname: obj.pk}, version__gte=read_version).order_by(
            "history_date", "history_id"
        )
    )
    read = next((r for r in records if r.version == read_version), None)
    later = [r for r in records if r.version > read_version]
    fields = [f for f in model._meta.concrete_fields if f.name not in HIDDEN_FIELDS and f.editable]
    # Who last changed each field since the read: walk the records in order.
    last_change: dict[str, tuple[str, datetime.datetime]] = {}
    previous = read
    for record in later:
        for f in fields:
            if previous is None or getattr(previous, f.attname) != getattr(record, f.attname):
                last_change[f.name] = (_user(record.history_user), record.history_date)
        previous = record
    changes: list[Change] = []
    for f in fields:
        now = getattr(current, f.attname)
        then = getattr(read, f.attname) if read is not None else getattr(obj, f.attname)
        if now == then:
            continue
        who, when = last_change.get(f.name, ("", None))
        changes.append(
            Change(
                field=str(f.verbose_name).capitalize(),
                name=f.name,
                was=display(read, f) if read is not None else "",
                theirs=display(current, f),
                yours=display(obj, f),
                who=who,
                when=when,
            )
        )
    if not changes and later:
        # The row was saved with the same values: for a session, its diagnoses or lines.
        who, when = _user(later[-1].history_user), later[-1].history_date
        changes.append(
            Change(
                field="Other details",
                name="",
                was="",
                theirs="changed",
                yours="",
                who=who,
                when=when,
            )
        )
    return Conflict(obj=obj, version=current_version, changes=changes)


def _user(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def display(obj: models.Model, f: models.Field) -> str:
    """A field's value as a person reads it: choice labels, names for references."""
    value = getattr(obj, f.attname)
    if value in (None, ""):
        return BLANK
    if f.choices:
        return str(dict(f.flatchoices).get(value, value))
    if f.is_relation:
        related = f.related_model._default_manager.filter(pk=value).first()
        return str(related) if related is not None else str(value)
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, datetime.datetime):
        return us_datetime(value)
    if isinstance(value, datetime.date):
        return us_date(value)
    if isinstance(value, datetime.time):
        return f"{value:%H:%M}"
    return str(value)
