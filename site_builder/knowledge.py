"""The chat export: what the chat service needs to know of each article (see docs/contracts.md)."""

from __future__ import annotations

import json

from .model import OutputFile, Site

EXPORT_PATH = "chat-export.json"
FORMAT, VERSION = "folio-chat-export", 1


def chat_export(site: Site) -> OutputFile:
    """Every published article's slug, title, path and plain-text sections, as versioned JSON."""
    config = site.config
    data = {
        "format": FORMAT,
        "version": VERSION,
        "site": {"title": config.title, "base_url": config.base_url, "language": config.language},
        "articles": [
            {
                "slug": a.slug,
                "title": a.title,
                "description": a.meta.description or a.doc.summary,
                "path": config.base_path + a.url,
                "sections": [
                    {"heading": s.heading or a.title, "anchor": s.anchor, "level": s.level, "text": s.text}
                    for s in a.doc.sections
                ],
            }
            for a in site.articles
        ],
    }
    return OutputFile(
        path=EXPORT_PATH, data=json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    )
