"""The admin site: catalog maintenance, CSV import/export, retire-not-delete, owner-only.

Imports are driven through the admin URLs as a manager would: upload (a dry run that
previews or lists problems), then confirm ("process_import").
"""

from __future__ import annotations

import csv
import datetime
import io
import re
from decimal import Decimal

import pytest
from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from billing.models import (
    ClaimPosting,
    Clearinghouse,
    DiagnosisCode,
    Modifier,
    Payer,
    PayerRate,
    PlaceOfService,
    ProcedureCode,
    Remittance,
)
from practice.models import AccessEvent, Client, Clinician, Location, Practice, Session
from tests import factories

pytestmark = pytest.mark.django_db

PROCEDURE_COLUMNS = [
    "code",
    "description",
    "kind",
    "min_minutes",
    "max_minutes",
    "default_charge",
    "active",
    "official_descriptor",
    "add_on_to",
]


@pytest.fixture
def owner_client(client, owner_user):
    """An Owner-role login without Django's is_staff flag: the role is what opens the admin."""
    assert not owner_user.is_staff
    client.force_login(owner_user)
    return client


def url(model, view: str, *args) -> str:
    opts = model._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=args)


# --- every page opens ---------------------------------------------------------------


def _session() -> Session:
    line = factories.ServiceLineFactory(modifier_1="95")
    factories.SessionDiagnosisFactory(
        session=line.session, diagnosis=factories.DiagnosisFactory(client=line.session.client)
    )
    factories.CoverageFactory(client=line.session.client)
    return line.session


def _remittance():
    from billing.posting import remittance_post
    from tests.billing.test_claim_views import make_claim
    from tests.x835 import build_835, paid_in_full

    coverage = factories.CoverageFactory()
    claim = make_claim(coverage)
    (remittance,) = remittance_post(
        text=build_835(coverage.payer, [paid_in_full(claim)], plb=[("WO", Decimal("1.00"))])
    ).remittances
    return remittance


ROW_MAKERS = {
    ProcedureCode: lambda: ProcedureCode.objects.get(code="90837"),
    Modifier: lambda: Modifier.objects.get(code="95"),
    PlaceOfService: lambda: PlaceOfService.objects.get(code="11"),
    DiagnosisCode: lambda: DiagnosisCode.objects.get(code="F41.1"),
    Payer: lambda: factories.PayerRateFactory().payer,
    PayerRate: factories.PayerRateFactory,
    Clearinghouse: factories.ClearinghouseFactory,
    Practice: factories.PracticeFactory,
    Location: factories.LocationFactory,
    Clinician: lambda: factories.ClinicianFactory(supervisor=factories.ClinicianFactory()),
    Client: lambda: _session().client,
    Session: _session,
    AccessEvent: lambda: AccessEvent.objects.create(
        username="owner", kind="view", what="Client page", path="/practice/clients/1/"
    ),
    Remittance: _remittance,
    ClaimPosting: lambda: _remittance().payment.postings.get(),
}
# Shown in the admin, never added there: the read audit and postings are append-only.
READ_ONLY = {AccessEvent, Remittance, ClaimPosting}

REGISTERED = sorted(
    (model for model in admin.site._registry if model._meta.app_label in {"billing", "practice"}),
    key=lambda model: model._meta.label,
)


def test_every_billing_and_practice_model_in_the_admin_has_a_row_maker_here():
    assert set(REGISTERED) == set(ROW_MAKERS)


@pytest.mark.parametrize("model", REGISTERED, ids=lambda model: model._meta.label)
def test_changelist_add_and_change_pages_open_for_the_owner(owner_client, model):
    row = ROW_MAKERS[model]()

    assert owner_client.get(url(model, "changelist")).status_code == 200
    assert owner_client.get(url(model, "add")).status_code == (403 if model in READ_ONLY else 200)
    assert owner_client.get(url(model, "change", row.pk)).status_code == 200


@pytest.mark.parametrize("model", [Client, Session], ids=lambda model: model._meta.label)
def test_owner_reads_the_audit_trail_of_clients_and_sessions(owner_client, model):
    row = ROW_MAKERS[model]()

    response = owner_client.get(url(model, "history", row.pk))

    assert response.status_code == 200


