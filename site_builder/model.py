"""The shapes every stage shares: frozen dataclasses, passed one way through the pipeline."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ARTICLE_RANK, ALIAS_RANK, GENERATED_RANK = 0, 1, 2  # who wins a clash over one output path (claims.py)
# The page of its folder, best first: Hugo's and Zola's _index.md, MkDocs' index.md, a README.md (GitHub).
FOLDER_PAGES = ("_index.md", "index.md", "README.md", "readme.md")

# How the markdown stage marks a link to another article until a page resolves it to a URL.
LINK_PREFIX = "folio:"


def title_from_name(name: str) -> str:
    """A file or folder name as a title: ``getting-started.md`` -> ``Getting started``."""
    text = name.removesuffix(".md").replace("-", " ").replace("_", " ").strip()
    return text[:1].upper() + text[1:] if text else name


def slugify(text: str) -> str:
    """A tag or category name as a URL segment: ``Static Sites`` -> ``static-sites``."""
    return re.sub(r"[^\w]+", "-", text.lower()).strip("-") or "untitled"


def folder_prefixes(url: str) -> list[str]:
    """The folders above a URL, from the root: ``a/b/c/`` -> ``["", "a/", "a/b/"]``."""
    parts = url.strip("/").split("/") if url else []
    return ["/".join(parts[:i]) + "/" if i else "" for i in range(len(parts))]


@dataclass(frozen=True, slots=True, kw_only=True)
class SiteConfig:
    title: str = "Folio"
    base_url: str = "http://127.0.0.1:8000/"
    language: str = "en"
    description: str = ""
    author: str = ""
    chat_endpoint: str = ""
    correction_url: str = ""
    feed_size: int = 20
    words_per_minute: int = 230

    @property
    def base_path(self) -> str:
        """The path part of ``base_url``, always starting and ending with ``/``."""
        from urllib.parse import urlsplit

        path = urlsplit(self.base_url).path or "/"
        return path if path.endswith("/") else path + "/"


@dataclass(frozen=True, slots=True, kw_only=True)
class FrontMatter:
    title: str | None = None
    description: str = ""
    date: dt.date | None = None
    updated: dt.date | None = None
    tags: tuple[str, ...] = ()
    category: str = ""
    authors: tuple[str, ...] = ()
    draft: bool = False
    slug: str | None = None
    see_also: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    weight: int | None = None  # order within its folder (Hugo's meaning): lower first, unset last
    link_title: str = ""  # a short title for breadcrumbs and section lists (Hugo's linkTitle)
    keywords: tuple[str, ...] = ()
    # Plain dicts, never mutated after parsing: articles cross process boundaries and the cache by pickle.
    extra: Mapping[str, Any] = field(default_factory=dict)
    lines: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class Source:
    """An article file as read from content/: its path relative to content/ and its text."""

    path: str
    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Heading:
    level: int
    text: str
    anchor: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Section:
    """A piece of an article for the chat export: a heading and the plain text below it."""

    heading: str
    anchor: str
    level: int
    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Link:
    """An internal link in an article body, as written (``href``) and what it names.

    ``kind`` is ``source`` (a ``.md`` file: ``target`` is its path below content/, ``fallback`` the same path
    read from content/ itself), ``root`` (``/guides/setup/``), ``relative`` (``../setup/``, ``img/a.png``)
    or ``anchor`` (``#history``, on the article itself).
    """

    href: str
    kind: str
    target: str
    fragment: str
    line: int
    fallback: str = ""
    image: bool = False  # an <img src>, not an <a href>


@dataclass(frozen=True, slots=True, kw_only=True)
class Note:
    """A warning about one article file, found while parsing it: reported, never fatal (unless --strict)."""

    line: int | None
    message: str
    hint: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Document:
    """What the markdown stage makes of an article body."""

    html: str
    references_html: str
    headings: tuple[Heading, ...]
    sections: tuple[Section, ...]  # emptied once an Article holds them as sections_json
    links: tuple[Link, ...]
    ids: frozenset[str]
    words: int
    summary: str
    keywords: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Article:
    source: str
    digest: str
    slug: str
    title: str
    meta: FrontMatter
    doc: Document
    sections_json: str = "[]"  # the chat export's sections, serialised once per article text
    chat_words: str = ""  # its words for the chat service's site-wide index (chat_search.article_words)
    folder_page: bool = False  # _index.md, index.md or README.md: the page of its folder
    # What the build reports about this file but does not stop on (shortcodes shown as text, no text at all).
    notes: tuple[Note, ...] = ()

    @property
    def url(self) -> str:
        """The article's path below the site root, e.g. ``guides/writing/`` (``""`` for the home page)."""
        return f"{self.slug}/" if self.slug else ""

    @property
    def short_title(self) -> str:
        return self.meta.link_title or self.title

    @property
    def sort_date(self) -> dt.date:
        return self.meta.date or dt.date.min


@dataclass(frozen=True, slots=True, kw_only=True)
class Site:
    config: SiteConfig
    articles: tuple[Article, ...]
    by_slug: Mapping[str, Article]
    tags: Mapping[str, tuple[Article, ...]]
    categories: Mapping[str, tuple[Article, ...]]
    related: Mapping[str, tuple[Article, ...]]
    # Folders by URL (``guides/``; ``""`` is the root): their page, if any, and what they list.
    folders: Mapping[str, Folder] = field(default_factory=dict)
    home: Article | None = None  # content/_index.md (or index.md, README.md): the home page's text

    @property
    def pages(self) -> tuple[Article, ...]:
        """Every page made from a source: the articles, and the home page's text if there is one."""
        return (*self.articles, self.home) if self.home else self.articles


@dataclass(frozen=True, slots=True, kw_only=True)
class Entry:
    """One line of a folder's list: an article or a sub-folder, as the list shows it."""

    url: str
    title: str
    description: str
    folder: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class Folder:
    url: str
    title: str
    page: Article | None  # None: the build makes a list page for it
    entries: tuple[Entry, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class OutputFile:
    """A file of the built site: its bytes, or an unchanged file of the previous build to link to."""

    path: str
    data: bytes = b""
    link_from: Path | None = None


@dataclass(frozen=True, slots=True)
class PagePlan:
    """A file to write: its path, a key that changes whenever its output could, and how to render it.

    ``rank`` says who wins when two plans claim one path (see claims.py); ``source`` and ``line`` name the
    file that asked for it.
    """

    path: str
    key: str
    render: Callable[[], OutputFile]
    rank: int = GENERATED_RANK
    source: str = ""
    line: int | None = None
