"""Chat export benchmark: the chat service's start-up, memory and reload on a large site.

    .venv/bin/python bench/export_bench.py [--quick]

Generates a site (bench/corpus.py: 5,000 articles; 300 with --quick) under bench/work/export-<n>/, builds it
with the real CLI (no search), then starts `python -m chat_service` (one worker, the offline backend, no
rate limit, default settings otherwise) on its dist/chat/index.json and measures:

- start-up: from starting the process to /healthz answering, and the RSS then;
- RSS after one question about each of 500 different articles (100 with --quick);
- reload: one article edited, the site built again (warm cache), then the time from the end of that build to
  the first answer that quotes the new text (questions every 20 ms; the service looks for a changed manifest
  at most once per CHAT_INDEX_CHECK_SECONDS, default 1 s).

Writes bench/results/export.md and export.json (export-quick.* with --quick). Reports, never fails; figures
from a loaded or shared machine are not comparable.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import chat_procs  # noqa: E402
from corpus import generate  # noqa: E402

HERE = Path(__file__).resolve().parent
WORK, RESULTS = HERE / "work", HERE / "results"
TARGETS = {"start_up_s": 1.0, "rss_after_questions_mb": 150.0, "reload_s": 1.0}


def build(content: Path, out: Path) -> float:
    """Build the site with the CLI (no search); return the wall seconds."""
    command = [sys.executable, "-m", "site_builder", "build", "--content", str(content), "--out", str(out)]
    started = time.perf_counter()
    subprocess.run([*command, "--no-search"], cwd=chat_procs.ROOT, check=True, capture_output=True)
    return time.perf_counter() - started


def ask(port: int, slug: str, text: str) -> str:
    """One question, read to the end: the answer's text (the offline backend quotes passages)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        body = json.dumps({"article": slug, "messages": [{"role": "user", "content": text}]})
        connection.request("POST", "/chat", body, {"content-type": "application/json"})
        response = connection.getresponse()
        data = response.read().decode()
    finally:
        connection.close()
    if response.status != 200:
        raise RuntimeError(f"asking about {slug} failed: {response.status} {data[:200]}")
    deltas = [
        json.loads(line[6:]).get("delta", "") for line in data.splitlines() if line.startswith("data: ")
    ]
    return "".join(deltas)


def measure(count: int, questions: int) -> dict[str, object]:
    root = WORK / f"export-{count}"
    content, out = generate(root / "content", count), root / "dist"
    cold = build(content, out)
    index = out / "chat" / "index.json"
    slugs = [entry["slug"] for entry in json.loads(index.read_text())["articles"]]
    environ = {"CHAT_INDEX": str(index), "CHAT_RATE_PER_MINUTE": "0"}
    started = time.perf_counter()
    process, port = chat_procs.start_service(environ, root / "service.log")
    try:
        start_up = time.perf_counter() - started
        rss_started = chat_procs.rss_kb(process.pid)
        asked = time.perf_counter()
        for slug in slugs[:questions]:
            ask(port, slug, "What does the festival tradition say about the harvest?")
        asking = time.perf_counter() - asked
        rss_asked = chat_procs.rss_kb(process.pid)
        edited = content / "article-00003.md"
        marker = f"quokkafest{int(time.time())}"
        with edited.open("a") as file:
            file.write(f"\n## Benchmark edit\n\nThe {marker} is the newest tradition of all.\n")
        warm = build(content, out)
        built = time.perf_counter()
        reload_s = None
        while time.perf_counter() - built < 30:
            if marker in ask(port, "article-00003", f"What is the {marker}?"):
                reload_s = time.perf_counter() - built
                break
            time.sleep(0.02)
        health = chat_procs.get_json(port, "/healthz")[1]
    finally:
        chat_procs.stop(process)
        generate(root / "content", count)  # undo the edit
    return {
        "articles": count,
        "questions": questions,
        "cold_build_s": round(cold, 2),
        "start_up_s": round(start_up, 3),
        "rss_started_mb": round(rss_started / 1024, 1),
        "rss_after_questions_mb": round(rss_asked / 1024, 1),
        "question_ms_mean": round(asking * 1000 / max(1, questions), 2),
        "warm_build_after_edit_s": round(warm, 2),
        "reload_s": None if reload_s is None else round(reload_s, 3),
        "cached_articles": health["export"]["cached"],  # type: ignore[index]
    }


def to_markdown(report: dict) -> str:
    row = report["result"]
    lines = [
        f"Chat export benchmark ({'quick' if report['quick'] else 'full'}), {report['machine']}; "
        f"load average {report['loadavg_before']} before, {report['loadavg_after']} after.",
        "",
        "| articles | start-up | RSS at start | RSS after questions | reload after a build | cold build | "
        "warm build |",
        "|---:|---:|---:|---:|---:|---:|---:|",
        f"| {row['articles']} | {row['start_up_s']} s | {row['rss_started_mb']} MB | "
        f"{row['rss_after_questions_mb']} MB ({row['questions']} articles asked, {row['cached_articles']} "
        f"cached) | {row['reload_s']} s | {row['cold_build_s']} s | {row['warm_build_after_edit_s']} s |",
        "",
        "Targets (at 5,000 articles): "
        + "; ".join(
            f"{k} {'-' if v is None else 'met' if v else 'NOT met'}" for k, v in report["targets"].items()
        ),
    ]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="300 articles, 100 questions")
    args = parser.parse_args()
    count, questions = (300, 100) if args.quick else (5000, 500)
    loadavg_before = [round(value, 2) for value in os.getloadavg()]
    result = measure(count, questions)
    full = not args.quick
    report = {
        "quick": args.quick,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "loadavg_before": loadavg_before,
        "loadavg_after": [round(value, 2) for value in os.getloadavg()],
        "result": result,
        "targets": {
            name: (result[name] is not None and result[name] < limit) if full else None  # type: ignore[operator]
            for name, limit in TARGETS.items()
        },
    }
    RESULTS.mkdir(exist_ok=True)
    name = "export-quick" if args.quick else "export"
    (RESULTS / f"{name}.json").write_text(json.dumps(report, indent=2) + "\n")
    (RESULTS / f"{name}.md").write_text(to_markdown(report))
    print(to_markdown(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