def test_changelist_search_and_filters_answer(owner_client):
    response = owner_client.get(url(ProcedureCode, "changelist"), {"q": "9083", "kind": "add_on"})
    assert response.status_code == 200
    assert {row.code for row in response.context["cl"].result_list} == {"90833", "90836", "90838"}

    response = owner_client.get(url(DiagnosisCode, "changelist"), {"q": "F43.1", "billable": "1"})
    codes = [row.code for row in response.context["cl"].result_list]
    assert "F43.10" in codes
    assert "F43.1" not in codes
    assert all(code.startswith("F43.1") for code in codes)


def test_diagnosis_code_list_skips_the_full_count_and_pins_its_queries(
    owner_client, owner_user, django_assert_max_num_queries
):
    owner_client.get(url(DiagnosisCode, "changelist"))  # warm the session and content types
    # session, user, role groups, user and group permissions, one count for the pager,
    # one page of codes, the context processor's clinician, the session save, and four
    # savepoint statements (ATOMIC_REQUESTS); never a second count(*) of the whole table
    # beside the filtered one (show_full_result_count = False).
    with django_assert_max_num_queries(13) as queries:
        response = owner_client.get(url(DiagnosisCode, "changelist"))
    assert response.status_code == 200
    assert response.context["cl"].list_per_page == 100
    counts = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    assert len(counts) == 1


# --- list editing ---------------------------------------------------------------------


def test_standard_charge_and_active_flag_are_edited_in_the_list(owner_client):
    code = ProcedureCode.objects.get(code="90837")
    changelist = url(ProcedureCode, "changelist")
    response = owner_client.get(changelist, {"q": "90837"})
    formset = response.context["cl"].formset
    assert [form.instance for form in formset.forms] == [code]
    data = {
        "form-TOTAL_FORMS": "1",
        "form-INITIAL_FORMS": "1",
        "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "1000",
        "form-0-id": str(code.pk),
        "form-0-default_charge": "187.50",
        "form-0-active": "",
        "_save": "Save",
    }

    response = owner_client.post(f"{changelist}?q=90837", data)

    assert response.status_code == 302
    code.refresh_from_db()
    assert code.default_charge == Decimal("187.50")
    assert code.active is False


# --- CSV: export and round trip -----------------------------------------------------


def export_csv(client, model, resource_name: str, columns: list[str]) -> bytes:
    """The export page's form with every column ticked; the file as downloaded."""
    data = {"format": "0", "resource": "0"}
    data.update({f"{resource_name}_{column}": "on" for column in columns})
    response = client.post(url(model, "export"), data)
    assert response.status_code == 200, response.content[:2000]
    assert response["Content-Type"].startswith("text/csv")
    # A byte-order mark, so that spreadsheet programs read "ü" and "—" as UTF-8.
    assert response.content.startswith(b"\xef\xbb\xbf")
    return response.content


def upload(client, model, content: str | bytes, name: str = "upload.csv"):
    """Step 1: upload the file; import-export answers with a preview or the problems."""
    if isinstance(content, str):
        content = content.encode("utf-8")
    file = SimpleUploadedFile(name, content, content_type="text/csv")
    return client.post(url(model, "import"), {"resource": "0", "format": "0", "import_file": file})


def confirm(client, model, preview):
    """Step 2: the "Confirm import" button of the preview page."""
    form = preview.context["confirm_form"]
    data = {name: form[name].value() for name in form.fields}
    return client.post(url(model, "process_import"), data)


def import_csv(client, model, content: str | bytes):
    preview = upload(client, model, content)
    assert preview.status_code == 200
    assert preview.context.get("confirm_form") is not None, problems_on(preview)
    response = confirm(client, model, preview)
    assert response.status_code == 302
    assert response["Location"] == url(model, "changelist")
    return response


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def problems_on(response) -> str:
    return response.content.decode()[-4000:]


def procedure_rows() -> dict[str, tuple]:
    return {
        code.code: (
            code.description,
            code.kind,
            code.min_minutes,
            code.max_minutes,
            code.default_charge,
            code.active,
            code.official_descriptor,
            tuple(sorted(c.code for c in code.add_on_to.all())),
        )
        for code in ProcedureCode.objects.prefetch_related("add_on_to")
    }


