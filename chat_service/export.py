"""The build's chat export: reading it, checking it, and keeping it current.

Version 2 (docs/contracts.md) is a manifest, `chat/index.json` (format `folio-chat-export`: the site, and per
article its slug, title, path, file and digest), and one file per article (format `folio-chat-article`).
`load_export(path)` reads the manifest and its articles into frozen dataclasses. `ExportStore` reloads when
the manifest changes, checking its stamp at most once per interval, reads again only the articles whose digest
changed, and keeps each article as `prepare(article)` makes it (the ranking index, see retrieval.py).
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

FORMAT, ARTICLE_FORMAT, VERSION = "folio-chat-export", "folio-chat-article", 2
REBUILD = "rebuild the site (make build) with the same Folio version as the chat service"
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
    digest: str = ""

    def url(self, section: Section) -> str:
        """The link to a section: the article's path + '#' + anchor (docs/contracts.md)."""
        return f"{self.path}#{section.anchor}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Entry:
    """An article as the manifest lists it: enough to know whether its file changed, and where it is."""

    slug: str
    title: str
    path: str
    file: str
    digest: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Manifest:
    site_title: str
    base_url: str
    language: str
    entries: Mapping[str, Entry]


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


def _text(obj: object, key: str, where: str, path: str) -> str:
    return str(_get(obj, key, str, where, path))


def _check_format(data: object, expected: str, path: str) -> None:
    if not isinstance(data, dict) or data.get("format") != expected:
        raise ExportError(path, f"not a chat export: 'format' must be {expected!r}", REBUILD)
    version = data.get("version")
    if version == 1:
        raise ExportError(
            path,
            "this is a version 1 chat export (one chat-export.json); this service reads version 2 "
            "(chat/index.json and one file per article)",
            "rebuild the site (make build) and set CHAT_INDEX to dist/chat/index.json",
        )
    if version != VERSION:
        raise ExportError(
            path, f"chat export version {version!r} is not supported (this service reads {VERSION})", REBUILD
        )


def _parse_entry(data: object, where: str, path: str) -> Entry:
    slug = _text(data, "slug", where, path)
    file = data.get("file") if isinstance(data, dict) else None
    if file is None:
        file = f"{slug}.json"
    if not isinstance(file, str) or file.startswith("/") or ".." in file.split("/") or "\\" in file:
        raise ExportError(path, f"{where}.file must be a path inside the export's folder")
    return Entry(
        slug=slug,
        title=_text(data, "title", where, path),
        path=_text(data, "path", where, path),
        file=file,
        digest=_text(data, "digest", where, path),
    )


def parse_manifest(data: object, path: str = "<chat export>") -> Manifest:
    """Turn the decoded JSON of `chat/index.json` into a Manifest, or raise ExportError."""
    _check_format(data, FORMAT, path)
    assert isinstance(data, dict)
    site = data.get("site") if isinstance(data.get("site"), dict) else {}
    raw = _get(data, "articles", list, "export", path)
    entries = [_parse_entry(item, f"articles[{i}]", path) for i, item in enumerate(raw)]  # type: ignore[arg-type]
    return Manifest(
        site_title=str(site.get("title") or ""),
        base_url=str(site.get("base_url") or ""),
        language=str(site.get("language") or "en"),
        entries={entry.slug: entry for entry in entries},
    )


def _parse_section(data: object, where: str, path: str) -> Section:
    return Section(
        heading=_text(data, "heading", where, path),
        anchor=_text(data, "anchor", where, path),
        level=int(_get(data, "level", int, where, path)),  # type: ignore[call-overload]
        text=_text(data, "text", where, path),
    )


