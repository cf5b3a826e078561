"""Production's static storage (practice/staticfiles.py) keeps each file's URL once
worked out: the manifest's hashed name, the same as WhiteNoise's storage answers, and a
file the manifest lacks still refused each time."""

from __future__ import annotations

import json

import pytest
from django.test import override_settings
from whitenoise.storage import CompressedManifestStaticFilesStorage

from practice.staticfiles import ManifestStaticFilesStorage


@pytest.fixture
def collected(tmp_path):
    (tmp_path / "staticfiles.json").write_text(
        json.dumps({"paths": {"css/app.css": "css/app.0123abcd.css"}, "version": "1.1"})
    )
    return tmp_path


@override_settings(DEBUG=False, STATIC_URL="/static/")
def test_the_url_is_the_manifests_and_is_kept(collected):
    ours = ManifestStaticFilesStorage(location=collected)
    theirs = CompressedManifestStaticFilesStorage(location=collected)
    assert ours.url("css/app.css") == theirs.url("css/app.css") == "/static/css/app.0123abcd.css"
    ours.hashed_files.clear()  # the manifest forgotten: the answer was kept
    assert ours.url("css/app.css") == "/static/css/app.0123abcd.css"


@override_settings(DEBUG=False, STATIC_URL="/static/")
def test_a_file_the_manifest_lacks_is_refused_every_time(collected):
    ours = ManifestStaticFilesStorage(location=collected)
    for _ in range(2):
        with pytest.raises(ValueError, match="Missing staticfiles manifest entry"):
            ours.url("css/gone.css")


def test_debug_shows_the_plain_name_as_the_manifest_storage_does(collected):
    ours = ManifestStaticFilesStorage(location=collected)
    with override_settings(DEBUG=False, STATIC_URL="/static/"):
        assert ours.url("css/app.css") == "/static/css/app.0123abcd.css"
    with override_settings(DEBUG=True, STATIC_URL="/static/"):
        assert ours.url("css/app.css") == "/static/css/app.css"
