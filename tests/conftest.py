"""Shared fixtures: the catalog, and named users for each role.

`clinician_user` and `other_clinician_user` are two clinicians: everything of the first
must be a 404 for the second.
"""

from __future__ import annotations

import importlib
import os

import pytest
from django.core.management import call_command
from django.db import connection

from practice import roles
from tests import factories


def _ensure_catalog() -> None:
    from billing.models import ProcedureCode

    if not ProcedureCode.objects.exists():
        call_command("load_catalog", verbosity=0)


def _ensure_roles() -> None:
    """A flush also empties the role groups the migration made; make them again."""
    from django.apps import apps
    from django.contrib.auth.models import Group

    if not Group.objects.filter(name=roles.OWNER).exists():
        importlib.import_module("practice.migrations.0002_roles").create_roles(apps, None)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """PBKDF2 at production strength costs ~1.5 s per test user on this machine."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _second_factor_as_on_a_laptop(settings):
    """Tests run as `make run` does (DEBUG on: no second factor owed), whatever DEBUG the
    shell has; the two-step sign-in tests turn SL_REQUIRE_MFA on themselves."""
    settings.SL_REQUIRE_MFA = False


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: cached filter choices (practice/listing.py,
    billing/choices.py) must not carry one test's rows into the next, whose database
    rolled back."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Load the starter catalog once into the test database."""
    with django_db_blocker.unblock():
        _ensure_catalog()


@pytest.fixture(autouse=True)
def _catalog_after_flush(request):
    """Transactional tests flush the database; put the catalog back for the next test."""
    marker = request.node.get_closest_marker("django_db")
    if marker and (marker.kwargs.get("transaction") or "live_server" in request.fixturenames):
        request.getfixturevalue("_django_db_helper")
        _ensure_catalog()
        _ensure_roles()
    yield


def pytest_collection_modifyitems(config, items):
    """PostgreSQL-only tests skip on SQLite, unless CI says PostgreSQL is required."""
    on_postgres = connection.vendor == "postgresql"
    required = os.environ.get("SL_REQUIRE_POSTGRES") == "1"
    for item in items:
        if item.get_closest_marker("postgres") and not on_postgres:
            if required:
                item.add_marker(pytest.mark.xfail(reason="", strict=True, run=False))
                raise pytest.UsageError(
                    "SL_REQUIRE_POSTGRES=1 but DATABASE_URL does not point at PostgreSQL"
                )
            item.add_marker(
                pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL=postgres://…")
            )


@pytest.fixture
def practice_row(db):
    return factories.PracticeFactory()


@pytest.fixture
def owner_user(db):
    return factories.UserFactory(username="owner", role=roles.OWNER)


@pytest.fixture
def biller_user(db):
    return factories.UserFactory(username="biller", role=roles.BILLER)


@pytest.fixture
def biller(client, biller_user):
    """The test client, logged in as the biller."""
    client.force_login(biller_user)
    return client


@pytest.fixture
def clinician(db, practice_row):
    return factories.ClinicianFactory(
        user=factories.UserFactory(username="clinician", role=roles.CLINICIAN)
    )


@pytest.fixture
def clinician_user(clinician):
    return clinician.user


@pytest.fixture
def other_clinician(db, practice_row):
    return factories.ClinicianFactory(
        user=factories.UserFactory(username="other", role=roles.CLINICIAN), first_name="Other"
    )


@pytest.fixture
def other_clinician_user(other_clinician):
    return other_clinician.user
