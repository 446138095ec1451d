import json
import os
from pathlib import Path

import anyio
import pytest

from chat_service.errors import ExportError
from chat_service.export import ExportStore, load_export
from chat_service.retrieval import index_article
from chat_service.sources import LocalExport
from tests.chat_service.support import sample_export, write_export, write_json


class Clock:
    now = 0.0

    def __call__(self) -> float:
        return self.now


def touch(path: Path) -> None:
    os.utime(path, ns=(0, os.stat(path).st_mtime_ns + 10**9))


def test_reads_the_manifest_and_the_article_files(export_path: Path):
    export = load_export(export_path)
    assert (export.site_title, export.language) == ("Folio", "en")
    assert sorted(export.articles) == ["celebration", "guides/writing-articles"]
    guide = export.articles["guides/writing-articles"]
    assert guide.url(guide.sections[0]) == "/blog/guides/writing-articles/#"
    assert (export_path.parent / "guides" / "writing-articles.json").is_file()


def test_reads_what_the_builder_writes(tmp_path: Path):
    from site_builder.build import build

    content = tmp_path / "content"
    (content / "guides").mkdir(parents=True)
    # content/index.md would be the home page's text: an article slugged "index" gets the manifest's name
    (content / "a.md").write_text("---\nslug: index\n---\n# Welcome\n\nThe front page.\n\n## More\n\nText.")
    (content / "guides" / "one.md").write_text("# One\n\nFirst guide.")
    build(content, tmp_path / "dist")
    export = load_export(tmp_path / "dist" / "chat" / "index.json")
    assert sorted(export.articles) == ["guides/one", "index"]
    assert [s.heading for s in export.articles["index"].sections] == ["Welcome", "More"]


@pytest.mark.parametrize(
    ("export", "message"),
    [
        (sample_export(format="other"), "not a chat export: 'format' must be 'folio-chat-export'"),
        (sample_export(version=3), "chat export version 3 is not supported (this service reads 2)"),
        (sample_export(articles={}), "export.articles is missing or not a list"),
    ],
)
def test_rejects_a_manifest_it_cannot_read(tmp_path: Path, export, message):
    path = write_json(tmp_path / "index.json", export)
    with pytest.raises(ExportError) as caught:
        load_export(path)
    assert caught.value.message == message
    assert str(caught.value).startswith(f"{path}: {message}")


def test_refuses_version_1_saying_to_rebuild(tmp_path: Path):
    path = write_json(tmp_path / "chat-export.json", {**sample_export(), "version": 1})
    with pytest.raises(ExportError) as caught:
        load_export(path)
    assert "this is a version 1 chat export" in caught.value.message
    assert caught.value.hint == "rebuild the site (make build) and set CHAT_INDEX to dist/chat/index.json"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"sections": "x"}, "article.sections is missing or not a list"),
        ({"sections": [{"heading": "A"}]}, "article.sections[0].anchor is missing or not a str"),
        ({"sections": []}, "article.sections is empty"),
        ({"slug": "other"}, "the file is article 'other', not 'celebration'"),
        ({"format": "folio-chat-export"}, "not a chat export: 'format' must be 'folio-chat-article'"),
    ],
)
def test_rejects_an_article_file_it_cannot_read(export_path: Path, change, message):
    article_path = export_path.parent / "celebration.json"
    write_json(article_path, {**json.loads(article_path.read_text()), **change})
    with pytest.raises(ExportError) as caught:
        load_export(export_path)
    assert (caught.value.path, caught.value.message) == (str(article_path), message)


def test_a_file_outside_the_export_is_refused(tmp_path: Path):
    manifest = sample_export(
        articles=[{"slug": "a", "title": "A", "path": "/a/", "file": "../a.json", "digest": "1"}]
    )
    path = write_json(tmp_path / "index.json", manifest)
    with pytest.raises(ExportError, match="must be a path inside the export's folder"):
        load_export(path)


def test_missing_file_says_how_to_fix_it(tmp_path: Path):
    with pytest.raises(ExportError) as caught:
        load_export(tmp_path / "nope.json")
    assert caught.value.message == "the chat export does not exist"
    assert caught.value.hint == "run `make build` first, or set CHAT_INDEX"


def test_invalid_json(tmp_path: Path):
    path = tmp_path / "index.json"
    path.write_text("{", encoding="utf-8")
    with pytest.raises(ExportError, match="not valid JSON"):
        load_export(path)


def store_for(path: Path, clock=None, prepare=index_article, **options) -> ExportStore:
    options.setdefault("check_interval", 0.0)
    return ExportStore(LocalExport(path), prepare=prepare, clock=clock or Clock(), **options)


def loaded(path: Path, **options) -> ExportStore:
    store = store_for(path, **options)
    anyio.run(store.load)
    return store


def get(store: ExportStore, slug: str):
    return anyio.run(store.get, slug)


def refresh(store: ExportStore) -> bool:
    return anyio.run(store.refresh)


class Counting:
    """A prepare function that records which articles it was given."""

    def __init__(self) -> None:
        self.slugs: list[str] = []

    def __call__(self, article):
        self.slugs.append(article.slug)
        return index_article(article)


def test_start_up_reads_only_the_manifest(export_path: Path):
    (export_path.parent / "celebration.json").unlink()
    prepare = Counting()
    store = loaded(export_path, prepare=prepare)
    assert prepare.slugs == []
    assert store.health()["articles"] == 2 and store.health()["cached"] == 0
    assert get(store, "guides/writing-articles").article.title == "Writing articles"
    assert prepare.slugs == ["guides/writing-articles"]
    assert get(store, "nope") is None


