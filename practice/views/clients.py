"""Client pages: the list, one client, the create/edit page, and the ICD-10-CM search.

Every page starts from ``Client.objects.for_user(user)``: a clinician sees their own
clients, billing staff and owners see all; a client outside that set is a 404.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.db.models import Prefetch, ProtectedError, Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from billing import estimates
from billing.models import DiagnosisCode
from billing.views.payments import client_account
from practice import roles
from practice.audit import AccessKind, record_access
from practice.formats import date_writer
from practice.forms.clients import APOSTROPHES, UNDOTTED_ICD10_RE, client_forms
from practice.listing import row_url
from practice.models import Client, Session, SessionDiagnosis
from practice.services import client_save
from practice.versions import StaleEdit

CLIENTS_PER_PAGE = 50
STATUS_FILTERS = {"active": "Active", "inactive": "Inactive", "all": "All"}
# Enough for "first middle last" typed twice; more words only make the query longer.
MAX_SEARCH_WORDS = 6
MAX_SEARCH_LENGTH = 100
DIAGNOSIS_RESULTS = 20
RECENT_SESSIONS = 10


def _spellings(word: str) -> set[str]:
    """Case variants of a search word, for SQLite.

    PostgreSQL compares ``UPPER(name) LIKE UPPER(term)`` with full Unicode case rules;
    SQLite's LIKE folds ASCII letters only, so "ZOË" would miss "Zoë" there. Matching
    the word as typed, lower-cased, upper-cased and capitalized covers how names are
    written (Zoë, NGUYỄN, o'brien → O'Brien) on both databases.
    """
    return {word, word.lower(), word.upper(), word.capitalize(), word.title()}


def name_search(query: str) -> Q:
    """Every word of ``query`` must appear in the first or the last name, any case.

    Unicode is normalized (NFC) and typographic apostrophes are read as ``'``, as the
    client form stores them, so "O’Brien" finds "O'Brien" and a decomposed "Zoë" finds
    the composed one.
    """
    text = unicodedata.normalize("NFC", query[:MAX_SEARCH_LENGTH]).translate(APOSTROPHES)
    condition = Q()
    for word in text.replace(",", " ").split()[:MAX_SEARCH_WORDS]:
        either = Q()
        for spelling in _spellings(word):
            either |= Q(first_name__icontains=spelling) | Q(last_name__icontains=spelling)
        condition &= either
    return condition


@dataclass(slots=True)
class ClientRow:
    """One row of the client list, formatted once in Python: the template only prints."""

    pk: int
    url: str
    first_name: str
    last_name: str
    born: str
    clinician: str
    self_pay: bool
    active: bool

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


ROW_FIELDS = (
    "pk",
    "first_name",
    "last_name",
    "date_of_birth",
    "primary_clinician__first_name",
    "primary_clinician__last_name",
    "self_pay",
    "active",
)


@require_GET
def client_list(request: HttpRequest) -> HttpResponse:
    """Clients by name, active ones by default, 50 a page.

    Queries do not grow with the rows: one count, one page of clients joined to their
    clinician, read as plain values and formatted once (no URL reversal per row).
    """
    query = request.GET.get("q", "").strip()
    status = request.GET.get("status", "active")
    if status not in STATUS_FILTERS:
        status = "active"
    clients = Client.objects.for_user(request.user)
    if status == "active":
        clients = clients.filter(active=True)
    elif status == "inactive":
        clients = clients.filter(active=False)
    if query:
        clients = clients.filter(name_search(query))
    ordered = clients.order_by(*Client._meta.ordering).values_list(*ROW_FIELDS)
    paginator = Paginator(ordered, CLIENTS_PER_PAGE)
    paginator.count = clients.count()  # without the page's join to the clinician
    page = paginator.get_page(request.GET.get("page"))
    detail = row_url("practice:client_detail")
    day = date_writer()
    rows = [
        ClientRow(
            pk=pk,
            url=detail(pk),
            first_name=first,
            last_name=last,
            born=day(born),
            clinician=f"{c_first} {c_last}",
            self_pay=self_pay,
            active=active,
        )
        for pk, first, last, born, c_first, c_last, self_pay, active in page.object_list
    ]
    return render(
        request,
        "practice/client_list.html",
        {
            "page_obj": page,
            "clients": rows,
            "query": query,
            "status": status,
            "status_filters": STATUS_FILTERS,
            "show_clinician": roles.sees_all_clients(request.user),
            "can_create": roles.works_with_clients(request.user),
        },
    )


@require_GET
def client_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One client: identity, diagnoses, coverages and the last sessions with their codes."""
    client = get_object_or_404(
        Client.objects.for_user(request.user).select_related("primary_clinician"), pk=pk
    )
    record_access(request, kind=AccessKind.VIEW, what="Client page", clients=[client])
    today = timezone.localdate()
    coverages = [
        (coverage, coverage.is_effective(today))
        for coverage in client.coverages.select_related("payer")
    ]
    sessions = (
        Session.objects.for_user(request.user)
        .filter(client=client)
        .select_related("clinician", "place_of_service")
        .with_lines()
        .prefetch_related(
            Prefetch(
                "session_diagnoses",
                queryset=SessionDiagnosis.objects.select_related("diagnosis__code"),
            ),
        )[:RECENT_SESSIONS]
    )
    return render(
        request,
        "practice/client_detail.html",
        {
            "client": client,
            "diagnoses": client.diagnoses.select_related("code"),
            "coverages": coverages,
            "sessions": sessions,
            "show_clinician": roles.sees_all_clients(request.user),
            "account": client_account(request.user, client),
            "gfe": {
                "standing": estimates.current_estimate(client=client, on=today),
                # Self-pay, or no coverage in force today (the rows above, by the same
                # rule as Client.coverage_on): a Good Faith Estimate is owed.
                "needed": client.self_pay or not any(in_force for _, in_force in coverages),
                "today": today,
            },
        },
    )


