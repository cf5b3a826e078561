"""The static files storage of production: WhiteNoise's compressed manifest storage, each
file's URL worked out once per process.

Every page's frame names seven static files (``templates/base.html``); the manifest
storage answers each ``{% static %}`` by splitting, unquoting and joining the name and
looking its hash up, about 15 µs a file, ~0.1 ms of every request (issue 14). The
answer cannot change while the process runs (the manifest is read once, when the
storage is made), so it is kept: a dict per storage object, keyed by what the answer
depends on. A missing file still raises every time.
"""

from __future__ import annotations

from django.conf import settings
from whitenoise.storage import CompressedManifestStaticFilesStorage

# More names than a deployment's templates ever ask for: past it, answers are not kept.
KEPT_URLS = 1000


class ManifestStaticFilesStorage(CompressedManifestStaticFilesStorage):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._urls: dict[tuple[str, bool, bool], str] = {}

    def url(self, name: str | None, force: bool = False) -> str:
        # DEBUG decides between the hashed and the plain name (the manifest storage's rule).
        key = (name, force, settings.DEBUG)
        try:
            return self._urls[key]
        except KeyError:
            url = super().url(name, force)
            if len(self._urls) < KEPT_URLS:
                self._urls[key] = url
            return url
