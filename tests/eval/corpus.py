"""The evaluation's articles, built by the real site_builder pipeline and read as the chat service reads them.

The sample site's articles (content/) and the documentation-shaped articles in tests/eval/articles/ are copied
into one temporary content folder and built with `site_builder.build.build`; the chat export it writes is then
read back, whichever layout it has (one `chat-export.json`, or `chat/index.json` with one file per article), so
the evaluation ranks exactly the sections the service would see.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from chat_service.export import Article, parse_export
from site_builder.build import build

ROOT = Path(__file__).resolve().parents[2]
ARTICLES = Path(__file__).parent / "articles"


@dataclass(frozen=True, slots=True, kw_only=True)
class Corpus:
    language: str
    articles: dict[str, Article]


def _content_folder(folder: Path) -> Path:
    content = folder / "content"
    shutil.copytree(ROOT / "content", content, ignore=shutil.ignore_patterns("static", "templates"))
    for article in sorted(ARTICLES.glob("*.md")):
        shutil.copy(article, content / article.name)
    return content


def _export_data(out: Path) -> dict[str, object]:
    single = out / "chat-export.json"
    if single.exists():
        return json.loads(single.read_text(encoding="utf-8"))
    # Version 2: a manifest and one file per article; reassembled into the one-file shape to parse it.
    manifest = json.loads((out / "chat" / "index.json").read_text(encoding="utf-8"))
    articles = [
        json.loads((out / "chat" / f"{entry['slug']}.json").read_text(encoding="utf-8"))
        for entry in manifest["articles"]
    ]
    return {"format": "folio-chat-export", "version": 1, "site": manifest["site"], "articles": articles}


def load_corpus() -> Corpus:
    """Build the evaluation site in a temporary folder and return its articles as the service sees them."""
    with tempfile.TemporaryDirectory(prefix="folio-eval-") as folder:
        content = _content_folder(Path(folder))
        out = Path(folder) / "dist"
        build(content, out, search=False)
        export = parse_export(_export_data(out))
    return Corpus(language=export.language, articles=dict(export.articles))
