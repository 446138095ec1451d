"""The build's chat export, and picking the passages of an article that answer a question.

`load_export(path)` reads `chat-export.json` (format `folio-chat-export`, version 1, see docs/contracts.md)
into frozen dataclasses and precomputes a BM25 index per article. `select_context()` is pure: it ranks
an article's sections against the question and keeps the best ones within a token budget.
`ExportStore` reloads the file when it changes, checking its mtime at most once per interval.
"""

from __future__ import annotations

import json
import math
import os
import re
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from chat_service.errors import ExportError

FORMAT, VERSION = "folio-chat-export", 1
MAX_SOURCES = 3
_K1, _B = 1.5, 0.75
_WORD = re.compile(r"\w+")
_STOPWORDS = frozenset(
    "a an and are as at be but by can do does for from how i in is it its me my of on or so that the their "
    "them there these they this to was what when where which who why will with you your about tell".split()
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Section:
    heading: str
    anchor: str
    level: int
    text: str
    terms: Mapping[str, int] = field(default_factory=dict, compare=False, repr=False)
    length: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class Article:
    slug: str
    title: str
    description: str
    path: str
    sections: tuple[Section, ...]
    doc_freq: Mapping[str, int] = field(default_factory=dict, compare=False, repr=False)
    avg_length: float = 1.0

    def url(self, section: Section) -> str:
        """The link to a section: the article's path + '#' + anchor (docs/contracts.md)."""
        return f"{self.path}#{section.anchor}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Export:
    site_title: str
    language: str
    articles: Mapping[str, Article]


@dataclass(frozen=True, slots=True, kw_only=True)
class Context:
    """What grounds one answer: sections in document order, and the few to cite as sources."""

    article: Article
    sections: tuple[Section, ...]
    sources: tuple[Section, ...]
    matched: bool


def _stem(word: str) -> str:
    # Crude, but applied alike to question and article: "feasting", "feasts" and "feast" meet.
    for suffix in ("ing", "ed", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith("ss"):
            return word[: -len(suffix)]
    return word


def terms_of(text: str) -> list[str]:
    """Lower-case, lightly stemmed words of `text`, without the most common English function words."""
    return [_stem(word) for word in _WORD.findall(text.lower()) if word not in _STOPWORDS]


def estimate_tokens(text: str) -> int:
    """A tokenizer-free estimate (about four characters a token), good enough for a budget."""
    return len(text) // 4 + 1


# --- reading -------------------------------------------------------------------------------------------


def _get(obj: object, key: str, kind: type, where: str, path: str) -> object:
    value = obj.get(key) if isinstance(obj, dict) else None
    if not isinstance(value, kind) or isinstance(value, bool):
        raise ExportError(path, f"{where}.{key} is missing or not a {kind.__name__}")
    return value


def _parse_section(data: object, where: str, path: str) -> Section:
    heading = str(_get(data, "heading", str, where, path))
    text = str(_get(data, "text", str, where, path))
    # Heading words count twice: a section titled "History" is about history.
    counts = Counter(terms_of(text)) + Counter(terms_of(heading) * 2)
    return Section(
        heading=heading,
        anchor=str(_get(data, "anchor", str, where, path)),
        level=int(_get(data, "level", int, where, path)),  # type: ignore[call-overload]
        text=text,
        terms=dict(counts),
        length=sum(counts.values()),
    )


def _parse_article(data: object, where: str, path: str) -> Article:
    raw_sections = _get(data, "sections", list, where, path)
    sections = tuple(
        _parse_section(item, f"{where}.sections[{index}]", path)
        for index, item in enumerate(raw_sections)  # type: ignore[arg-type]
    )
    if not sections:
        raise ExportError(path, f"{where}.sections is empty")
    doc_freq = Counter(term for section in sections for term in section.terms)
    return Article(
        slug=str(_get(data, "slug", str, where, path)),
        title=str(_get(data, "title", str, where, path)),
        description=str(data.get("description") or "") if isinstance(data, dict) else "",
        path=str(_get(data, "path", str, where, path)),
        sections=sections,
        doc_freq=dict(doc_freq),
        avg_length=max(1.0, sum(section.length for section in sections) / len(sections)),
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
    articles = [_parse_article(item, f"articles[{i}]", path) for i, item in enumerate(raw_articles)]  # type: ignore[arg-type]
    return Export(
        site_title=str(site.get("title") or ""),
        language=str(site.get("language") or "en"),
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


class ExportStore:
    """The current export, reloaded when the file changes (atomic replaces and in-place writes alike)."""

    def __init__(
        self, path: Path, *, check_interval: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.path = path
        self._interval = check_interval
        self._clock = clock
        self._stamp = _file_stamp(path) if path.exists() else (0, 0, 0)
        self.export = load_export(path)
        self.reload_error: ExportError | None = None
        self._checked = clock()

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
            self.export = self._load()
        except ExportError as error:
            self.reload_error = error
            raise
        self.reload_error = None
        return self.export

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


# --- ranking -------------------------------------------------------------------------------------------


def _bm25(article: Article, section: Section, query: Sequence[str]) -> float:
    count = len(article.sections)
    norm = _K1 * (1 - _B + _B * section.length / article.avg_length)
    score = 0.0
    for term in query:
        tf = section.terms.get(term, 0)
        if tf:
            df = article.doc_freq[term]
            idf = math.log(1 + (count - df + 0.5) / (df + 0.5))
            score += idf * tf * (_K1 + 1) / (tf + norm)
    return score


def _ranked(article: Article, questions: Sequence[str]) -> list[tuple[float, int]]:
    """(score, section index) pairs, best first, for the first question (latest first) that matches."""
    for question in questions:
        query = list(dict.fromkeys(terms_of(question)))
        scored = [(_bm25(article, section, query), index) for index, section in enumerate(article.sections)]
        ranked = sorted((item for item in scored if item[0] > 0), key=lambda item: (-item[0], item[1]))
        if ranked:
            return ranked
    return []


def rank_sections(article: Article, questions: Sequence[str]) -> list[Section]:
    """Sections matching the first question (pass the latest first) that matches any, best first."""
    return [article.sections[index] for _, index in _ranked(article, questions)]


def _section_tokens(section: Section) -> int:
    return estimate_tokens(section.heading) + estimate_tokens(section.text)


def _fit(section: Section, budget: int) -> Section | None:
    if _section_tokens(section) <= budget:
        return section
    if budget < 50:
        return None  # a stub of a section helps nobody
    return replace(section, text=section.text[: budget * 4 - len(section.heading)].rsplit(" ", 1)[0] + " …")


def _sources(article: Article, ranked: list[tuple[float, int]]) -> tuple[Section, ...]:
    if not ranked:
        return article.sections[:1]
    # Cite only strong matches: a section sharing one common word with the question is not a source.
    best = ranked[0][0]
    return tuple(article.sections[index] for score, index in ranked[:MAX_SOURCES] if score >= best / 2)


def select_context(article: Article, questions: Sequence[str], budget_tokens: int) -> Context:
    """Pick the sections that ground an answer: all if they fit, else the introduction and the best."""
    ranked = _ranked(article, questions)
    sources = _sources(article, ranked)
    if sum(_section_tokens(section) for section in article.sections) <= budget_tokens:
        return Context(article=article, sections=article.sections, sources=sources, matched=bool(ranked))
    chosen: dict[int, Section] = {}
    remaining = budget_tokens
    # The introduction first (it frames everything), then the best matches, then the rest in order.
    for index in [0, *(index for _, index in ranked), *range(1, len(article.sections))]:
        fitted = None if index in chosen else _fit(article.sections[index], remaining)
        if fitted is not None:
            chosen[index] = fitted
            remaining -= _section_tokens(fitted)
    sections = tuple(chosen[index] for index in sorted(chosen))
    return Context(article=article, sections=sections, sources=sources, matched=bool(ranked))