def csv_text(rows: list[dict], columns: list[str]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def test_procedure_code_export_has_the_columns_and_decimal_charges(owner_client):
    content = export_csv(owner_client, ProcedureCode, "procedurecoderesource", PROCEDURE_COLUMNS)

    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
    assert list(rows[0]) == PROCEDURE_COLUMNS
    by_code = {row["code"]: row for row in rows}
    assert len(by_code) == ProcedureCode.objects.count()
    assert by_code["90837"]["default_charge"] == str(
        ProcedureCode.objects.get(code="90837").default_charge
    )
    assert "." in by_code["90837"]["default_charge"]
    assert set(by_code["90785"]["add_on_to"].split(",")) >= {"90791", "90832", "90853"}


def test_exported_procedure_codes_import_back_to_identical_rows(owner_client):
    code = ProcedureCode.objects.get(code="90837")
    code.official_descriptor = 'Licensed text, with "quotes", commas,\nand a second line — ü'
    code.save()
    before = procedure_rows()
    text = export_csv(owner_client, ProcedureCode, "procedurecoderesource", PROCEDURE_COLUMNS)
    # Drift after the export, which the import must undo.
    ProcedureCode.objects.filter(code="90837").update(
        default_charge=Decimal("1.00"), active=False, official_descriptor=""
    )
    ProcedureCode.objects.get(code="90785").add_on_to.clear()

    import_csv(owner_client, ProcedureCode, text)

    assert procedure_rows() == before


def test_reimporting_an_unchanged_export_changes_nothing_and_says_so(owner_client):
    before = procedure_rows()
    text = export_csv(owner_client, ProcedureCode, "procedurecoderesource", PROCEDURE_COLUMNS)

    response = import_csv(owner_client, ProcedureCode, text)

    assert procedure_rows() == before
    (message,) = messages_of(response)
    assert f"0 new, 0 updated, 0 deleted and {len(before)} skipped" in message


def test_import_creates_an_add_on_listed_before_its_new_primary(owner_client):
    text = csv_text(
        [
            {
                "code": "90999",
                "description": "Our add-on",
                "kind": "add_on",
                "default_charge": "10",
                "active": "1",
                "add_on_to": "90998, 90837",
            },
            {
                "code": "90998",
                "description": "Our primary",
                "kind": "other",
                "default_charge": "$1,250.50",
                "active": "yes",
                "add_on_to": "",
            },
        ],
        ["code", "description", "kind", "default_charge", "active", "add_on_to"],
    )

    import_csv(owner_client, ProcedureCode, text)

    add_on = ProcedureCode.objects.get(code="90999")
    assert {c.code for c in add_on.add_on_to.all()} == {"90998", "90837"}
    assert ProcedureCode.objects.get(code="90998").default_charge == Decimal("1250.50")


def test_official_descriptors_import_alone_by_code(owner_client):
    before = procedure_rows()
    text = csv_text(
        [{"code": "90834", "official_descriptor": "Text from our AMA license"}],
        ["code", "official_descriptor"],
    )

    import_csv(owner_client, ProcedureCode, text)

    after = procedure_rows()
    assert after.pop("90834")[6] == "Text from our AMA license"
    before.pop("90834")
    assert after == before


# --- CSV: a bad line imports nothing ------------------------------------------------------


GOOD_LINES = [
    # line 2: an update of an existing code
    {
        "code": "90834",
        "description": "Psychotherapy, about 45 minutes",
        "kind": "psychotherapy",
        "min_minutes": "38",
        "max_minutes": "52",
        "default_charge": "999.00",
        "active": "1",
        "official_descriptor": "",
        "add_on_to": "",
    },
    # line 3: a new code
    {
        "code": "H0004",
        "description": "Behavioral health counseling, per 15 minutes",
        "kind": "other",
        "min_minutes": "",
        "max_minutes": "",
        "default_charge": "30.00",
        "active": "1",
        "official_descriptor": "",
        "add_on_to": "",
    },
]


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"code": "ABCDE"}, "code: A procedure code is a 5-character CPT code"),
        ({"default_charge": "-5.00"}, "default_charge: An amount cannot be negative."),
        ({"default_charge": "twelve"}, "default_charge: “twelve” is not an amount"),
        ({"min_minutes": "ten"}, "min_minutes: “ten” is not a number."),
        ({"active": "maybe"}, "active: “maybe” is not yes or no"),
        ({"kind": "therapy"}, "kind: Value &#x27;therapy&#x27; is not a valid choice."),
        ({"add_on_to": "90837, 90000"}, "add_on_to: Not in the code catalog or this file: 90000."),
        ({"code": "90834"}, "Line number: 4 - Same code as line 2."),
    ],
    ids=["code", "negative", "words", "minutes", "active", "kind", "add-on", "duplicate"],
)
def test_a_bad_line_is_reported_by_number_and_nothing_is_imported(owner_client, bad, message):
    third = {**GOOD_LINES[1], "code": "H0005", **bad}
    text = csv_text([*GOOD_LINES, third], PROCEDURE_COLUMNS)
    before = procedure_rows()
    log_entries = LogEntry.objects.count()

    response = upload(owner_client, ProcedureCode, text)

    assert response.status_code == 200
    assert response.context.get("confirm_form") is None
    body = response.content.decode()
    assert "Nothing was imported" in body
    assert "Line number: 4 - " in body
    assert message in body
    assert "Line number: 2" not in body
    assert "Line number: 3" not in body
    assert procedure_rows() == before
    assert not ProcedureCode.objects.filter(code__in=["H0004", "H0005"]).exists()
    assert LogEntry.objects.count() == log_entries


