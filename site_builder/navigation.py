"""Plain view data for finding one's way: breadcrumbs and the lists of a folder's pages. Pure."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .model import Folder, Site, folder_prefixes

SUMMARY_LIMIT = 160


def breadcrumbs(site: Site, url: str, urls: Callable[[str], str]) -> list[tuple[str, str]]:
    """(title, href) for the home page and each folder above ``url``; empty for a page at the top level."""
    above = folder_prefixes(url)[1:]
    if not above:
        return []
    crumbs = [("Home", urls(""))]
    crumbs += [(site.folders[p].title, urls(p)) for p in above if p in site.folders]
    return crumbs


def entries_view(folder: Folder, urls: Callable[[str], str]) -> list[dict[str, Any]]:
    """A folder's sub-folders and articles, in order, as the list templates show them."""
    return [
        {
            "title": e.title,
            "url": urls(e.url),
            "description": shorten(e.description, SUMMARY_LIMIT),
            "folder": e.folder,
        }
        for e in folder.entries
    ]


def shorten(text: str, limit: int) -> str:
    """Cut ``text`` at a word boundary to at most ``limit`` characters, with an ellipsis."""
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:.") + "…"
