"""A deterministic generator of encyclopedia-style articles for the benchmarks.

Each article has about 2,500 words: front matter with tags, h2/h3 sections, lists, a code block, a table,
footnotes and links to other articles. The same ``count`` and ``seed`` always give the same files.
"""

from __future__ import annotations

import random
from pathlib import Path

WORDS = (
    "festival harvest lantern ritual community season calendar procession market music dance feast "
    "tradition ancestor village temple river mountain city region empire trade craft textile pottery "
    "printing press typography manuscript archive library scholar history society economy culture "
    "language poetry theatre mask costume drum song candle light fire water spring autumn winter summer "
    "moon sun star night morning family children elder guest host gift offering bread rice wine tea "
    "street square parade bridge harbour ship caravan road pilgrim shrine garden orchard field vineyard"
).split()
TAGS = ("culture", "history", "festivals", "food", "music", "religion", "trade", "craft", "seasons", "cities",
        "language", "art", "science", "travel", "nature", "society")
CATEGORIES = ("Culture", "History", "Society", "Science")


def sentence(rng: random.Random, low: int = 8, high: int = 20) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(low, high))]
    return words[0].capitalize() + " " + " ".join(words[1:]) + "."


def paragraph(rng: random.Random, sentences: int = 5) -> str:
    return " ".join(sentence(rng) for _ in range(sentences))


def article(index: int, count: int, rng: random.Random) -> str:
    """One article's markdown text."""
    tags = rng.sample(TAGS, 3)
    others = [rng.randrange(count) for _ in range(3)]
    lines = [
        "---",
        f"title: {' '.join(w.capitalize() for w in rng.sample(WORDS, 3))} {index}",
        f"description: {sentence(rng, 8, 14)}",
        f"date: 20{rng.randint(20, 26)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        f"tags: [{', '.join(tags)}]",
        f"category: {rng.choice(CATEGORIES)}",
        f"authors: [Author {rng.randint(1, 40)}]",
        f"see_also: [article-{others[0]:05d}]",
        "---",
        "",
        paragraph(rng, 6),
        "",
    ]
    footnote = 0
    for section in range(6):
        lines += [f"## {' '.join(rng.sample(WORDS, 2)).capitalize()} {section}", "", paragraph(rng, 6), ""]
        for sub in range(2):
            footnote += 1
            lines += [
                f"### {' '.join(rng.sample(WORDS, 3)).capitalize()} {section}.{sub}",
                "",
                paragraph(rng, 5) + f"[^{footnote}] See [a related article](article-{others[sub]:05d}.md).",
                "",
            ]
        lines += [f"- {sentence(rng, 5, 10)}" for _ in range(4)] + [""]
        if section == 2:
            lines += ["```python", "def celebrate(day):", "    return [g for g in day.guests if g.invited]", "```", ""]
        if section == 4:
            lines += ["| region | season | dish |", "|---|---|---|"]
            lines += [f"| {rng.choice(WORDS)} | {rng.choice(WORDS)} | {rng.choice(WORDS)} |" for _ in range(5)] + [""]
    lines += [f"[^{n}]: {sentence(rng, 6, 10)} Press, {rng.randint(1900, 2025)}." for n in range(1, footnote + 1)]
    return "\n".join(lines) + "\n"


def generate(target: Path, count: int, seed: int = 7) -> Path:
    """Write ``count`` articles and a site.toml under ``target`` (a content folder) and return it."""
    rng = random.Random(seed)
    target.mkdir(parents=True, exist_ok=True)
    (target / "site.toml").write_text('title = "Bench"\nbase_url = "https://example.org/"\n')
    for index in range(count):
        path = target / f"article-{index:05d}.md"
        text = article(index, count, rng)
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
    return target


if __name__ == "__main__":
    import sys

    out = generate(Path(sys.argv[1]), int(sys.argv[2]))
    print(f"wrote {sys.argv[2]} articles to {out}")