def test_confirm_step_rolls_everything_back_if_a_line_went_bad_since_the_preview(owner_client):
    extra = ProcedureCode.objects.create(code="90997", description="Temporary", kind="other")
    text = csv_text(
        [
            GOOD_LINES[0],
            {**GOOD_LINES[1], "add_on_to": ""},
            {**GOOD_LINES[1], "code": "H0005", "add_on_to": "90997"},
        ],
        PROCEDURE_COLUMNS,
    )
    preview = upload(owner_client, ProcedureCode, text)
    assert preview.context.get("confirm_form") is not None
    extra.delete()  # someone else removes the code between preview and confirm
    before = procedure_rows()

    response = confirm(owner_client, ProcedureCode, preview)

    assert response.status_code == 302
    assert response["Location"] == url(ProcedureCode, "import")
    (message,) = messages_of(response)
    assert message.startswith("Nothing was imported.")
    assert "Line number: 4 - add_on_to: Not in the code catalog or this file: 90997." in message
    assert procedure_rows() == before


def test_a_tampered_confirm_form_is_refused(owner_client):
    preview = upload(owner_client, ProcedureCode, csv_text([GOOD_LINES[1]], PROCEDURE_COLUMNS))
    form = preview.context["confirm_form"]
    data = {name: form[name].value() for name in form.fields}
    data["import_file_name"] = data["import_file_name"][:-3] + "xyz"

    response = owner_client.post(url(ProcedureCode, "process_import"), data)

    assert response.status_code == 302
    assert not ProcedureCode.objects.filter(code="H0004").exists()


def test_a_file_that_is_not_utf8_is_refused_with_a_message(owner_client):
    windows_1252 = "code,description\r\n90834,Caf\xe9 talk\r\n".encode("cp1252")

    response = upload(owner_client, ProcedureCode, windows_1252)

    assert response.status_code == 200
    assert "not UTF-8" in response.context["form"].errors["import_file"][0]
    assert response.context.get("confirm_form") is None
    assert ProcedureCode.objects.get(code="90834").description != "Café talk"


def test_import_accepts_only_csv(owner_client):
    form = owner_client.get(url(ProcedureCode, "import")).context["form"]
    assert [label for _, label in form.fields["format"].choices] == ["csv"]


# --- CSV: payer rates -------------------------------------------------------------------


RATE_COLUMNS = ["payer", "procedure", "allowed_amount", "effective_from", "effective_to"]


def test_payer_rates_import_by_payer_name_or_payer_id_and_code(owner_client):
    acme = factories.PayerFactory(name="Acme Health", payer_id="60054")
    blue = factories.PayerFactory(name="Blue Plan", payer_id="BLUE1")
    existing = factories.PayerRateFactory(
        payer=acme, allowed_amount=Decimal("90.00"), effective_from=datetime.date(2026, 1, 1)
    )
    text = csv_text(
        [
            {
                "payer": "Acme Health",
                "procedure": "90834",
                "allowed_amount": "101.25",
                "effective_from": "2026-01-01",
                "effective_to": "",
            },
            {
                "payer": "BLUE1",
                "procedure": "90837",
                "allowed_amount": "140",
                "effective_from": "01/01/2026",
                "effective_to": "12/31/2026",
            },
        ],
        RATE_COLUMNS,
    )

    import_csv(owner_client, PayerRate, text)

    existing.refresh_from_db()
    assert existing.allowed_amount == Decimal("101.25")
    new = PayerRate.objects.get(payer=blue)
    assert new.procedure.code == "90837"
    assert new.allowed_amount == Decimal("140.00")
    assert (new.effective_from, new.effective_to) == (
        datetime.date(2026, 1, 1),
        datetime.date(2026, 12, 31),
    )
    assert PayerRate.objects.count() == 2


