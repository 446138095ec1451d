"""Site settings from content/site.toml: parsed once, fully checked, immutable."""

from __future__ import annotations

import dataclasses
import difflib
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .errors import BuildFailed, ConfigError
from .model import SiteConfig

CONFIG_NAME = "site.toml"
_FIELDS = {f.name: f for f in dataclasses.fields(SiteConfig)}


def parse_config(
    data: Mapping[str, Any], path: str = CONFIG_NAME, lines: Mapping[str, int] | None = None
) -> SiteConfig:
    """Check a site.toml mapping and make a SiteConfig; raise BuildFailed listing every problem."""
    lines = lines or {}
    errors: list[ConfigError] = []
    values: dict[str, Any] = {}
    for key, value in data.items():
        problem = _check(key, value)
        if problem:
            errors.append(ConfigError(path, lines.get(key), *problem))
        else:
            values[key] = value
    if errors:
        raise BuildFailed(errors)
    if "base_url" in values and not values["base_url"].endswith("/"):
        values["base_url"] += "/"
    return SiteConfig(**values)


def load_config(content_dir: Path) -> SiteConfig:
    """Read content/site.toml; a site without one gets the defaults."""
    file = content_dir / CONFIG_NAME
    if not file.is_file():
        return SiteConfig()
    text = file.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = re.search(r"line (\d+)", str(exc))
        error = ConfigError(str(file), int(line.group(1)) if line else None, f"not valid TOML: {exc}")
        raise BuildFailed([error]) from None
    return parse_config(data, str(file), _key_lines(text))


def _check(key: str, value: Any) -> tuple[str, str | None] | None:
    field = _FIELDS.get(key)
    if field is None:
        close = difflib.get_close_matches(key, _FIELDS, n=1)
        hint = f"did you mean '{close[0]}'?" if close else "known keys: " + ", ".join(sorted(_FIELDS))
        return f"unknown key '{key}'", hint
    expected = int if field.type == "int" else str
    if not isinstance(value, expected) or isinstance(value, bool):
        kind = "a whole number" if expected is int else "a string"
        return f"'{key}' must be {kind}, got {value!r}", None
    if key == "base_url" and not _is_http_url(value):
        return f"'base_url' must be an http(s) URL, got {value!r}", "for example https://example.org/"
    return None


def _is_http_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _key_lines(text: str) -> dict[str, int]:
    found: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), 1):
        match = re.match(r"\s*([A-Za-z_][\w-]*)\s*=", line)
        if match:
            found.setdefault(match.group(1), number)
    return found
