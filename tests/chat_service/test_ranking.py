"""Ranking and coverage on small inline articles (the evaluation set measures them at scale: make eval)."""

from dataclasses import replace

import pytest

from chat_service.export import Article, Section
from chat_service.ranking import index_article, is_whole_page, rank
from chat_service.retrieval import select_context
from chat_service.terms import analyzer


def article(*sections: tuple[str, str, int, str], language: str = "en", description: str = "") -> Article:
    return Article(
        slug="guide",
        title=sections[0][0],
        description=description,
        path="/guide/",
        sections=tuple(Section(heading=h, anchor=a, level=lv, text=t) for h, a, lv, t in sections),
        language=language,
    )


INSTALL = article(
    ("Installing Lumen", "", 1, "Lumen is a photo server. This guide installs it."),
    ("Requirements", "requirements", 2, "A 64-bit processor and 2 GB of memory. FFmpeg for videos."),
    ("Linux packages", "linux-packages", 2, "On Debian run apt install lumen. On Fedora use dnf."),
    ("Windows", "windows", 2, "Run the installer. It sets up a service that starts with the computer."),
    ("Uninstalling", "uninstalling", 2, ""),
    ("On Linux", "on-linux", 3, "Remove the package with apt remove; your photos are never deleted."),
    ("On Windows", "on-windows", 3, "Use Apps and features to remove it."),
    ("Troubleshooting", "troubleshooting", 2, "If port 8080 is in use, choose another port in the settings."),
    description="How to install the Lumen photo server and remove it again.",
)


def first(index, *questions: str) -> str:
    return index.article.sections[rank(index, list(questions)).scored[0][1]].anchor


@pytest.fixture
def index():
    return index_article(INSTALL)


def test_word_forms_meet_through_the_snowball_stemmer(index):
    assert first(index, "installer problems on windows?") == "windows"
    assert first(index, "which processors are required") == "requirements"


def test_a_subsection_is_found_by_its_parent_heading(index):
    assert first(index, "uninstall on windows") == "on-windows"
    assert first(index, "uninstalling linux") == "on-linux"


def test_a_heading_over_subsections_only_is_never_cited(index):
    scored = rank(index, ["uninstalling"]).scored
    assert "uninstalling" not in [index.article.sections[p].anchor for _, p in scored]


def test_a_misspelling_that_is_a_prefix_still_matches(index):
    assert first(index, "uninstal from linux") == "on-linux"


@pytest.mark.parametrize(
    "question", ["What is this article about?", "summarize", "tl;dr", "Give me an overview", "what's this?"]
)
def test_whole_page_questions_go_to_the_introduction(index, question):
    result = rank(index, [question])
    assert result.whole_page and result.scored[0][1] == 0
    assert select_context(index, [question], 10_000).covered


def test_a_specific_question_about_the_guide_is_not_a_whole_page_question():
    assert not is_whole_page("does this guide cover docker compose volumes", analyzer("en"))


def test_title_and_description_count_with_the_introduction(index):
    assert first(index, "photo server") == ""


def test_follow_ups_use_the_earlier_question(index):
    assert first(index, "and on windows?", "how do I remove it") == "on-windows"


def test_adjacent_terms_rank_above_scattered_ones():
    text = article(
        ("Ports", "", 1, "Intro."),
        ("Scattered", "scattered", 2, "The port of the server. Another sentence about a different number."),
        ("Together", "together", 2, "Set the server port in the file. Another sentence about a number."),
    )
    assert first(index_article(text), "server port") == "together"


def test_coverage_is_false_when_the_best_section_matches_weakly(index):
    assert select_context(index, ["how do I install lumen on debian"], 10_000).covered
    weak = select_context(index, ["how do I share an album with my family"], 10_000)
    assert not weak.covered and weak.sources == ()
    # One word in common is not coverage: "photos" appears, nothing else does.
    assert not select_context(index, ["can I print a book of my photos with captions"], 10_000).covered


def test_an_unknown_language_falls_back_to_plain_words():
    german = index_article(replace(INSTALL, language="de"))
    unknown = index_article(replace(INSTALL, language="tlh"))
    assert first(german, "Fedora") == "linux-packages"
    assert first(unknown, "Fedora") == "linux-packages"
    assert analyzer("tlh").terms("Running Installers") == ["running", "installers"]
    assert analyzer("de").terms("Häuser") == ["haus"]


def test_articles_are_stemmed_in_the_manifest_language(tmp_path):
    from chat_service.export import load_export
    from tests.chat_service.support import sample_export, write_export

    site = {"title": "Folio", "base_url": "https://example.org/", "language": "fr"}
    export = load_export(write_export(tmp_path / "chat" / "index.json", sample_export(site=site)))
    assert {a.language for a in export.articles.values()} == {"fr"}
    assert analyzer("fr").terms("célébrations") != ["célébrations"]
    assert index_article(export.articles["celebration"]).analyzer.terms("célébrations") == analyzer(
        "fr"
    ).terms("célébration")


def test_a_quoted_passage_of_the_article_is_covered_and_cited_first(index):
    quote = "If port 8080 is in use, choose another port"
    context = select_context(index, ["what does this mean for me?"], 10_000, quote=quote)
    assert context.covered and context.sources[0].anchor == "troubleshooting"
    elsewhere = select_context(
        index, ["what does this mean for me?"], 10_000, quote="Words from another page entirely"
    )
    assert elsewhere.quoted is None and not elsewhere.covered
