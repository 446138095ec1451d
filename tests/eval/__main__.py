"""`make eval` (`python -m tests.eval`): the ranking and the coverage decision over the evaluation set.

Prints recall@1, recall@3 and MRR of the section cited first, and the share of off-article questions flagged
`covered: false` at the threshold that keeps 95% of the answerable ones `covered: true`, for the ranking of
before issue 12 (baseline.py) and the current one; `--ideas` adds one row per idea turned off, `--misses`
lists the questions ranked wrong. Every number is over all the questions: nothing is tuned on a subset.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from chat_service import ranking, retrieval
from chat_service.elsewhere import SiteIndex, find_elsewhere
from chat_service.export import Article, Section
from tests.eval.baseline import BaselineIndex
from tests.eval.corpus import Corpus, load_corpus

QUESTIONS = Path(__file__).parent / "questions.yaml"
KEEP_ANSWERABLE = 0.95


@dataclass(frozen=True, slots=True, kw_only=True)
class Question:
    article: str
    text: str
    answers: frozenset[str]
    earlier: tuple[str, ...]  # the reader's earlier questions, latest first
    elsewhere: frozenset[
        str
    ]  # for an off-article question: "slug#anchor" of other articles' sections that answer

    @property
    def asked(self) -> list[str]:
        return [self.text, *self.earlier]


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    anchors: tuple[str, ...]  # cited first, then the rest in rank order
    evidence: float


# A ranker: (article, questions latest first) -> Outcome. `prepare` builds its per-article index once.
Ranker = Callable[[object, list[str]], Outcome]


def load_questions(path: Path = QUESTIONS) -> list[Question]:
    """The evaluation questions (see the header of questions.yaml)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [
        Question(
            article=slug,
            text=str(item["q"]),
            answers=frozenset(str(anchor) for anchor in item["a"]),
            earlier=tuple(reversed([str(q) for q in item.get("after", [])])),
            elsewhere=frozenset(str(target) for target in item.get("elsewhere", [])),
        )
        for slug, items in data.items()
        for item in items
    ]


def _anchors(article: Article, positions: Sequence[int]) -> tuple[str, ...]:
    # With no match at all, the service cites the introduction.
    return tuple(article.sections[p].anchor for p in positions) or (article.sections[0].anchor,)


def baseline_ranker(corpus: Corpus) -> Callable[[Question], Outcome]:
    indexes = {slug: BaselineIndex(article) for slug, article in corpus.articles.items()}

    def run(question: Question) -> Outcome:
        index = indexes[question.article]
        ranked = index.ranked(question.asked)
        return Outcome(
            anchors=_anchors(index.article, [p for _, p in ranked]),
            evidence=ranked[0][0] if ranked else 0.0,
        )

    return run


def current_ranker(corpus: Corpus, weights: ranking.Weights = ranking.DEFAULT, language: str | None = None):
    articles = corpus.articles.values()
    if language is not None:
        articles = [dataclasses.replace(article, language=language) for article in articles]
    indexes = {article.slug: retrieval.index_article(article) for article in articles}

    def run(question: Question) -> Outcome:
        index = indexes[question.article]
        result = ranking.rank(index, question.asked, weights)
        return Outcome(
            anchors=_anchors(index.article, [p for _, p in result.scored]), evidence=result.evidence
        )

    return run


@dataclass(frozen=True, slots=True, kw_only=True)
class Scores:
    recall1: float
    intro1: float  # recall@1 of the questions the introduction answers ("what is this about")
    recall3: float
    mrr: float
    threshold: float
    flagged: float


def _rank_of(outcome: Outcome, answers: frozenset[str]) -> int | None:
    return next((i + 1 for i, anchor in enumerate(outcome.anchors) if anchor in answers), None)


def threshold_keeping(evidence: Sequence[float], share: float) -> float:
    """The highest threshold at which at least `share` of these values are at or above it."""
    ordered = sorted(evidence)
    return ordered[int(len(ordered) * (1 - share))] if ordered else 0.0


def score(questions: Sequence[Question], outcomes: Sequence[Outcome]) -> Scores:
    """The table's numbers for one ranker."""
    answerable = [(q, o) for q, o in zip(questions, outcomes, strict=True) if q.answers]
    ranks = [_rank_of(o, q.answers) for q, o in answerable]
    intro = [r for (q, _), r in zip(answerable, ranks, strict=True) if q.answers == {""}]
    threshold = threshold_keeping([o.evidence for _, o in answerable], KEEP_ANSWERABLE)
    off = [o.evidence for q, o in zip(questions, outcomes, strict=True) if not q.answers]
    return Scores(
        recall1=sum(r == 1 for r in ranks) / len(ranks),
        intro1=sum(r == 1 for r in intro) / max(1, len(intro)),
        recall3=sum(r is not None and r <= 3 for r in ranks) / len(ranks),
        mrr=sum(1 / r for r in ranks if r) / len(ranks),
        threshold=threshold,
        flagged=sum(e < threshold for e in off) / max(1, len(off)),
    )


def _row(name: str, scores: Scores) -> str:
    return (
        f"| {name} | {scores.recall1:.3f} | {scores.intro1:.3f} | {scores.recall3:.3f} | {scores.mrr:.3f} | "
        f"{scores.flagged:.0%} (at {scores.threshold:.3g}) |"
    )


