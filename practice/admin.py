"""Admin site for the practice's own records, and who may enter the admin site at all.

The admin site is the owner's (README "Who does what"): the Owner role (or a superuser) gets
in, whether or not the account has Django's ``is_staff`` flag; clinicians and billers do
their work in the app. Billed sessions are read-only here: a claim was built from them.
Client and session changes keep an audit trail (simple_history) that owners can read.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError

from billing.admin import (
    HistoryAdmin,
    KeysOnlyAutocompleteMixin,
    ReadOnlyAdmin,
    RefuseClashingSaveMixin,
    RetireInsteadOfDeleteMixin,
)
from practice import mfa, roles
from practice.audit import AccessKind, record_access
from practice.models import (
    AccessEvent,
    Client,
    Clinician,
    Coverage,
    Diagnosis,
    Location,
    Practice,
    ServiceLine,
    Session,
    SessionDiagnosis,
)
from practice.versions import VersionedAdminForm

# --- who may enter ------------------------------------------------------------------


def owner_has_permission(request) -> bool:
    """Only owners (superusers count as owners) may use the admin site, and only after
    the second step of sign-in when it is required (SecondFactorMiddleware sends them
    there first; this holds even if a URL slipped past it)."""
    user = request.user
    return (
        user.is_active
        and roles.is_owner(user)
        and (not mfa.mfa_required(user) or user.is_verified())
    )


class OwnerAuthenticationForm(AdminAuthenticationForm):
    """The admin login, asking for the Owner role instead of the ``is_staff`` flag."""

    def confirm_login_allowed(self, user):
        if not user.is_active:
            raise ValidationError(self.error_messages["inactive"], code="inactive")
        if not roles.is_owner(user):
            raise ValidationError(
                "This page is for the practice owner. Please log in with an owner account.",
                code="not_owner",
            )


# The default site keeps its URLs and registrations; only its gate changes.
admin.site.has_permission = owner_has_permission
admin.site.login_form = OwnerAuthenticationForm


# --- the read audit -------------------------------------------------------------------


class AccessAuditedAdmin:
    """Admin pages that show a client's information (the change page, the history and an
    old version) record each view in the read audit, like the app's pages do."""

    def audit_clients(self, obj) -> list[int]:
        raise NotImplementedError

    def _record(self, request, obj, what: str) -> None:
        record_access(
            request,
            kind=AccessKind.ADMIN,
            what=f"Admin: {self.model._meta.verbose_name} {what}".strip(),
            clients=self.audit_clients(obj),
            objects=[obj],
        )

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and not add:
            self._record(request, obj, "")
        return super().render_change_form(request, context, add, change, form_url, obj)

    def history_view(self, request, object_id, extra_context=None):
        response = super().history_view(request, object_id, extra_context)
        obj = self.get_object(request, unquote(object_id))
        if response.status_code == 200 and obj is not None:
            self._record(request, obj, "history")
        return response

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        response = super().history_form_view(request, object_id, version_id, extra_context)
        obj = self.get_object(request, unquote(object_id))
        if response.status_code == 200 and obj is not None:
            self._record(request, obj, "past version")
        return response


@admin.register(AccessEvent)
class AccessEventAdmin(ReadOnlyAdmin):
    """The read audit, read-only: records are never added, changed or deleted here (the
    owner's audit screen in the app filters them and downloads CSV)."""

    list_display = ["at", "username", "kind", "what", "client_count", "address"]
    list_filter = ["kind"]
    search_fields = ["username", "what", "path"]
    date_hierarchy = "at"

    def has_view_permission(self, request, obj=None):
        return roles.is_owner(request.user)


# --- practice, locations, clinicians ----------------------------------------------------


