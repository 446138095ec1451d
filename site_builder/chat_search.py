"""The chat service's site-wide term index: which articles use which words (see docs/contracts.md).

The service answers "this article may not cover that; these pages might" from it. Terms are the lower-cased
words (letters and digits) stemmed by Snowball for the site's language, exactly as the service stems a
question; the index is sharded by a hash of the term, so the service loads only the few shards a question
needs. The only PyStemmer user of site_builder.
"""

from __future__ import annotations

import json
import re
import zlib
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache

import Stemmer

from .model import OutputFile, Section, Site

FOLDER = "chat/_search"  # "_": no article's file can be there (content/_*/ is never read)
FORMAT, VERSION = "folio-chat-search", 1
POSTINGS_PER_SHARD = 20_000
# A long article keeps its heaviest words: enough to be found, and the index stays small.
TERMS_PER_ARTICLE = 250
_WORD = re.compile(r"[^\W_]+")
# Words in more than this share of a large site's articles ("the", "and") tell articles apart no better than
# no word at all; leaving them out keeps the shards small.
COMMON_SHARE, COMMON_MIN_ARTICLES = 0.25, 20


@lru_cache(maxsize=8)
def stemmer_name(language: str) -> str | None:
    """The Snowball algorithm for a site language: the full code, else its primary subtag; None if neither."""
    for name in dict.fromkeys((language.lower(), language.split("-")[0].split("_")[0].lower())):
        try:
            Stemmer.Stemmer(name)
        except KeyError:
            continue
        return name
    return None


def _stem(words: list[str], language: str) -> list[str]:
    name = stemmer_name(language)
    return Stemmer.Stemmer(name).stemWords(words) if name else words


def article_words(sections: Sequence[Section], title: str, description: str) -> str:
    """An article's words with their weights, as ``word weight`` pairs: a title word counts 3, description and
    heading words 2 each time, body words 1 each time; a long article keeps its heaviest words. Computed once
    per article text (cached with it); stemmed when the index is built, in the site's language."""
    counts: Counter[str] = Counter()
    for weight, text in ((3, title), (2, description), *((2, s.heading) for s in sections)):
        for word in _WORD.findall(text.lower()):
            counts[word] += weight
    for section in sections:
        counts.update(_WORD.findall(section.text.lower()))
    for word in [word for word in counts if len(word) < 2]:
        del counts[word]
    return " ".join(f"{word} {count}" for word, count in sorted(counts.most_common(TERMS_PER_ARTICLE)))


def shard_of(term: str, shards: int) -> int:
    """The shard that holds a term: CRC-32 of its UTF-8 bytes, modulo the shard count."""
    return zlib.crc32(term.encode()) % shards


def _postings(site: Site) -> dict[str, list[list[int]]]:
    """term -> [[article number, weight], ...] in article order; every distinct word is stemmed once."""
    split = [article.chat_words.split(" ") if article.chat_words else [] for article in site.articles]
    vocabulary = list(set().union(*(parts[0::2] for parts in split)))
    stems = dict(zip(vocabulary, _stem(vocabulary, site.config.language), strict=True))
    postings: dict[str, list[list[int]]] = {}
    for number, parts in enumerate(split):
        for word, weight in zip(parts[0::2], map(int, parts[1::2]), strict=True):
            entry = postings.get(stems[word])
            if entry is None:
                postings[stems[word]] = [[number, weight]]
            elif entry[-1][0] == number:  # two words of this article with one stem ("install", "installs")
                entry[-1][1] += weight
            else:
                entry.append([number, weight])
    return postings


def chat_search_files(site: Site) -> list[OutputFile]:
    """``chat/_search/index.json`` (the shard count and the articles, numbered) and one file per shard."""
    count = len(site.articles)
    common = count * COMMON_SHARE if count >= COMMON_MIN_ARTICLES else float("inf")
    postings = {term: entry for term, entry in _postings(site).items() if len(entry) <= common}
    total = sum(len(entry) for entry in postings.values())
    shards = 1
    while shards < 1024 and total / shards > POSTINGS_PER_SHARD:
        shards *= 2
    parts: list[dict[str, list[list[int]]]] = [{} for _ in range(shards)]
    for term in sorted(postings):
        parts[shard_of(term, shards)][term] = postings[term]
    head = {
        "format": FORMAT,
        "version": VERSION,
        "stemmer": stemmer_name(site.config.language),
        "shards": shards,
        "articles": [article.slug for article in site.articles],
    }
    files = [OutputFile(path=f"{FOLDER}/index.json", data=_dumps(head))]
    files += [OutputFile(path=f"{FOLDER}/{n}.json", data=_dumps(part)) for n, part in enumerate(parts)]
    return files


def _dumps(data: object) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