def test_payer_rates_export_and_import_back_unchanged(owner_client):
    factories.PayerRateFactory(payer=factories.PayerFactory(name="O'Brien & Sons, Health"))
    factories.PayerRateFactory(
        procedure=ProcedureCode.objects.get(code="90791"),
        effective_to=datetime.date(2026, 6, 30),
        allowed_amount=Decimal("150.10"),
    )
    before = set(
        PayerRate.objects.values_list(
            "payer__name", "procedure__code", "allowed_amount", "effective_from", "effective_to"
        )
    )
    text = export_csv(owner_client, PayerRate, "payerrateresource", RATE_COLUMNS)
    PayerRate.objects.update(allowed_amount=Decimal("1.00"))

    import_csv(owner_client, PayerRate, text)

    after = set(
        PayerRate.objects.values_list(
            "payer__name", "procedure__code", "allowed_amount", "effective_from", "effective_to"
        )
    )
    assert after == before


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"procedure": "99999"}, "Line number: 4 - 99999 is not in the code catalog"),
        ({"payer": "Nobody Health"}, "Line number: 4 - No payer is named “Nobody Health”"),
        (
            {"allowed_amount": "-1"},
            "Line number: 4 - allowed_amount: An amount cannot be negative.",
        ),
        ({"effective_to": "2025-01-01"}, "Line number: 4 - A rate cannot end before it starts"),
    ],
    ids=["code", "payer", "amount", "dates"],
)
def test_a_bad_payer_rate_line_imports_nothing(owner_client, bad, message):
    payer = factories.PayerFactory(name="Acme Health")
    existing = factories.PayerRateFactory(payer=payer, allowed_amount=Decimal("90.00"))
    good = {
        "payer": "Acme Health",
        "procedure": "90834",
        "allowed_amount": "101.25",
        "effective_from": existing.effective_from.isoformat(),
        "effective_to": "",
    }
    text = csv_text(
        [
            good,
            {**good, "procedure": "90837", "allowed_amount": "130.00"},
            {**good, "procedure": "90832", "effective_from": "2026-01-01", **bad},
        ],
        RATE_COLUMNS,
    )

    response = upload(owner_client, PayerRate, text)

    assert response.context.get("confirm_form") is None
    body = response.content.decode()
    assert "Nothing was imported" in body
    assert message.replace("“", "&ldquo;") in body or message in body
    existing.refresh_from_db()
    assert existing.allowed_amount == Decimal("90.00")
    assert PayerRate.objects.count() == 1


# --- deleting: only what nothing uses -----------------------------------------------------


def test_no_bulk_delete_action_on_retired_models(owner_client):
    for model in [ProcedureCode, Modifier, PlaceOfService, DiagnosisCode, Payer, Session]:
        action_form = owner_client.get(url(model, "changelist")).context["action_form"]
        names = [name for name, _ in action_form.fields["action"].choices] if action_form else []
        assert "delete_selected" not in names, model


def test_code_in_use_cannot_be_deleted_and_the_page_says_to_deactivate(owner_client):
    factories.ServiceLineFactory()  # uses 90837
    code = ProcedureCode.objects.get(code="90837")

    response = owner_client.get(url(ProcedureCode, "delete", code.pk))
    assert response.status_code == 403
    assert "1 service line" in response.content.decode()
    assert "deactivate it instead" in response.content.decode()
    assert (
        owner_client.post(url(ProcedureCode, "delete", code.pk), {"post": "yes"}).status_code == 403
    )
    assert ProcedureCode.objects.filter(pk=code.pk).exists()

    change = owner_client.get(url(ProcedureCode, "change", code.pk)).content.decode()
    assert "untick Active to retire it" in change
    assert url(ProcedureCode, "delete", code.pk) not in change


def test_code_with_a_payer_rate_counts_as_in_use(owner_client):
    rate = factories.PayerRateFactory()

    response = owner_client.get(url(ProcedureCode, "delete", rate.procedure.pk))

    assert response.status_code == 403
    assert "1 payer rate" in response.content.decode()


