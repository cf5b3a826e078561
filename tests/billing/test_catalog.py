"""Tests for the starter catalog and `load_catalog` (docs/rules/coding.md §1, §7, §8;
docs/rules/identifiers.md §5, §9).

The test database already holds the catalog (tests/conftest.py loads it once), so these
tests run the command a second time and compare.
"""

from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest
from django.core.management import call_command

from billing import catalog
from billing.management.commands.load_catalog import icd10_rows
from billing.models import DiagnosisCode, Modifier, PlaceOfService, ProcedureCode
from billing.validators import validate_icd10_format

pytestmark = pytest.mark.django_db

# docs/rules/coding.md §1, written out rather than read from billing/coding.py.
EM_CODES = {"99202", "99203", "99204", "99205", "99211", "99212", "99213", "99214", "99215"}
DOMAIN_CODES = EM_CODES | {
    "90785",
    "90791",
    "90792",
    "90832",
    "90833",
    "90834",
    "90836",
    "90837",
    "90838",
    "90839",
    "90840",
    "90846",
    "90847",
    "90849",
    "90853",
    "96127",
    "96130",
    "96131",
    "96136",
    "96137",
    "96138",
    "96139",
}


def _load(**options) -> str:
    out = io.StringIO()
    call_command("load_catalog", stdout=out, **options)
    return out.getvalue()


def _snapshot() -> dict[str, list[tuple]]:
    """Every column of every catalog table, plus the add-on pairings by code."""

    def rows(model):
        fields = [field.attname for field in model._meta.concrete_fields]
        return list(model.objects.order_by("code").values_list(*fields))

    through = ProcedureCode.add_on_to.through
    return {
        "procedure codes": rows(ProcedureCode),
        "modifiers": rows(Modifier),
        "places of service": rows(PlaceOfService),
        "diagnoses": rows(DiagnosisCode),
        "add-on pairings": sorted(
            through.objects.values_list("from_procedurecode__code", "to_procedurecode__code")
        ),
    }


def _primaries(code: str) -> set[str]:
    return set(ProcedureCode.objects.get(code=code).add_on_to.values_list("code", flat=True))


# --- loading and re-loading -----------------------------------------------------------


def test_loading_twice_leaves_every_row_as_it_was():
    before = _snapshot()

    _load(verbosity=0)

    assert _snapshot() == before


def test_a_second_load_reports_nothing_created_or_updated():
    output = _load(verbosity=1)

    assert output.count("\n") == 1
    assert "31 created" not in output
    assert "procedure codes 0 created, 0 updated" in output
    assert "ICD-10-CM (therapy) 0 created, 0 updated" in output


def test_verbosity_0_prints_nothing():
    assert _load(verbosity=0) == ""


def test_practice_charge_active_flag_and_official_descriptor_survive_a_reload():
    ProcedureCode.objects.filter(code="90837").update(
        default_charge=Decimal("210.00"), active=False, official_descriptor="Licensed text"
    )
    Modifier.objects.filter(code="GT").update(active=False)
    PlaceOfService.objects.filter(code="03").update(active=False)

    _load(verbosity=0)

    code = ProcedureCode.objects.get(code="90837")
    assert (code.default_charge, code.active, code.official_descriptor) == (
        Decimal("210.00"),
        False,
        "Licensed text",
    )
    assert not Modifier.objects.get(code="GT").active
    assert not PlaceOfService.objects.get(code="03").active


def test_reload_restores_our_description_kind_and_minutes():
    ProcedureCode.objects.filter(code="90834").update(
        description="edited", kind=ProcedureCode.Kind.OTHER, min_minutes=1, max_minutes=99
    )
    Modifier.objects.filter(code="95").update(description="edited")
    DiagnosisCode.objects.filter(code="F41.1").update(description="edited", billable=False)

    output = _load(verbosity=1)

    code = ProcedureCode.objects.get(code="90834")
    assert (code.description, code.kind, code.min_minutes, code.max_minutes) == (
        "Individual psychotherapy, about 45 min",
        ProcedureCode.Kind.PSYCHOTHERAPY,
        38,
        52,
    )
    assert Modifier.objects.get(code="95").description == "Telehealth, live audio and video"
    diagnosis = DiagnosisCode.objects.get(code="F41.1")
    assert (diagnosis.description, diagnosis.billable) == ("Generalized anxiety disorder", True)
    assert "procedure codes 0 created, 1 updated" in output
    assert "ICD-10-CM (therapy) 0 created, 1 updated" in output


