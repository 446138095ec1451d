"""ASSEMBLE: articles -> Site. Drafts, order, tags, categories, related articles and link checks. Pure."""

from __future__ import annotations

import hashlib
import heapq
import math
import posixpath
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence

from . import links as site_links
from .errors import ArticleWarning, DuplicateSlugError, LinkError, SiteError
from .model import Article, Entry, Folder, Link, Site, SiteConfig, folder_prefixes, slugify, title_from_name

RELATED_COUNT = 5
TAG_WEIGHT = 2.0
MAX_POSTINGS = 60


def assemble(
    config: SiteConfig,
    articles: Iterable[Article],
    drafts: bool = False,
    related: Mapping[str, tuple[str, ...]] | None = None,
) -> Site:
    """Build the Site: published articles newest first, with their tag, category and related maps.

    ``related`` (slug -> related slugs) is a map computed earlier for the same relatedness_key().
    """
    published = [a for a in articles if drafts or not a.meta.draft]
    # content/_index.md is the home page's text, not an article of its own.
    home = next((a for a in published if a.folder_page and a.slug == ""), None)
    kept = sorted((a for a in published if a is not home), key=lambda a: (-a.sort_date.toordinal(), a.title))
    by_slug = {a.slug: a for a in kept}
    return Site(
        config=config,
        articles=tuple(kept),
        by_slug=by_slug,
        folders=folder_tree(kept),
        home=home,
        tags=_group(kept, lambda a: a.meta.tags),
        categories=_group(kept, lambda a: (a.meta.category,) if a.meta.category else ()),
        related=(
            {slug: tuple(by_slug[r] for r in rel if r in by_slug) for slug, rel in related.items()}
            if related is not None
            else related_articles(kept, by_slug)
        ),
    )


def folder_tree(articles: Sequence[Article]) -> dict[str, Folder]:
    """Every folder an article's URL passes through (``guides/``, ``guides/setup/``), with what it lists.

    A folder's page (``guides/_index.md``) is its page; a folder without one gets a generated list. Entries
    are ordered by ``weight`` (unset last), then by title, as in Hugo.
    """
    pages = {a.url: a for a in articles if a.folder_page}
    urls = {prefix for a in articles for prefix in folder_prefixes(a.url)}
    children: dict[str, list[Entry]] = defaultdict(list)
    weights: dict[str, int | None] = {}
    for url in urls - {""}:
        page = pages.get(url)
        entry = Entry(url=url, title=folder_title(url, page), description=_description(page), folder=True)
        children[_parent(url)].append(entry)
        weights[url] = page.meta.weight if page else None
    for article in articles:
        if article.url not in urls:
            entry = Entry(
                url=article.url, title=article.short_title, description=_description(article), folder=False
            )
            children[_parent(article.url)].append(entry)
            weights[article.url] = article.meta.weight

    def order(entry: Entry) -> tuple[bool, int, str]:
        weight = weights.get(entry.url)
        return (weight is None, weight or 0, entry.title.casefold())

    return {
        url: Folder(
            url=url,
            title=folder_title(url, pages.get(url)),
            page=pages.get(url),
            entries=tuple(sorted(children[url], key=order)),
        )
        for url in sorted(urls)
    }


def folder_title(url: str, page: Article | None) -> str:
    """A folder's page's short title, else its name as a title."""
    return page.short_title if page else title_from_name(posixpath.basename(url.rstrip("/")))


def _parent(url: str) -> str:
    return folder_prefixes(url)[-1] if url else ""


def _description(article: Article | None) -> str:
    return (article.meta.description or article.doc.summary) if article else ""


def relatedness_key(articles: Iterable[Article], drafts: bool) -> str:
    """Changes whenever related_articles() could give another answer for these articles."""
    parts = [
        (a.slug, a.title, a.meta.date, a.meta.draft, a.meta.tags, a.meta.see_also, a.doc.keywords)
        for a in articles
    ]
    return hashlib.sha1(repr((drafts, parts)).encode(), usedforsecurity=False).hexdigest()


