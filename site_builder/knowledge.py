"""The chat export: what the chat service needs to know of each article (see docs/contracts.md)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from .model import OutputFile, Section, Site

EXPORT_PATH = "chat-export.json"
FORMAT, VERSION = "folio-chat-export", 1


def chat_export(site: Site) -> OutputFile:
    """Every published article's slug, title, path and plain-text sections, as versioned JSON."""
    config = site.config
    site_info = {"title": config.title, "base_url": config.base_url, "language": config.language}
    head = _dumps({"format": FORMAT, "version": VERSION, "site": site_info})
    # Each article's sections were serialised when it was parsed (and cached with it): only join them here.
    articles = ",".join(
        _dumps(
            {
                "slug": a.slug,
                "title": a.title,
                "description": a.meta.description or a.doc.summary,
                "path": config.base_path + a.url,
            }
        )[:-1]
        + ',"sections":'
        + a.sections_json
        + "}"
        for a in site.articles
    )
    return OutputFile(path=EXPORT_PATH, data=f'{head[:-1]},"articles":[{articles}]}}'.encode())


def sections_json(sections: Sequence[Section], title: str, description: str = "") -> str:
    """An article's sections as the export's JSON; the introduction is headed by the article's title.

    An article with no text at all (its body was only shortcodes, say) still gets one section: its title
    and description, so that the chat can name it rather than know nothing of it.
    """
    if not any(s.text.strip() for s in sections):
        sections = [Section(heading=title, anchor="", level=1, text=description or title)]
    return _dumps(
        [
            {"heading": s.heading or title, "anchor": s.anchor, "level": s.level, "text": s.text}
            for s in sections
        ]
    )


def _dumps(data: object) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))