def _ideas(corpus: Corpus) -> list[tuple[str, Callable[[Question], Outcome]]]:
    base = ranking.DEFAULT
    variants = {
        "without heading field weight (heading = 1)": dataclasses.replace(base, heading=1.0),
        "without parent headings": dataclasses.replace(base, parent=0.0),
        "without the adjacent-term bonus": dataclasses.replace(base, pair=0.0),
        "without earlier questions (follow-ups)": dataclasses.replace(base, earlier=0.0),
        "without whole-page questions": dataclasses.replace(base, whole_page=False),
    }
    rows = [(name, current_ranker(corpus, weights)) for name, weights in variants.items()]
    rows.append(("without stemming (a language Snowball lacks)", current_ranker(corpus, language="xx")))
    return rows


def shipped_coverage(questions: Sequence[Question], outcomes: Sequence[Outcome]) -> str:
    """How the service's own COVERAGE_THRESHOLD does on the set."""
    cut = retrieval.COVERAGE_THRESHOLD
    pairs = list(zip(questions, outcomes, strict=True))
    kept = [o.evidence >= cut for q, o in pairs if q.answers]
    flagged = [o.evidence < cut for q, o in pairs if not q.answers]
    return (
        f"At the service's COVERAGE_THRESHOLD = {cut}: {sum(kept) / len(kept):.1%} of answerable questions "
        f"covered, {sum(flagged) / len(flagged):.1%} of off-article questions flagged."
    )


def elsewhere_scores(corpus: Corpus, questions: Sequence[Question]) -> str:
    """How the `elsewhere` list does on the off-article questions (labelled after it was designed)."""
    indexes = {slug: retrieval.index_article(article) for slug, article in corpus.articles.items()}
    site = SiteIndex(corpus.manifest, corpus.language)
    first = offered = clean = 0
    wanted = [q for q in questions if not q.answers and q.elsewhere]
    unwanted = [q for q in questions if not q.answers and not q.elsewhere]
    for q in wanted + unwanted:
        found = find_elsewhere(site, indexes.get, q.text, q.article)
        targets = [item["url"].strip("/").replace("/#", "#") for item in found]
        if q.elsewhere:
            first += bool(targets) and targets[0] in q.elsewhere
            offered += any(target in q.elsewhere for target in targets)
        else:
            clean += not targets
    return (
        f"elsewhere: for the {len(wanted)} off-article questions another article answers, the first link is "
        f"right for {first} and one of the links for {offered}; for the {len(unwanted)} that no article "
        f"answers, nothing is offered for {clean}."
    )


def timing(corpus: Corpus, questions: Sequence[Question]) -> str:
    """select_context() time per question on a 50-section article made from the corpus's sections."""
    sections: list[Section] = [s for a in corpus.articles.values() for s in a.sections if s.text][:50]
    article = Article(slug="fifty", title="Fifty", description="", path="/fifty/", sections=tuple(sections))
    index = retrieval.index_article(article)
    times = []
    for question in questions:
        runs = []
        for _ in range(5):  # the fastest of five: the machine's other work is not the ranking's cost
            started = time.perf_counter()
            retrieval.select_context(index, question.asked, 3000)
            runs.append((time.perf_counter() - started) * 1000)
        times.append(min(runs))
    times.sort()
    return (
        f"select_context() on a 50-section article: median {statistics.median(times):.2f} ms, "
        f"99th percentile {times[int(len(times) * 0.99)]:.2f} ms, slowest {times[-1]:.2f} ms "
        f"over {len(times)} questions."
    )


def _misses(questions: Sequence[Question], outcomes: Sequence[Outcome]) -> None:
    for q, o in zip(questions, outcomes, strict=True):
        if q.answers and o.anchors[0] not in q.answers:
            print(
                f"  {q.article}: {q.text!r} -> {o.anchors[:3]} (want {sorted(q.answers)}) e={o.evidence:.2f}"
            )
        elif not q.answers:
            print(f"  off {q.article}: {q.text!r} e={o.evidence:.2f} -> {o.anchors[:1]}")


def main(argv: list[str] | None = None) -> int:
    """Print the table; return 0."""
    parser = argparse.ArgumentParser(prog="python -m tests.eval", description=__doc__.splitlines()[0])
    parser.add_argument("--ideas", action="store_true", help="one more row per idea turned off")
    parser.add_argument("--misses", action="store_true", help="list the questions the ranking gets wrong")
    args = parser.parse_args(argv)
    corpus, questions = load_corpus(), load_questions()
    answerable = sum(bool(q.answers) for q in questions)
    intro = sum(q.answers == {""} for q in questions)
    print(
        f"{len(questions)} questions on {len({q.article for q in questions})} articles: "
        f"{answerable} answerable ({intro} by the introduction), "
        f"{len(questions) - answerable} that the article does not answer.\n"
    )
    print(
        "| ranking | recall@1 | recall@1, introduction | recall@3 | MRR | off-article flagged at 95% kept |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    rows = [("baseline (before issue 12)", baseline_ranker(corpus)), ("current", current_ranker(corpus))]
    if args.ideas:
        rows += _ideas(corpus)
    results = {}
    for name, run in rows:
        results[name] = [run(q) for q in questions]
        print(_row(name, score(questions, results[name])))
    print()
    print(shipped_coverage(questions, results["current"]))
    print(elsewhere_scores(corpus, questions))
    print(timing(corpus, questions))
    if args.misses:
        _misses(questions, results["current"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
