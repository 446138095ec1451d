"""Ranking an article's sections for a reader's question, and how well the best one answers it. Pure.

BM25F over two fields per section: the heading (with its parent headings, weighted less) and the text (the
introduction's text includes the article's title and description). Adjacent question terms that are also
adjacent in a section add a bonus. Questions about the page as a whole ("what is this about", "summarize")
rank the introduction first. Terms come from `terms.analyzer(language)`: Snowball stems for the site language.

`evidence` is the share of the question's weight (each term's idf) that the best section matches, after BM25
saturation: 1.0 when every term is there, 0.0 when none is. A threshold on it decides coverage (retrieval.py).
"""

from __future__ import annotations

import bisect
import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from chat_service.export import Article
from chat_service.terms import Analyzer, analyzer


@dataclass(frozen=True, slots=True, kw_only=True)
class Weights:
    """The ranking's constants (tuned on the whole evaluation set, see `make eval`)."""

    k1: float = 0.9
    body_b: float = 0.75
    heading: float = 4.0
    heading_b: float = 0.3
    parent: float = 0.5
    pair: float = 0.25  # per question term pair found side by side in a section
    earlier: float = 0.3  # the weight of an earlier question's terms, for follow-ups
    whole_page: bool = True


DEFAULT = Weights()


@dataclass(frozen=True, slots=True, kw_only=True)
class SectionTerms:
    heading: Mapping[str, int]
    parent: Mapping[str, int]
    body: Mapping[str, int]
    heading_length: int
    body_length: int
    sequence: tuple[str, ...]  # heading and text terms in order ("" between): for side-by-side pairs


@dataclass(frozen=True, slots=True, kw_only=True)
class ArticleIndex:
    """An article with the term statistics of its sections, for ranking."""

    article: Article
    analyzer: Analyzer
    sections: tuple[SectionTerms, ...]  # per section, in order
    doc_freq: Mapping[str, int]
    vocabulary: tuple[str, ...]  # the terms of doc_freq, sorted: prefix look-ups for misspellings
    avg_heading: float
    avg_body: float


@dataclass(frozen=True, slots=True, kw_only=True)
class Ranking:
    """Scored sections (score, position), best first; only sections that match are listed."""

    scored: tuple[tuple[float, int], ...]
    evidence: float
    whole_page: bool


def _pairs(terms: Sequence[str]) -> set[tuple[str, str]]:
    return set(zip(terms, terms[1:], strict=False))


def _has_pair(sequence: Sequence[str], pair: tuple[str, str]) -> bool:
    first, second = pair
    return any(a == first and b == second for a, b in zip(sequence, sequence[1:], strict=False))


def _parents(article: Article) -> list[str]:
    """Each section's ancestor headings (h2 for an h3, h2 and h3 for an h4), joined."""
    open_headings: dict[int, str] = {}
    parents = []
    for section in article.sections:
        open_headings = {level: h for level, h in open_headings.items() if level < section.level}
        parents.append(" ".join(h for level, h in sorted(open_headings.items()) if level > 1))
        open_headings[section.level] = section.heading
    return parents


def _section_terms(
    heading: list[str], parent: list[str], body: list[str], shared: dict[str, str]
) -> SectionTerms:
    # One string object per distinct term of the article: the sequences hold references, not copies.
    heading, body = [shared.setdefault(t, t) for t in heading], [shared.setdefault(t, t) for t in body]
    return SectionTerms(
        heading=Counter(heading),
        parent=Counter(parent),
        body=Counter(body),
        heading_length=len(heading),
        body_length=len(body),
        sequence=(*heading, "", *body),
    )


def index_article(article: Article) -> ArticleIndex:
    """Count each section's terms once, so that every question about the article is ranked quickly."""
    words = analyzer(article.language)
    sections, shared = [], {}
    for position, (section, parent) in enumerate(zip(article.sections, _parents(article), strict=True)):
        body = section.text
        if position == 0:
            body = f"{article.title}\n{article.description}\n{body}"
        # A section without text (a heading over subsections) cannot ground an answer: its words count
        # as its subsections' parent heading instead.
        body_terms = words.terms(body) if section.text.strip() or position == 0 else []
        heading_terms = words.terms(section.heading) if body_terms else []
        parent_terms = words.terms(parent) if body_terms else []
        sections.append(_section_terms(heading_terms, parent_terms, body_terms, shared))
    doc_freq: Counter[str] = Counter()
    for terms in sections:
        doc_freq.update(set(terms.heading) | set(terms.parent) | set(terms.body))
    count = max(1, len(sections))
    return ArticleIndex(
        article=article,
        analyzer=words,
        sections=tuple(sections),
        doc_freq=dict(doc_freq),
        vocabulary=tuple(sorted(doc_freq)),
        avg_heading=max(1.0, sum(s.heading_length for s in sections) / count),
        avg_body=max(1.0, sum(s.body_length for s in sections) / count),
    )


