"""The uvicorn server that runs the service; the only module that imports uvicorn.

`ChatServer` drains open streams before it stops; `HangUpProtocol` closes a stream's upstream request the
moment its reader's connection drops; `server_config()` is one process's settings; `serve_worker()` is what
each worker process of `--workers N` runs.
"""

from __future__ import annotations

import copy
import os
import socket

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from chat_service.app import create_app, drain_streams
from chat_service.config import Settings, load_settings
from chat_service.streams import HANG_UP


class ChatServer(uvicorn.Server):
    """A uvicorn server that ends open chat streams (with an `error` event) before it stops.

    uvicorn only tells an app about shutdown after every connection has closed, which a stream never
    does on its own; so the streams are drained first, right after the listening sockets close.
    """

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        for server in self.servers:
            server.close()
        await drain_streams(self.config.app)
        await super().shutdown(sockets)


class HangUpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, which also calls the hang-up hook of the response in flight (streams.py)
    as soon as the reader's connection drops: on a busy event loop the stream's own task may wake rounds
    later, and the model API bills every token until its request is closed."""

    def connection_lost(self, exc: Exception | None) -> None:
        cycle = self.cycle
        super().connection_lost(exc)
        if cycle is not None and not cycle.response_complete:
            hang_up = cycle.scope.get(HANG_UP)
            if hang_up is not None:
                hang_up()


def logging_config() -> dict[str, object]:
    """uvicorn's logging setup, plus the service's own `chat_service` loggers on the same handler."""
    config = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
    config["loggers"]["chat_service"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    return config


def server_config(app: object, host: str, port: int, settings: Settings) -> uvicorn.Config:
    """The uvicorn settings of one serving process."""
    return uvicorn.Config(
        app,  # type: ignore[arg-type]
        host=host,
        port=port,
        # Cancel whatever is still running a little after the streams' own grace period.
        timeout_graceful_shutdown=int(settings.shutdown_grace) + 5,
        log_config=logging_config(),
        http=HangUpProtocol,
    )


def serve_worker(host: str, port: int, sock: socket.socket) -> None:
    """One worker process: the whole service, on the socket the parent bound."""
    settings = load_settings(os.environ)
    ChatServer(server_config(create_app(settings), host, port, settings)).run(sockets=[sock])