def test_deactivate_and_reactivate_actions(owner_client):
    codes = ProcedureCode.objects.filter(code__in=["90832", "90834"])
    pks = [str(pk) for pk in codes.values_list("pk", flat=True)]
    changelist = url(ProcedureCode, "changelist")

    response = owner_client.post(
        changelist, {"action": "deactivate_selected", "_selected_action": pks}
    )
    assert response.status_code == 302
    assert not codes.filter(active=True).exists()
    assert ProcedureCode.objects.get(code="90837").active

    owner_client.post(changelist, {"action": "reactivate_selected", "_selected_action": pks})
    assert not codes.filter(active=False).exists()


def test_deactivating_a_client_keeps_the_audit_trail(owner_client):
    client_row = factories.ClientFactory()

    owner_client.post(
        url(Client, "changelist"),
        {"action": "deactivate_selected", "_selected_action": [str(client_row.pk)]},
    )

    client_row.refresh_from_db()
    assert client_row.active is False
    assert client_row.history.first().active is False


def test_unused_code_can_be_deleted(owner_client):
    code = ProcedureCode.objects.create(code="90899", description="Unlisted", kind="other")

    assert owner_client.get(url(ProcedureCode, "delete", code.pk)).status_code == 200
    response = owner_client.post(url(ProcedureCode, "delete", code.pk), {"post": "yes"})

    assert response.status_code == 302
    assert not ProcedureCode.objects.filter(pk=code.pk).exists()


@pytest.mark.parametrize(
    ("model", "make_use", "row"),
    [
        (Payer, lambda: factories.CoverageFactory().payer, None),
        (DiagnosisCode, lambda: factories.DiagnosisFactory().code, None),
        (
            PlaceOfService,
            lambda: (
                factories.LocationFactory(
                    default_pos=PlaceOfService.objects.get(code="12")
                ).default_pos
            ),
            None,
        ),
        (Modifier, lambda: factories.ServiceLineFactory(modifier_2="HO") and None, "HO"),
        (Modifier, lambda: factories.PayerFactory(audio_only_modifier="FQ") and None, "FQ"),
    ],
    ids=["payer-coverage", "icd-diagnosis", "pos-location", "modifier-line", "modifier-payer"],
)
def test_rows_in_use_cannot_be_deleted(owner_client, model, make_use, row):
    used = make_use() or Modifier.objects.get(code=row)

    assert owner_client.get(url(model, "delete", used.pk)).status_code == 403
    assert model.objects.filter(pk=used.pk).exists()


@pytest.mark.parametrize(
    ("model", "code"),
    [(Modifier, "GT"), (PlaceOfService, "99"), (DiagnosisCode, "F43.10")],
)
def test_unused_catalog_rows_offer_the_delete_page(owner_client, model, code):
    row = model.objects.get(code=code)

    assert owner_client.get(url(model, "delete", row.pk)).status_code == 200


# --- sessions -------------------------------------------------------------------------


@pytest.mark.parametrize("status", [Session.Status.BILLED, Session.Status.CLOSED])
def test_billed_session_is_read_only_and_cannot_be_deleted(owner_client, status):
    session = _session()
    Session.objects.filter(pk=session.pk).update(status=status)

    page = owner_client.get(url(Session, "change", session.pk))
    assert page.status_code == 200
    assert "read-only" in page.content.decode()
    assert not page.context["has_change_permission"]
    response = owner_client.post(url(Session, "change", session.pk), {"note": "changed"})
    assert response.status_code == 403
    assert owner_client.get(url(Session, "delete", session.pk)).status_code == 403

    version = session.history.earliest()
    revert = reverse("admin:practice_session_simple_history", args=[session.pk, version.pk])
    assert owner_client.post(revert, {"note": "old"}).status_code == 403
    session.refresh_from_db()
    assert session.status == status


def test_draft_session_may_be_deleted(owner_client):
    session = factories.SessionFactory()

    assert owner_client.get(url(Session, "delete", session.pk)).status_code == 200


# --- payers ---------------------------------------------------------------------------


