"""The chat service's site-wide term index, chat/_search/ (docs/contracts.md)."""

import json
import zlib
from pathlib import Path

from site_builder import chat_search

INSTALL = """\
---
title: Installing Lumen
description: Install the photo server.
---
Intro.

## Docker

Run the container with docker run.
"""
CONFIG = """\
---
title: Configuration
---
Settings.

## Authentication

Turn on two-factor authentication for every user.
"""


def shards(out: Path) -> tuple[dict, list[dict]]:
    head = json.loads((out / "chat" / "_search" / "index.json").read_text())
    files = [json.loads((out / "chat" / "_search" / f"{n}.json").read_text()) for n in range(head["shards"])]
    return head, files


def test_every_term_is_in_the_shard_its_hash_names(built):
    out, _ = built({"install.md": INSTALL, "config.md": CONFIG})
    head, files = shards(out)
    assert (head["format"], head["version"]) == ("folio-chat-search", 1)
    assert sorted(head["articles"]) == ["config", "install"]
    install, config = head["articles"].index("install"), head["articles"].index("config")
    for n, shard in enumerate(files):
        for word in shard:
            assert zlib.crc32(word.encode()) % head["shards"] == n
    merged = {word: postings for shard in files for word, postings in shard.items()}
    assert merged["docker"] == [install, 2 + 1]  # the heading counts 2, each use in the text 1
    # Terms are Snowball stems: the title's "Installing" counts 3, the description's "Install" 2.
    assert merged["instal"] == [install, 3 + 2]
    assert merged["authent"] == [config, 2 + 1]
    assert head["stemmer"] == "en"
    assert "a" not in merged  # one-letter words tell nothing


def test_words_in_most_articles_of_a_large_site_are_left_out(built):
    files = {f"a{n}.md": f"# Article {n}\n\nThe common word, and rare{n}.\n" for n in range(24)}
    out, _ = built(files)
    _, shard_files = shards(out)
    merged = {word for shard in shard_files for word in shard}
    assert "rare7" in merged and "common" not in merged and "the" not in merged


def test_the_shard_count_grows_with_the_site(built, monkeypatch):
    monkeypatch.setattr(chat_search, "POSTINGS_PER_SHARD", 3)
    out, _ = built({"install.md": INSTALL, "config.md": CONFIG})
    head, files = shards(out)
    assert head["shards"] >= 4 and all(len(shard) < sum(map(len, files)) for shard in files)


def test_a_build_that_changes_nothing_keeps_the_last_index(tmp_path, site, monkeypatch):
    from site_builder.build import build
    from site_builder.cache import BuildCache

    content = site({"install.md": INSTALL, "config.md": CONFIG})
    cache, out = BuildCache(), tmp_path / "dist"
    build(content, out, cache=cache, in_place=True)
    made = chat_search.chat_search_files
    calls = []
    monkeypatch.setattr(chat_search, "chat_search_files", lambda site: calls.append(site) or made(site))
    again = build(content, out, cache=cache, in_place=True)
    assert calls == []  # the last index is kept, not made again (an identical one would touch nothing either)
    assert not [path for path in again.touched if path.startswith("chat/")]
    (content / "config.md").write_text(CONFIG.replace("every user", "every user and every admin"))
    edited = build(content, out, cache=cache, in_place=True)
    assert any(path.startswith("chat/_search/") for path in edited.touched)
    _, files = shards(out)
    assert any("admin" in shard for shard in files)
