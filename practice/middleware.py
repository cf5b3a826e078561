"""Response and request hardening that applies to every page the app renders.

Static files never reach these: WhiteNoise answers them earlier in ``MIDDLEWARE`` and
keeps their long cache lifetimes.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.utils.cache import add_never_cache_headers

NUL = "\x00"


class NoStoreMiddleware:
    """``Cache-Control: no-store`` on every response the app renders.

    Pages, CSV exports and PDFs carry health information, which must not sit in a
    browser's disk cache or a proxy after the user logs off (HIPAA 45 CFR
    164.312(a)(2)(iii) automatic log-off, 164.312(c)(1) integrity). ``Pragma`` and
    ``Expires`` cover HTTP/1.0 caches. The login page gets the same headers: it costs
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


class RefuseNulMiddleware:
    """Answer 400 to a request whose parameters hold a NUL character.

    No field of this app can hold one: Django's form fields refuse it, and PostgreSQL
    cannot store it in text (psycopg raises before the query runs, which would be a
    500 wherever a raw parameter reaches a query, such as a search box). Checking the
    query string and form fields once here covers every view and the admin.
    Uploaded files are not checked: a CSV import may legitimately hold any byte.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _holds_nul(request.GET):
            return _refuse()
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        # POST is parsed after CSRF has looked at the request, as Django itself does.
        if request.method == "POST" and _holds_nul(request.POST):
            return _refuse()
        return None


def _holds_nul(query) -> bool:
    return any(NUL in key or any(NUL in value for value in values) for key, values in query.lists())


def _refuse() -> HttpResponse:
    return HttpResponseBadRequest(
        "The request holds a NUL character, which no field accepts.",
        content_type="text/plain; charset=utf-8",
    )
