"""Picking the passages of an article that answer a question, and saying whether it does. Pure.

`index_article(article)` precomputes the ranking index of an article's sections (ranking.py; the export store
keeps articles in this form); `select_context()` ranks the sections against the question, decides whether the
article covers it, and keeps the best sections within a token budget. `find_quoted_section()` finds the
section a passage the reader selected comes from; that section is ranked first.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace

from chat_service.export import Article, Section
from chat_service.ranking import ArticleIndex, Ranking, index_article, rank
from chat_service.terms import analyzer

__all__ = [
    "ArticleIndex",
    "Context",
    "find_quoted_section",
    "index_article",
    "rank_sections",
    "select_context",
    "terms_of",
]

MAX_SOURCES = 3
_WORD = re.compile(r"\w+")  # for matching a quoted passage word for word (find_quoted_section)
# The least evidence (ranking.py) for which the article counts as covering a question: the value that keeps
# 95% of the evaluation set's answerable questions covered (`make eval` prints it; tune it only there).
COVERAGE_THRESHOLD = 0.238


@dataclass(frozen=True, slots=True, kw_only=True)
class Context:
    """What grounds one answer: sections in document order, the few to cite, and whether they cover it."""

    article: Article
    sections: tuple[Section, ...]
    sources: tuple[Section, ...]
    covered: bool = True
    quote: str | None = None  # the passage the reader selected and asks about
    quoted: Section | None = None  # the section it was found in


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


def _shingles(text: str, size: int) -> set[tuple[str, ...]]:
    words = _WORD.findall(unicodedata.normalize("NFKC", text).casefold())
    return {tuple(words[i : i + size]) for i in range(len(words) - size + 1)}


def find_quoted_section(article: Article, quote: str) -> Section | None:
    """The section a passage selected on the page comes from, or None when no section holds most of it.

    Compared as runs of three words, so that whitespace, typographic quotes, dashes and what the page shows
    but the export leaves out (footnote numbers, a heading's link sign) do not matter. A passage that spans
    two sections belongs to the one holding more of it.
    """
    size = min(3, len(_WORD.findall(quote)))
    wanted = _shingles(quote, size) if size else set()
    if not wanted:
        return None
    found = [len(wanted & _shingles(f"{s.heading}\n{s.text}", size)) for s in article.sections]
    best = max(range(len(found)), key=lambda position: (found[position], -position))
    return article.sections[best] if found[best] * 2 >= len(wanted) else None


def _quoted_first(
    article: Article, ranked: list[tuple[float, int]], sources: tuple[Section, ...], quoted: Section
) -> tuple[list[tuple[float, int]], tuple[Section, ...]]:
    position = article.sections.index(quoted)
    others = [item for item in ranked if item[1] != position]
    sources = (quoted, *(s for s in sources if s != quoted))[:MAX_SOURCES]
    return [(math.inf, position), *others], sources


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
        return ()
    # Cite only strong matches: a section sharing one common word with the question is not a source.
    best = ranked[0][0]
    return tuple(article.sections[position] for score, position in ranked[:MAX_SOURCES] if score >= best / 2)


def select_context(
    index: ArticleIndex, questions: Sequence[str], budget_tokens: int, quote: str | None = None
) -> Context:
    """Pick the sections that ground an answer: all if they fit, else the introduction and the best.

    With a `quote` (a passage the reader selected), the section holding it comes first and is the first source.
    """
    article = index.article
    ranking = rank(index, questions)
    ranked = list(ranking.scored)
    quoted = find_quoted_section(article, quote) if quote else None
    # A passage of the article that the reader quotes is covered by definition: the question is about it.
    covered = quoted is not None or is_covered(ranking)
    # Weak matches are not sources: citing them would make an answer the article does not give look grounded.
    sources = _sources(article, ranked) if covered else ()
    if quoted is not None:
        ranked, sources = _quoted_first(article, ranked, sources, quoted)
    whole = Context(
        article=article,
        sections=article.sections,
        sources=sources,
        covered=covered,
        quote=quote,
        quoted=quoted,
    )
    if sum(_section_tokens(section) for section in article.sections) <= budget_tokens:
        return whole
    chosen: dict[int, Section] = {}
    remaining = budget_tokens
    # The introduction first (it frames everything), then the best matches, then the rest in order.
    for position in [0, *(position for _, position in ranked), *range(1, len(article.sections))]:
        fitted = None if position in chosen else _fit(article.sections[position], remaining)
        if fitted is not None:
            chosen[position] = fitted
            remaining -= _section_tokens(fitted)
    return replace(whole, sections=tuple(chosen[position] for position in sorted(chosen)))
