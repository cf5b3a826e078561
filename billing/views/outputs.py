"""PDF downloads: CMS-1500 forms (billing staff) and superbills (billing staff, and a
clinician for their own clients).

Bad or missing parameters answer 400 with a plain sentence (the superbill: its form with
the reason beside the field), never a 500; an unknown claim answers 404.
"""

from __future__ import annotations

from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from billing.forms import SuperbillForm
from billing.models import Claim
from billing.outputs.cms1500 import MODES, claims_for_print, render_cms1500
from billing.outputs.superbill import draw_superbill, superbill_for
from practice.audit import AccessKind, record_access
from practice.downloads import printed
from practice.formats import us_date
from practice.models import Practice, Session
from practice.params import id_param, parse_id
from practice.roles import billing_staff_only

MAX_BATCH = 200  # claims in one batch PDF (about 20 ms a form page)
MAX_OFFSET = 36  # points (half an inch) a printer may be off by


class BadRequest(ValueError):
    """A parameter the user can fix; the message says how."""


def _bad(message: str) -> HttpResponseBadRequest:
    return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")


def _print_options(request) -> tuple[str, tuple[int, int]]:
    """``mode`` (facsimile by default) and an optional printer offset ``dx``/``dy``."""
    mode = request.GET.get("mode") or "facsimile"
    if mode not in MODES:
        raise BadRequest(f"mode must be one of: {', '.join(MODES)}.")
    offset = []
    for name in ("dx", "dy"):
        raw = request.GET.get(name) or "0"
        try:
            value = int(raw)  # whole points: 1 pt is a third of a millimetre
        except ValueError:
            raise BadRequest(f"{name} must be a whole number of points.") from None
        if not -MAX_OFFSET <= value <= MAX_OFFSET:
            raise BadRequest(f"{name} must be between -{MAX_OFFSET:g} and {MAX_OFFSET:g} points.")
        offset.append(value)
    return mode, (offset[0], offset[1])


@billing_staff_only
def claim_cms1500(request, pk: int):
    """One claim's CMS-1500 forms: ``?mode=facsimile`` (default, plain paper) or
    ``?mode=data`` (pre-printed red forms)."""
    try:
        mode, offset = _print_options(request)
    except BadRequest as error:
        return _bad(str(error))
    claim = get_object_or_404(claims_for_print(), pk=pk)
    return printed(
        request,
        render_cms1500([claim], mode=mode, offset=offset),
        f"claim-{claim.control_number}.pdf",
        what="CMS-1500 PDF",
        clients=[claim.client_id],
        objects=[claim],
    )


def _batch_claims(request) -> tuple[list[Claim], str]:
    ids_param, status = request.GET.get("ids"), request.GET.get("status")
    if ids_param is not None:
        ids = [parse_id(part.strip()) for part in ids_param.split(",") if part.strip()]
        if None in ids:
            raise BadRequest("ids must be claim numbers separated by commas.")
        if not ids:
            raise BadRequest("ids must name at least one claim.")
        if len(ids) > MAX_BATCH:
            raise BadRequest(f"Print at most {MAX_BATCH} claims at once.")
        found = {claim.pk: claim for claim in claims_for_print().filter(pk__in=ids)}
        missing = [pk for pk in dict.fromkeys(ids) if pk not in found]
        if missing:
            raise LookupError(f"No claim {', '.join(map(str, missing))}.")
        return [found[pk] for pk in dict.fromkeys(ids)], "batch"
    if status is not None:
        if status not in Claim.Status.values:
            raise BadRequest(f"status must be one of: {', '.join(Claim.Status.values)}.")
        claims = list(claims_for_print().filter(status=status).order_by("pk")[: MAX_BATCH + 1])
        if not claims:
            raise BadRequest(f"No {Claim.Status(status).label.lower()} claims to print.")
        if len(claims) > MAX_BATCH:
            raise BadRequest(f"More than {MAX_BATCH} claims: print them by ids, in parts.")
        return claims, status
    raise BadRequest("Say which claims to print: ?ids=1,2,3 or ?status=ready.")


@billing_staff_only
def claims_cms1500_batch(request):
    """Several claims in one PDF: ``?ids=1,2,3`` (in that order) or ``?status=ready``."""
    try:
        mode, offset = _print_options(request)
        claims, label = _batch_claims(request)
    except BadRequest as error:
        return _bad(str(error))
    except LookupError as error:
        return HttpResponse(str(error), status=404, content_type="text/plain; charset=utf-8")
    return printed(
        request,
        render_cms1500(claims, mode=mode, offset=offset),
        f"claims-{label}-{timezone.localdate():%Y%m%d}.pdf",
        what="CMS-1500 PDF, several claims",
        clients=[claim.client_id for claim in claims],
        objects=claims,
    )


def _superbill_page(request, form: SuperbillForm, *, status: int = 200) -> HttpResponse:
    """The superbill form: the chosen client (audited: the page names them), the dates, and
    any error beside its field. Refused requests answer 400 with the form, never a bare
    message."""
    chosen = form.cleaned_data.get("client") if form.is_bound else form.initial.get("client")
    if chosen is not None:
        record_access(request, kind=AccessKind.VIEW, what="Superbill form", clients=[chosen])
    practice = Practice.current()
    return render(
        request,
        "billing/superbill_form.html",
        {
            "form": form,
            "client": chosen,
            "prints_ssn": practice is not None and practice.tax_id_type == Practice.TaxIdType.SSN,
        },
        status=status,
    )


def superbill(request):
    """A superbill PDF for ``?client=<id>&start=YYYY-MM-DD&end=YYYY-MM-DD``
    (docs/rules/superbills.md §1); a missing or unknown client, bad dates or a period
    with nothing to list show the form again with the reason beside the field (400).

    Billing staff see every client and session; a clinician their own clients, and on
    the superbill only the sessions they gave.
    """
    id_param(request.GET, "client")  # a malformed id is a 400 like everywhere else
    form = SuperbillForm(request.GET, user=request.user)
    if not form.is_valid():
        return _superbill_page(request, form, status=400)
    client, start, end = (form.cleaned_data[name] for name in ("client", "start", "end"))
    bill = superbill_for(
        client=client, start=start, end=end, sessions=Session.objects.for_user(request.user)
    )
    if not bill.rows:
        form.add_error(
            None,
            f"No attended session of {client.full_name} from {us_date(start)} to "
            f"{us_date(end)} is left to put on a superbill: sessions billed to an insurer on "
            "a claim are left off.",
        )
        return _superbill_page(request, form, status=400)
    return printed(
        request,
        draw_superbill(bill),
        f"superbill-{client.account_number}-{start:%Y%m%d}-{end:%Y%m%d}.pdf",
        what="Superbill PDF",
        clients=[client],
    )


def superbill_form(request):
    """Choose the client and dates of a superbill (this year so far by default); warns
    when the practice bills under an SSN, which then prints on it
    (docs/rules/superbills.md §2). ``?client=<id>`` (the client page's link) picks the
    client; one the user cannot see is refused beside the field."""
    pk = id_param(request.GET, "client")
    today = timezone.localdate()
    dates = {"start": today.replace(month=1, day=1), "end": today}
    form = SuperbillForm(user=request.user, initial=dates)
    if pk is None:
        return _superbill_page(request, form)
    client = form.fields["client"].queryset.filter(pk=pk).first()
    if client is None:
        data = {"client": str(pk), **{name: value.isoformat() for name, value in dates.items()}}
        form = SuperbillForm(data, user=request.user)
        form.is_valid()
        return _superbill_page(request, form, status=400)
    form.initial["client"] = client
    return _superbill_page(request, form)