def test_a_code_missing_from_the_starter_data_is_left_alone():
    ProcedureCode.objects.create(code="H0004", description="Behavioral health counseling")

    _load(verbosity=0)

    assert ProcedureCode.objects.filter(code="H0004").exists()


def test_deleted_rows_come_back_with_our_defaults():
    ProcedureCode.objects.get(code="90840").add_on_to.clear()
    PlaceOfService.objects.filter(code="53").delete()

    output = _load(verbosity=1)

    assert _primaries("90840") == {"90839"}
    assert PlaceOfService.objects.get(code="53").name == "Community mental health center"
    assert "add-on pairings 1 created" in output
    assert "places of service 1 created" in output


def test_pairings_added_by_the_practice_are_kept():
    ProcedureCode.objects.get(code="90785").add_on_to.add(ProcedureCode.objects.get(code="90849"))

    _load(verbosity=0)

    assert "90849" in _primaries("90785")


def test_icd10_none_leaves_diagnoses_untouched():
    DiagnosisCode.objects.filter(code="F41.1").update(description="edited")

    output = _load(verbosity=1, icd10="none")

    assert DiagnosisCode.objects.get(code="F41.1").description == "edited"
    assert "ICD-10-CM" not in output


# --- procedure codes --------------------------------------------------------------------


def test_every_domain_code_is_in_the_catalog():
    assert set(ProcedureCode.objects.values_list("code", flat=True)) >= DOMAIN_CODES
    assert {entry.code for entry in catalog.PROCEDURE_CODES} == DOMAIN_CODES


@pytest.mark.parametrize(
    "model, field",
    [(ProcedureCode, "description"), (Modifier, "description"), (PlaceOfService, "name")],
)
def test_every_catalog_row_has_a_short_description_of_our_own(model, field):
    texts = dict(model.objects.values_list("code", field))

    assert all(texts.values())
    assert max(len(text) for text in texts.values()) <= 60
    # Our words say "client"; the AMA's descriptors say "patient".
    assert not [text for text in texts.values() if re.search(r"\bpatient", text, re.I)]


def test_descriptions_are_distinct():
    descriptions = [entry.description for entry in catalog.PROCEDURE_CODES]
    assert len(set(descriptions)) == len(descriptions)


@pytest.mark.parametrize(
    "code, minutes",
    [
        ("90832", (16, 37)),
        ("90833", (16, 37)),
        ("90834", (38, 52)),
        ("90836", (38, 52)),
        ("90837", (53, None)),
        ("90838", (53, None)),
        ("90839", (30, 74)),
        ("90846", (26, None)),
        ("90847", (26, None)),
        ("90791", (None, None)),
        ("90853", (None, None)),
    ],
)
def test_time_based_codes_carry_the_domain_minutes_range(code, minutes):
    row = ProcedureCode.objects.get(code=code)
    assert (row.min_minutes, row.max_minutes) == minutes


@pytest.mark.parametrize(
    "code, kind",
    [
        ("90834", ProcedureCode.Kind.PSYCHOTHERAPY),
        ("90839", ProcedureCode.Kind.PSYCHOTHERAPY),
        ("90791", ProcedureCode.Kind.EVALUATION),
        ("90785", ProcedureCode.Kind.ADD_ON),
        ("90838", ProcedureCode.Kind.ADD_ON),
        ("96131", ProcedureCode.Kind.ADD_ON),
        ("96127", ProcedureCode.Kind.TESTING),
        ("96130", ProcedureCode.Kind.TESTING),
        ("99213", ProcedureCode.Kind.EM),
        ("90853", ProcedureCode.Kind.OTHER),
    ],
)
def test_codes_have_their_kind(code, kind):
    assert ProcedureCode.objects.get(code=code).kind == kind


