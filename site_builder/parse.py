"""PARSE: one article file -> Article (front matter, title, markdown). Pure, and independent per article,
so that a build can run it on a pool of worker processes and cache its result."""

from __future__ import annotations

import dataclasses
import hashlib
import posixpath

from . import chat_search, foreign, knowledge, markdown
from .content import split_front_matter
from .model import FOLDER_PAGES, Article, Note, Source, title_from_name


def parse_article(source: Source, label: str) -> Article:
    """Turn a source into an Article; ``label`` is the path shown in error messages (``content/foo.md``)."""
    meta, body, body_line = split_front_matter(source, label)
    body, found = foreign.translate(body)
    heading, rest, removed = markdown.split_title(body)
    doc = markdown.convert(rest, source.path, body_line + removed)
    folder_page = is_folder_page(source.path)
    title = meta.title or heading or _title_from_path(source.path, folder_page)
    notes = [] if found is None else [_foreign_note(found, body_line)]
    # A folder's page with only front matter is usual (Hugo's _index.md): its list is its text.
    if not folder_page and not any(s.text.strip() for s in doc.sections):
        notes.append(
            Note(
                line=body_line,
                message="article has no text: it is built and given to the chat with its title and description",
                hint="write its text, or add a 'description' to the front matter",
            )
        )
    return Article(
        source=source.path,
        digest=source_digest(source),
        slug=slug_for(source.path, meta.slug),
        title=title,
        meta=meta,
        # The sections live on as the export's JSON only: kept twice, they would be a third of the build cache.
        doc=dataclasses.replace(doc, sections=()),
        sections_json=knowledge.sections_json(doc.sections, title, meta.description or doc.summary),
        chat_words=chat_search.article_words(doc.sections, title, meta.description or doc.summary),
        folder_page=folder_page,
        notes=tuple(notes),
    )


def source_digest(source: Source) -> str:
    """Identifies an article file's path and text."""
    return hashlib.sha1(f"{source.path}\0{source.text}".encode(), usedforsecurity=False).hexdigest()


def is_folder_page(path: str) -> bool:
    """``guides/_index.md`` (or ``index.md``, ``README.md``) is the page of ``guides/``."""
    return posixpath.basename(path) in FOLDER_PAGES


def slug_for(path: str, slug: str | None, folder_page: bool | None = None) -> str:
    """``guides/writing.md`` -> ``guides/writing``; a front matter slug replaces the file name.

    A folder's page takes the folder's URL (``guides/_index.md`` -> ``guides``; the root's is ``""``), unless
    ``folder_page`` is False: it lost its folder's URL to another folder page.
    """
    folder, name = posixpath.split(path.removesuffix(".md"))
    if folder_page is None:
        folder_page = is_folder_page(path)
    if folder_page:
        return folder
    return posixpath.join(folder, slug or name)


def _title_from_path(path: str, folder_page: bool) -> str:
    folder, name = posixpath.split(path)
    if folder_page:
        return title_from_name(posixpath.basename(folder)) if folder else "Home"
    return title_from_name(name) if name else path


def _foreign_note(found: foreign.Foreign, body_line: int) -> Note:
    more = f" (and {found.count - 1} more in this file)" if found.count > 1 else ""
    return Note(
        line=body_line + found.first_line - 1,
        message=f"{found.first} is another generator's syntax{more}: removed (keeping its text) or shown as text",
        hint="Hugo shortcodes and MkDocs plugin lines have no meaning here; write plain markdown instead",
    )


def settle_folder_pages(articles: list[Article]) -> list[Article]:
    """One page per folder: ``_index.md`` before ``index.md`` before ``README.md``; the others keep their names."""
    best: dict[str, Article] = {}
    for article in articles:
        if article.folder_page:
            held = best.get(article.slug)
            if held is None or _rank(article) < _rank(held):
                best[article.slug] = article
    return [
        a
        if not a.folder_page or best[a.slug] is a
        else dataclasses.replace(a, slug=slug_for(a.source, a.meta.slug, False), folder_page=False)
        for a in articles
    ]


def _rank(article: Article) -> int:
    return FOLDER_PAGES.index(posixpath.basename(article.source))
