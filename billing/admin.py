"""Admin site for the code catalog, payers and fee schedules: the owner's maintenance tools.

Catalog rows that anything points at are retired with the Active flag, never deleted
(billing/models/): their delete page refuses and says so, and the bulk delete action is
gone. Procedure codes and payer rates travel as CSV through django-import-export
(billing/resources.py); an import is all or nothing.
"""

from __future__ import annotations

import base64
import binascii
import zlib
from collections import defaultdict

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import unquote
from django.contrib.admin.widgets import AutocompleteSelect
from django.contrib.auth import get_permission_codename
from django.core import signing
from django.db import IntegrityError, models
from django.db.models import Q
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from import_export.admin import ImportExportMixin
from import_export.formats.base_formats import CSV
from import_export.tmp_storages import BaseStorage
from simple_history.admin import SimpleHistoryAdmin

from billing.models import (
    ClaimPosting,
    Clearinghouse,
    DiagnosisCode,
    Modifier,
    Payer,
    PayerRate,
    PlaceOfService,
    ProcedureCode,
    ProviderAdjustment,
    Remittance,
)
from billing.resources import PayerRateResource, ProcedureCodeResource
from practice.models import Clinician, ServiceLine
from practice.params import BadParameter, parse_id

# --- "in use" rows are retired, not deleted -------------------------------------------


def protected_usage(obj: models.Model) -> dict[str, int]:
    """How many rows of each model point at ``obj`` through a PROTECT/RESTRICT key.

    Such a reference makes ``obj`` "in use": deleting it would fail, or would take
    history with it. Read from the model metadata, so a model added later that protects
    a catalog row (a claim line, a payment) counts without a change here. History
    tables (simple_history, DO_NOTHING keys) do not count.
    """
    fields_by_model: dict[type[models.Model], list[str]] = defaultdict(list)
    for rel in type(obj)._meta.get_fields(include_hidden=True):
        if not (rel.auto_created and not rel.concrete and (rel.one_to_many or rel.one_to_one)):
            continue
        if rel.on_delete in (models.PROTECT, models.RESTRICT):
            fields_by_model[rel.related_model].append(rel.field.name)
    usage: dict[str, int] = {}
    for model, names in fields_by_model.items():
        condition = Q()
        for name in names:
            condition |= Q(**{name: obj})
        count = model._base_manager.filter(condition).count()
        if count:
            usage[_count_label(model, count)] = count
    return usage


def _count_label(model: type[models.Model], count: int) -> str:
    opts = model._meta
    return str(opts.verbose_name if count == 1 else opts.verbose_name_plural)


def describe_usage(usage: dict[str, int]) -> str:
    """``{"service lines": 3, "payer rate": 1}`` → "3 service lines and 1 payer rate"."""
    parts = [f"{count} {label}" for label, count in usage.items()]
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


# --- malformed input in the admin: 400/404 or a form error, never a 500 ------------------


class KeysOnlyAutocompleteSelect(AutocompleteSelect):
    """Django's autocomplete widget looks the submitted value up to draw it again; a value
    that cannot be a key ("③", "abc") makes that query raise. It draws only values that
    can be keys; the form's own error ("Select a valid choice") says what was wrong."""

    def optgroups(self, name, value, attr=None):
        remote = self.field.remote_field
        key = remote.model._meta.get_field(getattr(remote, "field_name", None) or "pk")
        if isinstance(key, (models.AutoField, models.IntegerField)):
            value = [v for v in value if parse_id(str(v)) is not None]
        return super().optgroups(name, value, attr)


class KeysOnlyAutocompleteMixin:
    """For admins and inlines with ``autocomplete_fields`` (see KeysOnlyAutocompleteSelect)."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = KeysOnlyAutocompleteSelect(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class RefuseClashingSaveMixin:
    """For admins with inlines under unique rules: a save that breaks one only the database
    sees (two inline rows trading values, a row taking the value of a row changed in the
    same save) raises IntegrityError after the forms validated. The admin saves in one
    transaction, so nothing was saved; say so and show the page again instead of a 500."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except IntegrityError:
            messages.error(
                request,
                "Nothing was saved: two rows would clash on a rule that allows each value "
                "once (for example the same diagnosis twice). Change them one save at a time.",
            )
            return HttpResponseRedirect(request.get_full_path())


