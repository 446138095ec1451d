import pytest

from chat_service.retrieval import index_article, rank_sections, select_context
from tests.chat_service.support import sample_article


@pytest.fixture
def article():
    return index_article(sample_article())


def headings(sections):
    return [section.heading for section in sections]


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
    assert context.covered


def test_introduction_and_best_sections_when_it_does_not_fit(article):
    context = select_context(article, ["holiday season retailers"], budget_tokens=60)
    assert headings(context.sections) == ["Celebration", "Economic impact"]
    assert sum(len(s.text) for s in context.sections) <= 60 * 4


def test_a_question_the_article_does_not_cover_has_no_sources(article):
    context = select_context(article, ["quantum chromodynamics"], budget_tokens=10_000)
    assert not context.covered
    assert context.sources == ()
    assert context.sections == article.article.sections  # the model still sees the article, to say so


def test_oversized_section_is_cut_to_the_budget(article):
    context = select_context(article, ["x"], budget_tokens=12)
    assert len(context.sections) == 0 or sum(len(s.text) for s in context.sections) <= 12 * 4


def test_word_forms_meet(article):
    assert headings(rank_sections(article, ["feasts"])) == ["History"]


def test_only_strong_matches_are_cited(article):
    context = select_context(article, ["stone circles and the holiday"], budget_tokens=10_000)
    assert headings(context.sources)[0] == "History"
    assert all(heading != "Celebration" for heading in headings(context.sources))
