"""The build's chat export: reading it, checking it, and keeping it current.

`load_export(path)` reads `chat-export.json` (format `folio-chat-export`, version 1, see docs/contracts.md)
into frozen dataclasses. `ExportStore` reloads the file when it changes, checking its mtime at most once per
interval, and keeps each article as `prepare(article)` makes it (the ranking index, see retrieval.py).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from chat_service.errors import ExportError

FORMAT, VERSION = "folio-chat-export", 1
T = TypeVar("T")


@dataclass(frozen=True, slots=True, kw_only=True)
class Section:
    heading: str
    anchor: str
    level: int
    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Article:
    slug: str
    title: str
    description: str
    path: str
    sections: tuple[Section, ...]
    language: str = "en"  # the site's: how its words are stemmed for ranking

    def url(self, section: Section) -> str:
        """The link to a section: the article's path + '#' + anchor (docs/contracts.md)."""
        return f"{self.path}#{section.anchor}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Export:
    site_title: str
    language: str
    articles: Mapping[str, Article]


def _get(obj: object, key: str, kind: type, where: str, path: str) -> object:
    value = obj.get(key) if isinstance(obj, dict) else None
    if not isinstance(value, kind) or isinstance(value, bool):
        raise ExportError(path, f"{where}.{key} is missing or not a {kind.__name__}")
    return value


def _parse_section(data: object, where: str, path: str) -> Section:
    heading = str(_get(data, "heading", str, where, path))
    text = str(_get(data, "text", str, where, path))
    return Section(
        heading=heading,
        anchor=str(_get(data, "anchor", str, where, path)),
        level=int(_get(data, "level", int, where, path)),  # type: ignore[call-overload]
        text=text,
    )


def _parse_article(data: object, where: str, path: str, language: str = "en") -> Article:
    raw_sections = _get(data, "sections", list, where, path)
    sections = tuple(
        _parse_section(item, f"{where}.sections[{index}]", path)
        for index, item in enumerate(raw_sections)  # type: ignore[arg-type]
    )
    if not sections:
        raise ExportError(path, f"{where}.sections is empty")
    return Article(
        slug=str(_get(data, "slug", str, where, path)),
        title=str(_get(data, "title", str, where, path)),
        description=str(data.get("description") or "") if isinstance(data, dict) else "",
        path=str(_get(data, "path", str, where, path)),
        sections=sections,
        language=language,
    )


def parse_export(data: object, path: str = "<chat export>") -> Export:
    """Turn the decoded JSON of a chat export into an Export, or raise ExportError."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ExportError(path, f"not a chat export: 'format' must be {FORMAT!r}")
    if data.get("version") != VERSION:
        raise ExportError(
            path,
            f"chat export version {data.get('version')!r} is not supported (this service reads {VERSION})",
            "rebuild the site with the same Folio version as the chat service",
        )
    site = data.get("site") if isinstance(data.get("site"), dict) else {}
    raw_articles = _get(data, "articles", list, "export", path)
    language = str(site.get("language") or "en")
    articles = [
        _parse_article(item, f"articles[{i}]", path, language)
        for i, item in enumerate(raw_articles)  # type: ignore[arg-type]
    ]
    return Export(
        site_title=str(site.get("title") or ""),
        language=language,
        articles={article.slug: article for article in articles},
    )


def _unreadable(path: Path, error: OSError) -> ExportError:
    if isinstance(error, FileNotFoundError):
        return ExportError(
            str(path), "the chat export does not exist", "run `make build` first, or set CHAT_INDEX"
        )
    return ExportError(str(path), f"cannot read the chat export: {error.strerror}")


def load_export(path: Path) -> Export:
    """Read and parse the chat export at `path`, or raise ExportError."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise _unreadable(path, error) from None
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, ValueError) as error:
        raise ExportError(str(path), f"the chat export is not valid JSON: {error}") from None
    return parse_export(data, str(path))


def _file_stamp(path: Path) -> tuple[int, int, int]:
    stat = os.stat(path)
    return (stat.st_mtime_ns, stat.st_size, stat.st_ino)


class ExportStore(Generic[T]):
    """The current export, reloaded when the file changes (atomic replaces and in-place writes alike).

    `get(slug)` returns the article as `prepare` made it, or None for an unknown slug.
    """

    def __init__(
        self,
        path: Path,
        *,
        prepare: Callable[[Article], T],
        check_interval: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.path = path
        self._prepare = prepare
        self._interval = check_interval
        self._clock = clock
        self._stamp = _file_stamp(path) if path.exists() else (0, 0, 0)
        self.export = load_export(path)
        self._prepared = self._prepare_all(self.export)
        self.reload_error: ExportError | None = None
        self._checked = clock()

    def get(self, slug: str) -> T | None:
        """The prepared article with this slug, or None."""
        return self._prepared.get(slug)

    def changed(self) -> bool:
        """True when the file differs from the last load; stats the file at most once per interval."""
        now = self._clock()
        if now - self._checked < self._interval:
            return False
        self._checked = now
        try:
            return _file_stamp(self.path) != self._stamp
        except OSError:
            return False  # replaced right now, or deleted: keep serving the last good export

    def reload(self) -> Export:
        """Load the file again; on ExportError keep the old export and don't retry until it changes.

        `reload_error` keeps the failure until a reload succeeds: the export served is then stale.
        """
        try:
            export = self._load()
        except ExportError as error:
            self.reload_error = error
            raise
        self.export, self._prepared = export, self._prepare_all(export)
        self.reload_error = None
        return self.export

    def _prepare_all(self, export: Export) -> dict[str, T]:
        return {slug: self._prepare(article) for slug, article in export.articles.items()}

    def _load(self) -> Export:
        try:
            stamp = _file_stamp(self.path)
        except OSError as error:
            # Gone since changed() saw it (a build swaps dist/): keep the last good export; the next
            # file has another stamp, so it is loaded once it is there.
            raise _unreadable(self.path, error) from None
        try:
            return load_export(self.path)
        finally:
            self._stamp = stamp
