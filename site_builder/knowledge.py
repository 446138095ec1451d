"""The chat export: what the chat service needs to know of each article (see docs/contracts.md).

Version 2 is a manifest, ``chat/index.json``, and one file per article, ``chat/<slug>.json``. The article files
are planned like pages: a file's key (which is also its ``digest``) changes whenever its content could, so a
rebuild writes only the files of the articles that changed and links the others from the previous build.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from functools import partial

from .model import Article, OutputFile, PagePlan, Section, Site

FOLDER = "chat"
INDEX_PATH = f"{FOLDER}/index.json"
FORMAT, ARTICLE_FORMAT, VERSION = "folio-chat-export", "folio-chat-article", 2


def article_file(slug: str) -> str:
    """An article's file, relative to the manifest: ``<slug>.json``; the slug ``index`` gives way to it."""
    return "_index.json" if slug == "index" else f"{slug}.json"


def chat_plans(site: Site, code_version: str) -> list[PagePlan]:
    """One plan per published article for its ``chat/<slug>.json``, in the order of ``site.articles``."""
    base_path = site.config.base_path
    plans = []
    for article in site.articles:
        digest = _digest(article, base_path, code_version)
        path = f"{FOLDER}/{article_file(article.slug)}"
        plans.append(PagePlan(path, digest, partial(_article_json, article, base_path, digest, path)))
    return plans


def chat_index(site: Site, plans: Sequence[PagePlan]) -> OutputFile:
    """The manifest: the site, and each article's slug, title, path, file and digest (its plan's key)."""
    config = site.config
    articles = [
        {
            "slug": article.slug,
            "title": article.title,
            "path": config.base_path + article.url,
            "file": plan.path.removeprefix(f"{FOLDER}/"),
            "digest": plan.key,
        }
        for article, plan in zip(site.articles, plans, strict=True)
    ]
    site_info = {"title": config.title, "base_url": config.base_url, "language": config.language}
    data = {"format": FORMAT, "version": VERSION, "site": site_info, "articles": articles}
    return OutputFile(path=INDEX_PATH, data=_dumps(data).encode())


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


def _digest(article: Article, base_path: str, code_version: str) -> str:
    # Everything in an article's file comes from its source text (Article.digest), the site's base path and
    # the builder's code: a digest of those changes whenever the file could, without hashing its sections.
    text = f"{VERSION}|{code_version}|{base_path}|{article.digest}"
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()


def _article_json(article: Article, base_path: str, digest: str, path: str) -> OutputFile:
    head = {
        "format": ARTICLE_FORMAT,
        "version": VERSION,
        "slug": article.slug,
        "title": article.title,
        "description": article.meta.description or article.doc.summary,
        "path": base_path + article.url,
        "digest": digest,
    }
    # The sections were serialised when the article was parsed (and cached with it): only join them here.
    data = _dumps(head)[:-1] + ',"sections":' + article.sections_json + "}"
    return OutputFile(path=path, data=data.encode())


def _dumps(data: object) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))