def test_new_codes_get_our_default_charge():
    assert ProcedureCode.objects.get(code="90837").default_charge == Decimal("180.00")
    assert not ProcedureCode.objects.filter(default_charge__lte=0).exists()


def test_crisis_add_on_goes_only_with_90839():
    assert _primaries("90840") == {"90839"}


def test_interactive_complexity_goes_with_intake_individual_and_group_but_not_crisis():
    primaries = _primaries("90785")

    assert {"90791", "90792", "90832", "90837", "90853"} <= primaries
    assert not primaries & {"90839", "90840", "90846", "90847"}


def test_e_m_psychotherapy_add_on_goes_with_every_e_m_code():
    assert _primaries("90836") == EM_CODES


def test_only_add_on_codes_have_primaries():
    with_primaries = set(
        ProcedureCode.objects.filter(add_on_to__isnull=False).values_list("code", flat=True)
    )
    add_ons = set(
        ProcedureCode.objects.filter(kind=ProcedureCode.Kind.ADD_ON).values_list("code", flat=True)
    )
    assert with_primaries == add_ons


# --- modifiers and places of service ------------------------------------------------------


@pytest.mark.parametrize(
    "code, kind",
    [
        ("95", Modifier.Kind.TELEHEALTH),
        ("93", Modifier.Kind.TELEHEALTH),
        ("GT", Modifier.Kind.TELEHEALTH),
        ("FQ", Modifier.Kind.TELEHEALTH),
        ("HO", Modifier.Kind.LICENSE),
        ("HN", Modifier.Kind.LICENSE),
        ("HP", Modifier.Kind.LICENSE),
        ("AH", Modifier.Kind.LICENSE),
        ("AJ", Modifier.Kind.LICENSE),
        ("HJ", Modifier.Kind.OTHER),
        ("25", Modifier.Kind.OTHER),
        ("59", Modifier.Kind.OTHER),
    ],
)
def test_domain_modifiers_are_loaded_with_their_kind(code, kind):
    assert Modifier.objects.get(code=code).kind == kind


def test_only_02_and_10_are_telehealth_places_of_service():
    telehealth = PlaceOfService.objects.filter(is_telehealth=True).values_list("code", flat=True)
    assert sorted(telehealth) == ["02", "10"]
    assert set(PlaceOfService.objects.values_list("code", flat=True)) >= {
        "02",
        "03",
        "10",
        "11",
        "12",
        "22",
        "53",
        "99",
    }


# --- ICD-10-CM ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "code, billable",
    [
        ("F41.1", True),
        ("F41", False),
        ("F43.10", True),
        ("F43.1", False),
        ("F32.A", True),
        ("Z63.0", True),
        ("F01.511", True),
        ("F99", True),
        ("R45.851", True),
        ("R40", False),
    ],
)
def test_icd10_billability_follows_the_code_set(code, billable):
    assert DiagnosisCode.objects.get(code=code).billable is billable


def test_therapy_scope_covers_chapters_f_and_z_and_r40_to_r46_only():
    codes = list(DiagnosisCode.objects.values_list("code", flat=True))
    letters = {code[0] for code in codes}

    assert letters == {"F", "R", "Z"}
    assert {code[:3] for code in codes if code[0] == "R"} == {f"R{n}" for n in range(40, 47)}
    assert {"F01", "F99", "Z00", "Z99"} <= set(codes)
    assert not DiagnosisCode.objects.filter(code__contains="-").exists()


def test_icd10_descriptions_come_from_the_code_set():
    assert DiagnosisCode.objects.get(code="Z63.0").description == (
        "Problems in relationship with spouse or partner"
    )


def test_every_icd10_code_in_the_full_set_passes_our_format_check():
    rows = icd10_rows("all")

    assert len(rows) > 95_000
    for code in rows:
        validate_icd10_format(code)
    assert rows["QA0.0101"]["billable"]
    assert not rows["T74.11"]["billable"]
    assert rows["T74.11XA"]["billable"]
