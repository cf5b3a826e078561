"""Who a claim names besides the payer and the clinician (issue 9, finding 7):

- boxes 12 and 13 (and 837P CLM09/CLM08): the client's recorded release of information
  and assignment of benefits, a parent's or guardian's for a minor;
- box 17 (and 837P loop 2310A): the referring provider a payer requires, before the
  supervising provider on paper, beside it in the 837P;
- box 33 (and 837P loop 2010AA): the billing provider's street address with ZIP+4.

Each goes through the public path: the client's record, claims_build's snapshot, the
scrubber's named rule, the CMS-1500 PDF text and the 837P segments (docs/rules/claim-forms.md
§8–§10).
"""

from __future__ import annotations

import datetime

import pytest
from django.forms.models import model_to_dict
from django.urls import reverse

from billing.models import Claim, Payer
from billing.outputs import cms1500
from billing.outputs.cms1500 import claims_for_print, render_cms1500
from billing.services import ClaimError, claim_mark_ready, claims_build
from practice.admin import PracticeForm
from practice.models import Client
from tests import factories
from tests.billing.test_cms1500 import pdf_pages, printed_at
from tests.billing.test_fix_links import item, links, problems_on
from tests.billing.test_scrubber import DAY, SOON, found, ready_session
from tests.billing.test_x837 import file_for, starting
from tests.practice.test_clients import _edit_data

pytestmark = pytest.mark.django_db

GUARDIAN = "Lucía Nguyễn-García"


def build() -> Claim:
    (claim,) = claims_build().claims
    return claims_for_print().get(pk=claim.pk)


def claim_for(client: Client, *, payer: Payer | None = None, **coverage) -> Claim:
    factories.CoverageFactory(client=client, **({"payer": payer} if payer else {}), **coverage)
    ready_session(client)
    return build()


def box(claim: Claim, name: str) -> str:
    return printed_at(render_cms1500([claim], mode="data"), cms1500.FIELDS[name])


def messages(claim: Claim, rule: str) -> list[str]:
    return [problem.message for problem in found(claim, rule, today=SOON)]


# --- boxes 12 and 13 ---------------------------------------------------------------------


def test_recorded_signatures_are_snapshotted_and_print_signature_on_file(practice_row):
    client = factories.ClientFactory(first_name="Alex", last_name="Rivera")
    claim = claim_for(client)
    assert claim.parties["signatures"] == {
        "release": {"signed_on": "2024-01-08", "signer": "Alex Rivera", "relation": "self"},
        "assignment": {"signed_on": "2024-01-08", "signer": "Alex Rivera", "relation": "self"},
    }
    data = render_cms1500([claim], mode="data")
    assert printed_at(data, cms1500.FIELDS["12"]) == "SIGNATURE ON FILE"
    assert printed_at(data, cms1500.FIELDS["12_date"]) == "01 08 24"
    assert printed_at(data, cms1500.FIELDS["13"]) == "SIGNATURE ON FILE"
    assert messages(claim, "signatures") == []
    assert starting(file_for(claim), "CLM")[0].endswith("*Y*A*Y*Y")


def test_without_a_release_box_12_is_blank_and_the_scrubber_says_what_to_record(practice_row):
    client = factories.ClientFactory(first_name="Alex", last_name="Rivera", release_signed_on=None)
    claim = claim_for(client)
    assert claim.parties["signatures"]["release"] is None
    page = pdf_pages(render_cms1500([claim], mode="data"))[0]
    assert page.count("SIGNATURE ON FILE") == 1  # box 13 only
    assert box(claim, "12") == "" and box(claim, "12_date") == ""
    assert box(claim, "13") == "SIGNATURE ON FILE"
    (message,) = messages(claim, "signatures")
    assert "No signed release of information is recorded for Alex Rivera (box 12" in message
    assert "“Signatures” on the client's page" in message
    with pytest.raises(ClaimError, match="release of information"):
        claim_mark_ready(claim=claim)
    assert starting(file_for(claim), "CLM")[0].endswith("*Y*A*Y*I")


def test_without_an_assignment_box_13_is_blank_and_the_scrubber_errors(practice_row):
    client = factories.ClientFactory(assignment_signed_on=None)
    claim = claim_for(client)
    assert box(claim, "12") == "SIGNATURE ON FILE"
    assert box(claim, "13") == ""
    (message,) = messages(claim, "signatures")
    assert "assignment of benefits" in message and "box 13" in message
    assert starting(file_for(claim), "CLM")[0].endswith("*Y*A*N*Y")


