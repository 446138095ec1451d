"""READ: content/ -> sources and front matter. The only module that reads content/ and the only YAML user."""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

from .errors import FrontMatterError
from .model import FrontMatter, Source

RESERVED_DIRS = ("static", "templates")
_FENCE = re.compile(r"\A---[ \t]*\r?\n(.*?)^---[ \t]*\r?$\n?", re.S | re.M)
# libyaml's loader when present: front matter parsing is per-article work in every build.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_KNOWN = {
    "title",
    "description",
    "date",
    "updated",
    "tags",
    "category",
    "authors",
    "draft",
    "slug",
    "see_also",
    "aliases",
}
_LISTS = ("tags", "authors", "see_also", "aliases")


def find_sources(content_dir: Path) -> Iterator[Path]:
    """Every article file below content/, skipping names that start with ``_`` or ``.`` and reserved folders."""
    found = []
    for folder, dirs, names in os.walk(content_dir):
        rel = os.path.relpath(folder, content_dir)
        # Pruning in place keeps os.walk out of hidden, private and reserved folders altogether.
        dirs[:] = [
            d for d in dirs if not d.startswith(("_", ".")) and not (rel == "." and d in RESERVED_DIRS)
        ]
        found += [
            os.path.join(folder, n) for n in names if n.endswith(".md") and not n.startswith(("_", "."))
        ]
    for name in sorted(found):
        yield Path(name)


def read_static(content_dir: Path) -> dict[str, bytes]:
    """Every file below content/static/, keyed by its path there."""
    root = content_dir / "static"
    if not root.is_dir():
        return {}
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def file_stamp(path: Path) -> tuple[int, int]:
    """A file's modification time (ns) and size: what tells a build that it may have changed."""
    stat = path.stat()
    return stat.st_mtime_ns, stat.st_size


def read_source(content_dir: Path, path: Path) -> Source:
    """Read one article file, with universal newlines."""
    return Source(path=path.relative_to(content_dir).as_posix(), text=path.read_text(encoding="utf-8"))


def split_front_matter(source: Source, display: str) -> tuple[FrontMatter, str, int]:
    """Split an article into its front matter, its body and the line the body starts on."""
    match = _FENCE.match(source.text)
    if not match:
        return FrontMatter(), source.text, 1
    body_line = source.text.count("\n", 0, match.end()) + 1
    return parse_front_matter(match.group(1), display), source.text[match.end() :], body_line


def parse_front_matter(text: str, path: str) -> FrontMatter:
    """Parse and type-check YAML front matter; errors name the file and the line (counting the opening ``---``)."""
    try:
        loader = _Loader(text)
        try:
            nodes = loader.get_single_node()
            data = loader.construct_document(nodes) if nodes is not None else None
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark else 1
        problem = getattr(exc, "problem", None) or str(exc)
        raise FrontMatterError(path, line, f"front matter is not valid YAML: {problem}") from None
    if data is None:
        return FrontMatter()
    if not isinstance(data, dict):
        raise FrontMatterError(path, 2, "front matter must be a mapping of 'key: value' lines")
    lines = {k.value: k.start_mark.line + 2 for k, _ in nodes.value} if nodes is not None else {}
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key in _KNOWN:
            values[key] = _coerce(str(key), value, path, lines.get(key, 1))
    extra = {str(k): v for k, v in data.items() if k not in _KNOWN}
    return FrontMatter(**values, extra=extra, lines=lines)


def _coerce(key: str, value: Any, path: str, line: int) -> Any:
    def fail(expected: str) -> FrontMatterError:
        return FrontMatterError(path, line, f"'{key}' must be {expected}, got {_show(value)}")

    if key in ("date", "updated"):
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        raise fail("a date like 2026-11-24")
    if key == "draft":
        if not isinstance(value, bool):
            raise fail("true or false")
        return value
    if key in _LISTS:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str | int | float) for v in value):
            raise fail("a list of strings")
        return tuple(str(v).strip() for v in value if str(v).strip())
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise fail("a string")
    text = str(value).strip()
    if key == "slug" and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", text):
        raise fail("letters, digits, '-', '_' or '.'")
    return text


def _show(value: Any) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    if value is None:
        return "nothing"
    return repr(value)


def as_mapping(meta: FrontMatter) -> Mapping[str, Any]:
    """The front matter as templates see it: known fields plus unknown keys kept as they were."""
    return {**meta.extra, **{k: getattr(meta, k) for k in _KNOWN}}
