"""Loaders that run once per process, however many threads ask first.

``functools.cache`` runs a function again for every caller that arrives before the first
call returned. For a model or a bank of embedded examples that takes seconds to build, the
first customers of a cold process (three messages at once, each read on its own thread)
would each build it, and each wait for all of the builds sharing the CPU. ``load_once``
makes the later callers wait for the one build instead.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Hashable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

__all__ = ["load_once"]


def load_once(function: Callable[P, T]) -> Callable[P, T]:
    """``functools.cache`` for expensive loaders: one computation per distinct arguments,
    concurrent callers with the same arguments waiting for it. A call that raises caches
    nothing (the next caller tries again)."""
    cached = functools.cache(function)
    guard = threading.Lock()
    locks: dict[Hashable, threading.Lock] = {}

    @functools.wraps(function)
    def loader(*args: P.args, **kwargs: P.kwargs) -> T:
        key = (args, tuple(sorted(kwargs.items())))
        with guard:
            lock = locks.setdefault(key, threading.Lock())
        with lock:
            return cached(*args, **kwargs)

    return loader
