"""Hardened responses: no-store on health information, the Content-Security-Policy, the
favicon, and malformed input answered 400 or a form error, never a 500.

These run on SQLite and, in CI's second pass, on PostgreSQL (which refuses NUL in text).
Every page is also walked for no-store and fuzzed in tests/test_fuzz.py.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.test import Client

from billing.models import DiagnosisCode, ProcedureCode
from billing.services import claims_build
from practice.middleware import ADMIN_HANDLERS
from practice.models import Client as Patient
from practice.models import ServiceLine, Session
from practice.params import parse_id
from tests import factories

pytestmark = pytest.mark.django_db

TEMPLATES = Path(settings.BASE_DIR) / "templates"


@pytest.fixture(autouse=True)
def _today():
    moment = datetime.datetime(2026, 10, 12, 12, 0, tzinfo=ZoneInfo("America/New_York"))
    with time_machine.travel(moment, tick=False):
        yield


@pytest.fixture
def patient(clinician):
    person = factories.ClientFactory(primary_clinician=clinician, last_name="O'Neil")
    factories.CoverageFactory(client=person)
    factories.DiagnosisFactory(client=person)
    return person


@pytest.fixture
def raw_client():
    """A test client that answers a 500 instead of raising, as a browser would see it."""
    return Client(raise_request_exception=False)


def session_post(patient, **changes) -> dict:
    data = {
        "client": patient.pk,
        "rendered_client": patient.pk,
        "date": "2026-10-05",
        "start_time": "10:00",
        "end_time": "10:53",
        "service": "individual",
        "telehealth": "",
        "diagnoses": [d.pk for d in patient.diagnoses.all()],
    }
    data.update(changes)
    return data


# --- malformed input: the cases seen in the field -------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/practice/clients/?q=%00",
        "/practice/diagnoses/search/?q=%00",
        "/practice/sessions/suggest/?session=abc",
        "/practice/sessions/new/?client=%C2%B2",
        "/practice/sessions/new/?repeat=%E2%91%A2",
        "/billing/superbill/new/?client=%C2%B2",
        "/billing/claims/cms1500.pdf?ids=1,%E2%91%A2",
    ],
)
def test_malformed_query_parameters_answer_400_not_500(raw_client, biller_user, patient, url):
    raw_client.force_login(biller_user)
    response = raw_client.get(url)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/plain")


def test_a_400_says_which_parameter_is_wrong(raw_client, clinician_user, patient):
    raw_client.force_login(clinician_user)
    response = raw_client.get("/practice/sessions/new/?repeat=%E2%91%A2")
    assert response.content.decode() == "repeat must be a record number (digits 0–9), not '③'."


def test_a_session_id_too_large_for_any_row_is_a_400(raw_client, clinician_user):
    raw_client.force_login(clinician_user)
    response = raw_client.get("/practice/sessions/suggest/?session=" + "9" * 30)
    assert response.status_code == 400


def test_a_good_client_parameter_still_picks_the_client(client, clinician_user, patient):
    client.force_login(clinician_user)
    response = client.get(f"/practice/sessions/new/?client={patient.pk}")
    assert response.status_code == 200
    assert response.context["client"] == patient


@pytest.mark.parametrize("field", ["client", "rendered_client"])
def test_a_posted_superscript_client_is_a_form_error_and_saves_nothing(
    raw_client, clinician_user, patient, field
):
    raw_client.force_login(clinician_user)
    response = raw_client.post("/practice/sessions/new/", session_post(patient, **{field: "²"}))
    assert response.status_code == 200
    assert Session.objects.count() == 0
    if field == "client":
        assert response.context["form"].errors["client"]


def test_a_posted_superscript_diagnosis_is_a_form_error_and_saves_nothing(
    raw_client, clinician_user, patient
):
    raw_client.force_login(clinician_user)
    response = raw_client.post("/practice/sessions/new/", session_post(patient, diagnoses=["³"]))
    assert response.status_code == 200
    assert response.context["form"].errors["diagnoses"]
    assert Session.objects.count() == ServiceLine.objects.count() == 0


@pytest.mark.parametrize("changes", [{"client": "²"}, {"diagnoses": ["³"]}, {"session": "x"}])
def test_the_live_proposal_takes_malformed_fields_without_a_500(
    raw_client, clinician_user, patient, changes
):
    raw_client.force_login(clinician_user)
    response = raw_client.post("/practice/sessions/suggest/", session_post(patient, **changes))
    assert response.status_code == 200


def test_a_nul_in_a_posted_field_is_refused_before_any_save(raw_client, clinician_user):
    raw_client.force_login(clinician_user)
    before = Patient.objects.count()
    response = raw_client.post(
        "/practice/clients/new/",
        {"first_name": "Ada\x00", "last_name": "Lovelace", "date_of_birth": "1990-01-01"},
    )
    assert response.status_code == 400
    assert Patient.objects.count() == before


def test_a_nul_in_an_admin_search_is_refused(raw_client, owner_user):
    raw_client.force_login(owner_user)
    assert raw_client.get("/admin/practice/client/?q=%00").status_code == 400


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("12", 12),
        ("007", 7),
        (12, 12),
        ("²", None),
        ("③", None),
        ("١٢", None),  # Arabic-Indic digits: int() takes them, an id does not
        ("１２", None),  # full-width
        (" 12", None),
        ("+12", None),
        ("-1", None),
        ("1_000", None),
        ("0", None),
        ("9" * 19, None),
        ("", None),
        (None, None),
        (True, None),
    ],
)
def test_parse_id_takes_ascii_digits_only(raw, expected):
    assert parse_id(raw) == expected


# --- no-store on health information ---------------------------------------------------


def _claimed(patient, owner_user):
    session = factories.SessionFactory(client=patient, status=Session.Status.READY)
    factories.SessionDiagnosisFactory(session=session, diagnosis=patient.diagnoses.first())
    factories.ServiceLineFactory(session=session, position=1)
    return claims_build(user=owner_user).claims[0]


def test_csv_and_pdf_exports_are_no_store(client, owner_user, patient):
    claim = _claimed(patient, owner_user)
    client.force_login(owner_user)
    exports = [
        f"/billing/claims/{claim.pk}/cms1500.pdf",
        "/billing/summary/?start=2026-10-01&end=2026-10-31&format=csv",
        "/billing/reports/services/?format=csv",
    ]
    for url in exports:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Content-Type"].split(";")[0] in ("application/pdf", "text/csv"), url
        assert "no-store" in response["Cache-Control"], url
        assert response["Pragma"] == "no-cache"
        assert response["Expires"] == "0"


def test_static_files_keep_their_cache_lifetime(client):
    response = client.get("/static/css/app.css")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")


# --- the favicon ----------------------------------------------------------------------


def test_favicon_ico_is_served_without_a_login(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] in ("image/x-icon", "image/vnd.microsoft.icon")
    assert b"".join(response.streaming_content)[:4] == b"\x00\x00\x01\x00"  # ICO header


def test_every_page_links_an_icon_that_exists(client, clinician_user):
    client.force_login(clinician_user)
    html = client.get("/practice/sessions/").content.decode()
    icons = re.findall(r'<link rel="icon" href="([^"]+)"', html)
    assert icons
    for href in icons:
        assert client.get(href).status_code == 200, href


# --- Content-Security-Policy ----------------------------------------------------------


def _policy(response) -> dict[str, set[str]]:
    directives = {}
    for part in response["Content-Security-Policy"].split(";"):
        name, *sources = part.split()
        directives[name] = set(sources)
    return directives


def test_pages_carry_a_policy_without_inline_code_or_eval(client, clinician_user):
    client.force_login(clinician_user)
    policy = _policy(client.get("/practice/sessions/new/"))
    assert policy["default-src"] == {"'self'"}
    assert policy["script-src"] == {"'self'"}
    assert policy["style-src"] == {"'self'"}
    assert policy["object-src"] == {"'none'"}
    assert policy["frame-ancestors"] == {"'none'"}
    assert policy["form-action"] == {"'self'"}
    assert not any("unsafe" in s for sources in policy.values() for s in sources)


def test_the_login_page_and_the_admin_carry_the_policy_too(client, owner_user):
    assert "script-src 'self'" in client.get("/login/")["Content-Security-Policy"]
    client.force_login(owner_user)
    assert "script-src 'self'" in client.get("/admin/")["Content-Security-Policy"]


def test_only_the_admin_allows_style_attributes_and_nothing_allows_inline_script(
    client, owner_user
):
    """django-simple-history's and django-import-export's admin templates use style=""."""
    client.force_login(owner_user)
    admin = _policy(client.get("/admin/practice/client/"))
    assert admin["style-src-attr"] == {"'unsafe-inline'"}
    assert admin["script-src"] == {"'self'"}
    assert admin["style-src"] == {"'self'"}
    assert "style-src-attr" not in _policy(client.get("/practice/clients/"))


def test_the_admin_allows_exactly_the_export_forms_handler_by_its_hash(client, owner_user):
    """If django-import-export changes its handler, this fails rather than the page."""
    import import_export

    template = Path(import_export.__file__).parent / "templates/admin/import_export/export.html"
    handlers = set(re.findall(r'\son[a-z]+="([^"]*)"', template.read_text()))
    assert handlers == set(ADMIN_HANDLERS)
    client.force_login(owner_user)
    policy = _policy(client.get("/admin/billing/procedurecode/export/"))
    digest = base64.b64encode(hashlib.sha256(b"onSelectToggleChange(event)").digest()).decode()
    assert policy["script-src-attr"] == {"'unsafe-hashes'", f"'sha256-{digest}'"}


INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "inline <script>"),
    (re.compile(r"<style\b", re.I), "<style> element"),
    (re.compile(r"\sstyle\s*=", re.I), "style attribute"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "inline event handler"),
    (re.compile(r"\shx-on", re.I), "hx-on (needs eval)"),
    (re.compile(r"javascript:", re.I), "javascript: URL"),
]


def test_no_template_needs_inline_script_or_style():
    found = []
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text()
        for pattern, what in INLINE:
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                found.append(f"{path.relative_to(TEMPLATES)}:{line}: {what}")
    assert not found


def test_charts_draw_with_presentation_attributes_not_style(client, owner_user, patient):
    _claimed(patient, owner_user)
    client.force_login(owner_user)
    html = client.get("/billing/reports/services/?date_from=2026-01-01").content.decode()
    assert "<svg" in html
    svg = html[html.index("<svg") : html.index("</svg>")]
    assert " style=" not in svg and "<style" not in svg


# --- the admin: what the fuzzer found ---------------------------------------------------


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/admin/practice/client/%E2%91%A2/history/", 404),
        ("/admin/practice/client/%E2%91%A2/history/1/", 404),
        ("/admin/practice/client/{client}/history/x/", 404),
        ("/admin/billing/procedurecode/export/?zz=1", 400),
        ("/admin/billing/payerrate/export/?S=0", 400),
    ],
)
def test_admin_urls_with_malformed_ids_or_filters_answer_4xx(
    raw_client, owner_user, patient, url, status
):
    raw_client.force_login(owner_user)
    assert raw_client.get(url.format(client=patient.pk)).status_code == status


def _session_admin_post(session, **extra) -> dict:
    data = {
        "client": session.client_id,
        "clinician": session.clinician_id,
        "date": "2026-10-05",
        "start_time": "10:00",
        "end_time": "10:53",
        "minutes": "53",
        "service": "individual",
        "status": "draft",
        "place_of_service": session.place_of_service_id,
        "lines-TOTAL_FORMS": "0",
        "lines-INITIAL_FORMS": "0",
        "session_diagnoses-TOTAL_FORMS": "0",
        "session_diagnoses-INITIAL_FORMS": "0",
    }
    if hasattr(session, "version"):
        data["version"] = session.version
    return data | extra


def test_an_admin_post_naming_a_related_row_by_no_number_is_a_400(raw_client, owner_user, patient):
    session = factories.SessionFactory(client=patient)
    session.refresh_from_db()
    raw_client.force_login(owner_user)
    url = f"/admin/practice/session/{session.pk}/change/"
    response = raw_client.post(url, _session_admin_post(session, clinician="③"))
    assert response.status_code == 400
    session.refresh_from_db()
    assert session.clinician == patient.primary_clinician


def test_an_inline_autocomplete_value_that_is_no_key_is_a_form_error(
    raw_client, owner_user, patient
):
    session = factories.SessionFactory(client=patient)
    session.refresh_from_db()
    raw_client.force_login(owner_user)
    line = {
        "lines-TOTAL_FORMS": "1",
        "lines-0-session": session.pk,
        "lines-0-position": "1",
        "lines-0-procedure": "③",
        "lines-0-units": "1",
        "lines-0-charge": "160.00",
        "lines-0-diagnosis_pointers": "A",
    }
    url = f"/admin/practice/session/{session.pk}/change/"
    response = raw_client.post(url, _session_admin_post(session, **line))
    assert response.status_code == 200
    assert ServiceLine.objects.count() == 0


def test_an_admin_action_for_ids_that_are_no_keys_is_a_400(raw_client, owner_user, clinician):
    raw_client.force_login(owner_user)
    response = raw_client.post(
        "/admin/practice/clinician/",
        {"action": "reactivate_selected", "_selected_action": [str(clinician.pk), "abc"]},
    )
    assert response.status_code == 400


def test_an_admin_action_for_real_ids_still_runs(client, owner_user, clinician):
    clinician.active = False
    clinician.save()
    client.force_login(owner_user)
    response = client.post(
        "/admin/practice/clinician/",
        {"action": "reactivate_selected", "_selected_action": [str(clinician.pk)]},
    )
    assert response.status_code == 302
    clinician.refresh_from_db()
    assert clinician.active


def test_swapping_two_diagnoses_in_the_session_admin_saves_nothing_and_says_so(
    client, owner_user, patient
):
    """Each form is valid and the formset's final state is unique, but saving row by row
    collides: the database refuses, and the admin must say so rather than 500."""
    first = patient.diagnoses.get()
    second = factories.DiagnosisFactory(
        client=patient, code=DiagnosisCode.objects.get(code="F43.10"), rank=2
    )
    session = factories.SessionFactory(client=patient)
    rows = [
        factories.SessionDiagnosisFactory(session=session, diagnosis=d, position=n)
        for n, d in ((1, first), (2, second))
    ]
    session.refresh_from_db()
    data = _session_admin_post(
        session,
        **{"session_diagnoses-TOTAL_FORMS": "2", "session_diagnoses-INITIAL_FORMS": "2"},
    )
    for n, (row, diagnosis) in enumerate(zip(rows, (second, first), strict=True)):
        data |= {
            f"session_diagnoses-{n}-id": row.pk,
            f"session_diagnoses-{n}-session": session.pk,
            f"session_diagnoses-{n}-diagnosis": diagnosis.pk,
            f"session_diagnoses-{n}-position": n + 1,
        }
    client.force_login(owner_user)
    response = client.post(f"/admin/practice/session/{session.pk}/change/", data, follow=True)
    assert response.status_code == 200
    assert "Nothing was saved" in response.content.decode()
    assert [r.diagnosis_id for r in session.session_diagnoses.order_by("position")] == [
        first.pk,
        second.pk,
    ]


@pytest.mark.parametrize("url", ["/account/two-step/?next=1", "/account/two-step/?next=on"])
def test_a_next_parameter_that_is_no_path_sends_home_not_to_a_500(raw_client, biller_user, url):
    raw_client.force_login(biller_user)
    assert raw_client.get(url).status_code < 500


def test_a_session_status_change_with_a_next_that_is_no_path_goes_to_the_session(
    client, clinician_user, patient
):
    session = factories.SessionFactory(client=patient)
    client.force_login(clinician_user)
    response = client.post(
        f"/practice/sessions/{session.pk}/status/", {"status": "cancelled", "next": "on"}
    )
    assert response.status_code == 302
    assert response["Location"] == f"/practice/sessions/{session.pk}/"


def test_an_admin_choice_beyond_any_key_is_a_400_not_an_overflow(raw_client, owner_user):
    raw_client.force_login(owner_user)
    code = ProcedureCode.objects.get(code="90785")
    response = raw_client.post(
        f"/admin/billing/procedurecode/{code.pk}/change/",
        {"code": "90785", "kind": code.kind, "add_on_to": ["-100000000000000000000"]},
    )
    assert response.status_code == 400


def test_the_admin_shows_no_ones_totp_secret(raw_client, owner_user, biller_user):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=biller_user, name="phone")
    raw_client.force_login(owner_user)
    assert raw_client.get(f"/admin/otp_totp/totpdevice/{device.pk}/config/").status_code == 403
    assert raw_client.get("/admin/otp_totp/totpdevice/0/config/").status_code == 403