_WHOLE_PAGE = re.compile(
    r"\b(summar\w*|overview|tl\W?dr|gist|in a nutshell|main points?|key points?|"
    r"(this|the) (article|page|guide|tutorial|doc\w*|post|text|reference)|what.{0,4} this( about)?\W*$|"
    r"what will i learn)"
)
_PAGE_WORDS = frozenset(
    "summar overview tldr tl dr gist nutshell main key point page articl guid tutori".split()
)


def is_whole_page(question: str, words: Analyzer) -> bool:
    """True for a question about the page as a whole ("what is this about", "summarize", "overview")."""
    if not _WHOLE_PAGE.search(question.lower()):
        return False
    # "Is this guide about Docker?" asks something specific: allow at most one word besides the page words.
    rest = [term for term in words.terms(question) if term not in _PAGE_WORDS and len(term) > 2]
    return len(rest) <= 1


def _idf(index: ArticleIndex, term: str) -> float:
    count = len(index.sections)
    df = index.doc_freq.get(term, 0)
    return math.log(1 + (count - df + 0.5) / (df + 0.5))


def _known(index: ArticleIndex, term: str) -> str:
    """The term, or the article's term it is a prefix of or that is a prefix of it ("uninstal", "uninstall")."""
    if term in index.doc_freq or len(term) < 4:
        return term
    vocabulary = index.vocabulary
    start = bisect.bisect_left(vocabulary, term)
    longer = [known for known in vocabulary[start : start + 8] if known.startswith(term)]
    shorter = [term[:end] for end in range(len(term) - 1, 3, -1) if term[:end] in index.doc_freq]
    candidates = longer + shorter
    return min(candidates, key=lambda known: (abs(len(known) - len(term)), known)) if candidates else term


def query_weights(index: ArticleIndex, questions: Sequence[str], weights: Weights) -> dict[str, float]:
    """Question terms with their weights: the latest question's at 1, earlier ones' at `weights.earlier`."""
    query: dict[str, float] = {}
    for rank, question in enumerate(questions[:3]):
        weight = 1.0 if rank == 0 else weights.earlier
        for term in index.analyzer.terms(question):
            term = _known(index, term)
            query[term] = max(query.get(term, 0.0), weight)
    return query


def _pseudo_tf(index: ArticleIndex, terms: SectionTerms, term: str, weights: Weights) -> float:
    tf = terms.body.get(term, 0) / (1 - weights.body_b + weights.body_b * terms.body_length / index.avg_body)
    heading = terms.heading.get(term, 0)
    if heading:
        norm = 1 - weights.heading_b + weights.heading_b * terms.heading_length / index.avg_heading
        tf += weights.heading * heading / norm
    return tf + weights.parent * terms.parent.get(term, 0)


def _score(
    index: ArticleIndex,
    position: int,
    query: Mapping[str, float],
    idf: Mapping[str, float],
    pairs: Sequence[tuple[str, str]],
    weights: Weights,
) -> tuple[float, float]:
    """(BM25F score with the pair bonus, the saturated weight matched) of one section."""
    terms = index.sections[position]
    score = matched = 0.0
    for term, weight in query.items():
        tf = _pseudo_tf(index, terms, term, weights)
        if tf:
            saturation = tf / (weights.k1 + tf)
            score += weight * idf[term] * saturation * (weights.k1 + 1)
            matched += weight * idf[term] * saturation
    for pair in pairs:
        # Only where both words are: then look for them side by side.
        if pair[0] in terms.body or pair[0] in terms.heading:
            if (pair[1] in terms.body or pair[1] in terms.heading) and _has_pair(terms.sequence, pair):
                score += weights.pair * (idf[pair[0]] + idf[pair[1]])
    return score, matched


def rank(index: ArticleIndex, questions: Sequence[str], weights: Weights = DEFAULT) -> Ranking:
    """Rank the sections for the latest question (pass the conversation's questions latest first)."""
    if not questions:
        return Ranking(scored=(), evidence=0.0, whole_page=False)
    if weights.whole_page and is_whole_page(questions[0], index.analyzer):
        return Ranking(scored=((1.0, 0),), evidence=1.0, whole_page=True)
    query = query_weights(index, questions, weights)
    idf = {term: _idf(index, term) for term in query}
    latest = index.analyzer.terms(questions[0])
    pairs = [pair for pair in _pairs(latest) if pair[0] != pair[1]]
    results = []
    for position in range(len(index.sections)):
        score, matched = _score(index, position, query, idf, pairs, weights)
        if score > 0:
            results.append((score, position, matched))
    results.sort(key=lambda item: (-item[0], item[1]))
    total = sum(weight * idf[term] for term, weight in query.items())
    evidence = results[0][2] / total if results and total else 0.0
    return Ranking(
        scored=tuple((score, position) for score, position, _ in results), evidence=evidence, whole_page=False
    )
