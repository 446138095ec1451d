"""Picking the passages of an article that answer a question. Pure.

`index_article(article)` precomputes a BM25 index of an article's sections (the export store keeps articles in
this form); `select_context()` ranks the sections against the question and keeps the best ones within a token
budget. `find_quoted_section()` finds the section a passage the reader selected comes from; that section is
ranked first.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from chat_service.export import Article, Section

MAX_SOURCES = 3
_K1, _B = 1.5, 0.75
_WORD = re.compile(r"\w+")
_STOPWORDS = frozenset(
    "a an and are as at be but by can do does for from how i in is it its me my of on or so that the their "
    "them there these they this to was what when where which who why will with you your about tell".split()
)


@dataclass(frozen=True, slots=True, kw_only=True)
class ArticleIndex:
    """An article with the term statistics of its sections, for ranking."""

    article: Article
    terms: tuple[Mapping[str, int], ...]  # per section, in order
    lengths: tuple[int, ...]
    doc_freq: Mapping[str, int]
    avg_length: float


@dataclass(frozen=True, slots=True, kw_only=True)
class Context:
    """What grounds one answer: sections in document order, and the few to cite as sources."""

    article: Article
    sections: tuple[Section, ...]
    sources: tuple[Section, ...]
    matched: bool
    quote: str | None = None  # the passage the reader selected and asks about
    quoted: Section | None = None  # the section it was found in


def _stem(word: str) -> str:
    # Crude, but applied alike to question and article: "feasting", "feasts" and "feast" meet.
    for suffix in ("ing", "ed", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith("ss"):
            return word[: -len(suffix)]
    return word


def terms_of(text: str) -> list[str]:
    """Lower-case, lightly stemmed words of `text`, without the most common English function words."""
    return [_stem(word) for word in _WORD.findall(text.lower()) if word not in _STOPWORDS]


def estimate_tokens(text: str) -> int:
    """A tokenizer-free estimate (about four characters a token), good enough for a budget."""
    return len(text) // 4 + 1


def index_article(article: Article) -> ArticleIndex:
    """Count each section's terms once, so that every question about the article is ranked quickly."""
    # Heading words count twice: a section titled "History" is about history.
    terms = tuple(
        dict(Counter(terms_of(s.text)) + Counter(terms_of(s.heading) * 2)) for s in article.sections
    )
    lengths = tuple(sum(counts.values()) for counts in terms)
    return ArticleIndex(
        article=article,
        terms=terms,
        lengths=lengths,
        doc_freq=dict(Counter(term for counts in terms for term in counts)),
        avg_length=max(1.0, sum(lengths) / max(1, len(lengths))),
    )


def _bm25(index: ArticleIndex, position: int, query: Sequence[str]) -> float:
    count = len(index.terms)
    norm = _K1 * (1 - _B + _B * index.lengths[position] / index.avg_length)
    terms = index.terms[position]
    score = 0.0
    for term in query:
        tf = terms.get(term, 0)
        if tf:
            df = index.doc_freq[term]
            idf = math.log(1 + (count - df + 0.5) / (df + 0.5))
            score += idf * tf * (_K1 + 1) / (tf + norm)
    return score


def _ranked(index: ArticleIndex, questions: Sequence[str]) -> list[tuple[float, int]]:
    """(score, section index) pairs, best first, for the first question (latest first) that matches."""
    for question in questions:
        query = list(dict.fromkeys(terms_of(question)))
        scored = [(_bm25(index, position, query), position) for position in range(len(index.terms))]
        ranked = sorted((item for item in scored if item[0] > 0), key=lambda item: (-item[0], item[1]))
        if ranked:
            return ranked
    return []


def rank_sections(index: ArticleIndex, questions: Sequence[str]) -> list[Section]:
    """Sections matching the first question (pass the latest first) that matches any, best first."""
    return [index.article.sections[position] for _, position in _ranked(index, questions)]


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
    # Without a match for the question, _sources() fell back to the introduction: the quoted section replaces it.
    sources = (quoted, *(s for s in sources if s != quoted and ranked))[:MAX_SOURCES]
    return [(math.inf, position), *others], sources


def _section_tokens(section: Section) -> int:
    return estimate_tokens(section.heading) + estimate_tokens(section.text)


def _fit(section: Section, budget: int) -> Section | None:
    if _section_tokens(section) <= budget:
        return section
    if budget < 50:
        return None  # a stub of a section helps nobody
    return replace(section, text=section.text[: budget * 4 - len(section.heading)].rsplit(" ", 1)[0] + " …")


def _sources(article: Article, ranked: list[tuple[float, int]]) -> tuple[Section, ...]:
    if not ranked:
        return article.sections[:1]
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
    ranked = _ranked(index, questions)
    sources = _sources(article, ranked)
    quoted = find_quoted_section(article, quote) if quote else None
    if quoted is not None:
        ranked, sources = _quoted_first(article, ranked, sources, quoted)
    whole = Context(
        article=article,
        sections=article.sections,
        sources=sources,
        matched=bool(ranked),
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
