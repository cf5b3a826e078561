"""``quick_field`` writes what crispy's ``as_crispy_field`` writes for the widgets the
filter forms use (same elements, attributes, ids and text; whitespace aside), and hands
everything else, errors included, to crispy."""

from __future__ import annotations

import pytest
from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field
from django import forms
from django.http import QueryDict
from django.test.html import parse_html

from billing.forms import BuildClaimsForm, ClaimFilterForm, SummaryForm
from practice.forms.widgets import DateInput
from practice.templatetags.quickfields import quick_field
from tests import factories

pytestmark = pytest.mark.django_db


class Sample(forms.Form):
    name = forms.CharField(label='Name & "nick"', help_text="<b>as written</b>", max_length=20)
    count = forms.IntegerField(required=False)
    kind = forms.ChoiceField(choices=[("a", "A <1>"), ("b", "B")], initial="b")
    day = forms.DateField(widget=DateInput(), required=False)
    many = forms.MultipleChoiceField(
        choices=[("x", "X"), ("y", "Y")], widget=forms.CheckboxSelectMultiple, required=False
    )
    note = forms.CharField(widget=forms.Textarea, required=False)


def _same(field) -> None:
    assert parse_html(str(quick_field(field))) == parse_html(str(as_crispy_field(field)))


@pytest.mark.parametrize(
    "data",
    [
        None,
        {"name": "Ann <script>", "count": "3", "kind": "a", "day": "2026-11-02", "many": ["y"]},
    ],
)
def test_it_writes_what_crispy_writes(data):
    factories.PayerFactory(name="Acme & Sons")
    factories.ClinicianFactory()
    sample = Sample(data) if data else Sample()
    for name in ("name", "count", "kind", "day", "many", "note"):
        _same(sample[name])
    claims = ClaimFilterForm({"payer": "", "status": "draft", "dates": "created"})
    for field in claims:
        _same(field)
    for field in BuildClaimsForm(auto_id="build_%s"):
        _same(field)
    for field in SummaryForm(QueryDict("start=2026-10-01&end=2026-10-31&statuses=paid")):
        _same(field)


def test_cached_selects_write_what_crispy_writes_with_a_choice_made():
    """The payer and clinician selects come from ``practice.listing.Offered`` (options
    written once per process): the chosen one selected, names escaped, as crispy."""
    payers = [factories.PayerFactory(name=name) for name in ("Acme <& Sons>", "Zoë Mutual")]
    clinicians = [factories.ClinicianFactory() for _ in range(11)]  # ids 1 and 11, say
    chosen = clinicians[0]
    claims = ClaimFilterForm({"payer": str(payers[1].pk), "clinician": str(chosen.pk)})
    for name in ("payer", "clinician"):
        _same(claims[name])
    html = str(quick_field(claims["clinician"]))
    assert html.count(" selected") == 1
    assert f'<option value="{chosen.pk}" selected>' in html
    payer = str(quick_field(claims["payer"]))
    assert "Acme &lt;&amp; Sons&gt;" in payer and f'value="{payers[1].pk}" selected' in payer
    assert '<option value="">All payers</option>' in payer
    unchosen = str(quick_field(ClaimFilterForm({})["payer"]))
    assert unchosen.count(" selected") == 1 and '<option value="" selected>' in unchosen


def test_fields_with_errors_are_crispys_own():
    form = ClaimFilterForm({"date_from": "2026-13-01", "date_to": "x"})
    form.is_valid()
    assert str(quick_field(form["date_from"])) == str(as_crispy_field(form["date_from"]))
    assert "Enter a valid date." in str(quick_field(form["date_from"]))


def test_values_are_escaped():
    html = str(quick_field(Sample({"name": '"><script>alert(1)</script>'})["name"]))
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