@require_http_methods(["GET", "POST"])
def client_create(request: HttpRequest) -> HttpResponse:
    """A new client with diagnoses and coverages; a clinician's are their own."""
    roles.require(roles.works_with_clients(request.user))
    return _client_page(request, Client())


@require_http_methods(["GET", "POST"])
def client_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit a client the user may see; deactivating is here too (clients are never
    deleted from the UI)."""
    client = get_object_or_404(
        Client.objects.for_user(request.user).select_related("primary_clinician"), pk=pk
    )
    record_access(request, kind=AccessKind.VIEW, what="Client edit page", clients=[client])
    return _client_page(request, client)


def _client_page(request: HttpRequest, client: Client) -> HttpResponse:
    creating = client.pk is None
    data = request.POST if request.method == "POST" else None
    form, diagnoses, coverages = client_forms(data=data, user=request.user, client=client)
    stale: StaleEdit | None = None
    if data is not None:
        valid = [f.is_valid() for f in (form, diagnoses, coverages)]  # errors for all three
        if all(valid):
            try:
                client = client_save(form=form, diagnoses=diagnoses, coverages=coverages)
            except ProtectedError:
                form.add_error(
                    None,
                    "A coverage or diagnosis you removed is used by sessions or claims; "
                    "give it an end date instead. Nothing was saved.",
                )
            except StaleEdit as error:
                stale = error
                _refused(stale, form, diagnoses, coverages)
            except IntegrityError:
                # A concurrent edit, or two rows swapping codes in one save.
                form.add_error(
                    None,
                    "The client changed while you were editing, or two rows clash; "
                    "check the diagnoses and coverages and save again. Nothing was saved.",
                )
            else:
                verb = "added" if creating else "saved"
                messages.success(request, f"{client.full_name} {verb}.")
                return redirect("practice:client_detail", pk=client.pk)
        if creating:
            # A failed save must not leave the unsaved client looking saved.
            client.pk = None
    return render(
        request,
        "practice/client_form.html",
        {
            "client": client,
            "creating": creating,
            "form": form,
            "diagnoses": diagnoses,
            "coverages": coverages,
            "stale": stale,
        },
        status=409 if stale else 200,
    )


def _refused(stale: StaleEdit, form, diagnoses, coverages) -> None:
    """Show a stale page again with the user's input, each changed row marked."""
    for row_form in [form, *diagnoses.forms, *coverages.forms]:
        if stale.show_on(row_form):
            row_form.add_error(
                None,
                "Someone else saved this since you opened the page; nothing was saved. "
                "Check their changes listed above the form, then save again to apply yours.",
            )


@require_GET
def diagnosis_search(request: HttpRequest) -> JsonResponse:
    """Billable, active ICD-10-CM codes for ``?q=``, best first (up to 20).

    A code typed without its dot ("F411") is searched as "F41.1" (docs/rules/identifiers.md §4).
    """
    term = request.GET.get("q", "").strip()[:MAX_SEARCH_LENGTH]
    match = UNDOTTED_ICD10_RE.match(term.upper())
    if match:
        term = f"{match[1]}.{match[2]}"
    term = " ".join(term.split()[:MAX_SEARCH_WORDS])
    codes = (
        DiagnosisCode.objects.billable()
        .search(term)
        .only("code", "description")[:DIAGNOSIS_RESULTS]
    )
    return JsonResponse(
        {"results": [{"code": code.code, "description": code.description} for code in codes]}
    )
