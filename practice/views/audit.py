"""The owner's audit screen: who viewed, printed or exported which clients' information.

Owners only (anyone else gets 403). Filters by user, client (number or name), kind and
dates; 50 accesses a page; ``?format=csv`` downloads every access the filters select.
Looking at the audit is itself recorded (without clients: the screen shows names, not
health information).
"""

from __future__ import annotations

import csv
import datetime

from django import forms
from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from practice import roles
from practice.audit import AccessKind, record_access
from practice.forms.widgets import DateInput
from practice.models import AccessEvent, AccessEventClient, Client
from practice.views.clients import name_search

PAGE_SIZE = 50
CLIENTS_SHOWN = 5  # per access on the page; the CSV lists them all
CSV_HEADER = [
    "When",
    "User",
    "Kind",
    "What",
    "Object type",
    "Object ids",
    "Client numbers",
    "Clients",
    "Address",
    "Path",
]


class AccessFilterForm(forms.Form):
    user = forms.ModelChoiceField(
        queryset=get_user_model().objects.order_by("username"),
        required=False,
        empty_label="Anyone",
    )
    client = forms.CharField(
        label="Client",
        required=False,
        max_length=100,
        help_text="Client number (12 or C000012) or name.",
    )
    kind = forms.ChoiceField(choices=[("", "Any kind"), *AccessKind.choices], required=False)
    date_from = forms.DateField(label="From", required=False, widget=DateInput())
    date_to = forms.DateField(label="To", required=False, widget=DateInput())

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            css = "form-select form-select-sm" if name in {"user", "kind"} else ""
            field.widget.attrs["class"] = css or "form-control form-control-sm"

    def clean_client(self) -> str:
        return self.cleaned_data["client"].replace("\x00", "").strip()

    def clean(self) -> dict:
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            raise forms.ValidationError("The start date is after the end date.")
        return cleaned

    def filter(self, events: QuerySet[AccessEvent]) -> QuerySet[AccessEvent]:
        """The accesses the valid filters select (all of them when nothing is chosen)."""
        if not self.is_valid():
            return events
        data = self.cleaned_data
        if data.get("user"):
            events = events.filter(user=data["user"])
        if data.get("kind"):
            events = events.filter(kind=data["kind"])
        zone = timezone.get_current_timezone()
        if data.get("date_from"):
            start = datetime.datetime.combine(data["date_from"], datetime.time(), tzinfo=zone)
            events = events.filter(at__gte=start)
        if data.get("date_to"):
            end = data["date_to"] + datetime.timedelta(days=1)
            events = events.filter(at__lt=datetime.datetime.combine(end, datetime.time(), zone))
        wanted = data.get("client")
        if wanted:
            number = wanted.upper().removeprefix("C")
            if number.isascii() and number.isdigit():
                # A number no id can reach (beyond 64 bits) matches nothing, not a 500.
                pk = int(number)
                events = events.for_client([pk]) if pk < 2**63 else events.none()
            else:
                matches = Client.objects.filter(name_search(wanted)).values("pk")
                events = events.for_client(matches)
        return events


def _events(form: AccessFilterForm) -> QuerySet[AccessEvent]:
    clients = AccessEventClient.objects.select_related("client").order_by("client_id")
    return form.filter(AccessEvent.objects.all()).prefetch_related(
        Prefetch("client_links", queryset=clients)
    )


def _client_label(link: AccessEventClient) -> str:
    try:
        return str(link.client)
    except Client.DoesNotExist:  # the access outlives the client record
        return f"client {link.client_id} (deleted)"


@roles.owner_only
@require_GET
def audit_list(request: HttpRequest) -> HttpResponse:
    """Accesses newest first, 50 a page: one count, one page, its clients (two queries)."""
    form = AccessFilterForm(request.GET or None)
    events = _events(form)
    if request.GET.get("format") == "csv":
        record_access(request, kind=AccessKind.EXPORT, what="Access audit CSV")
        return _csv(events)
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = []
    for event in page.object_list:
        links = list(event.client_links.all())
        rows.append(
            {
                "event": event,
                "clients": [
                    (link.client_id, _client_label(link)) for link in links[:CLIENTS_SHOWN]
                ],
                "more": max(0, len(links) - CLIENTS_SHOWN),
            }
        )
    # Recorded after the page is read, so the page does not list its own look.
    record_access(request, kind=AccessKind.VIEW, what="Access audit")
    query = request.GET.copy()
    query.pop("page", None)
    query["format"] = "csv"
    return render(
        request,
        "practice/audit_list.html",
        {"form": form, "page": page, "rows": rows, "csv_query": query.urlencode()},
    )


class _Echo:
    def write(self, value: str) -> str:
        return value


def _cell(text: str) -> str:
    """Text a spreadsheet will not run as a formula."""
    return "'" + text if text[:1] in {"=", "+", "-", "@", "\t", "\r"} else text


def _csv(events: QuerySet[AccessEvent]) -> StreamingHttpResponse:
    """Every access the filters select, streamed 2,000 at a time (six years of accesses
    do not fit in memory at once)."""
    writer = csv.writer(_Echo())
    zone = timezone.get_current_timezone()

    def rows():
        yield "\ufeff" + writer.writerow(CSV_HEADER)
        for event in events.iterator(chunk_size=2000):
            links = list(event.client_links.all())
            yield writer.writerow(
                [
                    event.at.astimezone(zone).isoformat(timespec="seconds"),
                    _cell(event.username),
                    event.kind,
                    _cell(event.what),
                    event.object_type,
                    " ".join(map(str, event.object_ids)),
                    " ".join(str(link.client_id) for link in links),
                    _cell("; ".join(_client_label(link) for link in links)),
                    event.address or "",
                    _cell(event.path),
                ]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    filename = f"access-audit-{timezone.localdate():%Y-%m-%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response