@pytest.mark.parametrize(
    ("born", "age", "fires"),
    [
        (datetime.date(2008, 10, 6), 17, True),  # turns 18 the day after the service
        (datetime.date(2008, 10, 5), 18, False),  # turns 18 on the day of service
    ],
)
def test_a_release_signed_by_the_client_is_refused_under_18_on_the_service_date(
    practice_row, born, age, fires
):
    client = factories.ClientFactory(
        first_name="Mia", last_name="Okafor", date_of_birth=born, release_signed_on=DAY
    )
    claim = claim_for(client)
    found_messages = messages(claim, "signatures")
    if not fires:
        assert found_messages == []
        return
    assert len(found_messages) == 2  # the release and the assignment, both by a minor
    assert found_messages[0].startswith(
        f"Mia Okafor was {age} on 10/05/2026, and the release of information (box 12) was "
        "signed by the client: a parent or legal guardian signs"
    )


def test_a_minors_signature_with_no_relation_given_is_refused(practice_row):
    client = factories.ClientFactory(
        date_of_birth=datetime.date(2015, 3, 1),
        release_signer="Sam Lee",
        release_signer_relation="",
        assignment_signer=GUARDIAN,
        assignment_signer_relation="guardian",
    )
    (message,) = messages(claim_for(client), "signatures")
    assert "release of information (box 12) was signed by a signer of unknown relation" in message


def test_a_guardians_unicode_name_is_kept_and_the_minors_claim_is_clean(practice_row):
    client = factories.ClientFactory(
        first_name="Mateo",
        date_of_birth=datetime.date(2015, 3, 1),
        release_signer=GUARDIAN,
        release_signer_relation="guardian",
        assignment_signer=GUARDIAN,
        assignment_signer_relation="parent",
    )
    claim = claim_for(client)
    assert claim.parties["signatures"]["release"]["signer"] == GUARDIAN
    assert messages(claim, "signatures") == []
    assert box(claim, "12") == "SIGNATURE ON FILE"
    assert starting(file_for(claim), "CLM")[0].endswith("*Y*A*Y*Y")


def test_the_client_page_records_a_guardians_signature_and_shows_it(client, biller_user):
    someone = factories.ClientFactory(
        date_of_birth=datetime.date(2015, 3, 1),
        release_signed_on=None,
        release_signer="",
        release_signer_relation="",
    )
    client.force_login(biller_user)
    url = reverse("practice:client_edit", args=[someone.pk])
    fields = {
        "release_signed_on": "2026-01-05",
        "release_signer": GUARDIAN,
        "release_signer_relation": "self",
        "assignment_signed_on": "2026-01-05",
        "assignment_signer": GUARDIAN,
        "assignment_signer_relation": "guardian",
        "version": str(someone.version),
    }
    refused = client.post(url, _edit_data(someone, **fields))
    assert refused.status_code == 200
    assert refused.context["form"].errors["release_signer_relation"] == [
        "The client was 10 on that date: a parent or legal guardian signs for a client under 18."
    ]
    someone.refresh_from_db()
    assert someone.release_signed_on is None  # nothing half-saved

    fields["release_signer_relation"] = "guardian"
    saved = client.post(url, _edit_data(someone, **fields))
    assert saved.status_code == 302
    someone.refresh_from_db()
    assert (someone.release_signer, someone.release_signer_relation) == (GUARDIAN, "guardian")
    page = client.get(reverse("practice:client_detail", args=[someone.pk])).content.decode()
    assert f"Signed 01/05/2026 by {GUARDIAN} (legal guardian)" in page


def test_a_signature_without_its_signer_is_refused_next_to_the_field(client, biller_user):
    someone = factories.ClientFactory()
    client.force_login(biller_user)
    response = client.post(
        reverse("practice:client_edit", args=[someone.pk]),
        _edit_data(
            someone,
            release_signed_on="2026-01-05",
            release_signer="",
            release_signer_relation="self",
            assignment_signed_on="2099-01-01",
            assignment_signer="Alex",
            assignment_signer_relation="self",
            version=str(someone.version),
        ),
    )
    errors = response.context["form"].errors
    assert errors["release_signer"] == ["Enter the name of who signed the release of information."]
    assert errors["assignment_signed_on"] == ["A signature cannot be dated in the future."]


# --- box 17 ------------------------------------------------------------------------------


def test_a_payer_requiring_referrals_gets_an_error_naming_the_coverage(practice_row):
    payer = factories.PayerFactory(name="Northgate HMO", requires_referring_provider=True)
    claim = claim_for(factories.ClientFactory(), payer=payer)
    assert claim.parties["referring"] is None
    assert box(claim, "17") == "" and box(claim, "17_qual") == ""
    (message,) = messages(claim, "referring_provider")
    assert message.startswith(
        "Northgate HMO requires a referring provider (box 17, qualifier DN): record the "
        "referring provider's name and NPI on the client's Northgate HMO coverage"
    )


