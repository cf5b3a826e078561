"""A file the browser saves rather than shows: PDFs, X12 files.

What is downloaded names clients and their health information, so it is never cached:
``Cache-Control: private, no-store`` here, whatever the middleware adds
(``practice.middleware.NoStoreMiddleware``)."""

from __future__ import annotations

from django.http import HttpResponse


def attachment(
    data: bytes | str, filename: str, content_type: str = "application/pdf"
) -> HttpResponse:
    """``data`` to be saved as ``filename``."""
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response
