"""`elsewhere`: other articles that cover what the current one does not, from the build's site-wide index."""

import textwrap
from pathlib import Path

import httpx
import pytest

from chat_service.elsewhere import SiteIndex, find_elsewhere
from chat_service.export import load_export
from chat_service.retrieval import index_article
from site_builder.build import build
from tests.chat_service.support import question, read_stream

ARTICLES = {
    "install.md": """\
        ---
        title: Installing Lumen
        description: Install the Lumen photo server on Linux or with Docker.
        ---
        Lumen is a photo server. This guide installs it.

        ## Docker

        Run the official container image with docker run and mount your photo folders read-only.

        ## Linux packages

        On Debian and Ubuntu, install the lumen package with apt.
        """,
    "configuration.md": """\
        ---
        title: Configuration reference
        description: Every setting of the Lumen server.
        ---
        Lumen reads its settings from lumen.toml.

        ## Authentication

        Users can turn on two-factor authentication with an authenticator app; an administrator can
        require two-factor authentication for everyone.

        ## Logging

        Logs go to standard error, as text or as JSON.
        """,
    "faq.md": """\
        ---
        title: Frequently asked questions
        ---
        Short answers.

        ## Is Lumen free?

        Yes, Lumen is free software.
        """,
}


def build_site(folder: Path, names=ARTICLES, base_url: str = "https://example.org/docs/") -> Path:
    """Build the ``names`` of ARTICLES into folder/dist; return the chat manifest's path."""
    content = folder / "content"
    content.mkdir(exist_ok=True)
    (content / "site.toml").write_text(f'title = "Lumen docs"\nbase_url = "{base_url}"\n')
    for name in names:
        (content / name).write_text(textwrap.dedent(ARTICLES[name]))
    build(content, folder / "dist", search=False)
    return folder / "dist" / "chat" / "index.json"


@pytest.fixture(scope="module")
def manifest(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_site(tmp_path_factory.mktemp("elsewhere"))


def indexes(manifest: Path):
    export = load_export(manifest)
    return {slug: index_article(article) for slug, article in export.articles.items()}


def test_finds_the_section_of_another_article_that_covers_the_question(manifest: Path):
    site = SiteIndex(manifest, "en")
    found = find_elsewhere(
        site, indexes(manifest).get, "How do I enable two-factor authentication?", "install"
    )
    assert found == [
        {
            "title": "Configuration reference",
            "url": "/docs/configuration/#authentication",
            "heading": "Authentication",
        }
    ]


def test_never_offers_the_article_being_read(manifest: Path):
    site = SiteIndex(manifest, "en")
    assert "configuration" not in site.candidates("two-factor authentication", exclude="configuration")
    found = find_elsewhere(site, indexes(manifest).get, "two-factor authentication", "configuration")
    assert found == []


def test_offers_nothing_when_no_article_covers_it(manifest: Path):
    site = SiteIndex(manifest, "en")
    assert find_elsewhere(site, indexes(manifest).get, "How do I bake sourdough bread?", "install") == []


def test_stems_the_shard_words_in_the_site_language(manifest: Path):
    site = SiteIndex(manifest, "en")
    assert site.candidates("installation guides", exclude="faq")[0] == "install"


def test_loads_nothing_before_the_first_question_and_keeps_few_shards(manifest: Path, tmp_path: Path):
    missing = SiteIndex(tmp_path / "chat" / "index.json", "en")  # no index there: no error until asked
    assert missing.candidates("docker", exclude="") == []
    site = SiteIndex(manifest, "en", shards_kept=1)
    assert site._head is None and not site._shards
    site.candidates("docker two-factor logging", exclude="")
    assert len(site._shards) <= 1


def test_answers_on_the_spot_only_what_needs_no_file(manifest: Path, tmp_path: Path):
    site = SiteIndex(manifest, "en", shards_kept=1)
    assert site.candidates_in_memory("authentication", "install") is None  # the head and shard are on disk
    read = site.candidates("authentication", "install")
    assert read and site.candidates_in_memory("authentication", "install") == read  # now kept
    site._shards.clear()  # as when the LRU has dropped its shard for others
    assert site.candidates_in_memory("authentication", "install") is None
    assert site.candidates("authentication", "install") == read
    with site._lock:  # another question is reading: don't wait for it on the event loop
        assert site.candidates_in_memory("authentication", "install") is None
    missing = SiteIndex(tmp_path / "chat" / "index.json", "en")
    missing.candidates("docker", exclude="")
    assert missing.candidates_in_memory("docker", "") == []  # nothing to read: none to wait for


def test_chat_streams_elsewhere_when_the_article_does_not_cover_it(start_chat, manifest: Path):
    with httpx.Client(base_url=start_chat(CHAT_INDEX=str(manifest)), timeout=10, trust_env=False) as client:
        _, events = read_stream(
            client, question("How do I turn on two-factor authentication?", article="install")
        )
        meta = events[0][1]
        assert meta["covered"] is False and meta["sources"] == []
        assert meta["elsewhere"] == [
            {
                "title": "Configuration reference",
                "url": "/docs/configuration/#authentication",
                "heading": "Authentication",
            }
        ]
        _, events = read_stream(client, question("How do I run it with docker?", article="install"))
        assert events[0][1]["covered"] is True and "elsewhere" not in events[0][1]


def test_a_rebuild_is_picked_up_without_a_restart(start_chat, tmp_path: Path):
    manifest = build_site(tmp_path, ("install.md", "faq.md"), base_url="https://example.org/")
    content = tmp_path / "content"
    body = question("How do I turn on two-factor authentication?", article="install")
    with httpx.Client(
        base_url=start_chat(CHAT_INDEX=str(manifest), CHAT_INDEX_CHECK_SECONDS="0"),
        timeout=10,
        trust_env=False,
    ) as client:
        assert read_stream(client, body)[1][0][1]["elsewhere"] == []
        (content / "configuration.md").write_text(textwrap.dedent(ARTICLES["configuration.md"]))
        build(content, tmp_path / "dist", search=False)
        elsewhere = read_stream(client, body)[1][0][1]["elsewhere"]
    assert [item["url"] for item in elsewhere] == ["/configuration/#authentication"]


def test_a_broken_site_wide_index_offers_nothing_and_the_answer_goes_on(start_chat, tmp_path: Path):
    manifest = build_site(tmp_path)
    (manifest.parent / "_search" / "index.json").write_text("[]")  # JSON, but not the head
    with httpx.Client(base_url=start_chat(CHAT_INDEX=str(manifest)), timeout=10, trust_env=False) as client:
        response, events = read_stream(
            client, question("How do I turn on two-factor authentication?", article="install")
        )
    assert response.status_code == 200
    assert events[0][1]["covered"] is False and events[0][1]["elsewhere"] == []
    assert events[-1][0] == "done"
