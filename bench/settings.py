"""Settings of the bench server (bench/run.py): the product's, plus the bare twin pages
of bench/twins.py under /bench-twin/. Never used by the product."""

from practice.settings import *  # noqa: F403

ROOT_URLCONF = "bench.twins"
