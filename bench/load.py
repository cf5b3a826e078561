"""Throughput of one page under a short load: `wrk` when it is installed (Debian: apt-get
install wrk), else a bounded Python client (a fixed number of threads, each with one
keep-alive connection, for a fixed number of seconds). Both count completed 200
responses; anything else stops the bench, so a broken page is never measured as fast."""

from __future__ import annotations

import http.client
import re
import shutil
import subprocess
import threading
import time
from urllib.parse import urlsplit

CONNECTIONS = 8
REQUEST_SECONDS = 60  # the longest one request may take before it counts as failed


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


def _wrk(url: str, cookie: str, seconds: float) -> float:
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{CONNECTIONS}",
            f"-d{max(1, round(seconds))}s",
            # wrk's own 2 s would drop every answer of a page that takes a second at the
            # large demo (8 connections queue on 2 workers) and report 0 requests/s.
            f"--timeout={REQUEST_SECONDS}s",
            "-H",
            f"Cookie: {cookie}",
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    if "Non-2xx or 3xx responses" in out:
        raise SystemExit(f"{url} answered errors under load:\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def _python(url: str, cookie: str, seconds: float) -> float:
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    done = [0] * CONNECTIONS
    failures: list[str] = []
    deadline = time.perf_counter() + seconds

    def worker(n: int) -> None:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=REQUEST_SECONDS)
        try:
            while time.perf_counter() < deadline and not failures:
                connection.request("GET", target, headers={"Cookie": cookie})
                response = connection.getresponse()
                response.read()
                if response.status != 200:
                    failures.append(f"{url}: HTTP {response.status}")
                    return
                done[n] += 1
        finally:
            connection.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(n,)) for n in range(CONNECTIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise SystemExit(failures[0])
    return sum(done) / (time.perf_counter() - started)


def requests_per_second(url: str, cookie: str, seconds: float) -> float:
    return _wrk(url, cookie, seconds) if wrk_available() else _python(url, cookie, seconds)
