"""The chat service's site-wide word index: which articles use which words (see docs/contracts.md).

The service answers "this article may not cover that; these pages might" from it. It is sharded by the first
three letters of each word, so the service loads only the few shards a question needs. Words are lower-cased
and not stemmed: the service stems them in the site's language when it loads a shard, and a word and its stem
share their first three letters, so both land in the same shard.
"""

from __future__ import annotations

import json
import re
import zlib
from collections import Counter
from collections.abc import Sequence

from .model import OutputFile, Section, Site

FOLDER = "chat/_search"  # "_": no article's file can be there (content/_*/ is never read)
FORMAT, VERSION = "folio-chat-search", 1
POSTINGS_PER_SHARD = 20_000
_WORD = re.compile(r"[^\W_]+")
# Words in more than this share of a large site's articles ("the", "and") tell articles apart no better than
# no word at all; leaving them out keeps the shards small.
COMMON_SHARE, COMMON_MIN_ARTICLES = 0.25, 20


def article_words(sections: Sequence[Section], title: str, description: str) -> str:
    """An article's words with their weights, as ``word weight`` pairs: title words count 3, description and
    heading words 2 each time, body words 1 each time. Computed once per article text (cached with it)."""
    counts: Counter[str] = Counter()
    for weight, text in ((3, title), (2, description), *((2, s.heading) for s in sections)):
        for word in _WORD.findall(text.lower()):
            counts[word] += weight
    for section in sections:
        counts.update(_WORD.findall(section.text.lower()))
    return " ".join(f"{word} {count}" for word, count in sorted(counts.items()) if len(word) > 1)


def shard_of(word: str, shards: int) -> int:
    """The shard that holds a word: CRC-32 of its first three characters (UTF-8), modulo the shard count."""
    return zlib.crc32(word[:3].encode()) % shards


def _parse(words: str) -> list[tuple[str, int]]:
    parts = words.split(" ")
    return [(parts[i], int(parts[i + 1])) for i in range(0, len(parts) - 1, 2)]


def chat_search_files(site: Site) -> list[OutputFile]:
    """``chat/_search/index.json`` (the shard count and the articles, numbered) and one file per shard."""
    per_article = [_parse(article.chat_words) for article in site.articles]
    doc_freq = Counter(word for words in per_article for word, _ in words)
    common = len(per_article) * COMMON_SHARE if len(per_article) >= COMMON_MIN_ARTICLES else float("inf")
    total = sum(freq for freq in doc_freq.values() if freq <= common)
    shards = 1
    while shards < 1024 and total / shards > POSTINGS_PER_SHARD:
        shards *= 2
    postings: list[dict[str, list[list[int]]]] = [{} for _ in range(shards)]
    for number, words in enumerate(per_article):
        for word, weight in words:
            if doc_freq[word] <= common:
                postings[shard_of(word, shards)].setdefault(word, []).append([number, weight])
    head = {
        "format": FORMAT,
        "version": VERSION,
        "shards": shards,
        "articles": [article.slug for article in site.articles],
    }
    files = [OutputFile(path=f"{FOLDER}/index.json", data=_dumps(head))]
    files += [OutputFile(path=f"{FOLDER}/{n}.json", data=_dumps(shard)) for n, shard in enumerate(postings)]
    return files


def _dumps(data: object) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
