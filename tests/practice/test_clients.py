"""Client pages: list, detail, create/edit with diagnoses and coverages, ICD-10-CM search."""

from __future__ import annotations

import datetime
import unicodedata
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from billing.models import DiagnosisCode
from practice.models import Client, Coverage, Diagnosis, Session
from tests import factories

pytestmark = pytest.mark.django_db

LIST_URL = reverse("practice:client_list")
CREATE_URL = reverse("practice:client_create")
SEARCH_URL = reverse("practice:diagnosis_search")


def _management(prefix: str, total: int, initial: int = 0) -> dict[str, str]:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def _coverage(insurer, **overrides) -> dict[str, str]:
    row = {
        "payer": str(insurer.pk) if insurer else "",
        "member_id": "XYZ123456",
        "group_number": "GRP1",
        "plan_name": "",
        "priority": "1",
        "relationship": "18",
        "effective_from": "2025-01-01",
        "effective_to": "",
        "copay": "25.00",
        "prior_auth_number": "",
        "prior_auth_visits": "",
    }
    row.update(overrides)
    return row


def _diagnosis(code: str = "F41.1", **overrides) -> dict[str, str]:
    return {"code": code, "rank": "1", "start_date": "", "end_date": "", **overrides}


def client_post(
    *,
    diagnoses: list[dict] = (),
    coverages: list[dict] = (),
    existing: tuple[int, int] = (0, 0),
    **fields,
) -> dict[str, str]:
    """POST data for the client page: the client's fields plus both formsets.

    ``existing`` is (diagnoses, coverages) already saved, i.e. INITIAL_FORMS.
    """
    data = {
        "first_name": "Zoë",
        "last_name": "Nguyễn",
        "date_of_birth": "1990-02-03",
        "sex": "F",
        "phone": "2175550111",
        "email": "",
        "address_line1": "1 Oak St",
        "address_line2": "",
        "city": "Springfield",
        "state": "il",
        "zip_code": "62701-1234",
        **_management("diagnoses", len(diagnoses), existing[0]),
        **_management("coverages", len(coverages), existing[1]),
    }
    data.update(fields)
    for prefix, rows in (("diagnoses", diagnoses), ("coverages", coverages)):
        for index, row in enumerate(rows):
            data.update({f"{prefix}-{index}-{name}": value for name, value in row.items()})
    return data


def _edit_data(client: Client, **fields) -> dict[str, str]:
    """POST data that re-submits a saved client unchanged (then ``fields`` override)."""
    diagnoses = [
        _diagnosis(d.code.code, id=str(d.pk), rank=str(d.rank)) for d in client.diagnoses.all()
    ]
    coverages = [
        _coverage(
            c.payer,
            id=str(c.pk),
            member_id=c.member_id,
            priority=str(c.priority),
            effective_from=c.effective_from.isoformat(),
            copay=str(c.copay),
        )
        for c in client.coverages.all()
    ]
    base = {
        "first_name": client.first_name,
        "last_name": client.last_name,
        "date_of_birth": client.date_of_birth.isoformat(),
        "sex": client.sex,
        "primary_clinician": str(client.primary_clinician_id),
        "active": "on" if client.active else "",
        "self_pay": "",
    }
    data = client_post(
        diagnoses=diagnoses,
        coverages=coverages,
        existing=(len(diagnoses), len(coverages)),
        **base,
    )
    data.update(fields)
    return {k: v for k, v in data.items() if v is not None}


def _code(code: str) -> DiagnosisCode:
    return DiagnosisCode.objects.get(code=code)


def _counts() -> tuple[int, int, int]:
    return Client.objects.count(), Diagnosis.objects.count(), Coverage.objects.count()


def _names(response) -> list[str]:
    return [c.full_name for c in response.context["clients"]]


# --- list ------------------------------------------------------------------------------


def test_list_search_matches_each_word_against_first_or_last_name(client, clinician):
    factories.ClientFactory(first_name="Ana", last_name="Silva", primary_clinician=clinician)
    factories.ClientFactory(first_name="Silva", last_name="Jones", primary_clinician=clinician)
    factories.ClientFactory(first_name="Ana", last_name="Jones", primary_clinician=clinician)
    client.force_login(clinician.user)

    assert sorted(_names(client.get(LIST_URL, {"q": "SILVA"}))) == ["Ana Silva", "Silva Jones"]
    assert _names(client.get(LIST_URL, {"q": "silva ana"})) == ["Ana Silva"]
    assert _names(client.get(LIST_URL, {"q": "jones, ana"})) == ["Ana Jones"]


