"""`python -m chat_service [--host 127.0.0.1] [--port 8001] [--workers N]`: check the settings, then serve.

With `--workers N` (default `CHAT_WORKERS`, else 1) N processes serve one socket, each a whole service.
Exit codes: 0 after a clean shutdown, 1 when a worker failed to start, 2 when the settings or the chat export
are unusable. `python -m chat_service gaps LOG` prints the report of the question log instead (question_log.py).
"""

from __future__ import annotations

import argparse
import functools
import os
import sys

import anyio

from chat_service.app import create_app
from chat_service.config import Settings, load_settings
from chat_service.errors import ConfigError, ExportError
from chat_service.export import ExportStore
from chat_service.question_log import main as gaps_main
from chat_service.server import ChatServer, serve_worker, server_config
from chat_service.shared_limits import RedisRateLimiter
from chat_service.sources import export_source
from chat_service.workers import run_workers


async def check_startup(settings: Settings) -> None:
    """Read the chat export's manifest once (and reach Redis), so that a problem stops start-up clearly."""
    source = export_source(settings.index, timeout=settings.index_timeout, max_bytes=settings.index_max_bytes)
    try:
        await ExportStore(source, prepare=lambda article: article, check_interval=0).load()
    finally:
        await source.aclose()
    if settings.redis_url is not None:
        limiter = RedisRateLimiter(settings.redis_url.reveal(), per_minute=1, burst=1)
        try:
            await limiter.ping()
        finally:
            await limiter.aclose()


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(prog="python -m chat_service", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8001, help="port to listen on (default 8001)")
    parser.add_argument(
        "--workers", type=int, default=None, help="processes to serve with (default CHAT_WORKERS, else 1)"
    )
    return parser.parse_args(argv)


def check_workers(workers: int, settings: Settings) -> None:
    """More than one worker needs a rate limit they share (or none at all); raise ConfigError otherwise."""
    if workers < 1:
        raise ConfigError(["--workers: must be a whole number above 0"])
    if workers > 1 and settings.rate_per_minute > 0 and settings.redis_url is None:
        raise ConfigError(
            [
                f"--workers {workers}: each worker would count the rate limit on its own, so a reader would get "
                f"{workers} times CHAT_RATE_PER_MINUTE; either run one worker (--workers 1, CHAT_WORKERS unset), "
                "or count the limit in Redis, shared by every worker: CHAT_REDIS_URL=redis://host:port/db"
            ]
        )


def main(argv: list[str] | None = None) -> int:
    """Run the service until interrupted; return the exit code."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["gaps"]:
        return gaps_main(argv[1:])
    args = parse_args(argv)
    try:
        settings = load_settings(os.environ)
        workers = args.workers if args.workers is not None else settings.workers
        check_workers(workers, settings)
        anyio.run(check_startup, settings)
    except (ConfigError, ExportError) as error:
        print(f"chat service cannot start: {error}", file=sys.stderr)
        return 2
    if workers == 1:
        ChatServer(server_config(create_app(settings), args.host, args.port, settings)).run()
        return 0
    config = server_config(None, args.host, args.port, settings)  # logs and binds like a single server
    sock = config.bind_socket()
    try:
        target = functools.partial(serve_worker, args.host, args.port)
        return run_workers(target, sock, workers, stop_timeout=settings.shutdown_grace + 10)
    finally:
        sock.close()


if __name__ == "__main__":
    sys.exit(main())
