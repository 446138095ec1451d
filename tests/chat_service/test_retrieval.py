import os
from pathlib import Path

import pytest

from chat_service.errors import ExportError
from chat_service.export import ExportStore, load_export, parse_export
from chat_service.retrieval import index_article, rank_sections, select_context
from tests.chat_service.support import sample_export, write_export


@pytest.fixture
def article():
    return index_article(parse_export(sample_export()).articles["celebration"])


def headings(sections):
    return [section.heading for section in sections]


def test_reads_the_export(export_path: Path):
    export = load_export(export_path)
    assert (export.site_title, export.language) == ("Folio", "en")
    assert sorted(export.articles) == ["celebration", "guides/writing-articles"]
    guide = export.articles["guides/writing-articles"]
    assert guide.url(guide.sections[0]) == "/blog/guides/writing-articles/#"


@pytest.mark.parametrize(
    ("export", "message"),
    [
        (sample_export(format="other"), "not a chat export: 'format' must be 'folio-chat-export'"),
        (sample_export(version=2), "chat export version 2 is not supported (this service reads 1)"),
        (sample_export(articles={}), "export.articles is missing or not a list"),
        (sample_export(articles=[{"slug": "a"}]), "articles[0].sections is missing or not a list"),
        (
            sample_export(
                articles=[{"slug": "a", "title": "A", "path": "/a/", "sections": [{"heading": "A"}]}]
            ),
            "articles[0].sections[0].text is missing or not a str",
        ),
    ],
)
def test_rejects_what_it_cannot_read(tmp_path: Path, export, message):
    path = write_export(tmp_path / "export.json", export)
    with pytest.raises(ExportError) as caught:
        load_export(path)
    assert caught.value.message == message
    assert str(caught.value).startswith(f"{path}: {message}")


def test_missing_file_says_how_to_fix_it(tmp_path: Path):
    with pytest.raises(ExportError) as caught:
        load_export(tmp_path / "nope.json")
    assert caught.value.message == "the chat export does not exist"
    assert caught.value.hint == "run `make build` first, or set CHAT_INDEX"


def test_invalid_json(tmp_path: Path):
    path = tmp_path / "export.json"
    path.write_text("{", encoding="utf-8")
    with pytest.raises(ExportError, match="not valid JSON"):
        load_export(path)


def test_ranks_the_section_that_answers_first(article):
    assert (
        headings(rank_sections(article, ["What did the sun have to do with the stone circles?"]))[0]
        == "History"
    )
    assert headings(rank_sections(article, ["Who profits from the holiday season?"]))[0] == "Economic impact"
    assert headings(rank_sections(article, ["liminal"])) == ["Key concepts"]


def test_heading_words_count(article):
    assert headings(rank_sections(article, ["history"]))[0] == "History"


def test_falls_back_to_earlier_questions(article):
    assert headings(rank_sections(article, ["tell me more", "what is liminal time"]))[0] == "Key concepts"
    assert rank_sections(article, ["quantum chromodynamics"]) == []


def test_whole_article_when_it_fits(article):
    context = select_context(article, ["holiday season"], budget_tokens=10_000)
    assert context.sections == article.article.sections
    assert headings(context.sources) == ["Economic impact"]
    assert context.matched


def test_introduction_and_best_sections_when_it_does_not_fit(article):
    context = select_context(article, ["holiday season retailers"], budget_tokens=60)
    assert headings(context.sections) == ["Celebration", "Economic impact"]
    assert sum(len(s.text) for s in context.sections) <= 60 * 4


def test_a_question_the_article_does_not_cover_has_no_sources(article):
    context = select_context(article, ["quantum chromodynamics"], budget_tokens=10_000)
    assert not context.matched and not context.covered
    assert context.sources == ()
    assert context.sections == article.article.sections  # the model still sees the article, to say so


def test_oversized_section_is_cut_to_the_budget(article):
    context = select_context(article, ["x"], budget_tokens=12)
    assert len(context.sections) == 0 or sum(len(s.text) for s in context.sections) <= 12 * 4


class Clock:
    now = 0.0

    def __call__(self) -> float:
        return self.now


def test_store_reloads_when_the_file_changes(tmp_path: Path):
    path = write_export(tmp_path / "export.json", sample_export())
    clock = Clock()
    store = ExportStore(path, prepare=index_article, check_interval=1.0, clock=clock)
    changed = sample_export(site={"title": "Renamed"})
    write_export(path, changed)
    os.utime(path, ns=(0, os.stat(path).st_mtime_ns + 10**9))
    assert not store.changed()  # not checked again within the interval
    clock.now += 1.0
    assert store.changed()
    assert store.reload().site_title == "Renamed"
    clock.now += 1.0
    assert not store.changed()


def test_store_keeps_the_last_good_export(tmp_path: Path):
    path = write_export(tmp_path / "export.json", sample_export())
    clock = Clock()
    store = ExportStore(path, prepare=index_article, check_interval=0.0, clock=clock)
    path.write_text("{ half written", encoding="utf-8")
    assert store.changed()
    with pytest.raises(ExportError):
        store.reload()
    assert store.export.site_title == "Folio"
    assert not store.changed()  # no retry until the file changes again
    path.unlink()
    assert not store.changed()  # a missing file keeps the last good export


def test_word_forms_meet(article):
    assert headings(rank_sections(article, ["feasts"])) == ["History"]


def test_only_strong_matches_are_cited(article):
    context = select_context(article, ["stone circles and the holiday"], budget_tokens=10_000)
    assert headings(context.sources)[0] == "History"
    assert all(heading != "Celebration" for heading in headings(context.sources))


def test_store_keeps_the_last_good_export_when_the_file_goes_during_a_reload(tmp_path: Path):
    path = write_export(tmp_path / "export.json", sample_export())
    store = ExportStore(path, prepare=index_article, check_interval=0.0, clock=Clock())
    write_export(path, sample_export(site={"title": "Renamed"}))
    os.utime(path, ns=(0, os.stat(path).st_mtime_ns + 10**9))
    assert store.changed()
    path.unlink()  # a build swapping dist/ between the check and the reload
    with pytest.raises(ExportError, match="the chat export does not exist"):
        store.reload()
    assert store.export.site_title == "Folio"
    write_export(path, sample_export(site={"title": "Renamed"}))
    assert store.changed()  # the new file is picked up once it is there
    assert store.reload().site_title == "Renamed"