def parse_article(data: object, path: str = "<chat article>") -> Article:
    """Turn the decoded JSON of one article file into an Article, or raise ExportError."""
    _check_format(data, ARTICLE_FORMAT, path)
    raw_sections = _get(data, "sections", list, "article", path)
    sections = tuple(
        _parse_section(item, f"article.sections[{index}]", path)
        for index, item in enumerate(raw_sections)  # type: ignore[arg-type]
    )
    if not sections:
        raise ExportError(path, "article.sections is empty")
    description = data.get("description") if isinstance(data, dict) else None
    return Article(
        slug=_text(data, "slug", "article", path),
        title=_text(data, "title", "article", path),
        description=description if isinstance(description, str) else "",
        path=_text(data, "path", "article", path),
        sections=sections,
        digest=_text(data, "digest", "article", path),
    )


def _unreadable(path: Path, error: OSError) -> ExportError:
    if isinstance(error, FileNotFoundError):
        return ExportError(
            str(path), "the chat export does not exist", "run `make build` first, or set CHAT_INDEX"
        )
    return ExportError(str(path), f"cannot read the chat export: {error.strerror}")


def read_json(path: Path) -> object:
    """The decoded JSON of one file of the export, or ExportError."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise _unreadable(path, error) from None
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, ValueError) as error:
        raise ExportError(str(path), f"the chat export is not valid JSON: {error}") from None


def load_article(folder: Path, entry: Entry) -> Article:
    """Read the file of the manifest's `entry`; its slug must be the entry's."""
    path = folder / entry.file
    article = parse_article(read_json(path), str(path))
    if article.slug != entry.slug:
        raise ExportError(str(path), f"the file is article {article.slug!r}, not {entry.slug!r}", REBUILD)
    return article


def load_export(path: Path) -> Export:
    """Read and parse the manifest at `path` and every article it lists, or raise ExportError."""
    manifest = parse_manifest(read_json(path), str(path))
    articles = {slug: load_article(path.parent, entry) for slug, entry in manifest.entries.items()}
    return Export(site_title=manifest.site_title, language=manifest.language, articles=articles)


def _file_stamp(path: Path) -> tuple[int, int, int]:
    stat = os.stat(path)
    return (stat.st_mtime_ns, stat.st_size, stat.st_ino)


class ExportStore(Generic[T]):
    """The current export, reloaded when the manifest changes (atomic replaces and in-place writes alike).

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
        self._prepared: dict[str, tuple[str, T]] = {}
        self.export = self._load()
        self.reload_error: ExportError | None = None
        self._checked = clock()

    def get(self, slug: str) -> T | None:
        """The prepared article with this slug, or None."""
        found = self._prepared.get(slug)
        return found[1] if found else None

    def changed(self) -> bool:
        """True when the manifest differs from the last load; stats it at most once per interval."""
        now = self._clock()
        if now - self._checked < self._interval:
            return False
        self._checked = now
        try:
            return _file_stamp(self.path) != self._stamp
        except OSError:
            return False  # replaced right now, or deleted: keep serving the last good export

    def reload(self) -> Export:
        """Load the export again; on ExportError keep the old one and don't retry until the manifest changes.

        Only articles whose digest changed are read again. `reload_error` keeps the failure until a reload
        succeeds: the export served is then stale.
        """
        try:
            stamp = _file_stamp(self.path)
        except OSError as error:
            # Gone since changed() saw it (a build swaps dist/): keep the last good export; the next
            # file has another stamp, so it is loaded once it is there.
            self.reload_error = _unreadable(self.path, error)
            raise self.reload_error from None
        try:
            self.export = self._load()
        except ExportError as error:
            self.reload_error = error
            raise
        finally:
            self._stamp = stamp
        self.reload_error = None
        return self.export

    def _load(self) -> Export:
        manifest = parse_manifest(read_json(self.path), str(self.path))
        prepared: dict[str, tuple[str, T]] = {}
        articles: dict[str, Article] = {}
        for slug, entry in manifest.entries.items():
            old = self._prepared.get(slug)
            if old is not None and old[0] == entry.digest and slug in self.export.articles:
                prepared[slug], articles[slug] = old, self.export.articles[slug]
                continue
            article = load_article(self.path.parent, entry)
            prepared[slug], articles[slug] = (entry.digest, self._prepare(article)), article
        self._prepared = prepared
        return Export(site_title=manifest.site_title, language=manifest.language, articles=articles)