class PracticeForm(forms.ModelForm):
    """The practice settings: the ZIP code typed with or without its hyphen is stored as
    digits and shown with the hyphen; ``Practice.clean`` holds the box 33 rules (street
    address, ZIP+4: docs/rules/claim-forms.md §10), each error beside its field."""

    class Meta:
        model = Practice
        fields = "__all__"  # noqa: DJ007 -- the fieldsets below choose what shows
        help_texts = {
            "address_line1": "The street address claims print in box 33 (no PO box).",
            "zip_code": "All nine digits (ZIP+4), such as 62701-1234.",
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["zip_code"] = self.instance.zip_display

    def clean_zip_code(self) -> str:
        return self.cleaned_data["zip_code"].replace("-", "").replace(" ", "")


@admin.register(Practice)
class PracticeAdmin(admin.ModelAdmin):
    form = PracticeForm
    list_display = ["name", "npi", "tax_id_type", "city", "state"]
    fieldsets = [
        (None, {"fields": ["name", "phone"]}),
        ("Identifiers", {"fields": [("tax_id", "tax_id_type"), "npi", "taxonomy"]}),
        (
            "Address",
            {"fields": ["address_line1", "address_line2", ("city", "state", "zip_code")]},
        ),
        ("Payments", {"fields": ["underpayment_tolerance"]}),
        (
            "Missed appointments",
            {
                "description": (
                    "Fees are charged to the client, never billed to an insurer. Medicare "
                    "clients are charged only when the last box is ticked: read its warning."
                ),
                "fields": [
                    "late_cancel_hours",
                    ("no_show_fee", "late_cancel_fee"),
                    "missed_fees_for_all_clients",
                ],
            },
        ),
    ]


@admin.register(Location)
class LocationAdmin(RetireInsteadOfDeleteMixin, admin.ModelAdmin):
    list_display = ["name", "practice", "default_pos", "city", "active"]
    list_filter = ["active", "default_pos"]
    search_fields = ["name", "city"]
    list_select_related = ["practice", "default_pos"]


@admin.register(Clinician)
class ClinicianAdmin(KeysOnlyAutocompleteMixin, RetireInsteadOfDeleteMixin, admin.ModelAdmin):
    list_display = [
        "last_name",
        "first_name",
        "credentials",
        "npi",
        "license_level",
        "prescriber",
        "supervisor",
        "active",
    ]
    list_display_links = ["last_name", "first_name"]
    list_filter = ["active", "prescriber", "credentials", "license_level"]
    search_fields = ["first_name", "last_name", "npi", "license_number"]
    list_select_related = ["supervisor"]
    autocomplete_fields = ["supervisor"]
    fieldsets = [
        (None, {"fields": ["user", "practice", ("first_name", "last_name"), "active"]}),
        (
            "Credentials",
            {
                "fields": [
                    "credentials",
                    ("npi", "taxonomy"),
                    ("license_number", "license_state"),
                    "license_level",
                    "prescriber",
                ]
            },
        ),
        ("Supervision", {"fields": ["supervisor"]}),
        ("New sessions", {"fields": ["default_location"]}),
    ]

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None:
            fieldsets = [*fieldsets, ("Use", {"fields": ["in_use"]})]
        return fieldsets


# --- clients --------------------------------------------------------------------------


class VersionedAdmin(HistoryAdmin):
    """Change pages carry the row's version (docs/concurrent-edits.md): a save over a
    newer version is refused on the form with what changed. Reverting to a history
    record applies it over the version current when the revert page was opened."""

    form = VersionedAdminForm

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if not self.has_change_permission(request, obj):
            return fieldsets  # read-only: nothing to check
        name, options = fieldsets[0]
        return [(name, {**options, "fields": [*options["fields"], "version"]}), *fieldsets[1:]]

    def get_form(self, request, obj=None, change=False, **kwargs):
        match = request.resolver_match
        if obj is not None and match and match.url_name.endswith("_simple_history"):
            # The record's instance holds the version it was saved at; the revert writes
            # over the row as it is now.
            obj.version = type(obj).objects.values_list("version", flat=True).get(pk=obj.pk)
        return super().get_form(request, obj, change=change, **kwargs)


class DiagnosisInline(KeysOnlyAutocompleteMixin, admin.TabularInline):
    model = Diagnosis
    form = VersionedAdminForm
    fields = ["code", "rank", "start_date", "end_date", "version"]
    # ~98,000 ICD-10-CM codes: a search box, never a select.
    autocomplete_fields = ["code"]
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("code")


class CoverageInline(admin.StackedInline):
    model = Coverage
    form = VersionedAdminForm
    extra = 0
    fieldsets = [
        (
            None,
            {
                "fields": [
                    ("payer", "priority"),
                    ("member_id", "group_number", "plan_name"),
                    ("effective_from", "effective_to", "copay"),
                    "relationship",
                    "version",
                ]
            },
        ),
        (
            "Subscriber, when not the client",
            {
                "classes": ["collapse"],
                "fields": [
                    ("subscriber_first_name", "subscriber_last_name"),
                    ("subscriber_date_of_birth", "subscriber_sex"),
                    "address_line1",
                    "address_line2",
                    ("city", "state", "zip_code"),
                ],
            },
        ),
        (
            "Prior authorization",
            {
                "classes": ["collapse"],
                "fields": [
                    ("prior_auth_number", "prior_auth_visits"),
                    ("prior_auth_from", "prior_auth_to"),
                ],
            },
        ),
        (
            "Referring provider (box 17)",
            {
                "classes": ["collapse"],
                "fields": [("referring_first_name", "referring_last_name", "referring_npi")],
            },
        ),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("payer")


@admin.register(Client)
class ClientAdmin(
    RefuseClashingSaveMixin,
    AccessAuditedAdmin,
    KeysOnlyAutocompleteMixin,
    RetireInsteadOfDeleteMixin,
    VersionedAdmin,
):
    def audit_clients(self, obj) -> list[int]:
        return [obj.pk]

    list_display = [
        "last_name",
        "first_name",
        "date_of_birth",
        "primary_clinician",
        "self_pay",
        "active",
    ]
    list_display_links = ["last_name", "first_name"]
    list_filter = ["active", "self_pay", "primary_clinician"]
    search_fields = ["last_name", "first_name", "email", "phone"]
    list_select_related = ["primary_clinician"]
    autocomplete_fields = ["primary_clinician"]
    readonly_fields = ["created_at"]
    inlines = [DiagnosisInline, CoverageInline]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    ("first_name", "last_name"),
                    ("date_of_birth", "sex"),
                    "primary_clinician",
                    ("self_pay", "active"),
                ]
            },
        ),
        (
            "Contact",
            {
                "fields": [
                    ("phone", "email"),
                    "address_line1",
                    "address_line2",
                    ("city", "state", "zip_code"),
                ]
            },
        ),
        (
            "Signatures on file (boxes 12 and 13)",
            {
                "fields": [
                    ("release_signed_on", "release_signer", "release_signer_relation"),
                    ("assignment_signed_on", "assignment_signer", "assignment_signer_relation"),
                ]
            },
        ),
    ]

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None:
            fieldsets = [*fieldsets, ("Record", {"fields": ["created_at", "in_use"]})]
        return fieldsets


