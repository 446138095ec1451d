"""The build's chat export: reading it, checking it, and keeping the part in use in memory.

Version 2 (docs/contracts.md) is a manifest, `chat/index.json` (format `folio-chat-export`: the site, and per
article its slug, title, path, file and digest), and one file per article (format `folio-chat-article`).
`ExportStore` reads the manifest at start-up and an article's file on its first question (from a folder or a
URL, see sources.py), keeps the most recently used articles as `prepare(article)` makes them (the ranking
index, see retrieval.py), and on a changed manifest forgets only the articles whose digest changed. It is
tolerant: a broken article is skipped (logged once, counted in /healthz) and the rest are served; only a
manifest that cannot be read, or is of another format or version, stops start-up. `load_export(path)` reads a
whole export at once, strictly, for tools.
"""

from __future__ import annotations

import json
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Generic, TypeVar

import anyio

from chat_service.errors import ExportError
from chat_service.sources import ExportSource, read_file

FORMAT, ARTICLE_FORMAT, VERSION = "folio-chat-export", "folio-chat-article", 2
REBUILD = "rebuild the site (make build) with the same Folio version as the chat service"
T = TypeVar("T")
log = logging.getLogger("chat_service.export")


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
    language: str = "en"  # the site's (from the manifest): how its words are stemmed for ranking

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
    skipped: Mapping[str, str] = field(default_factory=dict)  # slug (or position) -> why it was left out


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
    """Turn the decoded JSON of `chat/index.json` into a Manifest, or raise ExportError.

    An entry that is not usable is left out and named in `skipped` with the reason; the others are kept.
    """
    _check_format(data, FORMAT, path)
    assert isinstance(data, dict)
    site = data.get("site") if isinstance(data.get("site"), dict) else {}
    raw = _get(data, "articles", list, "export", path)
    entries: dict[str, Entry] = {}
    skipped: dict[str, str] = {}
    for index, item in enumerate(raw):  # type: ignore[arg-type]
        where = f"articles[{index}]"
        slug = item.get("slug") if isinstance(item, dict) else None
        name = slug if isinstance(slug, str) and slug else where
        try:
            entry = _parse_entry(item, where, path)
        except ExportError as error:
            skipped[name] = error.message
            continue
        if entry.slug in entries:
            skipped[f"{where} ({entry.slug})"] = f"{where}: the slug {entry.slug!r} is listed twice"
            continue
        entries[entry.slug] = entry
    return Manifest(
        site_title=str(site.get("title") or ""),
        base_url=str(site.get("base_url") or ""),
        language=str(site.get("language") or "en"),
        entries=entries,
        skipped=skipped,
    )


def _parse_section(data: object, where: str, path: str) -> Section:
    return Section(
        heading=_text(data, "heading", where, path),
        anchor=_text(data, "anchor", where, path),
        level=int(_get(data, "level", int, where, path)),  # type: ignore[call-overload]
        text=_text(data, "text", where, path),
    )


def parse_article(data: object, path: str = "<chat article>", language: str = "en") -> Article:
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
        language=language,
    )


def decode_json(raw: bytes, path: str) -> object:
    """The decoded JSON of one file of the export, or ExportError."""
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, ValueError) as error:
        raise ExportError(path, f"the chat export is not valid JSON: {error}") from None


def decode_article(raw: bytes, entry: Entry, path: str, language: str = "en") -> Article:
    """The article in the file of the manifest's `entry`; its slug must be the entry's."""
    article = parse_article(decode_json(raw, path), path, language)
    if article.slug != entry.slug:
        raise ExportError(path, f"the file is article {article.slug!r}, not {entry.slug!r}", REBUILD)
    return article


def load_export(path: Path) -> Export:
    """Read the manifest at `path` and every article it lists, or raise ExportError at the first problem."""
    manifest = parse_manifest(decode_json(read_file(path), str(path)), str(path))
    for name, reason in manifest.skipped.items():
        raise ExportError(str(path), f"{name}: {reason}")
    articles = {
        slug: decode_article(
            read_file(path.parent / entry.file), entry, str(path.parent / entry.file), manifest.language
        )
        for slug, entry in manifest.entries.items()
    }
    return Export(site_title=manifest.site_title, language=manifest.language, articles=articles)