class HistoryAdmin(SimpleHistoryAdmin):
    """django-simple-history's pages, with an id in the URL that is no id answering 404
    (the library passes it straight to a query, which raises)."""

    def history_view(self, request, object_id, extra_context=None):
        _require_id(object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        _require_id(object_id)
        _require_id(version_id)
        return super().history_form_view(request, object_id, version_id, extra_context)


def _require_id(raw: str) -> None:
    if parse_id(unquote(raw)) is None:
        raise Http404("No such record.")


class RetireInsteadOfDeleteMixin:
    """For models with an ``active`` flag: deactivate/reactivate actions, and no deletion
    of a row in use (the delete page answers 403 and says to deactivate instead)."""

    actions = ["deactivate_selected", "reactivate_selected"]
    cannot_delete_template = "admin/cannot_delete.html"

    def usage(self, obj: models.Model) -> dict[str, int]:
        """What uses ``obj``; override to add references the database cannot see."""
        return protected_usage(obj)

    def _cached_usage(self, obj: models.Model) -> dict[str, int]:
        if not hasattr(obj, "_admin_usage"):
            obj._admin_usage = self.usage(obj)
        return obj._admin_usage

    def has_delete_permission(self, request, obj=None):
        if obj is not None and self._cached_usage(obj):
            return False
        return super().has_delete_permission(request, obj)

    def get_actions(self, request):
        actions = super().get_actions(request)
        # Bulk delete would reach rows in use; retiring is what the actions below do.
        actions.pop("delete_selected", None)
        return actions

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            readonly.append("in_use")
        return readonly

    @admin.display(description="in use")
    def in_use(self, obj) -> str:
        usage = self._cached_usage(obj)
        if not usage:
            return "Not in use: it may be deleted."
        return (
            f"Used by {describe_usage(usage)}. It cannot be deleted; "
            "untick Active to retire it instead."
        )

    def delete_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        if obj is not None and self.has_view_or_change_permission(request, obj):
            usage = self._cached_usage(obj)
            if usage:
                opts = self.model._meta
                context = {
                    **self.admin_site.each_context(request),
                    "title": f"Cannot delete {opts.verbose_name}",
                    "subtitle": str(obj),
                    "opts": opts,
                    "object": obj,
                    "usage": describe_usage(usage),
                    "change_url": reverse(
                        f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]
                    ),
                }
                return TemplateResponse(request, self.cannot_delete_template, context, status=403)
        return super().delete_view(request, object_id, extra_context)

    @admin.action(description="Deactivate selected %(verbose_name_plural)s", permissions=["change"])
    def deactivate_selected(self, request, queryset):
        self._set_active(request, queryset, active=False)

    @admin.action(description="Reactivate selected %(verbose_name_plural)s", permissions=["change"])
    def reactivate_selected(self, request, queryset):
        self._set_active(request, queryset, active=True)

    def _set_active(self, request, queryset, *, active: bool) -> None:
        changing = queryset.exclude(active=active)
        if hasattr(self.model, "history"):
            # Saved one by one so the audit trail (simple_history) records each change.
            rows = list(changing)
            for row in rows:
                row.active = active
                row.save(update_fields=["active"])
            count = len(rows)
        else:
            count = len(
                LogEntry.objects.log_actions(
                    user_id=request.user.pk,
                    queryset=changing,
                    action_flag=CHANGE,
                    change_message=[{"changed": {"fields": ["Active"]}}],
                )
            )
            changing.update(active=active)
        opts = self.model._meta
        noun = opts.verbose_name if count == 1 else opts.verbose_name_plural
        verb = "reactivated" if active else "deactivated"
        self.message_user(request, f"{count} {noun} {verb}.", messages.SUCCESS)


# --- CSV import and export ------------------------------------------------------------


class SignedUploadStorage(BaseStorage):
    """Carries an uploaded file from the preview to the confirm step inside the page.

    import-export's default keeps it in a temporary file on the server that took the
    upload; with several app servers (README "Production notes": all state lives in
    PostgreSQL) the
    confirm request may land on another one. Here the file rides, compressed and signed,
    in the confirm form's hidden ``import_file_name`` field: any server can finish the
    import, and an altered or stale payload is refused.
    """

    salt = "billing.admin.import-upload"
    max_age = 60 * 60

    def save(self, data):
        if isinstance(data, str):
            data = data.encode(self.encoding or "utf-8")
        packed = base64.urlsafe_b64encode(zlib.compress(data)).decode("ascii")
        self.name = signing.TimestampSigner(salt=self.salt).sign(packed)

    def read(self):
        packed = signing.TimestampSigner(salt=self.salt).unsign(self.name, max_age=self.max_age)
        try:
            data = zlib.decompress(base64.urlsafe_b64decode(packed))
        except (binascii.Error, zlib.error) as error:
            raise signing.BadSignature("The upload could not be read back.") from error
        if "b" in self.read_mode:
            return data
        return data.decode(self.encoding or "utf-8")

    def remove(self):
        pass


