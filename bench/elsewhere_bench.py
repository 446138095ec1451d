"""The site-wide index behind `elsewhere` at scale: what it costs the build and the chat service.

    .venv/bin/python bench/elsewhere_bench.py [--articles 5000]

Generates articles of about 2,500 words from a Zipf-distributed vocabulary of 60,000 made-up words (real
prose has a long tail of rare words, which is what makes a word index large), then measures: the builder's
per-article words (site_builder.chat_search.article_words, cached with each article) and the merge into
shards (chat_search_files, on every build), the files' sizes, and on the service side the cost of opening
the index, the first question (shards read from disk) and later ones, and the memory the LRU holds. Reports
only: it never fails.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from chat_service.elsewhere import SiteIndex  # noqa: E402
from site_builder import chat_search  # noqa: E402
from site_builder.model import Section  # noqa: E402

SYLLABLES = (
    "ka lo mi ne ru sa te vo zi pa ber dan fel gor hul jin kes lom mur nor pel ris sun tor val wen".split()
)


def vocabulary(size: int, rng: random.Random) -> list[str]:
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))))
    return sorted(words)


def article_sections(rng: random.Random, words: list[str], weights: list[float]) -> list[Section]:
    sections = []
    for n in range(19):  # an introduction, 6 h2 and 12 h3, as bench/corpus.py
        text = " ".join(rng.choices(words, cum_weights=weights, k=130))
        sections.append(
            Section(
                heading=" ".join(rng.choices(words, cum_weights=weights, k=3)),
                anchor=f"s{n}",
                level=2,
                text=text,
            )
        )
    return sections


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=5000)
    count = parser.parse_args().articles
    rng = random.Random(7)
    words = vocabulary(60_000, rng)
    weights = list(itertools.accumulate(1 / (rank + 10) for rank in range(len(words))))  # Zipf, cumulated
    articles, generated = [], 0.0
    for n in range(count):
        sections = article_sections(rng, words, weights)
        started = time.perf_counter()
        chat_words = chat_search.article_words(sections, f"Title {n}", "")
        generated += time.perf_counter() - started
        articles.append(SimpleNamespace(slug=f"article-{n:05d}", chat_words=chat_words))
    started = time.perf_counter()
    site = SimpleNamespace(articles=articles, config=SimpleNamespace(language="en"))
    files = chat_search.chat_search_files(site)  # type: ignore[arg-type]
    merge = time.perf_counter() - started
    sizes = [len(f.data) for f in files[1:]]
    print(
        f"{count} articles: article_words {generated / count * 1000:.2f} ms per article (once per article text)"
    )
    print(
        f"merge into shards (every build): {merge:.2f} s; {len(sizes)} shards, "
        f"{sum(sizes) / 1e6:.1f} MB in all, median {statistics.median(sizes) / 1e3:.0f} kB, largest {max(sizes) / 1e3:.0f} kB; "
        f"head {len(files[0].data) / 1e3:.0f} kB"
    )
    with tempfile.TemporaryDirectory() as folder:
        manifest = Path(folder) / "chat" / "index.json"
        for file in files:
            path = manifest.parent / file.path.removeprefix("chat/")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(file.data)
        gc.collect()
        started = time.perf_counter()
        index = SiteIndex(manifest, "en")
        opened = time.perf_counter() - started
        questions = [" ".join(rng.choices(words[:5000], k=4)) for _ in range(200)]
        started = time.perf_counter()
        index.candidates(questions[0], exclude="")
        first = time.perf_counter() - started
        times = []
        for question in questions[1:]:
            started = time.perf_counter()
            index.candidates(question, exclude="")
            times.append((time.perf_counter() - started) * 1000)
        # Memory in a second pass: tracemalloc slows every allocation, so it stays out of the timings.
        tracemalloc.start()
        index = SiteIndex(manifest, "en")
        for question in questions:
            index.candidates(question, exclude="")
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    print(
        f"service: open {opened * 1000:.2f} ms (reads nothing); first question {first * 1000:.0f} ms; "
        f"then median {statistics.median(times):.1f} ms, slowest {max(times):.0f} ms "
        f"({len(questions)} questions of 4 words, {index._kept} shards kept); peak memory {peak / 1e6:.0f} MB"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
