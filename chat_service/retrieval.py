"""Picking the passages of an article that answer a question, and saying whether it does. Pure.

`index_article(article)` precomputes the ranking index of an article's sections (ranking.py; the export store
keeps articles in this form); `select_context()` ranks the sections against the question, decides whether the
article covers it, and keeps the best sections within a token budget.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from chat_service.export import Article, Section
from chat_service.ranking import ArticleIndex, Ranking, index_article, rank
from chat_service.terms import analyzer

__all__ = ["ArticleIndex", "Context", "index_article", "rank_sections", "select_context", "terms_of"]

MAX_SOURCES = 3
# The least evidence (ranking.py) for which the article counts as covering a question: the value that keeps
# 95% of the evaluation set's answerable questions covered (`make eval` prints it; tune it only there).
COVERAGE_THRESHOLD = 0.238


@dataclass(frozen=True, slots=True, kw_only=True)
class Context:
    """What grounds one answer: sections in document order, the few to cite, and whether they cover it."""

    article: Article
    sections: tuple[Section, ...]
    sources: tuple[Section, ...]
    matched: bool
    covered: bool = True


def terms_of(text: str, language: str = "en") -> list[str]:
    """The stemmed words of `text` in the site's language, without stop words (see terms.py)."""
    return analyzer(language).terms(text)


def estimate_tokens(text: str) -> int:
    """A tokenizer-free estimate (about four characters a token), good enough for a budget."""
    return len(text) // 4 + 1


def is_covered(ranking: Ranking) -> bool:
    """Whether the best section's evidence is strong enough to answer from."""
    return ranking.whole_page or ranking.evidence >= COVERAGE_THRESHOLD


def rank_sections(index: ArticleIndex, questions: Sequence[str]) -> list[Section]:
    """Sections matching the latest question (pass the conversation's questions latest first), best first."""
    return [index.article.sections[position] for _, position in rank(index, questions).scored]


def _section_tokens(section: Section) -> int:
    return estimate_tokens(section.heading) + estimate_tokens(section.text)


def _fit(section: Section, budget: int) -> Section | None:
    if _section_tokens(section) <= budget:
        return section
    if budget < 50:
        return None  # a stub of a section helps nobody
    return replace(section, text=section.text[: budget * 4 - len(section.heading)].rsplit(" ", 1)[0] + " …")


def _sources(article: Article, ranked: Sequence[tuple[float, int]]) -> tuple[Section, ...]:
    if not ranked:
        return article.sections[:1]
    # Cite only strong matches: a section sharing one common word with the question is not a source.
    best = ranked[0][0]
    return tuple(article.sections[position] for score, position in ranked[:MAX_SOURCES] if score >= best / 2)


def select_context(index: ArticleIndex, questions: Sequence[str], budget_tokens: int) -> Context:
    """Pick the sections that ground an answer: all if they fit, else the introduction and the best."""
    article = index.article
    ranking = rank(index, questions)
    ranked, covered = ranking.scored, is_covered(ranking)
    # Weak matches are not sources: citing them would make an answer the article does not give look grounded.
    sources = _sources(article, ranked) if covered else ()
    if sum(_section_tokens(section) for section in article.sections) <= budget_tokens:
        return Context(
            article=article, sections=article.sections, sources=sources, matched=bool(ranked), covered=covered
        )
    chosen: dict[int, Section] = {}
    remaining = budget_tokens
    # The introduction first (it frames everything), then the best matches, then the rest in order.
    for position in [0, *(position for _, position in ranked), *range(1, len(article.sections))]:
        fitted = None if position in chosen else _fit(article.sections[position], remaining)
        if fitted is not None:
            chosen[position] = fitted
            remaining -= _section_tokens(fitted)
    sections = tuple(chosen[position] for position in sorted(chosen))
    return Context(article=article, sections=sections, sources=sources, matched=bool(ranked), covered=covered)