@pytest.mark.parametrize(
    "query",
    ["zoë", "ZOË", "Zoë", unicodedata.normalize("NFD", "Zoë"), "nguyễn", "NGUYỄN", "zoë nguy"],
)
def test_list_search_finds_unicode_names_in_any_case(client, clinician, query):
    factories.ClientFactory(first_name="Zoë", last_name="Nguyễn", primary_clinician=clinician)
    factories.ClientFactory(first_name="Zoe", last_name="Smith", primary_clinician=clinician)
    client.force_login(clinician.user)

    assert _names(client.get(LIST_URL, {"q": query})) == ["Zoë Nguyễn"]


@pytest.mark.parametrize("query", ["o'brien", "O’Brien", "O'BRIEN", "brien"])
def test_list_search_finds_a_name_with_an_apostrophe(client, clinician, query):
    factories.ClientFactory(first_name="Siobhán", last_name="O'Brien", primary_clinician=clinician)
    factories.ClientFactory(first_name="Bri", last_name="Obrist", primary_clinician=clinician)
    client.force_login(clinician.user)

    assert _names(client.get(LIST_URL, {"q": query})) == ["Siobhán O'Brien"]


def test_list_shows_active_clients_by_default_and_filters_inactive_or_all(client, clinician):
    factories.ClientFactory(first_name="Active", primary_clinician=clinician)
    factories.ClientFactory(first_name="Gone", primary_clinician=clinician, active=False)
    client.force_login(clinician.user)

    assert [c.first_name for c in client.get(LIST_URL).context["clients"]] == ["Active"]
    inactive = client.get(LIST_URL, {"status": "inactive"}).context["clients"]
    assert [c.first_name for c in inactive] == ["Gone"]
    assert len(client.get(LIST_URL, {"status": "all"}).context["clients"]) == 2
    # An unknown filter falls back to the default rather than failing.
    assert len(client.get(LIST_URL, {"status": "bogus"}).context["clients"]) == 1


def test_list_pages_hold_50_clients_and_keep_the_filters(client, clinician):
    factories.ClientFactory.create_batch(51, first_name="Pat", primary_clinician=clinician)
    client.force_login(clinician.user)

    first = client.get(LIST_URL, {"q": "pat"})
    assert len(first.context["clients"]) == 50
    assert "q=pat" in first.content.decode() and "page=2" in first.content.decode()
    second = client.get(LIST_URL, {"q": "pat", "page": 2})
    assert len(second.context["clients"]) == 1
    # A page past the end shows the last page, not an error.
    assert client.get(LIST_URL, {"page": 99}).context["page_obj"].number == 2


@pytest.mark.parametrize("rows", [5, 60])
@pytest.mark.parametrize("fixture", ["clinician_user", "biller_user"])
def test_list_runs_the_same_queries_for_5_or_60_clients(
    client, request, clinician, django_assert_max_num_queries, rows, fixture
):
    factories.ClientFactory.create_batch(rows, primary_clinician=clinician)
    client.force_login(request.getfixturevalue(fixture))
    # 11 for a clinician, none of them per row: read the session, the user; SAVEPOINT
    # (ATOMIC_REQUESTS inside the test's transaction); the user's role groups; the user's
    # clinician row (whose clients; billing staff skip it: 10); COUNT of the filtered
    # clients; one page of clients joined to their clinician; RELEASE; then SAVEPOINT,
    # UPDATE django_session (SESSION_SAVE_EVERY_REQUEST), RELEASE.
    queries = 11 if fixture == "clinician_user" else 10
    with django_assert_max_num_queries(queries):
        response = client.get(LIST_URL)
    assert len(response.context["clients"]) == min(rows, 50)


def test_a_clinicians_list_leaves_out_other_clinicians_clients(client, clinician, other_clinician):
    factories.ClientFactory(first_name="Mine", primary_clinician=clinician)
    seen = factories.ClientFactory(first_name="Seen", primary_clinician=other_clinician)
    factories.SessionFactory(client=seen, clinician=clinician)
    factories.ClientFactory(first_name="Theirs", primary_clinician=other_clinician)
    client.force_login(clinician.user)

    response = client.get(LIST_URL)
    assert sorted(c.first_name for c in response.context["clients"]) == ["Mine", "Seen"]
    assert not response.context["show_clinician"]


