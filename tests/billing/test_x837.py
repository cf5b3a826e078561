"""837P files (billing.outputs.x837): every file here passes pyx12 and our own checks
(tests/x12.py), and says what the claim snapshot says."""

from __future__ import annotations

import datetime

import pytest

from billing.models import Claim
from billing.outputs.x837 import Envelope, render_837p
from billing.services import claims_build
from billing.submission import claims_for_file
from tests import factories
from tests.billing.test_scrubber import ready_session
from tests.x12 import assert_valid_837

pytestmark = pytest.mark.django_db

CREATED = datetime.datetime(2026, 10, 12, 9, 30, tzinfo=datetime.UTC)


def envelope(number: int = 1) -> Envelope:
    return Envelope.for_clearinghouse(
        factories.ClearinghouseFactory.build(), numbers=(number, number, number), created=CREATED
    )


def file_for(*claims: Claim, **kw) -> str:
    loaded = list(claims_for_file().filter(pk__in=[c.pk for c in claims]).order_by("pk"))
    text = render_837p(loaded, envelope(), **kw)
    assert_valid_837(text)
    return text


def segments(text: str) -> list[str]:
    return [s for s in text.replace("\n", "").split("~") if s]


def test_a_self_insured_client_makes_a_valid_file(practice_row):
    client = factories.CoverageFactory().client
    ready_session(client)
    (claim,) = claims_build().claims
    text = file_for(claim)
    print(text)
