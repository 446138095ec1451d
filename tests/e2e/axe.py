"""axe-core from the axe.min.js that the PyPI package axe-playwright-python ships (never from a CDN)."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest


def axe_script() -> Path:
    spec = importlib.util.find_spec("axe_playwright_python")
    path = Path(spec.origin).parent / "axe.min.js" if spec and spec.origin else None
    if path is None or not path.is_file():
        message = "axe.min.js not found: pip install axe-playwright-python (the dev extra)"
        if os.environ.get("FOLIO_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return path


def violations(page, context: str = "html") -> list[dict]:
    """Run axe-core on the page; return its violations as plain dicts."""
    page.add_script_tag(path=str(axe_script()))
    return page.evaluate(
        "context => axe.run(context, {resultTypes: ['violations']}).then(r => r.violations)", context
    )


def describe(found: list[dict]) -> str:
    lines = []
    for v in found:
        targets = [", ".join(n["target"]) + ": " + n.get("failureSummary", "") for n in v["nodes"][:5]]
        lines.append(f"{v['id']} ({v['impact']}): {v['help']}\n    " + "\n    ".join(targets))
    return "\n".join(lines)


def assert_no_violations(page, context: str = "html") -> None:
    found = violations(page, context)
    assert not found, "axe-core violations:\n" + describe(found)