@pytest.mark.parametrize("fixture", ["biller_user", "owner_user"])
def test_billers_and_owners_see_every_client_with_the_clinician_column(
    client, request, clinician, other_clinician, fixture
):
    factories.ClientFactory(primary_clinician=clinician)
    factories.ClientFactory(primary_clinician=other_clinician)
    client.force_login(request.getfixturevalue(fixture))

    response = client.get(LIST_URL)
    assert len(response.context["clients"]) == 2
    assert response.context["show_clinician"]
    assert other_clinician.full_name in response.content.decode()


def test_list_rows_link_each_client_and_show_birth_date_clinician_pay_and_status(
    client, biller_user, clinician
):
    someone = factories.ClientFactory(
        first_name="Zoë",
        last_name="O'Brien",
        date_of_birth=datetime.date(1984, 3, 7),
        primary_clinician=clinician,
        self_pay=True,
    )
    client.force_login(biller_user)

    html = client.get(LIST_URL, {"status": "all"}).content.decode()

    detail = reverse("practice:client_detail", args=[someone.pk])
    assert f'<a href="{detail}">O&#x27;Brien, Zoë</a>' in html
    assert '<td data-label="Date of birth">03/07/1984</td>' in html
    assert f'<td data-label="Clinician">{clinician.full_name}</td>' in html
    assert '<td data-label="Pay">Self-pay</td><td data-label="Status">Active</td>' in html


# --- detail ------------------------------------------------------------------------------


