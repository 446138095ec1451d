"""LINK: every internal link of an article's HTML, found, made a valid URL, and resolved against the site. Pure.

The markdown stage calls ``collect()`` on an article's finished HTML (raw HTML blocks included, code never):
every internal link becomes a ``folio:`` marker, resolved when a page is rendered into a link relative to
that page, so the site works under any sub-path. A ``.md`` link names a file; a root-relative one
(``/guides/setup/``) a path of the site; a relative one is read as the browser reads it, from the page's URL,
else (MkDocs' way) from the article file's folder. ``target()`` answers where a link leads the way a static
host would: ``dir/`` is ``dir/index.html``, and ``dir`` is too.
"""

from __future__ import annotations

import dataclasses
import html
import posixpath
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from .model import FOLDER_PAGES, LINK_PREFIX, Article, Link, Site

# A start tag: text never holds a raw '<' (code shows it as &lt;), so attributes are only looked for in these.
_TAG = re.compile(r"""<[A-Za-z][\w-]*(?:[^>"']|"[^"]*"|'[^']*')*>""")
_OWN_LINK = re.compile(r'^<a class="(?:anchor|footnote-ref|footnote-backref)"')
_ATTR = re.compile(r"""(?<=\s)(href|src)=("[^"]*"|'[^']*')""")
_BAD_URL_CHARS = re.compile(r"""[\s"<>\\^`{|}]|%(?![0-9A-Fa-f]{2})""")
THEME_IDS = frozenset({"main", "article-body", "top"})  # on every article page, whatever its text


@dataclass(frozen=True, slots=True, kw_only=True)
class SiteMap:
    """What links can lead to: article files by source path, every output file, and the ids of each article."""

    sources: Mapping[str, str] = field(default_factory=dict)  # source path -> page URL (``guides/setup/``)
    paths: frozenset[str] = frozenset()  # every file of the built site (``guides/setup/index.html``)
    ids: Mapping[str, frozenset[str]] = field(default_factory=dict)  # article page URL -> its ids
    base_path: str = "/"


def site_map(site: Site, paths: frozenset[str]) -> SiteMap:
    """The SiteMap of a site whose output files are ``paths``."""
    pages = site.pages
    return SiteMap(
        sources={a.source: a.url for a in pages},
        paths=paths,
        ids={a.url: _ids(a) for a in pages},
        base_path=site.config.base_path,
    )


def _ids(article: Article) -> frozenset[str]:
    extra = {"references"} if article.doc.references_html else set()
    return article.doc.ids | THEME_IDS | extra


def valid_url(value: str) -> str:
    """Percent-encode what a URL may not hold as it is (spaces, ``<``, ``>``, a stray ``%``), as browsers do."""
    return _BAD_URL_CHARS.sub(lambda m: "".join(f"%{b:02X}" for b in m.group().encode()), value)


def collect(text: str, source: str, line_of: Callable[[str], int]) -> tuple[str, tuple[Link, ...]]:
    """Find the links of one article's HTML; return it with markers and valid URLs, and the links found."""
    found: list[Link] = []

    def swap(match: re.Match[str], own: bool = False) -> str:
        name, quoted = match.group(1), match.group(2)
        value = html.unescape(quoted[1:-1])
        if own:  # a heading's permalink or a footnote's link: made here, always right
            return f'{name}="{html.escape(valid_url(value), quote=True)}"'
        link = _classify(value, source, line_of)
        if link is not None and name == "src":
            link = dataclasses.replace(link, image=True)
        written = value
        if link is not None:
            found.append(link)
            if link.kind != "anchor":
                written = LINK_PREFIX + marker(link) + _tail(value)
        return f'{name}="{html.escape(valid_url(written), quote=True)}"'

    def attributes(tag: re.Match[str]) -> str:
        text = tag.group()
        if "href=" not in text and "src=" not in text:
            return text  # most tags (a highlighted code block is hundreds of spans) hold no address
        own = _OWN_LINK.search(text) is not None
        return _ATTR.sub(lambda m: swap(m, own), text)

    return _TAG.sub(attributes, text), tuple(found)


def _classify(value: str, source: str, line_of: Callable[[str], int]) -> Link | None:
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or value.startswith("//") or not value.strip():
        return None
    path, fragment = unquote(parts.path), unquote(parts.fragment)
    if path.startswith("@/"):  # Zola's link to a file from content/
        path = path[1:]
    line = line_of(value)
    if not path:
        return Link(href=value, kind="anchor", target=source, fragment=fragment, line=line)
    if path.endswith(".md"):
        from_root = path.lstrip("/")
        relative = posixpath.normpath(posixpath.join(posixpath.dirname(source), path))
        target = from_root if path.startswith("/") else relative
        return Link(
            href=value, kind="source", target=target, fallback=from_root, fragment=fragment, line=line
        )
    if path.startswith("/"):
        return Link(href=value, kind="root", target=path, fragment=fragment, line=line)
    beside = posixpath.normpath(posixpath.join(posixpath.dirname(source), path))
    return Link(href=value, kind="relative", target=path, fallback=beside, fragment=fragment, line=line)


def marker(link: Link) -> str:
    """What a ``folio:`` marker holds for a link: its target, a relative one behind a ``~``."""
    return "~" + link.target if link.kind == "relative" else link.target


def _tail(value: str) -> str:
    parts = urlsplit(value)
    return (f"?{parts.query}" if parts.query else "") + (f"#{parts.fragment}" if parts.fragment else "")


def target(link: Link, page_url: str, site: SiteMap) -> str | None:
    """The site path a link leads to (``guides/setup/``, ``img/a.png``), or None when nothing is there."""
    if link.kind == "anchor":
        return page_url
    if link.kind == "source":
        for candidate in (link.target, link.fallback):
            if candidate in site.sources:
                return site.sources[candidate]
        folder, name = posixpath.split(link.target)
        return lookup(f"{folder}/" if folder else "", site.paths) if name in FOLDER_PAGES else None
    if link.kind == "root":
        path = link.target.lstrip("/")
        found = lookup(path, site.paths)
        if found is None and site.base_path != "/" and link.target.startswith(site.base_path):
            found = lookup(link.target[len(site.base_path) :], site.paths)
        return found
    # As the browser reads it (Hugo's page bundles, URL-style links), else from the file's folder (MkDocs).
    trailing = link.target.endswith("/")
    for base, path in ((page_url, link.target), ("", link.fallback)):
        joined = posixpath.normpath(posixpath.join(base or ".", path)) if path else ".."
        if joined == ".." or joined.startswith("../"):
            continue
        joined = "" if joined == "." else joined
        found = lookup(joined + ("/" if trailing and joined else ""), site.paths)
        if found is not None:
            return found
    return None


def lookup(path: str, paths: frozenset[str]) -> str | None:
    """A site path as a static host serves it: a folder is its index.html; None when there is no such file."""
    if path == "" or path.endswith("/"):
        return path if path + "index.html" in paths else None
    if path in paths:
        return path
    return path + "/" if path + "/index.html" in paths else None


def anchor_exists(url: str, fragment: str, site: SiteMap) -> bool:
    """Whether the page at ``url`` has the id ``fragment``; pages that are not articles are not looked into."""
    if not fragment or fragment in THEME_IDS:
        return True
    ids = site.ids.get(url)
    return ids is None or fragment in ids


def resolved(links: tuple[Link, ...], page_url: str, site: SiteMap) -> dict[str, str | None]:
    """Marker payload -> the site path it leads to (None: nowhere), for the links a page rewrites."""
    return {marker(link): target(link, page_url, site) for link in links if link.kind != "anchor"}
