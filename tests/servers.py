"""Run any ASGI app in a real uvicorn server on 127.0.0.1, in a background thread, for tests.

    from tests.servers import serve

    with serve(app) as base_url:                   # "http://127.0.0.1:<free port>"
        httpx.get(base_url + "/healthz")

`serve(app, *, server_class=uvicorn.Server, start_timeout=10, stop_timeout=15, **config)` binds a free
port first (no race), starts the server, waits until it accepts connections (or raises RuntimeError after
`start_timeout` seconds), yields the base URL, and on exit asks the server to stop and waits for its
thread (RuntimeError after `stop_timeout`). `config` goes to `uvicorn.Config` (e.g. `timeout_graceful_shutdown`).
Logging is left to the test runner (`log_config=None`), so `caplog` sees uvicorn's and the app's records.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn


def _bound_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@contextmanager
def serve(
    app: Any,
    *,
    server_class: type[uvicorn.Server] = uvicorn.Server,
    start_timeout: float = 10.0,
    stop_timeout: float = 15.0,
    **config: Any,
) -> Iterator[str]:
    """Serve `app` on 127.0.0.1 in a thread for the duration of the block; yield its base URL."""
    sock = _bound_socket()
    port = sock.getsockname()[1]
    settings = {"log_config": None, "lifespan": "on", "timeout_graceful_shutdown": 5, **config}
    server = server_class(uvicorn.Config(app, host="127.0.0.1", port=port, **settings))
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name=f"uvicorn-{port}", daemon=True
    )
    thread.start()
    try:
        deadline = time.monotonic() + start_timeout
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                server.should_exit = True
                raise RuntimeError(f"the server on port {port} did not start within {start_timeout} s")
            time.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(stop_timeout)
        sock.close()
        if thread.is_alive():
            raise RuntimeError(f"the server on port {port} did not stop within {stop_timeout} s")
