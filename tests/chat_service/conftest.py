"""Fixtures: a chat export in tmp_path, the fake OpenAI server, and the chat service in a real uvicorn."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from chat_service.__main__ import ChatServer
from chat_service.app import create_app
from chat_service.config import load_settings
from chat_service.server import HangUpProtocol
from tests.chat_service.support import sample_export, write_export
from tests.fake_openai import create_app as create_fake
from tests.servers import serve


@pytest.fixture
def export_path(tmp_path: Path) -> Path:
    return write_export(tmp_path / "chat" / "index.json", sample_export())


@pytest.fixture
def fake() -> Iterator[str]:
    """Base URL of a fresh fake OpenAI-compatible server."""
    with serve(create_fake()) as url:
        yield url


@pytest.fixture
def fake_client(fake: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=fake, timeout=10, trust_env=False) as client:
        yield client


@pytest.fixture
def start_chat(export_path: Path) -> Iterator[Callable[..., str]]:
    """start_chat(**env) runs the chat service with these settings and returns its base URL."""
    with ExitStack() as stack:

        def start(**env: str) -> str:
            environ = {"CHAT_INDEX": str(export_path), **env}
            app = create_app(load_settings(environ))
            return stack.enter_context(serve(app, server_class=ChatServer, http=HangUpProtocol))

        yield start


@pytest.fixture
def offline(start_chat: Callable[..., str]) -> Iterator[httpx.Client]:
    """A client of the chat service running the offline backend."""
    with httpx.Client(base_url=start_chat(), timeout=10, trust_env=False) as client:
        yield client
