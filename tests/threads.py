"""Calls run at the same moment, each in its own thread and database connection: how
the tests show that a rule holds under concurrency (PostgreSQL only; mark the test
``postgres`` and ``django_db(transaction=True)``)."""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.db import close_old_connections, connection


def at_once(*calls: Callable[[], object]) -> list[object]:
    """Start every call in its own thread, release them together and wait for all; what
    each returned, in order. An error raised in a thread fails the test here (it would
    otherwise be lost with its thread)."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)
    errors: list[BaseException] = []

    def run(index: int, call: Callable[[], object]) -> None:
        try:
            barrier.wait()
            results[index] = call()
        except BaseException as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=item) for item in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    close_old_connections()
    assert errors == []
    return results