# --- sessions -------------------------------------------------------------------------


class ServiceLineInline(KeysOnlyAutocompleteMixin, admin.TabularInline):
    model = ServiceLine
    fields = [
        "position",
        "procedure",
        "modifier_1",
        "modifier_2",
        "modifier_3",
        "modifier_4",
        "units",
        "charge",
        "diagnosis_pointers",
    ]
    autocomplete_fields = ["procedure"]
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("procedure")


class SessionDiagnosisInline(admin.TabularInline):
    model = SessionDiagnosis
    fields = ["position", "diagnosis"]
    extra = 0

    def get_formset(self, request, obj=None, **kwargs):
        request._admin_session = obj
        return super().get_formset(request, obj, **kwargs)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "diagnosis":
            # Only the session's own client's diagnoses can be pointed at.
            session = getattr(request, "_admin_session", None)
            queryset = Diagnosis.objects.select_related("code")
            kwargs["queryset"] = (
                queryset.filter(client_id=session.client_id) if session else queryset.none()
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("diagnosis__code")


@admin.register(Session)
class SessionAdmin(
    RefuseClashingSaveMixin, AccessAuditedAdmin, KeysOnlyAutocompleteMixin, VersionedAdmin
):
    """Sessions; once billed or closed a session is read-only and cannot be deleted."""

    def audit_clients(self, obj) -> list[int]:
        return [obj.client_id]

    list_display = [
        "date",
        "client",
        "clinician",
        "service",
        "minutes",
        "place_of_service",
        "status",
    ]
    list_filter = ["status", "service", "telehealth", "clinician"]
    search_fields = ["client__last_name", "client__first_name", "note"]
    date_hierarchy = "date"
    list_select_related = ["client", "clinician", "place_of_service"]
    autocomplete_fields = ["client", "clinician"]
    readonly_fields = ["created_by", "created_at", "updated_at"]
    inlines = [SessionDiagnosisInline, ServiceLineInline]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    ("client", "clinician"),
                    ("date", "start_time", "end_time", "minutes"),
                    "service",
                    "status",
                ]
            },
        ),
        (
            "Where",
            {
                "fields": [
                    ("location", "place_of_service"),
                    ("telehealth", "client_at_home"),
                ]
            },
        ),
        (
            "Billing details",
            {"fields": ["interactive_complexity", "group_size", "note"]},
        ),
        (
            "Record",
            {"classes": ["collapse"], "fields": ["created_by", "created_at", "updated_at"]},
        ),
    ]

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.is_billed:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_billed:
            return False
        return super().has_delete_permission(request, obj)

    def get_actions(self, request):
        actions = super().get_actions(request)
        # Bulk delete would not ask whether each session was billed.
        actions.pop("delete_selected", None)
        return actions

    def save_model(self, request, obj, form, change):
        if not change and obj.created_by_id is None:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        if obj is not None and obj.is_billed:
            extra_context = {
                **(extra_context or {}),
                "title": f"View session ({obj.get_status_display().lower()}: read-only)",
            }
        return super().change_view(request, object_id, form_url, extra_context)

    def _is_billed_now(self, pk) -> bool:
        return Session.objects.filter(pk=pk, status__in=Session.BILLED_STATUSES).exists()

    def revert_disabled(self, request, obj=None):
        # History pages pass an old version of the session; what counts is its status now.
        if obj is not None and self._is_billed_now(obj.pk):
            return True
        return super().revert_disabled(request, obj)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # simple_history saves a reverted version on POST without asking whether the
        # current row may change; a billed session must not be rewritten from its past.
        if request.method == "POST" and self._is_billed_now(unquote(object_id)):
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)
