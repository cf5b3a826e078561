"""Python's cycle collector during an import (practice/collector.py): changed inside, put
back after, nested or from two threads; a freeze made outside is left alone."""

from __future__ import annotations

import gc
import threading

from practice.collector import fewer_collections


def test_inside_what_was_alive_is_frozen_and_collections_wait_then_all_is_put_back():
    before = gc.get_threshold()
    assert gc.get_freeze_count() == 0
    with fewer_collections(young=12_345):
        assert gc.get_threshold() == (12_345, *before[1:])
        assert gc.get_freeze_count() > 0
        with fewer_collections(young=500):  # nested: the outer one's settings hold
            assert gc.get_threshold() == (12_345, *before[1:])
        assert gc.get_threshold() == (12_345, *before[1:])
        assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_a_freeze_made_outside_stays_as_it_was():
    before = gc.get_threshold()
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with fewer_collections(young=12_345):
            assert gc.get_threshold() == (12_345, *before[1:])
        assert gc.get_threshold() == before
        assert gc.get_freeze_count() > frozen // 2  # still frozen: not ours to undo
    finally:
        gc.unfreeze()


def test_two_threads_inside_at_once_put_the_collector_back_once_both_are_out():
    before = gc.get_threshold()
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()
    seen = {}

    def first():
        with fewer_collections(young=12_345):
            first_in.set()
            second_in.wait(5)
        first_out.set()

    def second():
        first_in.wait(5)
        with fewer_collections(young=12_345):
            second_in.set()
            first_out.wait(5)
            seen["after the first left"] = gc.get_threshold()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert seen["after the first left"] == (12_345, *before[1:])
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0
