"""A file the browser saves rather than shows: PDFs, X12 files.

What is downloaded names clients and their health information, so it is never cached:
``Cache-Control: private, no-store`` here, whatever the middleware adds
(``practice.middleware.NoStoreMiddleware``); a printed PDF is recorded in the access
audit (``printed``)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import models
from django.http import HttpRequest, HttpResponse

from practice.audit import AccessKind, record_access


def attachment(
    data: bytes | str, filename: str, content_type: str = "application/pdf"
) -> HttpResponse:
    """``data`` to be saved as ``filename``."""
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


def printed(
    request: HttpRequest,
    data: bytes,
    filename: str,
    *,
    what: str,
    clients: Iterable[int | models.Model],
    objects: Iterable[models.Model] = (),
) -> HttpResponse:
    """A PDF to be saved as ``filename``, its printing recorded in the access audit
    (``what``, the ``clients`` it names, the ``objects`` it was drawn from)."""
    record_access(request, kind=AccessKind.PRINT, what=what, clients=clients, objects=objects)
    return attachment(data, filename)
