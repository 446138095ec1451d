"""`covered` in the meta event, the opt-in question log and `python -m chat_service gaps`, over real HTTP."""

import json
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest

from chat_service.config import load_settings
from chat_service.errors import ConfigError
from chat_service.question_log import QuestionLog, format_report, group_questions, read_log
from tests.chat_service.support import question, read_stream

ROOT = Path(__file__).resolve().parents[2]


def answer_of(events) -> str:
    return "".join(data["delta"] for name, data in events if name == "token")


def test_meta_says_covered_and_cites_sources(offline):
    _, events = read_stream(offline, question("Who profits from the holiday season?"))
    meta = events[0][1]
    assert meta["covered"] is True and "elsewhere" not in meta
    assert [source["anchor"] for source in meta["sources"]][0] == "economic-impact"


def test_a_question_the_article_does_not_cover(offline):
    _, events = read_stream(offline, question("How do I bake sourdough bread at home?"))
    meta = events[0][1]
    assert meta["covered"] is False and meta["sources"] == []
    assert meta["elsewhere"] == []  # this export has no site-wide index: nothing to offer, and no error
    assert answer_of(events).startswith("“Celebration” does not appear to cover that question")
    assert events[-1][0] == "done"


def test_the_model_is_told_when_the_article_does_not_cover_it(start_chat, fake, fake_client):
    with httpx.Client(
        base_url=start_chat(OPENAI_BASE_URL=f"{fake}/v1"), timeout=10, trust_env=False
    ) as client:
        _, events = read_stream(client, question("How do I bake sourdough bread at home?"))
    assert events[0][1]["covered"] is False
    system = fake_client.get("/_stats").json()["last_request"]["messages"][0]["content"]
    assert "the article does not appear to cover it" in system


def test_the_question_log_keeps_only_uncovered_questions_and_nothing_about_the_reader(start_chat, tmp_path):
    log = tmp_path / "questions.jsonl"
    with httpx.Client(base_url=start_chat(CHAT_QUESTION_LOG=str(log)), timeout=10, trust_env=False) as client:
        history = [{"role": "user", "content": "What is liminality?"}, {"role": "assistant", "content": "A."}]
        read_stream(client, question("How do I bake sourdough bread at home?", history=history))
        read_stream(client, question("Who profits from the holiday season?"))
    lines = log.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert set(record) == {"time", "article", "question"}
    assert (record["article"], record["question"]) == (
        "celebration",
        "How do I bake sourdough bread at home?",
    )
    assert record["time"].endswith("Z")


def test_the_question_log_is_off_by_default_and_checked_at_start_up(tmp_path):
    assert load_settings({}).question_log is None
    with pytest.raises(ConfigError) as caught:
        load_settings({"CHAT_QUESTION_LOG": str(tmp_path / "missing" / "q.jsonl")})
    assert "CHAT_QUESTION_LOG: the folder" in str(caught.value) and "does not exist" in str(caught.value)


def test_appends_from_several_writers_stay_whole_lines(tmp_path):
    path = tmp_path / "q.jsonl"
    writers = [QuestionLog(path) for _ in range(3)]

    def write(first: int) -> None:  # one thread per writer, as workers would append at the same time
        for number in range(first, 600, 3):
            writers[first].append("a", f"question {number} " + "x" * 5000)

    threads = [threading.Thread(target=write, args=(first,)) for first in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert sorted(int(r["question"].split()[1]) for r in records) == list(range(600))


def test_similar_questions_are_grouped_most_frequent_first():
    groups = group_questions(
        [
            "How do I install on Windows?",
            "installing on windows",
            "how do i install on windows",
            "what about docker",
            "How do I install on Windows?",
        ]
    )
    assert [group.count for group in groups] == [4, 1]
    assert groups[0].wordings[0] == ("How do I install on Windows?", 2)
    assert groups[1].wordings == (("what about docker", 1),)


def test_read_log_names_the_line_it_cannot_read():
    questions, problems = read_log(['{"article": "a", "question": "q"}', "{half", ""], "q.jsonl")
    assert questions == {"a": ["q"]}
    assert problems == ["q.jsonl:2: not a question log line (skipped)"]
    assert format_report({}) == "No uncovered questions in the log."


def test_gaps_command(tmp_path):
    log = tmp_path / "q.jsonl"
    writer = QuestionLog(log)
    for text in ["Does it run on Windows?", "does it run on windows", "Is there a dark mode?"]:
        writer.append("install", text)
    writer.append("faq", "What does it cost?")
    with log.open("a", encoding="utf-8") as file:
        file.write("not json\n")
    result = subprocess.run(
        [sys.executable, "-m", "chat_service", "gaps", str(log)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0
    assert result.stdout.splitlines() == [
        "install (3 uncovered)",
        "     2 × Does it run on Windows?  (also: does it run on windows)",
        "     1 × Is there a dark mode?",
        "",
        "faq (1 uncovered)",
        "     1 × What does it cost?",
    ]
    assert result.stderr == f"{log}:5: not a question log line (skipped)\n"
    missing = subprocess.run(
        [sys.executable, "-m", "chat_service", "gaps", str(tmp_path / "none.jsonl")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert missing.returncode == 2 and "cannot read the question log" in missing.stderr


def test_the_report_shows_control_characters_as_text():
    hostile = "How do I \x1b]0;pwned\x07\x1b[2J turn it on?"
    report = format_report({"install": [hostile]})
    assert "\x1b" not in report and "\x07" not in report
    assert "How do I \\x1b]0;pwned\\x07\\x1b[2J turn it on?" in report
