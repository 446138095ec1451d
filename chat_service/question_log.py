"""The opt-in log of questions an article did not cover, and `python -m chat_service gaps LOG`, its report.

With `CHAT_QUESTION_LOG=path.jsonl` the service appends one JSON line per uncovered question:
`{"time": "2026-12-02T10:15:00Z", "article": "<slug>", "question": "..."}`. Nothing about the reader is kept:
no address, no conversation, no answer. Each line is one `write()` to a file opened with O_APPEND, so lines
from several workers never interleave. The report groups each article's questions by similarity (the same
stemmed words, mostly), most frequent first: what readers look for that the site does not say.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from chat_service.terms import analyzer

_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")  # every C0 and C1 control but the newline

SIMILAR = 0.5  # the least share of words two questions have in common to be one group (Jaccard)


class QuestionLog:
    """Appends uncovered questions to a JSON Lines file, one atomic write per line."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def append(self, article: str, question: str, now: dt.datetime | None = None) -> None:
        """Add one line; raises OSError when the file cannot be written (the caller logs it)."""
        when = (now or dt.datetime.now(dt.UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
        line = json.dumps({"time": when, "article": article, "question": question}, ensure_ascii=False)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        try:
            os.write(fd, (line + "\n").encode())
        finally:
            os.close(fd)


@dataclass(frozen=True, slots=True, kw_only=True)
class Group:
    """Questions asked in similar words: the most common wording first, with how often each was asked."""

    wordings: tuple[tuple[str, int], ...]

    @property
    def count(self) -> int:
        return sum(times for _, times in self.wordings)


def read_log(lines: Iterable[str], source: str) -> tuple[dict[str, list[str]], list[str]]:
    """Questions per article, in order, and a `source:line: problem` for each line that is not a log line."""
    questions: dict[str, list[str]] = {}
    problems = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            article, question = record["article"], record["question"]
            if not isinstance(article, str) or not isinstance(question, str):
                raise TypeError
        except (ValueError, KeyError, TypeError):
            problems.append(f"{source}:{number}: not a question log line (skipped)")
            continue
        questions.setdefault(article, []).append(" ".join(question.split()))
    return questions, problems


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a | b else 1.0


def group_questions(questions: Sequence[str], language: str = "en") -> list[Group]:
    """Group similar questions (by their stemmed words), most frequent group first."""
    words = analyzer(language)
    wordings = Counter(questions)
    groups: list[tuple[frozenset[str], Counter[str]]] = []
    for text, times in sorted(wordings.items(), key=lambda item: (-item[1], item[0])):
        terms = frozenset(words.terms(text)) or frozenset([text.lower()])
        home = next((g for g in groups if _jaccard(g[0], terms) >= SIMILAR), None)
        if home is None:
            groups.append((terms, Counter({text: times})))
        else:
            home[1][text] += times
    result = [Group(wordings=tuple(counter.most_common())) for _, counter in groups]
    return sorted(result, key=lambda group: (-group.count, group.wordings[0][0]))


def format_report(questions: dict[str, list[str]], language: str = "en") -> str:
    """The report: articles with the most uncovered questions first, each with its groups."""
    if not questions:
        return "No uncovered questions in the log."
    out = []
    for article, asked in sorted(questions.items(), key=lambda item: (-len(item[1]), item[0])):
        out.append(f"{article} ({len(asked)} uncovered)")
        for group in group_questions(asked, language):
            (first, _), *others = group.wordings
            also = f"  (also: {'; '.join(text for text, _ in others[:3])})" if others else ""
            out.append(f"  {group.count:>4} × {first}{also}")
        out.append("")
    return _printable("\n".join(out).rstrip())


def _printable(text: str) -> str:
    # Questions are typed by anyone: a terminal must not take an escape sequence in one for a command.
    return _CONTROL.sub(lambda match: f"\\x{ord(match.group()):02x}", text)


def main(argv: Sequence[str]) -> int:
    """`python -m chat_service gaps LOG [--language en]`: print the report; 0, or 2 if LOG is unreadable."""
    parser = argparse.ArgumentParser(
        prog="python -m chat_service gaps",
        description="Print, per article, the questions it did not cover, grouped by similarity.",
    )
    parser.add_argument("log", type=Path, help="the CHAT_QUESTION_LOG file (JSON Lines)")
    parser.add_argument("--language", default="en", help="the site's language, for word stems (default en)")
    args = parser.parse_args(argv)
    try:
        text = args.log.read_text(encoding="utf-8", errors="replace")
    except OSError as error:
        print(f"{args.log}: cannot read the question log: {error.strerror}", file=sys.stderr)
        return 2
    questions, problems = read_log(text.splitlines(), str(args.log))
    for problem in problems:
        print(problem, file=sys.stderr)
    print(format_report(questions, args.language))
    return 0
