"""Feeds for machines: the Atom feed, sitemap.xml and robots.txt."""

from __future__ import annotations

import datetime as dt
from xml.etree import ElementTree as ET
from xml.sax.saxutils import escape

from .links import valid_url
from .model import OutputFile, Site

ATOM = "http://www.w3.org/2005/Atom"
SITEMAP = "http://www.sitemaps.org/schemas/sitemap/0.9"
PATHS = ("feed.xml", "sitemap.xml", "robots.txt")  # what render_feeds() writes: links may lead there


def render_feeds(site: Site, page_paths: list[str]) -> list[OutputFile]:
    """``feed.xml``, ``sitemap.xml`` for the given HTML pages, and ``robots.txt``."""
    return [atom_feed(site), sitemap(site, page_paths), robots(site)]


def atom_feed(site: Site) -> OutputFile:
    """The newest articles as an Atom 1.0 feed."""
    config = site.config
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    _sub(feed, "title", config.title)
    if config.description:
        _sub(feed, "subtitle", config.description)
    _sub(feed, "id", config.base_url)
    ET.SubElement(feed, f"{{{ATOM}}}link", href=config.base_url + "feed.xml", rel="self")
    ET.SubElement(feed, f"{{{ATOM}}}link", href=config.base_url)
    newest = site.articles[: config.feed_size]
    _sub(feed, "updated", _stamp(max((_changed(a) for a in newest), default=dt.date(2000, 1, 1))))
    if config.author:
        _sub(ET.SubElement(feed, f"{{{ATOM}}}author"), "name", config.author)
    for article in newest:
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
        url = config.base_url + valid_url(article.url)
        _sub(entry, "title", article.title)
        _sub(entry, "id", url)
        ET.SubElement(entry, f"{{{ATOM}}}link", href=url)
        _sub(entry, "updated", _stamp(_changed(article)))
        if article.meta.date:
            _sub(entry, "published", _stamp(article.meta.date))
        for name in article.meta.authors or ((config.author,) if config.author else ("Unknown",)):
            _sub(ET.SubElement(entry, f"{{{ATOM}}}author"), "name", name)
        for tag in article.meta.tags:
            ET.SubElement(entry, f"{{{ATOM}}}category", term=tag)
        _sub(entry, "summary", article.meta.description or article.doc.summary)
    return OutputFile(path="feed.xml", data=_xml(feed))


def sitemap(site: Site, page_paths: list[str]) -> OutputFile:
    """Every HTML page but 404 and redirects; articles carry ``lastmod`` from ``updated`` or ``date``."""
    # Written as text, not through ElementTree: it has an entry per page and is rebuilt on every build.
    changed = {a.url + "index.html": _changed(a) for a in site.articles if a.meta.date}
    entries = []
    for path in page_paths:
        loc = escape(site.config.base_url + valid_url(path.removesuffix("index.html")))
        lastmod = f"<lastmod>{changed[path].isoformat()}</lastmod>" if path in changed else ""
        entries.append(f"  <url><loc>{loc}</loc>{lastmod}</url>\n")
    text = (
        f'<?xml version="1.0" encoding="utf-8"?>\n<urlset xmlns="{SITEMAP}">\n{"".join(entries)}</urlset>\n'
    )
    return OutputFile(path="sitemap.xml", data=text.encode())


def robots(site: Site) -> OutputFile:
    """Allow everything and point at the sitemap."""
    return OutputFile(
        path="robots.txt",
        data=f"User-agent: *\nAllow: /\n\nSitemap: {site.config.base_url}sitemap.xml\n".encode(),
    )


def _changed(article) -> dt.date:  # type: ignore[no-untyped-def]
    return article.meta.updated or article.meta.date or dt.date(2000, 1, 1)


def _stamp(day: dt.date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


def _sub(parent: ET.Element, tag: str, text: str, ns: str = ATOM) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ns}}}{tag}")
    element.text = text
    return element


def _xml(root: ET.Element) -> bytes:
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"
