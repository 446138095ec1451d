"""The ranking the chat service used before issue 12 (BM25 over heading and text, a crude suffix stemmer), kept
here unchanged so that `make eval` can show it beside the current one."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

from chat_service.export import Article

_K1, _B = 1.5, 0.75
_WORD = re.compile(r"\w+")
_STOPWORDS = frozenset(
    "a an and are as at be but by can do does for from how i in is it its me my of on or so that the their "
    "them there these they this to was what when where which who why will with you your about tell".split()
)


def _stem(word: str) -> str:
    for suffix in ("ing", "ed", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith("ss"):
            return word[: -len(suffix)]
    return word


def terms_of(text: str) -> list[str]:
    return [_stem(word) for word in _WORD.findall(text.lower()) if word not in _STOPWORDS]


class BaselineIndex:
    def __init__(self, article: Article) -> None:
        self.article = article
        self.terms = [
            dict(Counter(terms_of(s.text)) + Counter(terms_of(s.heading) * 2)) for s in article.sections
        ]
        self.lengths = [sum(counts.values()) for counts in self.terms]
        self.doc_freq = Counter(term for counts in self.terms for term in counts)
        self.avg_length = max(1.0, sum(self.lengths) / max(1, len(self.lengths)))

    def _bm25(self, position: int, query: Sequence[str]) -> float:
        count = len(self.terms)
        norm = _K1 * (1 - _B + _B * self.lengths[position] / self.avg_length)
        score = 0.0
        for term in query:
            tf = self.terms[position].get(term, 0)
            if tf:
                df = self.doc_freq[term]
                score += math.log(1 + (count - df + 0.5) / (df + 0.5)) * tf * (_K1 + 1) / (tf + norm)
        return score

    def ranked(self, questions: Sequence[str]) -> list[tuple[float, int]]:
        """(score, position), best first, for the first question (latest first) that matches."""
        for question in questions:
            query = list(dict.fromkeys(terms_of(question)))
            scored = [(self._bm25(position, query), position) for position in range(len(self.terms))]
            ranked = sorted((item for item in scored if item[0] > 0), key=lambda item: (-item[0], item[1]))
            if ranked:
                return ranked
        return []
