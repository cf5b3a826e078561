"""Response and request hardening that applies to every page the app renders.

Static files never reach these: WhiteNoise answers them earlier in ``MIDDLEWARE`` and
keeps their long cache lifetimes.
"""

from __future__ import annotations

import base64
import functools
import hashlib
from collections.abc import Callable

from csp.constants import UNSAFE_HASHES, UNSAFE_INLINE
from csp.middleware import CSPMiddleware, PolicyParts
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.db import models
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.urls import reverse
from django.utils.cache import add_never_cache_headers

from practice.params import parse_id

NUL = "\x00"


class NoStoreMiddleware:
    """``Cache-Control: no-store`` on every response the app renders.

    Pages, CSV exports and PDFs carry health information, which must not stay in a
    browser's disk cache or a shared proxy for the next person at the machine to read
    after the user logs off (HIPAA 45 CFR 164.312(a)(1) access control,
    164.312(a)(2)(iii) automatic log-off). ``Pragma`` and ``Expires`` cover HTTP/1.0
    caches. The login page gets the same headers: it costs
    nothing and keeps a stale CSRF token out of the back button.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        add_never_cache_headers(response)
        response["Pragma"] = "no-cache"
        response["Expires"] = "0"
        return response


# The one inline handler in the admin add-ons' templates (django-import-export's export
# form, "Select all"), allowed by its hash and nothing else (CSP Level 3 'unsafe-hashes').
ADMIN_HANDLERS = ("onSelectToggleChange(event)",)


def _hash(source: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode()).digest()).decode() + "'"


ADMIN_EXCEPTIONS = {
    "style-src-attr": [UNSAFE_INLINE],
    "script-src-attr": [UNSAFE_HASHES, *map(_hash, ADMIN_HANDLERS)],
}


class PolicyMiddleware(CSPMiddleware):
    """django-csp's policy (``CONTENT_SECURITY_POLICY`` in settings) with two exceptions,
    for the admin only (owners), where third-party templates we do not fork need them:

    - ``style-src-attr 'unsafe-inline'``: django-simple-history's history list and
      django-import-export's export form put ``style=""`` on a few elements. A style
      attribute cannot run script.
    - ``script-src-attr`` by hash: the export form's one ``onchange=`` handler, that exact
      text only (``ADMIN_HANDLERS``); any other inline handler is still blocked.

    Script files, <style> elements and every page outside the admin keep the strict policy.
    """

    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponse, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if request.path_info.startswith(_admin_prefix()) and parts.update is None:
            parts.update = ADMIN_EXCEPTIONS
        return parts


@functools.cache
def _admin_prefix() -> str:
    return reverse("admin:index")


class RefuseMalformedMiddleware:
    """Answer 400 to input no view can take, before any view sees it:

    - a NUL character in the query string or form fields. No field of this app can hold
      one: Django's form fields refuse it, and PostgreSQL cannot store it in text
      (psycopg raises before the query runs, a 500 wherever a raw parameter reaches a
      query, such as a search box). Uploaded files are not checked: a CSV import may
      hold any byte.
    - an admin action posted for rows whose ids are not keys of the model
      (``_selected_action=abc``): Django's admin filters by them as given, which raises.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _holds_nul(request.GET):
            return _refuse("The request holds a NUL character, which no field accepts.")
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        # POST is parsed after CSRF has looked at the request, as Django itself does.
        if request.method != "POST":
            return None
        if _holds_nul(request.POST):
            return _refuse("The request holds a NUL character, which no field accepts.")
        model_admin = getattr(view_func, "model_admin", None)  # set by ModelAdmin.get_urls
        if model_admin is None:
            return None
        selected = request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
        if not _are_keys(model_admin.model._meta.pk, selected):
            return _refuse("The rows chosen for the action are not records of this list.")
        for name, key in _relations(model_admin).items():
            if not _are_keys(key, request.POST.getlist(name), blank=True):
                return _refuse(f"{name} must name records by their number.")
        return None


def _holds_nul(query) -> bool:
    return any(NUL in key or any(NUL in value for value in values) for key, values in query.lists())


def _relations(model_admin) -> dict[str, models.Field]:
    """The admin form's choice fields that name rows of another model, with the key field
    they name them by.

    Django's choice fields try the posted value in a query; a number beyond 64 bits
    makes SQLite raise OverflowError, which the field does not catch."""
    keys = {}
    for field in model_admin.model._meta.get_fields():
        if not field.concrete or field.related_model is None:
            continue
        if field.many_to_one or field.one_to_one:
            keys[field.name] = field.target_field
        elif field.many_to_many:
            keys[field.name] = field.related_model._meta.pk
    return keys


def _are_keys(key: models.Field, values: list[str], *, blank: bool = False) -> bool:
    for value in values:
        if blank and value == "":
            continue
        if isinstance(key, (models.AutoField, models.IntegerField)):
            if parse_id(value) is None:
                return False
            continue
        try:
            key.to_python(value)
        except ValidationError:
            return False
    return True


def _refuse(message: str) -> HttpResponse:
    return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
