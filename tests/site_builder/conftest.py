"""Helpers for building tiny sites from inline strings."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from site_builder.build import BuildResult, build

from .trees import write_tree

SITE_TOML = 'title = "Test Site"\nbase_url = "https://example.org/docs/"\nchat_endpoint = "http://127.0.0.1:8001/chat"\n'


@pytest.fixture
def site(tmp_path: Path) -> Callable[..., Path]:
    """Write ``{relative path: text}`` under tmp_path/content and return the content folder."""

    def write(files: dict[str, str], toml: str | None = SITE_TOML) -> Path:
        (tmp_path / "content").mkdir(exist_ok=True)
        return write_tree(tmp_path / "content", files, toml)

    return write


@pytest.fixture
def built(tmp_path: Path, site: Callable[..., Path]) -> Callable[..., tuple[Path, BuildResult]]:
    """Build the given files; return the output folder and the result."""

    def run(files: dict[str, str], **options: object) -> tuple[Path, BuildResult]:
        content = site(files)
        out = tmp_path / "dist"
        return out, build(content, out, **options)  # type: ignore[arg-type]

    return run