def import_problems(result, limit: int = 5) -> list[str]:
    """The first problems of an import result, each naming its line in the file."""
    problems = [
        f"Line number: {line} - {error.error}"
        for line, errs in result.row_errors()
        for error in errs
    ]
    for row in result.invalid_rows:
        for field, errors in row.field_specific_errors.items():
            problems += [f"Line number: {row.number} - {field}: {e}" for e in errors]
        problems += [f"Line number: {row.number} - {e}" for e in row.non_field_specific_errors]
    problems += [str(error.error) for error in result.base_errors]
    return problems[:limit]


class CsvImportExportMixin(ImportExportMixin):
    """CSV only; all-or-nothing imports; import needs add and change permission."""

    formats = [CSV]
    # A byte-order mark, so spreadsheet programs open the export as UTF-8 ("ü", "—").
    to_encoding = "utf-8-sig"
    import_template_name = "admin/billing/import.html"
    tmp_storage_class = SignedUploadStorage

    def has_import_permission(self, request):
        opts = self.opts
        return all(
            request.user.has_perm(f"{opts.app_label}.{get_permission_codename(action, opts)}")
            for action in ("add", "change")
        )

    def has_export_permission(self, request):
        return self.has_view_permission(request)

    def get_export_queryset(self, request):
        # The export takes the change list's filters from the query string; the change
        # list itself answers an unknown one by dropping it, the export must not 500.
        try:
            return super().get_export_queryset(request)
        except IncorrectLookupParameters:
            raise BadParameter("The export's filters are not ones the list offers.") from None

    def add_data_read_fail_error_to_form(self, form, e):
        if isinstance(e, UnicodeDecodeError):
            form.add_error(
                "import_file",
                "This file is not UTF-8 text. In Excel, save it as "
                "“CSV UTF-8 (Comma delimited)” and upload it again.",
            )
        else:
            super().add_data_read_fail_error_to_form(form, e)

    def get_import_data_kwargs(self, **kwargs):
        data_kwargs = super().get_import_data_kwargs(**kwargs)
        # The confirm step imports again for real; if the data changed since the
        # preview and a row no longer validates, nothing may be half-imported.
        data_kwargs["rollback_on_validation_errors"] = True
        return data_kwargs

    def process_import(self, request, **kwargs):
        try:
            return super().process_import(request, **kwargs)
        except signing.BadSignature:
            messages.error(request, "The upload expired or was altered; please upload it again.")
            return HttpResponseRedirect(self._import_url())

    def process_result(self, result, request):
        if result.has_errors() or result.has_validation_errors():
            # Rolled back by import-export (use_transactions); say why, log nothing.
            messages.error(
                request,
                "Nothing was imported. " + " ".join(import_problems(result)),
            )
            return HttpResponseRedirect(self._import_url())
        return super().process_result(result, request)

    def _import_url(self) -> str:
        opts = self.model._meta
        return reverse(f"admin:{opts.app_label}_{opts.model_name}_import")


class LabelledListEditableMixin:
    """Inputs of list_editable sit in table cells with no <label>; each gets an accessible
    name from its column and its row ("Default charge: 90837") so a screen reader says what
    it changes (WCAG 1.3.1, 4.1.2)."""

    def get_changelist_form(self, request, **kwargs):
        base = super().get_changelist_form(request, **kwargs)

        class LabelledRowForm(base):
            def __init__(self, *args, **form_kwargs) -> None:
                super().__init__(*args, **form_kwargs)
                row = getattr(self.instance, "code", None) or self.instance.pk
                for field in self.fields.values():
                    label = str(field.label or "").capitalize()
                    field.widget.attrs.setdefault("aria-label", f"{label}: {row}")

        return LabelledRowForm


# --- catalog ------------------------------------------------------------------------


