"""PARSE: one article file -> Article (front matter, title, markdown). Pure, and independent per article,
so that a build can run it on a pool of worker processes and cache its result."""

from __future__ import annotations

import dataclasses
import hashlib
import posixpath

from . import chat_search, knowledge, markdown
from .content import split_front_matter
from .model import Article, Source


def parse_article(source: Source, label: str) -> Article:
    """Turn a source into an Article; ``label`` is the path shown in error messages (``content/foo.md``)."""
    meta, body, body_line = split_front_matter(source, label)
    heading, rest, removed = markdown.split_title(body)
    doc = markdown.convert(rest, source.path, body_line + removed)
    title = meta.title or heading or _title_from_name(source.path)
    return Article(
        source=source.path,
        digest=source_digest(source),
        slug=slug_for(source.path, meta.slug),
        title=title,
        meta=meta,
        # The sections live on as the export's JSON only: kept twice, they would be a third of the build cache.
        doc=dataclasses.replace(doc, sections=()),
        sections_json=knowledge.sections_json(doc.sections, title),
        chat_words=chat_search.article_words(doc.sections, title, meta.description or doc.summary),
    )


def source_digest(source: Source) -> str:
    """Identifies an article file's path and text."""
    return hashlib.sha1(f"{source.path}\0{source.text}".encode(), usedforsecurity=False).hexdigest()


def slug_for(path: str, slug: str | None) -> str:
    """``guides/writing.md`` -> ``guides/writing``; a front matter slug replaces the file name."""
    folder, name = posixpath.split(path.removesuffix(".md"))
    return posixpath.join(folder, slug or name)


def _title_from_name(path: str) -> str:
    name = posixpath.basename(path).removesuffix(".md").replace("-", " ").replace("_", " ").strip()
    return name[:1].upper() + name[1:] if name else path
