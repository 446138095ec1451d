"""Worker processes sharing one listening socket: start them, replace one that dies, stop them all on a signal.

`run_workers(target, sock, count, stop_timeout=...)` spawns `count` processes, each running `target(sock)`
(a whole server), and returns when they have stopped: after SIGTERM or SIGINT, which it passes on to every
worker as SIGTERM, so each one ends its open streams as a single process would. A worker that dies is
replaced, unless it dies while starting (then the others are stopped too and the exit code is 1).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import socket
import threading
import time
from collections.abc import Callable
from multiprocessing.process import BaseProcess

log = logging.getLogger("chat_service.workers")

STARTING_SECONDS = 5.0  # a worker that dies sooner is taken to have failed to start (bad config, port)
POLL_SECONDS = 0.2

# Sockets travel to spawned processes as file descriptors.
multiprocessing.allow_connection_pickling()
_spawn = multiprocessing.get_context("spawn")


def run_workers(
    target: Callable[[socket.socket], None], sock: socket.socket, count: int, *, stop_timeout: float
) -> int:
    """Run `count` workers until a signal stops them; return the exit code (0, or 1 if one failed to start)."""
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGTERM, signal.SIGINT)}
    workers = [_start(target, sock) for _ in range(count)]
    code = 0
    try:
        while not stop.wait(POLL_SECONDS):
            for index, (process, started) in enumerate(workers):
                if process.is_alive():
                    continue
                if time.monotonic() - started < STARTING_SECONDS:
                    log.error(
                        "worker %s stopped while starting (exit code %s)", process.pid, process.exitcode
                    )
                    code = 1
                    stop.set()
                    break
                log.warning("worker %s died (exit code %s); starting another", process.pid, process.exitcode)
                workers[index] = _start(target, sock)
    finally:
        _stop_all([process for process, _ in workers], stop_timeout)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return code


def _start(target: Callable[[socket.socket], None], sock: socket.socket) -> tuple[BaseProcess, float]:
    process = _spawn.Process(target=target, args=(sock,), daemon=False)
    process.start()
    return process, time.monotonic()


def _stop_all(processes: list[BaseProcess], timeout: float) -> None:
    for process in processes:
        if process.is_alive() and process.pid is not None:
            os.kill(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
        if process.is_alive():
            log.error("worker %s did not stop within %.0f s; killing it", process.pid, timeout)
            process.kill()
            process.join()
