"""Run independent pieces of a build on all cores.

Workers are forked, so they inherit the parsed site instead of receiving a pickled copy of it; only each
result travels back. Forking is only safe in a single-threaded process, so the dev server builds with one worker.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")
MIN_ITEMS = 64  # below this, starting processes costs more than it saves
_TASKS: Sequence[Callable[[], object]] = ()


def default_workers() -> int:
    """One worker per core this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def run_all(tasks: Sequence[Callable[[], T]], workers: int) -> list[T]:
    """Call every task and return the results in order, on ``workers`` forked processes when worthwhile."""
    if workers <= 1 or len(tasks) < MIN_ITEMS or "fork" not in multiprocessing.get_all_start_methods():
        return [task() for task in tasks]
    global _TASKS
    _TASKS = tasks
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            return pool.map(_run, range(len(tasks)), chunksize=max(1, len(tasks) // (workers * 8)))  # type: ignore[return-value]
    finally:
        _TASKS = ()


def _run(index: int) -> object:
    return _TASKS[index]()
