"""`make run` migrates, then serves: both run Django's system checks against the database,
and a practice on the default SQLite file (or on PostgreSQL) is shown no warning."""

from __future__ import annotations

import pytest
from django.core import checks

pytestmark = pytest.mark.django_db


def test_the_system_checks_against_the_database_have_nothing_to_say():
    issues = [
        issue for issue in checks.run_checks(databases=["default"]) if not issue.is_silenced()
    ]
    assert issues == []