def test_store_refuses_version_1_and_other_formats(tmp_path: Path):
    path = write_json(tmp_path / "index.json", {**sample_export(), "version": 1})
    with pytest.raises(ExportError, match="version 1 chat export"):
        loaded(path)
    write_json(path, {"format": "something"})
    with pytest.raises(ExportError, match="not a chat export"):
        loaded(path)
    with pytest.raises(ExportError, match="does not exist"):
        loaded(tmp_path / "missing.json")


def test_store_looks_at_the_manifest_once_per_interval(export_path: Path):
    clock = Clock()
    store = loaded(export_path, clock=clock, check_interval=1.0)
    assert not store.due()
    clock.now += 1.0
    assert store.due() and not store.due()
    write_export(export_path, sample_export(site={"title": "Renamed"}))
    touch(export_path)
    assert refresh(store) and store.manifest.site_title == "Renamed"
    assert not refresh(store)  # unchanged since


def test_a_changed_manifest_reloads_only_the_articles_whose_digest_changed(export_path: Path):
    prepare = Counting()
    store = loaded(export_path, prepare=prepare)
    get(store, "celebration"), get(store, "guides/writing-articles")
    export = sample_export()
    export["articles"][0]["title"] = "Celebrations"
    write_export(export_path, export)
    touch(export_path)
    prepare.slugs.clear()
    assert refresh(store)
    assert get(store, "celebration").article.title == "Celebrations"
    assert get(store, "guides/writing-articles") is not None
    assert prepare.slugs == ["celebration"]


def test_the_most_recently_used_articles_are_kept(export_path: Path):
    prepare = Counting()
    store = loaded(export_path, prepare=prepare, cache_size=1)
    get(store, "celebration"), get(store, "celebration"), get(store, "guides/writing-articles")
    assert store.health()["cached"] == 1
    get(store, "celebration")
    assert prepare.slugs == ["celebration", "guides/writing-articles", "celebration"]


def test_a_broken_manifest_entry_is_skipped_and_the_rest_served(export_path: Path, caplog):
    manifest = json.loads(export_path.read_text())
    del manifest["articles"][0]["digest"]
    manifest["articles"].append({"title": "No slug"})
    write_json(export_path, manifest)
    store = loaded(export_path)
    assert store.health()["skipped"] == 2 and store.health()["articles"] == 1
    assert get(store, "guides/writing-articles") is not None
    with pytest.raises(ExportError, match=r"articles\[0\]\.digest is missing or not a str"):
        get(store, "celebration")
    touch(export_path)
    refresh(store)
    logged = [r.getMessage() for r in caplog.records if r.getMessage().startswith("skipped article")]
    assert logged == [
        "skipped article 'celebration': articles[0].digest is missing or not a str",
        "skipped article 'articles[2]': articles[2].slug is missing or not a str",
    ]


def test_a_broken_article_file_is_skipped_until_its_digest_changes(export_path: Path, caplog):
    article_path = export_path.parent / "celebration.json"
    good = article_path.read_text()
    write_json(article_path, {**json.loads(good), "sections": []})
    store = loaded(export_path)
    for _ in range(2):
        with pytest.raises(ExportError) as caught:
            get(store, "celebration")
        assert caught.value.message == "article.sections is empty" and not caught.value.transient
    assert store.health()["skipped"] == 1
    assert [r.getMessage() for r in caplog.records if "skipped" in r.getMessage()] == [
        f"skipped article 'celebration': {article_path}: article.sections is empty"
    ]
    export = sample_export()
    export["articles"][0]["title"] = "Celebrations"
    write_export(export_path, export)  # a rebuild: a new file and a new digest
    touch(export_path)
    refresh(store)
    assert get(store, "celebration").article.title == "Celebrations"
    assert store.health()["skipped"] == 0


def test_a_missing_article_file_is_tried_again(export_path: Path):
    article_path = export_path.parent / "celebration.json"
    good = article_path.read_bytes()
    article_path.unlink()
    store = loaded(export_path)
    with pytest.raises(ExportError) as caught:
        get(store, "celebration")
    assert caught.value.transient and caught.value.message == "the article's file does not exist"
    article_path.write_bytes(good)
    assert get(store, "celebration") is not None


def test_store_keeps_the_last_good_manifest(export_path: Path):
    store = loaded(export_path)
    export_path.write_text("{ half written", encoding="utf-8")
    assert not refresh(store)
    assert store.health()["stale"] and store.health()["error"].startswith("the chat export is not valid JSON")
    assert get(store, "celebration") is not None
    assert not refresh(store) and store.health()["stale"]  # no retry until the file changes again
    write_export(export_path, sample_export(site={"title": "Renamed"}))
    touch(export_path)
    assert refresh(store) and not store.health()["stale"]
    export_path.unlink()
    assert not refresh(store) and store.manifest.site_title == "Renamed"  # gone: keep the last good one


def test_many_first_questions_at_once_read_the_file_once(export_path: Path):
    prepare = Counting()
    store = loaded(export_path, prepare=prepare)

    async def ask_at_once() -> list:
        results: list = []

        async def one() -> None:
            results.append(await store.get("celebration"))

        async with anyio.create_task_group() as group:
            for _ in range(10):
                group.start_soon(one)
        return results

    results = anyio.run(ask_at_once)
    assert prepare.slugs == ["celebration"]
    assert len(results) == 10 and all(result is results[0] for result in results)
