"""`python -m chat_service [--host 127.0.0.1] [--port 8001]`: check the settings, then serve with uvicorn.

Exit codes: 0 after a clean shutdown, 2 when the settings or the chat export are unusable.
`python -m chat_service gaps LOG` prints the report of the question log instead (question_log.py).
"""

from __future__ import annotations

import argparse
import copy
import os
import socket
import sys

import uvicorn

from chat_service.app import create_app, drain_streams
from chat_service.config import load_settings
from chat_service.errors import ConfigError, ExportError
from chat_service.question_log import main as gaps_main


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


def logging_config() -> dict[str, object]:
    """uvicorn's logging setup, plus the service's own `chat_service` loggers on the same handler."""
    config = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
    config["loggers"]["chat_service"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    return config


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(prog="python -m chat_service", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8001, help="port to listen on (default 8001)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the service until interrupted; return the exit code."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["gaps"]:
        return gaps_main(argv[1:])
    args = parse_args(argv)
    try:
        settings = load_settings(os.environ)
        app = create_app(settings)
    except (ConfigError, ExportError) as error:
        print(f"chat service cannot start: {error}", file=sys.stderr)
        return 2
    config = uvicorn.Config(
        app,
        host=args.host,
        port=args.port,
        # Cancel whatever is still running a little after the streams' own grace period.
        timeout_graceful_shutdown=int(settings.shutdown_grace) + 5,
        log_config=logging_config(),
    )
    ChatServer(config).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