class ExportStore(Generic[T]):
    """The export being served: its manifest, and the most recently used articles as `prepare` made them.

    `await get(slug)` returns the prepared article, None for a slug the manifest does not list, or raises
    ExportError when the article is listed but cannot be used (its file is missing, broken or unreachable).
    """

    def __init__(
        self,
        source: ExportSource,
        *,
        prepare: Callable[[Article], T],
        check_interval: float,
        cache_size: int = 256,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.source = source
        self._prepare = prepare
        self._interval = check_interval
        self._size = cache_size
        self._clock = clock
        self._checked = clock()
        self._cache: OrderedDict[str, tuple[str, T]] = OrderedDict()  # slug -> (digest, prepared)
        self._broken: dict[str, tuple[str, str]] = {}  # slug -> (digest, reason): read, and found wrong
        self._logged: set[str] = set()
        self._loading: dict[str, anyio.Event] = {}  # slug -> set when its file has been read
        self._refreshing = False
        self.manifest = Manifest(site_title="", base_url="", language="en", entries={})
        self.loaded = False
        self.reload_error: ExportError | None = None

    async def load(self) -> Manifest:
        """Read the manifest for the first time; raise ExportError when it cannot be served at all."""
        raw = await self.source.manifest()
        if raw is None:
            raise ExportError(self.source.location, "the chat export is empty")
        self._use(await anyio.to_thread.run_sync(self._decode_manifest, raw))
        self.loaded, self._checked = True, self._clock()
        return self.manifest

    def due(self) -> bool:
        """True (once) when the check interval has passed since the manifest was last looked at."""
        now = self._clock()
        if now - self._checked < self._interval:
            return False
        self._checked = now
        return True

    async def refresh(self) -> bool:
        """Read the manifest again if it changed; True if it did. A failure keeps the last good one
        (`reload_error` says why until a reload succeeds) and is logged once."""
        if self._refreshing:
            return False
        self._refreshing = True
        try:
            raw = await self.source.manifest()
            if raw is None:
                if self.reload_error is not None and self.reload_error.transient:
                    self._recovered()  # reachable again, and unchanged: what is served is current
                return False
            manifest = await anyio.to_thread.run_sync(self._decode_manifest, raw)
        except ExportError as error:
            if self.reload_error is None or self.reload_error.message != error.message:
                log.error("kept the previous chat export: %s", error)
            self.reload_error = error
            return False
        finally:
            self._refreshing = False
        self._use(manifest)
        self._recovered()
        log.info("reloaded the chat export: %d articles", len(manifest.entries))
        return True

    async def get(self, slug: str) -> T | None:
        """The prepared article with this slug (read on first use), or None when the manifest lacks it."""
        entry = self.manifest.entries.get(slug)
        if entry is None:
            if slug in self.manifest.skipped:
                raise ExportError(self.source.location, self.manifest.skipped[slug])
            return None
        cached = self._cache.get(slug)
        if cached is not None and cached[0] == entry.digest:
            self._cache.move_to_end(slug)
            return cached[1]
        broken = self._broken.get(slug)
        if broken is not None and broken[0] == entry.digest:
            raise ExportError(self.source.location, broken[1])
        loading = self._loading.get(slug)
        if loading is not None:
            await loading.wait()  # many first questions at once read the file once
            return await self.get(slug)
        self._loading[slug] = anyio.Event()
        try:
            return await self._load(slug, entry)
        finally:
            self._loading.pop(slug).set()

    async def _load(self, slug: str, entry: Entry) -> T:
        try:
            raw = await self.source.article(entry.file, entry.digest)
            article, prepared = await anyio.to_thread.run_sync(self._decode_article, raw, entry)
        except ExportError as error:
            if error.transient:
                self._log_once(f"cannot read article {slug!r} now: {error}")
            else:
                self._broken[slug] = (entry.digest, error.message)
                self._log_once(f"skipped article {slug!r}: {error}")
            raise
        # Kept under the file's own digest: a file older or newer than the manifest is read again next time.
        self._cache[slug] = (article.digest, prepared)
        self._cache.move_to_end(slug)
        while len(self._cache) > self._size:
            self._cache.popitem(last=False)
        return prepared

    def health(self) -> dict[str, object]:
        """The export part of /healthz."""
        error = self.reload_error
        broken = {slug for slug, (digest, _) in self._broken.items() if slug in self.manifest.entries}
        return {
            "loaded": self.loaded,
            "path": self.source.location,
            "articles": len(self.manifest.entries),
            "stale": error is not None,
            "error": error.message if error is not None else None,
            "skipped": len(self.manifest.skipped) + len(broken),
            "cached": len(self._cache),
        }

    def _decode_manifest(self, raw: bytes) -> Manifest:
        location = self.source.location
        return parse_manifest(decode_json(raw, location), location)

    def _decode_article(self, raw: bytes, entry: Entry) -> tuple[Article, T]:
        location = self.source.article_location(entry.file)
        article = decode_article(raw, entry, location, self.manifest.language)
        return article, self._prepare(article)

    def _use(self, manifest: Manifest) -> None:
        entries = manifest.entries
        if manifest.language != self.manifest.language:
            self._cache.clear()  # stemmed for another language
        for slug, (digest, _) in list(self._cache.items()):
            if slug not in entries or entries[slug].digest != digest:
                del self._cache[slug]
        self._broken = {
            slug: failure
            for slug, failure in self._broken.items()
            if slug in entries and entries[slug].digest == failure[0]
        }
        for name, reason in manifest.skipped.items():
            self._log_once(f"skipped article {name!r}: {reason}")
        self.manifest = manifest

    def _recovered(self) -> None:
        if self.reload_error is not None:
            log.info("the chat export can be read again: %s", self.source.location)
        self.reload_error = None

    def _log_once(self, message: str) -> None:
        if message not in self._logged:
            self._logged.add(message)
            log.warning("%s", message)
