"""READ: content/ -> sources and front matter. The only module that reads content/ and the only YAML user.

Front matter is YAML between ``---`` lines or TOML between ``+++`` lines (Hugo's two styles, and Zola's),
with one table of fields; Hugo's keys that mean the same as ours (``lastmod``, ``summary``, ``linkTitle``)
and Zola's ``[taxonomies] tags`` are understood.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tomllib
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

from .errors import FrontMatterError
from .model import FrontMatter, Source

RESERVED_DIRS = ("static", "templates")
_FENCE = re.compile(r"\A---[ \t]*\r?\n(.*?)^---[ \t]*\r?$\n?", re.S | re.M)
_TOML_FENCE = re.compile(r"\A\+\+\+[ \t]*\r?\n(.*?)^\+\+\+[ \t]*\r?$\n?", re.S | re.M)
FOLDER_PAGE = "_index.md"  # Hugo's and Zola's page of a folder; the one '_' name that is built
MARKDOWN_SUFFIXES = (".markdown", ".mdown", ".mkdn", ".mkd")
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
    "weight",
    "link_title",
    "keywords",
}
_LISTS = ("tags", "authors", "see_also", "aliases", "keywords")
# Hugo's names for fields we have: used when our own name is not given.
_HUGO_NAMES = {"lastmod": "updated", "summary": "description", "linkTitle": "link_title"}


def find_sources(content_dir: Path) -> Iterator[Path]:
    """Every article file below content/: ``*.md`` but names starting with ``.`` or ``_`` (``_index.md`` is one)."""
    found = [path for path, reason in _walk(content_dir) if reason is None]
    yield from sorted(found, key=os.fspath)


def skipped_sources(content_dir: Path) -> list[tuple[str, str, str]]:
    """The markdown files that are not built, each as (path below content/, why, what to do); one per folder."""
    skipped: list[tuple[str, str, str]] = []
    folders: dict[str, int] = {}
    for path, reason in _walk(content_dir, look_inside=True):
        rel = path.relative_to(content_dir).as_posix()
        if reason == "folder":
            parts = rel.split("/")
            first = next(i for i, part in enumerate(parts[:-1]) if part.startswith(("_", ".")))
            top = "/".join(parts[: first + 1])
            folders[top] = folders.get(top, 0) + 1
        elif reason:
            skipped.append((rel, *_SKIP_REASONS[reason]))
    for folder, count in folders.items():
        files = f"{count} markdown file{'s' if count > 1 else ''}"
        skipped.append(
            (
                f"{folder}/",
                f"{files} not built: folders starting with '_' or '.' are not published",
                "rename the folder without the '_' or '.' to publish them",
            )
        )
    return sorted(skipped)


_SKIP_REASONS = {
    "partial": (
        "not built: names starting with '_' are partials (only _index.md is a page)",
        "rename it without the '_' to publish it",
    ),
    "hidden": ("not built: names starting with '.' are hidden", "rename it without the '.' to publish it"),
    "suffix": ("not built: only .md files are articles", "rename it to end in .md"),
}


def _walk(content_dir: Path, look_inside: bool = False) -> Iterator[tuple[Path, str | None]]:
    """(path, None) for each article file; (path, reason) for each markdown file that is not one."""
    for folder, dirs, names in os.walk(content_dir):
        rel = os.path.relpath(folder, content_dir)
        hidden = rel != "." and any(part.startswith(("_", ".")) for part in Path(rel).parts)
        # Pruning in place keeps os.walk out of reserved folders, and out of hidden ones unless reporting them.
        dirs[:] = sorted(
            d
            for d in dirs
            # content/templates/ holds theme overrides (*.html), but a Hugo tree's templates/ section holds
            # articles: only static/ is left out (its files are copied as they are).
            if not (rel == "." and d == "static")
            and (look_inside or not d.startswith(("_", ".")))
            and d not in _TOOL_DIRS
        )
        for name in names:
            if not name.endswith((".md", *MARKDOWN_SUFFIXES)):
                continue
            path = Path(folder, name)
            if hidden:
                yield path, "folder"
            else:
                yield path, _skip_reason(name)


_TOOL_DIRS = {".git", ".hg", ".svn", "node_modules"}  # version control and packages: never content


def _skip_reason(name: str) -> str | None:
    if not name.endswith(".md"):
        return "suffix"
    if name.startswith("."):
        return "hidden"
    if name.startswith("_") and name != FOLDER_PAGE:
        return "partial"
    return None


def read_static(content_dir: Path) -> dict[str, bytes]:
    """The files to copy into the site as they are, keyed by their path there.

    Every file below content/static/ goes to the site root; every other file beside the articles (a Hugo
    page bundle's image, an MkDocs ``img/`` folder, a CNAME) keeps its own path below content/.
    """
    files = {path: read() for path, read in _resources(content_dir)}
    root = content_dir / "static"
    if root.is_dir():
        files.update(
            {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}
        )
    return files


def _resources(content_dir: Path) -> Iterator[tuple[str, Callable[[], bytes]]]:
    for folder, dirs, names in os.walk(content_dir):
        rel = os.path.relpath(folder, content_dir)
        dirs[:] = sorted(
            d
            for d in dirs
            if not (rel == "." and d in RESERVED_DIRS)
            and not d.startswith(("_", "."))
            and d not in _TOOL_DIRS
        )
        for name in sorted(names):
            if name.startswith((".", "_")) or name.endswith((".md", *MARKDOWN_SUFFIXES)):
                continue
            if rel == "." and name == "site.toml":
                continue
            path = Path(folder, name)
            yield path.relative_to(content_dir).as_posix(), path.read_bytes


def file_stamp(path: Path) -> tuple[int, int]:
    """A file's modification time (ns) and size: what tells a build that it may have changed."""
    stat = path.stat()
    return stat.st_mtime_ns, stat.st_size


def read_source(content_dir: Path, path: Path) -> Source:
    """Read one article file, with universal newlines."""
    return Source(path=path.relative_to(content_dir).as_posix(), text=path.read_text(encoding="utf-8"))


def split_front_matter(source: Source, display: str) -> tuple[FrontMatter, str, int]:
    """Split an article into its front matter, its body and the line the body starts on."""
    for fence, parse in ((_FENCE, parse_front_matter), (_TOML_FENCE, parse_toml_front_matter)):
        match = fence.match(source.text)
        if match:
            body_line = source.text.count("\n", 0, match.end()) + 1
            return parse(match.group(1), display), source.text[match.end() :], body_line
    return FrontMatter(), source.text, 1


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
    lines = {str(k.value): k.start_mark.line + 2 for k, _ in nodes.value} if nodes is not None else {}
    return typed_front_matter(data, lines, path)


def parse_toml_front_matter(text: str, path: str) -> FrontMatter:
    """Parse and type-check TOML front matter (between ``+++`` lines), with the same fields as YAML's."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"line (\d+)", str(exc))
        line = int(found.group(1)) + 1 if found else 1
        problem = re.sub(r"\s*\(at .*\)$", "", str(exc))
        raise FrontMatterError(path, line, f"front matter is not valid TOML: {problem}") from None
    lines: dict[str, int] = {}
    for number, row in enumerate(text.splitlines(), 2):
        table = re.match(r"\s*\[\s*([A-Za-z0-9_-]+)\s*\]", row)
        if table:
            lines.setdefault(table.group(1), number)
            break  # keys below a [table] header belong to that table
        key = re.match(r"\s*[\"']?([A-Za-z0-9_-]+)[\"']?\s*=", row)
        if key:
            lines.setdefault(key.group(1), number)
    return typed_front_matter(data, lines, path)


def typed_front_matter(data: Mapping[Any, Any], lines: Mapping[str, int], path: str) -> FrontMatter:
    """Check the known fields of a front matter mapping; keep the other keys as they are."""
    data = {str(k): v for k, v in data.items()}
    taxonomies = data.get("taxonomies")
    if isinstance(taxonomies, dict) and "tags" in taxonomies and "tags" not in data:
        data["tags"] = taxonomies["tags"]  # Zola's [taxonomies] table
        lines = {**lines, "tags": lines.get("taxonomies", 1)}
    values: dict[str, Any] = {}
    for key, value in data.items():
        name = _HUGO_NAMES.get(key, key)
        if name in _KNOWN and (name == key or name not in data):
            values[name] = _coerce(key, name, value, path, lines.get(key, 1))
    extra = {k: v for k, v in data.items() if k not in _KNOWN and k not in _HUGO_NAMES}
    return FrontMatter(**values, extra=extra, lines=dict(lines))


def _coerce(key: str, name: str, value: Any, path: str, line: int) -> Any:
    """Check one known field; ``key`` is how the file spells it, ``name`` our field."""

    def fail(expected: str) -> FrontMatterError:
        return FrontMatterError(path, line, f"'{key}' must be {expected}, got {_show(value)}")

    if name in ("date", "updated"):
        day = _as_date(value)
        if day is None:
            raise fail("a date like 2026-11-24")
        return day
    if name == "draft":
        if not isinstance(value, bool):
            raise fail("true or false")
        return value
    if name == "weight":
        if not isinstance(value, int) or isinstance(value, bool):
            raise fail("a whole number")
        return value
    if name in _LISTS:
        if isinstance(value, str):
            value = value.split(",") if name == "keywords" else [value]
        if not isinstance(value, list) or not all(isinstance(v, str | int | float) for v in value):
            raise fail("a list of strings")
        return tuple(str(v).strip() for v in value if str(v).strip())
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise fail("a string")
    text = str(value).strip()
    if name == "slug" and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", text):
        raise fail("letters, digits, '-', '_' or '.'")
    return text


def _as_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        # Hugo's TOML and YAML often quote dates, with a time and a zone: "2019-05-01T10:00:00Z".
        try:
            return dt.datetime.fromisoformat(value.strip()).date()
        except ValueError:
            return None
    return None


def _show(value: Any) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    if value is None:
        return "nothing"
    return repr(value)


def as_mapping(meta: FrontMatter) -> Mapping[str, Any]:
    """The front matter as templates see it: known fields plus unknown keys kept as they were."""
    return {**meta.extra, **{k: getattr(meta, k) for k in _KNOWN}}