def test_a_recorded_referring_provider_prints_dn_in_box_17_and_2310a(practice_row):
    payer = factories.PayerFactory(requires_referring_provider=True)
    npi = factories.make_npi(555)
    claim = claim_for(
        factories.ClientFactory(),
        payer=payer,
        referring_first_name="Renée",
        referring_last_name="Ó Briain",
        referring_npi=npi,
    )
    assert claim.parties["referring"] == {
        "first_name": "Renée",
        "last_name": "Ó Briain",
        "npi": npi,
    }
    assert messages(claim, "referring_provider") == []
    data = render_cms1500([claim], mode="data")
    assert printed_at(data, cms1500.FIELDS["17_qual"]) == "DN"
    assert printed_at(data, cms1500.FIELDS["17"]) == "RENEE O BRIAIN"
    assert printed_at(data, cms1500.FIELDS["17b"]) == npi
    assert starting(file_for(claim), "NM1*DN") == [f"NM1*DN*1*O BRIAIN*RENEE****XX*{npi}"]


def test_with_a_supervisor_too_box_17_shows_the_referrer_and_the_837p_both(practice_row):
    supervisor = factories.ClinicianFactory(first_name="Pat", last_name="Senior", credentials="PhD")
    associate = factories.ClinicianFactory(supervisor=supervisor)
    payer = factories.PayerFactory(
        supervision_billing=Payer.SupervisionBilling.SUPERVISOR_DQ, requires_referring_provider=True
    )
    npi = factories.make_npi(556)
    claim = claim_for(
        factories.ClientFactory(primary_clinician=associate),
        payer=payer,
        referring_first_name="Kim",
        referring_last_name="Referrer",
        referring_npi=npi,
    )
    data = render_cms1500([claim], mode="data")
    assert printed_at(data, cms1500.FIELDS["17_qual"]) == "DN"
    assert printed_at(data, cms1500.FIELDS["17"]) == "KIM REFERRER"
    assert printed_at(data, cms1500.FIELDS["17b"]) == npi
    text = file_for(claim)  # pyx12 accepts loops 2310A and 2310D together
    assert starting(text, "NM1*DN") == [f"NM1*DN*1*REFERRER*KIM****XX*{npi}"]
    assert starting(text, "NM1*DQ") == [f"NM1*DQ*1*SENIOR*PAT****XX*{supervisor.npi}"]


def test_a_referring_npi_with_a_bad_check_digit_is_an_error(practice_row):
    claim = claim_for(factories.ClientFactory())
    claim.parties["referring"] = {"first_name": "Kim", "last_name": "Lee", "npi": "1234567890"}
    claim.save(update_fields=["parties"])
    (message,) = messages(claim, "referring_provider")
    assert message.startswith("The referring provider NPI 1234567890 (box 17b): This NPI's last")


def test_the_coverage_form_checks_the_referring_npi_and_asks_for_the_name(client, biller_user):
    someone = factories.ClientFactory()
    coverage = factories.CoverageFactory(client=someone)
    client.force_login(biller_user)
    url = reverse("practice:client_edit", args=[someone.pk])
    data = _edit_data(someone, version=str(someone.version))
    data |= {
        "coverages-0-version": str(coverage.version),
        "coverages-0-referring_first_name": "",
        "coverages-0-referring_last_name": "Lee",
        "coverages-0-referring_npi": "1234567890",
    }
    response = client.post(url, data)
    errors = response.context["coverages"].forms[0].errors
    assert errors["referring_npi"] == [
        "This NPI's last digit does not match its check digit; please check for a typo."
    ]
    data["coverages-0-referring_npi"] = factories.make_npi(557)
    errors = client.post(url, data).context["coverages"].forms[0].errors
    assert errors["referring_first_name"] == ["Enter the referring provider's first name too."]
    data["coverages-0-referring_first_name"] = "Kim"
    assert client.post(url, data).status_code == 302
    coverage.refresh_from_db()
    assert coverage.referring() == {
        "first_name": "Kim",
        "last_name": "Lee",
        "npi": factories.make_npi(557),
    }


# --- box 33 ------------------------------------------------------------------------------


def paper_claim(practice_row, **practice) -> Claim:
    for name, value in practice.items():
        setattr(practice_row, name, value)
    practice_row.save()
    payer = factories.PayerFactory(accepts_electronic_claims=False)
    return claim_for(factories.ClientFactory(), payer=payer)


