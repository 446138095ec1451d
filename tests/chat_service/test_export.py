import json
import os
from pathlib import Path

import pytest

from chat_service.errors import ExportError
from chat_service.export import ExportStore, load_export
from chat_service.retrieval import index_article
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
    manifest = sample_export(articles=[{"slug": "a", "title": "A", "path": "/a/", "file": "../a.json", "digest": "1"}])
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


def test_store_reloads_when_the_manifest_changes(export_path: Path):
    clock = Clock()
    store = ExportStore(export_path, prepare=index_article, check_interval=1.0, clock=clock)
    write_export(export_path, sample_export(site={"title": "Renamed"}))
    touch(export_path)
    assert not store.changed()  # not checked again within the interval
    clock.now += 1.0
    assert store.changed()
    assert store.reload().site_title == "Renamed"
    clock.now += 1.0
    assert not store.changed()


def test_a_reload_reads_only_the_articles_whose_digest_changed(export_path: Path):
    prepared: list[str] = []

    def prepare(article):
        prepared.append(article.slug)
        return index_article(article)

    store = ExportStore(export_path, prepare=prepare, check_interval=0.0, clock=Clock())
    assert sorted(prepared) == ["celebration", "guides/writing-articles"]
    export = sample_export()
    export["articles"][0]["title"] = "Celebrations"
    write_export(export_path, export)
    touch(export_path)
    prepared.clear()
    assert store.changed()
    store.reload()
    assert prepared == ["celebration"]
    assert store.get("celebration").article.title == "Celebrations"
    assert store.get("guides/writing-articles") is not None


def test_store_keeps_the_last_good_export(export_path: Path):
    clock = Clock()
    store = ExportStore(export_path, prepare=index_article, check_interval=0.0, clock=clock)
    export_path.write_text("{ half written", encoding="utf-8")
    assert store.changed()
    with pytest.raises(ExportError):
        store.reload()
    assert store.export.site_title == "Folio"
    assert not store.changed()  # no retry until the file changes again
    export_path.unlink()
    assert not store.changed()  # a missing file keeps the last good export


def test_store_keeps_the_last_good_export_when_the_file_goes_during_a_reload(export_path: Path):
    store = ExportStore(export_path, prepare=index_article, check_interval=0.0, clock=Clock())
    write_export(export_path, sample_export(site={"title": "Renamed"}))
    touch(export_path)
    assert store.changed()
    export_path.unlink()  # a build swapping dist/ between the check and the reload
    with pytest.raises(ExportError, match="the chat export does not exist"):
        store.reload()
    assert store.export.site_title == "Folio"
    write_export(export_path, sample_export(site={"title": "Renamed"}))
    assert store.changed()  # the new file is picked up once it is there
    assert store.reload().site_title == "Renamed"

