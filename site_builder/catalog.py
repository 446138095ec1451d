"""ASSEMBLE: articles -> Site. Drafts, order, tags, categories, related articles and link checks. Pure."""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

from .errors import DuplicateSlugError, LinkError, SiteError
from .model import Article, Site, SiteConfig

RELATED_COUNT = 5


def assemble(config: SiteConfig, articles: Iterable[Article], drafts: bool = False) -> Site:
    """Build the Site: published articles newest first, with their tag, category and related maps."""
    kept = sorted(
        (a for a in articles if drafts or not a.meta.draft), key=lambda a: (-a.sort_date.toordinal(), a.title)
    )
    by_slug = {a.slug: a for a in kept}
    return Site(
        config=config,
        articles=tuple(kept),
        by_slug=by_slug,
        tags=_group(kept, lambda a: a.meta.tags),
        categories=_group(kept, lambda a: (a.meta.category,) if a.meta.category else ()),
        related=related_articles(kept, by_slug),
    )


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


def check_links(site: Site, label: str) -> list[SiteError]:
    """Links to missing articles or anchors, and 'see_also' slugs that name no article."""
    by_source = {a.source: a for a in site.articles}
    problems: list[SiteError] = []
    for article in site.articles:
        where = f"{label}/{article.source}"
        for link in article.doc.links:
            target = by_source.get(link.target)
            if target is None:
                problems.append(LinkError(where, link.line, f"link to a missing article: {link.href}"))
            elif link.fragment and link.fragment not in target.doc.ids:
                problems.append(
                    LinkError(
                        where, link.line, f"link to a missing anchor: {link.href}", _anchor_hint(target)
                    )
                )
        for slug in article.meta.see_also:
            if slug not in site.by_slug:
                problems.append(
                    LinkError(
                        where, article.meta.lines.get("see_also"), f"'see_also' names no article: {slug}"
                    )
                )
    return problems


def related_articles(
    articles: Sequence[Article], by_slug: Mapping[str, Article]
) -> dict[str, tuple[Article, ...]]:
    """Per slug: its own see_also first, then the articles sharing the most tags and keywords."""
    tag_index = _index(articles, lambda a: a.meta.tags)
    word_index = _index(articles, lambda a: a.doc.keywords)
    # Words found in most articles say nothing about relatedness; a cap also bounds the work per article.
    common = max(10, len(articles) // 20)
    idf = {w: math.log(len(articles) / len(ids)) for w, ids in word_index.items() if len(ids) <= common}
    result: dict[str, tuple[Article, ...]] = {}
    for i, article in enumerate(articles):
        scores: dict[int, float] = defaultdict(float)
        for tag in article.meta.tags:
            for j in tag_index[tag]:
                scores[j] += 3.0
        for word in article.doc.keywords:
            for j in word_index[word] if word in idf else ():
                scores[j] += idf[word]
        scores.pop(i, None)
        chosen = [by_slug[s] for s in article.meta.see_also if s in by_slug and s != article.slug]
        ranked = sorted(scores, key=lambda j: (-scores[j], articles[j].title))
        chosen += [articles[j] for j in ranked if articles[j] not in chosen][
            : max(0, RELATED_COUNT - len(chosen))
        ]
        result[article.slug] = tuple(chosen[: max(RELATED_COUNT, len(article.meta.see_also))])
    return result


def slugify(text: str) -> str:
    """A tag or category name as a URL segment: ``Static Sites`` -> ``static-sites``."""
    return re.sub(r"[^\w]+", "-", text.lower()).strip("-") or "untitled"


def _group(articles: Sequence[Article], keys) -> dict[str, tuple[Article, ...]]:  # type: ignore[no-untyped-def]
    groups: dict[str, list[Article]] = defaultdict(list)
    for article in articles:
        for key in keys(article):
            groups[key].append(article)
    return {k: tuple(v) for k, v in sorted(groups.items(), key=lambda kv: kv[0].lower())}


def _index(articles: Sequence[Article], keys) -> dict[str, list[int]]:  # type: ignore[no-untyped-def]
    index: dict[str, list[int]] = defaultdict(list)
    for i, article in enumerate(articles):
        for key in keys(article):
            index[key].append(i)
    return index


def _anchor_hint(target: Article) -> str | None:
    anchors = [h.anchor for h in target.doc.headings][:8]
    return "anchors there: " + ", ".join("#" + a for a in anchors) if anchors else None