def find_duplicates(articles: Sequence[Article], label: str) -> list[SiteError]:
    """Two articles with one slug: an error naming both files."""
    seen: dict[str, Article] = {}
    errors: list[SiteError] = []
    for article in articles:
        first = seen.setdefault(article.slug, article)
        if first is not article:
            errors.append(
                DuplicateSlugError(
                    f"{label}/{article.source}",
                    None,
                    f"the URL /{article.slug}/ is also used by {label}/{first.source}",
                    "give one of them another file name or 'slug'",
                )
            )
    return errors


def check_links(site: Site, site_map: site_links.SiteMap, label: str) -> list[SiteError]:
    """Links that lead nowhere (no page, file or anchor there), and 'see_also' slugs that name no article."""
    by_url = {a.url: a for a in site.articles}
    problems: list[SiteError] = []
    for article in site.pages:
        where = f"{label}/{article.source}"
        for link in article.doc.links:
            url = site_links.target(link, article.url, site_map)
            if url is None:
                problems.append(LinkError(where, link.line, *_missing(link)))
            elif not site_links.anchor_exists(url, link.fragment, site_map):
                hint = _anchor_hint(by_url[url]) if url in by_url else None
                problems.append(LinkError(where, link.line, f"link to a missing anchor: {link.href}", hint))
        for slug in article.meta.see_also:
            if slug not in site.by_slug:
                problems.append(
                    LinkError(
                        where, article.meta.lines.get("see_also"), f"'see_also' names no article: {slug}"
                    )
                )
    return problems


def _missing(link: Link) -> tuple[str, str | None]:
    if link.image:
        return f"image not found: {link.href}", "files in content/static/ are at the site root: /<path there>"
    if link.kind == "source":
        return f"link to a missing article: {link.href}", None
    hint = (
        "a relative link is read from the page's URL, as a browser does" if link.kind == "relative" else None
    )
    return f"link to a missing page: {link.href}", hint


def article_notes(site: Site, label: str) -> list[SiteError]:
    """What parsing noticed in the published articles (foreign syntax, no text), as warnings."""
    return [
        ArticleWarning(f"{label}/{a.source}", note.line, note.message, note.hint)
        for a in site.pages
        for note in a.notes
    ]


def related_articles(
    articles: Sequence[Article], by_slug: Mapping[str, Article]
) -> dict[str, tuple[Article, ...]]:
    """Per slug: its own see_also first, then the articles sharing the rarest tags and keywords."""
    index: dict[str, list[int]] = defaultdict(list)
    for i, article in enumerate(articles):
        for term in _terms(article):
            index[term].append(i)
    # A term most articles share says little about relatedness, and skipping it bounds the work per article.
    weight = {
        term: math.log(1 + len(articles) / len(ids)) * (TAG_WEIGHT if term.startswith("#") else 1.0)
        for term, ids in index.items()
        if 1 < len(ids) <= MAX_POSTINGS
    }
    result: dict[str, tuple[Article, ...]] = {}
    for article in articles:
        chosen = [
            by_slug[s] for s in dict.fromkeys(article.meta.see_also) if s in by_slug and s != article.slug
        ]
        scores: dict[int, float] = defaultdict(float)
        for term in _terms(article):
            for j in index[term] if term in weight else ():
                scores[j] += weight[term]
        skip = {article.slug, *(a.slug for a in chosen)}
        best = heapq.nlargest(
            RELATED_COUNT, (j for j in scores if articles[j].slug not in skip), key=lambda j: (scores[j], -j)
        )
        result[article.slug] = tuple(chosen + [articles[j] for j in best])[: max(RELATED_COUNT, len(chosen))]
    return result


def _terms(article: Article) -> Iterator[str]:
    yield from ("#" + tag for tag in article.meta.tags)
    yield from article.doc.keywords


def _group(articles: Sequence[Article], keys) -> dict[str, tuple[Article, ...]]:  # type: ignore[no-untyped-def]
    # "Festivals" and "festivals" are one tag with one page: grouped by URL, named as first spelled.
    names: dict[str, str] = {}
    groups: dict[str, list[Article]] = defaultdict(list)
    for article in articles:
        for key in keys(article):
            groups[names.setdefault(slugify(key), key)].append(article)
    return {k: tuple(v) for k, v in sorted(groups.items(), key=lambda kv: kv[0].lower())}


def _anchor_hint(target: Article) -> str | None:
    anchors = [h.anchor for h in target.doc.headings][:8]
    return "anchors there: " + ", ".join("#" + a for a in anchors) if anchors else None
