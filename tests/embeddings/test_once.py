"""``load_once``: concurrent first callers wait for one load instead of each loading."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from supportbot.embeddings.once import load_once


def test_concurrent_first_callers_share_one_load():
    calls: list[str] = []

    @load_once
    def load(name: str) -> object:
        calls.append(name)
        time.sleep(0.3)  # long enough for every caller to arrive while it runs
        return object()

    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(load, ["bank"] * 6))

    assert calls == ["bank"]
    assert all(result is results[0] for result in results)


def test_different_arguments_load_separately_and_concurrently():
    both_inside = threading.Barrier(2, timeout=5)

    @load_once
    def load(name: str) -> str:
        both_inside.wait()  # breaks (and raises) if one load waited for the other
        return name.upper()

    with ThreadPoolExecutor(2) as pool:
        assert list(pool.map(load, ["a", "b"])) == ["A", "B"]


def test_a_failed_load_is_tried_again():
    attempts = []

    @load_once
    def load() -> int:
        attempts.append(1)
        if len(attempts) == 1:
            raise OSError("weights not there yet")
        return 42

    with pytest.raises(OSError):
        load()
    assert load() == 42
    assert load() == 42
    assert len(attempts) == 2
