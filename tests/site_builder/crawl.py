"""A link crawler of a built site, written for the tests: what a reader of a static host would find broken.

Every internal ``<a href>``, ``<img src>``, ``<link href>``, ``<script src>`` and refresh target of every HTML
file is resolved against the page's URL (the site being served at ``base_path``) and looked up in the output
folder as a static host does: ``dir/`` serves ``dir/index.html``, ``dir`` redirects to it. A fragment must
name an id on the page it leads to.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import lxml.html

HOST = "http://site.test"


def broken_links(out: Path, base_path: str = "/") -> list[tuple[str, str]]:
    """(page path below ``out``, href as written) for every internal link of the site that leads nowhere."""
    ids = cache(lambda path: _ids(out / path))
    broken = []
    for file in sorted(out.rglob("*.html")):
        rel = file.relative_to(out).as_posix()
        if rel.startswith("pagefind/"):
            continue
        page_url = HOST + base_path + rel.removesuffix("index.html")
        for href in _references(file):
            target = urljoin(page_url, href)
            parts = urlsplit(target)
            if f"{parts.scheme}://{parts.netloc}" != HOST:
                continue  # another site, mailto:, data:, ...
            found = _serve(out, unquote(parts.path), base_path)
            if found is None or (
                parts.fragment
                and parts.fragment != "top"
                and found.endswith(".html")
                and unquote(parts.fragment) not in ids(found)
            ):
                broken.append((rel, href))
    return broken


def _references(file: Path) -> list[str]:
    doc = lxml.html.fromstring(file.read_bytes())
    found = doc.xpath("//a/@href | //img/@src | //link[@rel!='canonical']/@href | //script/@src")
    for content in doc.xpath("//meta[@http-equiv='refresh']/@content"):
        found.append(content.split("url=", 1)[1])
    return [str(value) for value in found]


def _serve(out: Path, path: str, base_path: str) -> str | None:
    if not path.startswith(base_path):
        return None
    rel = path[len(base_path) :]
    if rel == "" or rel.endswith("/"):
        rel += "index.html"
    if (out / rel).is_file():
        return rel
    if (out / rel / "index.html").is_file():
        return f"{rel}/index.html"
    return None


def _ids(file: Path) -> frozenset[str]:
    return frozenset(str(i) for i in lxml.html.fromstring(file.read_bytes()).xpath("//@id"))
