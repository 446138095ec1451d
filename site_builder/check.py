"""The site check: what ``python -m site_builder check`` reports and ``build --strict`` fails on.
Pure but for reading an article's source again to place an image's line.

Links that lead to no page, file or anchor, images without alt text, articles without a description,
titles used by two articles, and what parsing noticed (an article with no text, another generator's
syntax); each one ``SiteError`` at ``path:line``, all collected in one run.
"""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

from . import catalog, content
from .errors import DuplicateTitle, MissingAltText, MissingDescription, SiteError
from .links import SiteMap
from .model import LINK_PREFIX, Article, Site


def find_problems(site: Site, site_map: SiteMap, content_dir: Path, label: str) -> list[SiteError]:
    """The findings for an assembled site, in article order; ``label`` is how paths are shown."""
    problems = [*catalog.check_links(site, site_map, label), *catalog.article_notes(site, label)]
    for article in site.articles:
        where = f"{label}/{article.source}"
        problems += missing_alt_text(article, where, content_dir)
        # A file with no front matter at all is plain markdown: its first paragraph is its description.
        if article.meta.lines and not article.meta.description.strip():
            problems.append(
                MissingDescription(
                    where,
                    article.meta.lines.get("title", 1),
                    "article has no description",
                    "add 'description:' to the front matter: one sentence shown in link previews and feeds",
                )
            )
    problems += duplicate_titles(site.articles, label)
    return sorted(problems, key=lambda p: (p.path, p.line or 0))


def missing_alt_text(article: Article, where: str, content_dir: Path) -> list[SiteError]:
    """Images in the article body whose alt text is missing or blank, at the line of their address."""
    images = _images(article.doc.html + article.doc.references_html)
    if all(alt.strip() for _, alt in images):
        return []
    source = content.read_source(content_dir, content_dir / article.source)
    _, body, body_line = content.split_front_matter(source, where)
    lines = _lines_of(body, [src for src, _ in images])
    return [
        MissingAltText(
            where,
            body_line + line if line is not None else None,
            f"image without alt text: {src}",
            "describe the image: ![what it shows](address)",
        )
        for (src, alt), line in zip(images, lines, strict=True)
        if not alt.strip()
    ]


def duplicate_titles(articles: tuple[Article, ...], label: str) -> list[SiteError]:
    """A title used by an earlier article (ignoring case): readers could not tell the two apart."""
    first: dict[str, Article] = {}
    problems: list[SiteError] = []
    for article in sorted(articles, key=lambda a: a.source):
        seen = first.setdefault(article.title.casefold(), article)
        if seen is not article:
            problems.append(
                DuplicateTitle(
                    f"{label}/{article.source}",
                    article.meta.lines.get("title", 1),
                    f"the title “{article.title}” is also used by {label}/{seen.source}",
                    "give one of them a more specific title",
                )
            )
    return problems


def _lines_of(text: str, needles: list[str]) -> list[int | None]:
    # Addresses in document order: each search starts after the previous find, so that the same
    # address twice gets two lines. Counted from 0, the first line of ``text``.
    lines: list[int | None] = []
    start = 0
    for needle in needles:
        at = text.find(needle, start) if needle else -1
        if at >= 0:
            start = at + len(needle)
        lines.append(text.count("\n", 0, at) if at >= 0 else None)
    return lines


def _images(html: str) -> list[tuple[str, str]]:
    parser = _ImageParser()
    parser.feed(html)
    parser.close()
    return parser.images


class _ImageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.images: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            values = dict(attrs)
            # The markdown stage marked the address (links.py): the check shows it as the author wrote it.
            src = (values.get("src") or "").removeprefix(LINK_PREFIX).removeprefix("~")
            self.images.append((src, values.get("alt") or ""))