@pytest.mark.parametrize(
    "street",
    ["PO Box 120", "P.O. Box 120", "p o box 120", "Post Office Box 120", "POST-OFFICE BOX 9",
     "P.O.Box 7", "POB 120"],
)  # fmt: skip
def test_a_po_box_billing_address_is_a_scrubber_error(practice_row, street):
    claim = paper_claim(practice_row, address_line1=street)
    (message,) = messages(claim, "billing_address")
    assert message.startswith(f"The billing address “{street}” is a PO box: box 33 needs")


def test_a_five_digit_billing_zip_is_an_error_on_paper_and_x12_reports_it_electronically(
    practice_row,
):
    claim = paper_claim(practice_row, zip_code="62701")
    (message,) = messages(claim, "billing_address")
    assert "ZIP code 62701 needs all nine digits (ZIP+4) in box 33" in message
    electronic = claim_for(factories.ClientFactory())
    assert messages(electronic, "billing_address") == []
    assert any("ZIP+4" in m for m in messages(electronic, "x12_addresses"))


def test_a_street_address_with_zip_plus_4_is_quiet_and_prints_with_the_hyphen(practice_row):
    claim = paper_claim(practice_row, address_line1="120 Campo Box Rd")
    assert messages(claim, "billing_address") == []
    assert box(claim, "33_3") == "SPRINGFIELD IL 62701-1234"
    assert box(claim, "5_zip") == "62702-9876"


def _practice_form(practice_row, **changes) -> PracticeForm:
    """The settings form re-submitted as saved, ZIP typed with its hyphen, then ``changes``."""
    data = {
        name: "" if value is None else value
        for name, value in model_to_dict(practice_row).items()
        if name != "id"
    }
    data["missed_fees_for_all_clients"] = ""  # an unticked box is not sent
    return PracticeForm({**data, "zip_code": "62701-1234", **changes}, instance=practice_row)


def test_the_practice_settings_refuse_a_po_box_and_a_five_digit_zip_next_to_the_fields(
    practice_row,
):
    form = _practice_form(practice_row, address_line2="P.O. Box 44", zip_code="62701")
    assert not form.is_valid()
    assert form.errors["address_line2"][0].startswith(
        "The billing address must be the practice's street address"
    )
    assert form.errors["zip_code"] == [
        "The billing address needs its 9-digit ZIP+4 (for example 62701-1234): look it up on "
        "the USPS site."
    ]
    practice_row.refresh_from_db()  # the refused form set its values on the instance
    form = _practice_form(practice_row, zip_code="62701-4321")
    assert form.is_valid(), form.errors
    form.save()
    practice_row.refresh_from_db()
    assert practice_row.zip_code == "627014321"
    assert PracticeForm(instance=practice_row).initial["zip_code"] == "62701-4321"


def test_the_practice_admin_page_shows_the_box_33_error(client, owner_user, practice_row):
    client.force_login(owner_user)
    url = f"/admin/practice/practice/{practice_row.pk}/change/"
    assert client.get(url).status_code == 200
    data = {k: v for k, v in _practice_form(practice_row).data.items()}
    data["address_line1"] = "PO Box 9"
    response = client.post(url, data)
    assert response.status_code == 200
    assert "payers refuse a PO box in box 33" in response.content.decode()
    practice_row.refresh_from_db()
    assert practice_row.address_line1 == "120 Main St Ste 4"


# --- where each is fixed -----------------------------------------------------------------


def test_each_new_error_links_to_where_it_is_fixed(client, biller_user, owner_user, practice_row):
    payer = factories.PayerFactory(requires_referring_provider=True)
    someone = factories.ClientFactory(release_signed_on=None)
    practice_row.address_line1 = "PO Box 9"
    practice_row.save()
    claim = claim_for(someone, payer=payer)
    edit = reverse("practice:client_edit", args=[someone.pk])
    biller_items = problems_on(client, biller_user, claim)
    assert links(item(biller_items, "No signed release")) == [
        (f"{edit}#signatures", "Record the signatures")
    ]
    assert links(item(biller_items, "requires a referring provider")) == [
        (f"{edit}#coverages-forms", "Edit the coverage")
    ]
    # The practice settings are the owner's: a biller sees their name, an owner a link.
    assert links(item(biller_items, "is a PO box")) == []
    owner_items = problems_on(client, owner_user, claim)
    assert links(item(owner_items, "is a PO box")) == [
        (reverse("admin:practice_practice_changelist"), "Practice settings")
    ]
    page = client.get(edit).content.decode()
    assert 'id="signatures"' in page