def test_payer_form_shows_every_field_in_its_sections(owner_client):
    payer = factories.PayerFactory()
    response = owner_client.get(url(Payer, "change", payer.pk))
    form = response.context["adminform"].form
    editable = {f.name for f in Payer._meta.fields if f.editable and not f.primary_key}

    assert set(form.fields) == editable
    titles = [fieldset.name for fieldset in response.context["adminform"]]
    assert titles[:4] == [
        "Identity and address",
        "Claims",
        "Telehealth rules",
        "Supervision and license rules",
    ]


def test_payer_rates_are_edited_inline_on_the_payer(owner_client):
    payer = factories.PayerFactory()
    response = owner_client.get(url(Payer, "change", payer.pk))
    prefix = response.context["inline_admin_formsets"][0].formset.prefix
    data = {
        "name": payer.name,
        "payer_id": payer.payer_id,
        "filing_indicator": "CI",
        "telehealth_modifier": "95",
        "audio_only_modifier": "93",
        "audio_only_allowed": "on",
        "timely_filing_days": "90",
        "supervision_billing": "supervisor",
        "charge_basis": payer.charge_basis,
        "box_29": payer.box_29,
        "active": "on",
        f"{prefix}-TOTAL_FORMS": "1",
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
        f"{prefix}-0-procedure": str(ProcedureCode.objects.get(code="90837").pk),
        f"{prefix}-0-allowed_amount": "142.37",
        f"{prefix}-0-effective_from": "2026-01-01",
    }

    response = owner_client.post(url(Payer, "change", payer.pk), data)

    assert response.status_code == 302, response.context["errors"]
    assert payer.rates.get().allowed_amount == Decimal("142.37")


# --- who may enter --------------------------------------------------------------------


@pytest.mark.parametrize("who", ["clinician_user", "biller_user"])
def test_staff_who_are_not_owners_are_sent_to_the_admin_login(client, request, who):
    client.force_login(request.getfixturevalue(who))

    for path in [
        reverse("admin:index"),
        url(ProcedureCode, "changelist"),
        url(ProcedureCode, "import"),
    ]:
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))


def test_clinician_cannot_log_in_to_the_admin_but_an_owner_can(client, clinician_user, owner_user):
    login = reverse("admin:login")
    password = "correct horse battery"

    refused = client.post(login, {"username": clinician_user.username, "password": password})
    assert refused.status_code == 200
    assert "for the practice owner" in refused.content.decode()

    accepted = client.post(login, {"username": owner_user.username, "password": password})
    assert accepted.status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200


def test_anonymous_visitor_is_sent_to_log_in(client):
    response = client.get(url(ProcedureCode, "changelist"))

    assert response.status_code == 302
    assert "login" in response["Location"]


# --- who may bill E/M codes (docs/rules/coding.md §6) ---------------------------------------


def test_the_owner_marks_a_clinician_as_a_prescriber_in_the_admin(owner_client, practice_row):
    clinician = factories.ClinicianFactory(credentials="MD")

    change = owner_client.get(url(Clinician, "change", clinician.pk)).content.decode()
    listing = owner_client.get(url(Clinician, "changelist"), {"prescriber__exact": "0"})

    assert 'name="prescriber"' in change
    assert clinician in listing.context["cl"].result_list


def test_time_ranges_are_shown_not_edited_in_the_admin(owner_client):
    code = ProcedureCode.objects.get(code="90834")

    page = owner_client.get(url(ProcedureCode, "change", code.pk)).content.decode()

    assert 'name="min_minutes"' not in page and 'name="max_minutes"' not in page
    assert "docs/rules/coding.md §2" in page


def test_the_import_preview_shows_a_changed_fee_as_old_to_new(owner_client):
    ProcedureCode.objects.filter(code="90837").update(default_charge=Decimal("140.00"))
    text = export_csv(owner_client, ProcedureCode, "procedurecoderesource", PROCEDURE_COLUMNS)
    rows = list(csv.DictReader(io.StringIO(text.decode("utf-8-sig"))))
    for row in rows:
        if row["code"] == "90837":
            row["default_charge"] = "145.00"

    preview = upload(owner_client, ProcedureCode, csv_text(rows, PROCEDURE_COLUMNS))

    html = preview.content.decode()
    assert preview.context.get("confirm_form") is not None, problems_on(preview)
    assert re.search(r"140\.00\s*<span[^>]*>→</span>.*?<strong>145\.00</strong>", html, re.S)
    # No character diff: its struck-through "140" beside "5.00" read as "1405.00".
    assert "<del" not in html and "<ins" not in html