@admin.register(ProcedureCode)
class ProcedureCodeAdmin(
    LabelledListEditableMixin, CsvImportExportMixin, RetireInsteadOfDeleteMixin, admin.ModelAdmin
):
    resource_classes = [ProcedureCodeResource]
    list_display = ["code", "description", "kind", "minutes", "default_charge", "active"]
    list_editable = ["default_charge", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["code", "description"]
    filter_horizontal = ["add_on_to"]
    readonly_fields = ["min_minutes", "max_minutes"]
    fieldsets = [
        (None, {"fields": ["code", "description", "kind", "default_charge", "active"]}),
        (
            "Time and add-on rules",
            {
                "fields": [("min_minutes", "max_minutes"), "add_on_to"],
                # One home per rule: the checks read billing/coding.py's TIME_RANGES, and
                # load_catalog copies them here; an edit here would change nothing.
                "description": "Time ranges come from the coding rules "
                "(docs/rules/coding.md §2) and are shown here for reference.",
            },
        ),
        (
            "Official descriptor (licensed practices only)",
            {"fields": ["official_descriptor"], "classes": ["collapse"]},
        ),
    ]

    @admin.display(description="minutes", ordering="min_minutes")
    def minutes(self, obj: ProcedureCode) -> str:
        if obj.min_minutes is None and obj.max_minutes is None:
            return "—"
        if obj.max_minutes is None:
            return f"{obj.min_minutes}+"
        return f"{obj.min_minutes or 0}–{obj.max_minutes}"

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None:
            fieldsets = [*fieldsets, ("Use", {"fields": ["in_use"]})]
        return fieldsets

    def get_export_queryset(self, request):
        return super().get_export_queryset(request).prefetch_related("add_on_to")


@admin.register(Modifier)
class ModifierAdmin(RetireInsteadOfDeleteMixin, admin.ModelAdmin):
    list_display = ["code", "description", "kind", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["code", "description"]

    def usage(self, obj: Modifier) -> dict[str, int]:
        """Modifiers are stored as text on lines, payers and clinicians: count by value."""
        usage = protected_usage(obj)
        code = obj.code
        counts = [
            (
                ServiceLine,
                ServiceLine.objects.filter(
                    Q(modifier_1=code)
                    | Q(modifier_2=code)
                    | Q(modifier_3=code)
                    | Q(modifier_4=code)
                ).count(),
            ),
            (
                Payer,
                Payer.objects.filter(
                    Q(telehealth_modifier=code) | Q(audio_only_modifier=code)
                ).count(),
            ),
            (Clinician, Clinician.objects.filter(license_level=code).count()),
        ]
        for model, count in counts:
            if count:
                usage[_count_label(model, count)] = count
        return usage


@admin.register(PlaceOfService)
class PlaceOfServiceAdmin(RetireInsteadOfDeleteMixin, admin.ModelAdmin):
    list_display = ["code", "name", "is_telehealth", "active"]
    list_filter = ["is_telehealth", "active"]
    search_fields = ["code", "name"]


@admin.register(DiagnosisCode)
class DiagnosisCodeAdmin(RetireInsteadOfDeleteMixin, admin.ModelAdmin):
    """~98,000 rows: no full count, prefix search on the code, 100 a page."""

    list_display = ["code", "description", "billable", "active"]
    list_filter = ["billable", "active"]
    search_fields = ["^code", "description"]
    search_help_text = "A code or its beginning (F43.1), or words of the description."
    list_per_page = 100
    show_full_result_count = False
    ordering = ["code"]

    def get_search_results(self, request, queryset, search_term):
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if request.path == reverse("admin:autocomplete"):
            # Choosing a client's diagnosis: only codes a claim may carry.
            queryset = queryset.filter(billable=True, active=True)
        return queryset, may_have_duplicates


# --- payers and fee schedules -----------------------------------------------------------


class LicenseLevelChoiceMixin:
    """A rate's level of licence chosen from the clinicians' levels (billing/contracts.py)."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "license_level":
            from practice.models import Clinician

            return forms.TypedChoiceField(
                label=db_field.verbose_name.capitalize(),
                choices=[("", "Any level"), *Clinician.LicenseLevel.choices],
                required=False,
                help_text=db_field.help_text,
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)


class PayerRateInline(LicenseLevelChoiceMixin, KeysOnlyAutocompleteMixin, admin.TabularInline):
    model = PayerRate
    fields = [
        "procedure",
        "modifier",
        "license_level",
        "allowed_amount",
        "effective_from",
        "effective_to",
    ]
    autocomplete_fields = ["procedure"]
    ordering = ["procedure__code", "-effective_from"]
    extra = 1

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("procedure")


@admin.register(Payer)
class PayerAdmin(RefuseClashingSaveMixin, RetireInsteadOfDeleteMixin, admin.ModelAdmin):
    list_display = ["name", "payer_id", "filing_indicator", "timely_filing_days", "active"]
    list_filter = ["active", "filing_indicator", "supervision_billing"]
    search_fields = ["name", "payer_id"]
    inlines = [PayerRateInline]
    fieldsets = [
        (
            "Identity and address",
            {
                "fields": [
                    "name",
                    "payer_id",
                    "address_line1",
                    "address_line2",
                    ("city", "state", "zip_code"),
                    "phone",
                    "active",
                ]
            },
        ),
        (
            "Claims",
            {
                "fields": [
                    "filing_indicator",
                    "timely_filing_days",
                    "charge_basis",
                    "box_29",
                    "requires_prior_authorization",
                    "requires_referring_provider",
                ]
            },
        ),
        (
            "Telehealth rules",
            {
                "fields": [
                    ("telehealth_home_pos", "telehealth_other_pos"),
                    ("telehealth_modifier", "audio_only_modifier"),
                    "audio_only_allowed",
                ]
            },
        ),
        (
            "Supervision and license rules",
            {"fields": ["supervision_billing", "wants_license_modifier"]},
        ),
        (
            "Electronic claims (837P)",
            {"fields": ["accepts_electronic_claims", "clearinghouse"]},
        ),
    ]

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None:
            fieldsets = [*fieldsets, ("Use", {"fields": ["in_use"]})]
        return fieldsets


@admin.register(PayerRate)
class PayerRateAdmin(
    LicenseLevelChoiceMixin, KeysOnlyAutocompleteMixin, CsvImportExportMixin, admin.ModelAdmin
):
    resource_classes = [PayerRateResource]
    list_display = [
        "payer",
        "procedure_code",
        "modifier",
        "license_level",
        "allowed_amount",
        "effective_from",
        "effective_to",
    ]
    list_filter = ["payer", "procedure__kind"]
    search_fields = ["procedure__code", "payer__name"]
    search_help_text = "A procedure code or a payer's name."
    list_select_related = ["payer", "procedure"]
    autocomplete_fields = ["payer", "procedure"]
    date_hierarchy = "effective_from"

    @admin.display(description="procedure", ordering="procedure__code")
    def procedure_code(self, obj: PayerRate) -> str:
        return obj.procedure.code

    def get_export_queryset(self, request):
        return super().get_export_queryset(request).select_related("payer", "procedure")


@admin.register(Clearinghouse)
class ClearinghouseAdmin(admin.ModelAdmin):
    """Envelope settings from the clearinghouse's enrollment letter (837P loops 1000A/B)."""

    list_display = ["name", "submitter_id", "isa_receiver_id", "usage", "is_default"]
    fieldsets = [
        ("Receiver (loop 1000B)", {"fields": ["name", "receiver_id", "is_default", "usage"]}),
        (
            "Submitter (loop 1000A)",
            {
                "fields": [
                    "submitter_id",
                    "submitter_name",
                    "contact_name",
                    "contact_phone",
                    "contact_email",
                ]
            },
        ),
        (
            "Interchange and group envelope (ISA, GS)",
            {
                "fields": [
                    ("sender_qualifier", "sender_id"),
                    ("receiver_qualifier", "isa_receiver_id"),
                    ("gs_sender_code", "gs_receiver_code"),
                ]
            },
        ),
    ]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows shown here, never added, changed or deleted here."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyLedgerAdmin(ReadOnlyAdmin):
    """Postings are append-only (docs/getting-paid.md): a correction is a reversal plus a
    new posting made by the import or the posting form, never an edit here."""


class ProviderAdjustmentInline(admin.TabularInline):
    model = ProviderAdjustment
    extra = 0
    can_delete = False
    fields = ["provider_id", "fiscal_period_end", "reason_code", "reference", "amount"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Remittance)
class RemittanceAdmin(ReadOnlyLedgerAdmin):
    list_display = ["trace_number", "payer", "payment_method", "payment_date", "amount"]
    list_select_related = ["payer"]
    list_filter = ["payer", "payment_method"]
    search_fields = ["trace_number", "file_name"]
    date_hierarchy = "payment_date"
    inlines = [ProviderAdjustmentInline]


@admin.register(ClaimPosting)
class ClaimPostingAdmin(ReadOnlyLedgerAdmin):
    list_display = ["control_number", "claim", "status_code", "charge", "paid", "reverses"]
    list_select_related = ["claim", "reverses"]
    search_fields = ["control_number", "payer_claim_number"]
    list_filter = ["status_code"]