def test_detail_shows_identity_diagnoses_coverages_and_recent_sessions_with_codes(
    client, clinician, django_assert_max_num_queries
):
    someone = factories.ClientFactory(
        first_name="Zoë", last_name="O'Brien", primary_clinician=clinician
    )
    diagnosis = factories.DiagnosisFactory(client=someone)
    factories.CoverageFactory(client=someone, member_id="MEM-42")
    for day in range(1, 13):
        session = factories.SessionFactory(client=someone, date=datetime.date(2026, 9, day))
        factories.ServiceLineFactory(session=session, position=1, modifier_1="95")
        factories.SessionDiagnosisFactory(session=session, diagnosis=diagnosis)
    client.force_login(clinician.user)

    # 18, none per session: read the session, the user; SAVEPOINT; role groups; the
    # clinician row; the client with its clinician (the access check is a subquery of
    # it); coverages with payers; diagnoses with codes; 10 sessions with clinician and
    # POS; their lines with procedure codes; their diagnoses with ICD-10 codes; the
    # current Good Faith Estimate (none here; one more for its billed charges); RELEASE;
    # SAVEPOINT, UPDATE django_session, RELEASE. +2 for the read audit: the access and
    # its client (practice/audit.py). +8 for the ledger section (billing/ledger.py: sessions,
    # shares, fees, payments, claims billed, insurance postings, adjustments; the aging).
    with django_assert_max_num_queries(26):
        response = client.get(reverse("practice:client_detail", args=[someone.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "O&#x27;Brien" in page and "Zoë" in page
    assert "F41.1" in page and "MEM-42" in page
    assert "90837-95" in page
    assert len(response.context["sessions"]) == 10
    assert "09/12/2026" in page and "09/02/2026" not in page


@pytest.mark.parametrize("view", ["practice:client_detail", "practice:client_edit"])
def test_another_clinician_gets_404_for_the_first_clinicians_client(
    client, clinician, other_clinician_user, view
):
    someone = factories.ClientFactory(primary_clinician=clinician)
    client.force_login(other_clinician_user)

    assert client.get(reverse(view, args=[someone.pk])).status_code == 404
    if view == "practice:client_edit":
        assert client.post(reverse(view, args=[someone.pk]), _edit_data(someone)).status_code == 404
    assert Client.objects.get().first_name == someone.first_name


# --- create and edit ----------------------------------------------------------------------


def test_a_clinician_creates_a_client_with_a_diagnosis_and_a_coverage(client, clinician):
    payer = factories.PayerFactory()
    client.force_login(clinician.user)

    page = client.get(CREATE_URL)
    assert page.status_code == 200
    assert "primary_clinician" not in page.context["form"].fields
    response = client.post(
        CREATE_URL,
        client_post(
            diagnoses=[_diagnosis("f411", start_date="2026-01-05")],
            coverages=[
                _coverage(
                    payer,
                    member_id="W123-456",
                    prior_auth_number="PA77",
                    prior_auth_visits="12",
                    prior_auth_from="2026-01-01",
                    prior_auth_to="2026-06-30",
                )
            ],
        ),
    )

    created = Client.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("practice:client_detail", args=[created.pk])
    assert (created.first_name, created.last_name) == ("Zoë", "Nguyễn")
    assert created.primary_clinician == clinician and created.active
    assert (created.state, created.zip_code) == ("IL", "627011234")
    diagnosis = created.diagnoses.get()
    assert (diagnosis.code.code, diagnosis.start_date) == ("F41.1", datetime.date(2026, 1, 5))
    coverage = created.coverages.get()
    assert coverage.payer == payer and coverage.member_id == "W123-456"
    assert coverage.copay == Decimal("25.00") and coverage.prior_auth_visits == 12


def test_names_are_kept_in_one_spelling_on_the_client_and_its_coverage(client, clinician):
    """NFC (a Mac's decomposed "ë") and plain apostrophes, for the client's, the
    subscriber's and the referring provider's names alike."""
    client.force_login(clinician.user)
    decomposed = unicodedata.normalize("NFD", "Zoë")
    response = client.post(
        CREATE_URL,
        client_post(
            first_name=f" {decomposed} ",
            last_name="O’Brien",
            coverages=[
                _coverage(
                    factories.PayerFactory(),
                    relationship="01",
                    subscriber_first_name=decomposed,
                    subscriber_last_name="D’Arcy",
                    subscriber_date_of_birth="1980-05-06",
                    subscriber_sex="F",
                    referring_first_name="Renée",
                    referring_last_name="O’Neil",
                    referring_npi=factories.make_npi(77),
                )
            ],
        ),
    )

    assert response.status_code == 302
    created = Client.objects.get()
    assert (created.first_name, created.last_name) == ("Zoë", "O'Brien")
    coverage = created.coverages.get()
    assert (coverage.subscriber_first_name, coverage.subscriber_last_name) == ("Zoë", "D'Arcy")
    assert (coverage.referring_first_name, coverage.referring_last_name) == ("Renée", "O'Neil")


def test_a_clinician_cannot_create_a_client_for_another_clinician(
    client, clinician, other_clinician
):
    client.force_login(clinician.user)

    response = client.post(CREATE_URL, client_post(primary_clinician=str(other_clinician.pk)))

    assert response.status_code == 302
    assert Client.objects.get().primary_clinician == clinician


def test_a_biller_chooses_the_clinician_among_active_ones(client, biller_user, clinician):
    retired = factories.ClinicianFactory(active=False)
    client.force_login(biller_user)

    missing = client.post(CREATE_URL, client_post())
    assert missing.status_code == 200
    assert "primary_clinician" in missing.context["form"].errors
    refused = client.post(CREATE_URL, client_post(primary_clinician=str(retired.pk)))
    assert "primary_clinician" in refused.context["form"].errors
    assert Client.objects.count() == 0

    response = client.post(CREATE_URL, client_post(primary_clinician=str(clinician.pk)))
    assert response.status_code == 302
    assert Client.objects.get().primary_clinician == clinician


def test_a_blank_extra_row_is_ignored(client, clinician):
    client.force_login(clinician.user)
    # The page's untouched blank rows: a prefilled rank, default priority and copay.
    data = client_post(
        diagnoses=[_diagnosis("", rank="1")],
        coverages=[
            {"payer": "", "member_id": "", "priority": "1", "relationship": "18", "copay": "0.00"}
        ],
    )

    assert client.post(CREATE_URL, data).status_code == 302
    assert _counts() == (1, 0, 0)


def test_editing_a_client_saves_changes_and_deactivates_it(client, clinician):
    someone = factories.ClientFactory(primary_clinician=clinician, first_name="Old")
    factories.DiagnosisFactory(client=someone)
    factories.CoverageFactory(client=someone)
    client.force_login(clinician.user)
    url = reverse("practice:client_edit", args=[someone.pk])

    page = client.get(url)
    assert page.status_code == 200
    assert 'value="F41.1"' in page.content.decode()
    data = _edit_data(someone, first_name="New", active="")
    data["diagnoses-0-code"] = "F43.10"
    response = client.post(url, data)

    assert response.status_code == 302
    someone.refresh_from_db()
    assert (someone.first_name, someone.active) == ("New", False)
    assert someone.diagnoses.get().code.code == "F43.10"
    assert someone.pk not in {c.pk for c in client.get(LIST_URL).context["clients"]}
    inactive = client.get(LIST_URL, {"status": "inactive"}).context["clients"]
    assert someone.pk in {c.pk for c in inactive}


def test_editing_can_remove_an_unused_diagnosis_and_add_a_coverage(client, clinician):
    someone = factories.ClientFactory(primary_clinician=clinician)
    factories.DiagnosisFactory(client=someone)
    payer = factories.PayerFactory()
    client.force_login(clinician.user)
    data = _edit_data(someone, **{"diagnoses-0-DELETE": "on"})
    data.update(_management("coverages", 1, 0))
    data.update({f"coverages-0-{k}": v for k, v in _coverage(payer).items()})

    response = client.post(reverse("practice:client_edit", args=[someone.pk]), data)

    assert response.status_code == 302
    assert not someone.diagnoses.exists()
    assert someone.coverages.get().payer == payer


def test_a_diagnosis_used_by_a_session_cannot_be_removed(client, clinician):
    someone = factories.ClientFactory(primary_clinician=clinician)
    diagnosis = factories.DiagnosisFactory(client=someone)
    factories.SessionDiagnosisFactory(
        session=factories.SessionFactory(client=someone), diagnosis=diagnosis
    )
    client.force_login(clinician.user)
    data = _edit_data(someone, **{"diagnoses-0-DELETE": "on"})

    response = client.post(reverse("practice:client_edit", args=[someone.pk]), data)

    assert response.status_code == 200
    assert response.context["diagnoses"].non_form_errors() == [
        "F41.1 is on 1 session and cannot be removed; give it a 'resolved on' date instead."
    ]
    assert someone.diagnoses.count() == 1


def test_a_diagnosis_on_a_billed_session_keeps_its_code(client, clinician):
    someone = factories.ClientFactory(primary_clinician=clinician)
    diagnosis = factories.DiagnosisFactory(client=someone)
    billed = factories.SessionFactory(client=someone, status=Session.Status.BILLED)
    factories.SessionDiagnosisFactory(session=billed, diagnosis=diagnosis)
    client.force_login(clinician.user)
    data = _edit_data(someone, **{"diagnoses-0-code": "F43.10"})

    response = client.post(reverse("practice:client_edit", args=[someone.pk]), data)

    assert response.status_code == 200
    assert "is on billed sessions" in response.content.decode()
    assert someone.diagnoses.get().code.code == "F41.1"


def test_swapping_two_diagnosis_codes_in_one_save_is_refused_without_a_server_error(
    client, clinician
):
    someone = factories.ClientFactory(primary_clinician=clinician)
    factories.DiagnosisFactory(client=someone, rank=1)
    factories.DiagnosisFactory(client=someone, rank=2, code=_code("F43.10"))
    client.force_login(clinician.user)
    data = _edit_data(someone, **{"diagnoses-0-code": "F43.10", "diagnoses-1-code": "F41.1"})

    # The database's one-code-per-client constraint trips midway; the whole save rolls back.
    response = client.post(reverse("practice:client_edit", args=[someone.pk]), data)

    assert response.status_code == 200
    assert "Nothing was saved" in response.content.decode()
    assert list(someone.diagnoses.values_list("code__code", flat=True)) == ["F41.1", "F43.10"]


# --- validation: each message beside its field, nothing saved ----------------------------

TOMORROW = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()


def _invalid_cases(payer):
    """(POST overrides, formset or form, field, text in the message)."""
    return {
        "birth date in the future": (
            client_post(date_of_birth=TOMORROW),
            "form",
            "date_of_birth",
            "in the future is impossible",
        ),
        "birth date before 1900": (
            client_post(date_of_birth="1899-12-31"),
            "form",
            "date_of_birth",
            "before 1900 is impossible",
        ),
        "coverage ends before it starts": (
            client_post(
                coverages=[_coverage(payer, effective_from="2026-03-01", effective_to="2026-02-28")]
            ),
            "coverages",
            "effective_to",
            "cannot end before it starts",
        ),
        "secondary without a primary": (
            client_post(coverages=[_coverage(payer, priority="2")]),
            "coverages",
            "priority",
            "secondary coverage needs a primary coverage",
        ),
        "secondary whose primary ended before it starts": (
            client_post(
                coverages=[
                    _coverage(payer, effective_from="2024-01-01", effective_to="2024-12-31"),
                    _coverage(payer, priority="2", member_id="B2", effective_from="2025-01-01"),
                ]
            ),
            "coverages",
            "priority",
            "needs a primary coverage in effect at the same time",
        ),
        "tertiary without a secondary": (
            client_post(
                coverages=[
                    _coverage(payer),
                    _coverage(payer, priority="3", member_id="C3"),
                ]
            ),
            "coverages",
            "priority",
            "tertiary coverage needs a secondary coverage",
        ),
        "two primaries overlapping": (
            client_post(
                coverages=[
                    _coverage(payer, effective_from="2025-01-01", effective_to="2025-12-31"),
                    _coverage(payer, member_id="NEW1", effective_from="2025-06-01"),
                ]
            ),
            "coverages",
            "effective_from",
            "Two primary coverages overlap in time",
        ),
        "member id with a space": (
            client_post(coverages=[_coverage(payer, member_id="ABC 123")]),
            "coverages",
            "member_id",
            "letters, digits and hyphens",
        ),
        "member id with an X12 delimiter": (
            client_post(coverages=[_coverage(payer, member_id="ABC*123~")]),
            "coverages",
            "member_id",
            "letters, digits and hyphens",
        ),
        "subscriber missing when the client is a child": (
            client_post(coverages=[_coverage(payer, relationship="19")]),
            "coverages",
            "subscriber_first_name",
            "Enter the subscriber's first name",
        ),
        "subscriber date of birth missing": (
            client_post(
                coverages=[
                    _coverage(
                        payer,
                        relationship="01",
                        subscriber_first_name="Ana",
                        subscriber_last_name="Nguyễn",
                        subscriber_sex="F",
                    )
                ]
            ),
            "coverages",
            "subscriber_date_of_birth",
            "Enter the subscriber's date of birth",
        ),
        "prior authorization visits negative": (
            client_post(
                coverages=[_coverage(payer, prior_auth_number="PA1", prior_auth_visits="-2")]
            ),
            "coverages",
            "prior_auth_visits",
            "Authorized visits cannot be negative",
        ),
        "negative copay": (
            client_post(coverages=[_coverage(payer, copay="-5")]),
            "coverages",
            "copay",
            "A copay cannot be negative",
        ),
        "duplicate diagnosis code": (
            client_post(diagnoses=[_diagnosis("F41.1"), _diagnosis("f41.1", rank="2")]),
            "diagnoses",
            "code",
            "F41.1 is already among this client's diagnoses",
        ),
        "a category instead of a code": (
            client_post(diagnoses=[_diagnosis("F41")]),
            "diagnoses",
            "code",
            "F41 is a category; choose a billable code such as F41.0",
        ),
        "a subcategory instead of a code": (
            client_post(diagnoses=[_diagnosis("F43.1")]),
            "diagnoses",
            "code",
            "F43.1 is a category; choose a billable code such as F43.10",
        ),
        "an unknown code": (
            client_post(diagnoses=[_diagnosis("F99.99")]),
            "diagnoses",
            "code",
            "F99.99 is not in the ICD-10-CM catalog",
        ),
        "a malformed code": (
            client_post(diagnoses=[_diagnosis("anxiety")]),
            "diagnoses",
            "code",
            "Enter an ICD-10-CM code like F41.1",
        ),
        "a diagnosis resolved before it starts": (
            client_post(diagnoses=[_diagnosis(start_date="2026-02-01", end_date="2026-01-01")]),
            "diagnoses",
            "end_date",
            "cannot be resolved before it starts",
        ),
    }


CASES = list(_invalid_cases(None))


@pytest.mark.parametrize("case", CASES)
def test_an_invalid_client_page_shows_the_message_by_the_field_and_saves_nothing(
    client, clinician, case
):
    payer = factories.PayerFactory()
    data, where, field, text = _invalid_cases(payer)[case]
    # A valid diagnosis and coverage alongside, so "nothing saved" covers them too.
    if where != "diagnoses":
        index = int(data["diagnoses-TOTAL_FORMS"])
        data.update(_management("diagnoses", index + 1))
        data.update({f"diagnoses-{index}-{k}": v for k, v in _diagnosis("Z63.0").items()})
    client.force_login(clinician.user)

    response = client.post(CREATE_URL, data)

    assert response.status_code == 200
    assert _counts() == (0, 0, 0)
    if where == "form":
        errors = [response.context["form"].errors.get(field, [])]
    else:
        errors = [f.errors.get(field, []) for f in response.context[where].forms]
    messages = [m for row in errors for m in row]
    assert any(text in m for m in messages), messages
    # Beside the field: Bootstrap's invalid-feedback under the input, not only at the top.
    assert "invalid-feedback" in response.content.decode()


def test_an_invalid_edit_changes_nothing(client, clinician):
    someone = factories.ClientFactory(primary_clinician=clinician, first_name="Kept")
    factories.CoverageFactory(client=someone)
    client.force_login(clinician.user)
    before = _counts()
    data = _edit_data(someone, first_name="Changed", **{"coverages-0-member_id": "BAD ID"})
    data.update(_management("diagnoses", 1, 0))
    data.update({f"diagnoses-0-{k}": v for k, v in _diagnosis("F32.A").items()})

    response = client.post(reverse("practice:client_edit", args=[someone.pk]), data)

    assert response.status_code == 200
    assert _counts() == before
    someone.refresh_from_db()
    assert someone.first_name == "Kept"


def test_garbage_in_every_field_is_a_form_error_not_a_server_error(client, clinician):
    client.force_login(clinician.user)
    data = client_post(
        date_of_birth="1990-02-30",
        sex="Q",
        state="Illinois",
        zip_code="ABCDE",
        email="not-an-email",
        diagnoses=[_diagnosis("F41.1", rank="0", start_date="yesterday")],
        coverages=[_coverage(None, payer="999999", priority="7", relationship="XX", copay="x")],
    )

    response = client.post(CREATE_URL, data)

    assert response.status_code == 200
    assert _counts() == (0, 0, 0)
    form = response.context["form"]
    assert {"date_of_birth", "sex", "state", "zip_code", "email"} <= set(form.errors)
    assert "Rank starts at 1" in response.content.decode()


# --- ICD-10-CM search ----------------------------------------------------------------------


def _search(client, q: str) -> list[str]:
    response = client.get(SEARCH_URL, {"q": q})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    return [row["code"] for row in response.json()["results"]]


def test_diagnosis_search_ranks_the_exact_code_first(client, clinician_user):
    client.force_login(clinician_user)

    codes = _search(client, "f41.1")
    assert codes[0] == "F41.1"
    # Typed without the dot, as people do.
    assert _search(client, "F411")[0] == "F41.1"


def test_diagnosis_search_leaves_out_categories(client, clinician_user):
    client.force_login(clinician_user)

    codes = _search(client, "F41")
    assert codes and "F41" not in codes
    assert all(code.startswith("F41.") for code in codes)
    assert "F43.1" not in _search(client, "F43.1") and "F43.10" in _search(client, "F43.1")


def test_diagnosis_search_finds_codes_by_description_words(client, clinician_user):
    client.force_login(clinician_user)

    response = client.get(SEARCH_URL, {"q": "generalized anxiety"})
    results = response.json()["results"]
    assert {"code": "F41.1", "description": "Generalized anxiety disorder"} in results
    assert 0 < len(_search(client, "disorder")) <= 20


@pytest.mark.parametrize("q", ["", "   "])
def test_an_empty_diagnosis_search_returns_no_results(client, clinician_user, q):
    client.force_login(clinician_user)

    assert client.get(SEARCH_URL, {"q": q}).json() == {"results": []}


def test_diagnosis_search_needs_a_login(client):
    response = client.get(SEARCH_URL, {"q": "F41"}, headers={"x-requested-with": "XMLHttpRequest"})

    assert response.status_code == 302
    assert "login" in response["Location"]


def test_list_says_no_client_matches_the_search_as_typed(client, biller_user):
    factories.ClientFactory(first_name="Ana", last_name="Lima", active=False)
    client.force_login(biller_user)

    nothing = client.get(LIST_URL, {"q": "<b>Zed"}).content.decode()
    inactive = client.get(LIST_URL, {"status": "inactive"}).content.decode()

    assert '<td colspan="5" class="text-muted">No client matches “&lt;b&gt;Zed”.</td>' in nothing
    assert '<td data-label="Status"><span class="text-muted">Inactive</span></td>' in inactive
