"""Independent items worked on by a few threads, results in the items' order.

The gate's minors and the backport's targets are chains of git and Go processes: threads overlap
them on the machine's cores. Plain threads rather than concurrent.futures, whose import pulls in
logging (~7 ms of start-up on every run). The first exception stops the others from taking a new
item and is raised in the caller's thread; an interrupt (Ctrl-C) does the same, after
`on_interrupt` (e.g. kill the running builds), and every thread has ended when this returns.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def in_threads(items: Sequence[T], work: Callable[[T], R], *, jobs: int, name: str = "ksp",
               on_interrupt: Callable[[], None] | None = None) -> list[R]:
    """`[work(item) for item in items]` on up to `jobs` threads."""
    jobs = min(jobs, len(items))
    if jobs < 2:
        return [work(item) for item in items]
    results: dict[int, R] = {}
    failures: list[BaseException] = []
    todo = iter(enumerate(items))
    lock = threading.Lock()

    def worker() -> None:
        while not failures:
            with lock:
                item = next(todo, None)
            if item is None:
                return
            try:
                results[item[0]] = work(item[1])
            except BaseException as exc:  # raised again in the caller's thread
                failures.append(exc)

    threads = [threading.Thread(target=worker, name=f"{name}-{n}", daemon=True)
               for n in range(jobs)]
    for thread in threads:
        thread.start()
    try:
        for thread in threads:
            thread.join()
    except BaseException:
        failures.append(KeyboardInterrupt())  # no thread takes another item
        if on_interrupt is not None:
            on_interrupt()
        raise
    finally:
        for thread in threads:
            thread.join()  # each ends its current item (and cleans up after it)
    if failures:
        raise failures[0]
    return [results[n] for n in range(len(items))]
