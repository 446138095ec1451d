"""Other articles that answer a question the current one does not: the `elsewhere` list of the meta event.

`SiteIndex` reads the build's site-wide term index (`chat/_search/`, docs/contracts.md) lazily: its small
head on first use, then only the shards a question's terms fall in, kept in a small LRU, so start-up costs
nothing and memory stays bounded however large the site. The best candidate
articles are then ranked section by section like the article being read (ranking.py), and only a section
that would count as covering the question is offered.
"""

from __future__ import annotations

import json
import logging
import math
import threading
import zlib
from collections import OrderedDict
from collections.abc import Callable, Mapping
from pathlib import Path

from chat_service.ranking import ArticleIndex, rank
from chat_service.retrieval import is_covered
from chat_service.terms import analyzer

log = logging.getLogger("chat_service.elsewhere")

FOLDER, FORMAT, VERSION = "_search", "folio-chat-search", 1
MAX_ELSEWHERE, CANDIDATES, SHARDS_KEPT = 3, 6, 16
# Stricter than covering (retrieval.COVERAGE_THRESHOLD): a link to another page is a claim that it answers.
# Chosen by reading the suggestions for all the evaluation set's off-article questions.
ELSEWHERE_EVIDENCE = 0.41

Shard = dict[str, list[int]]  # term -> [article number, weight, article number, weight, ...]


class SiteIndex:
    """The site-wide word index beside a chat manifest, loaded shard by shard on demand. Thread-safe."""

    def __init__(
        self,
        manifest: Path | str,
        language: str,
        *,
        shards_kept: int = SHARDS_KEPT,
        read: Callable[[str], bytes] | None = None,
    ) -> None:
        """`read(name)` gives a file of the index folder (`index.json`, `0.json`, ...) or raises OSError;
        by default it reads the folder beside the manifest at the path `manifest`."""
        self.folder = (
            f"{manifest.rsplit('/', 1)[0]}/{FOLDER}"
            if isinstance(manifest, str)
            else manifest.parent / FOLDER
        )
        self._read = read or (lambda name: (Path(self.folder) / name).read_bytes())
        self._words = analyzer(language)
        self._kept = shards_kept
        self._lock = threading.Lock()
        self._head: tuple[int, tuple[str, ...]] | None = None
        self._shards: OrderedDict[int, Shard] = OrderedDict()
        self._failed = False  # until a new SiteIndex (the next manifest): one log line, not one per question

    def candidates(self, question: str, exclude: str, limit: int = CANDIDATES) -> list[str]:
        """Slugs of the articles (other than `exclude`) that share the question's rarest words, best first."""
        terms = list(dict.fromkeys(self._words.terms(question)))
        with self._lock:
            return self._candidates(terms, exclude, limit)

    def candidates_in_memory(self, question: str, exclude: str, limit: int = CANDIDATES) -> list[str] | None:
        """candidates() when it can answer without reading a file or waiting for another reader, else None.

        Reading takes a worker thread; a question whose shards are all kept (or a site without an index)
        is answered on the spot, without the thread hop (a tenth of a short answer's CPU).
        """
        terms = list(dict.fromkeys(self._words.terms(question)))
        if not self._lock.acquire(blocking=False):
            return None
        try:
            if self._head is None:
                return [] if self._failed else None
            count = self._head[0]
            if any(zlib.crc32(term.encode()) % count not in self._shards for term in terms):
                return None
            return self._candidates(terms, exclude, limit)
        finally:
            self._lock.release()

    def _candidates(self, terms: list[str], exclude: str, limit: int) -> list[str]:
        head = self._load_head()
        if head is None:
            return []
        count, slugs = head
        scores: dict[int, float] = {}
        for term in terms:
            postings = self._shard(count, term).get(term, [])
            df = len(postings) // 2
            idf = math.log(1 + (len(slugs) - df + 0.5) / (df + 0.5))
            for number, weight in zip(postings[0::2], postings[1::2], strict=True):
                scores[number] = scores.get(number, 0.0) + idf * weight / (weight + 1.0)
        ranked = sorted(scores, key=lambda number: (-scores[number], number))
        # A shard newer than the head (a build rewriting the index) may name articles the head lacks.
        known = [slugs[number] for number in ranked if number < len(slugs)]
        return [slug for slug in known if slug != exclude][:limit]

    def _load_head(self) -> tuple[int, tuple[str, ...]] | None:
        if self._head is None and not self._failed:
            try:
                data = json.loads(self._read("index.json"))
                if data.get("format") != FORMAT or data.get("version") != VERSION:
                    raise ValueError(f"not a {FORMAT} version {VERSION} index")
                if data.get("stemmer") != self._words.algorithm:
                    raise ValueError(f"stemmed with {data.get('stemmer')}, not {self._words.algorithm}")
                self._head = (int(data["shards"]), tuple(str(slug) for slug in data["articles"]))
            except (OSError, ValueError, KeyError, TypeError) as error:
                self._failed = True
                log.warning("no site-wide index in %s (rebuild the site): %s", self.folder, error)
        return self._head

    def _shard(self, count: int, term: str) -> Shard:
        number = zlib.crc32(term.encode()) % count
        shard = self._shards.get(number)
        if shard is None:
            shard = self._read_shard(number)
            self._shards[number] = shard
            while len(self._shards) > self._kept:
                self._shards.popitem(last=False)
        self._shards.move_to_end(number)
        return shard

    def _read_shard(self, number: int) -> Shard:
        try:
            data = json.loads(self._read(f"{number}.json"))
        except (OSError, ValueError) as error:
            log.warning("cannot read shard %d of the site-wide index: %s", number, error)
            return {}
        return data if isinstance(data, dict) else {}


def find_elsewhere(
    site: SiteIndex, get: Callable[[str], ArticleIndex | None], question: str, current: str
) -> list[dict[str, str]]:
    """Up to three sections of other articles that cover the question: `{"title", "url", "heading"}`."""
    candidates = site.candidates(question, exclude=current)
    return rank_elsewhere({slug: get(slug) for slug in candidates}, question)


def rank_elsewhere(candidates: Mapping[str, ArticleIndex | None], question: str) -> list[dict[str, str]]:
    """Of the candidate articles (slug -> prepared article, None when unavailable), up to three sections that
    cover the question, best first."""
    found = []
    for index in candidates.values():
        if index is None:
            continue  # listed by an older index than the export being served, or unreadable now
        ranking = rank(index, [question])
        if ranking.scored and is_covered(ranking) and ranking.evidence >= ELSEWHERE_EVIDENCE:
            article = index.article
            section = article.sections[ranking.scored[0][1]]
            found.append(
                (
                    ranking.evidence,
                    {"title": article.title, "url": article.url(section), "heading": section.heading},
                )
            )
    found.sort(key=lambda item: -item[0])
    return [item for _, item in found[:MAX_ELSEWHERE]]
