"""Production settings pass Django's deployment checklist (`check --deploy`) with no warning."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys

from django.conf import settings


def test_check_deploy_with_production_settings_reports_no_issues():
    """Only what a production host sets, nothing silenced: every warning fails the test."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", "/"),
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),  # 67 characters, as a deployment makes one
        "ALLOWED_HOSTS": "example.org",
        # `check --deploy` reads the settings without connecting, so no server is needed.
        "DATABASE_URL": "postgres://sessionledger:secret@db.example.org:5432/sessionledger",
    }

    done = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert "System check identified no issues (0 silenced)." in done.stdout
