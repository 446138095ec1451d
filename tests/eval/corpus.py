"""The evaluation's articles, built by the real site_builder pipeline and read as the chat service reads them.

The sample site's articles (content/) and the documentation-shaped articles in tests/eval/articles/ are copied
into one temporary content folder and built with `site_builder.build.build`; the chat export it writes
(`chat/index.json` and one file per article) is then read back with the service's own `load_export`, so the
evaluation ranks exactly the sections the service would see.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from chat_service.export import Article, load_export
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


def load_corpus() -> Corpus:
    """Build the evaluation site in a temporary folder and return its articles as the service sees them."""
    with tempfile.TemporaryDirectory(prefix="folio-eval-") as folder:
        content = _content_folder(Path(folder))
        out = Path(folder) / "dist"
        build(content, out, search=False)
        export = load_export(out / "chat" / "index.json")
    return Corpus(language=export.language, articles=dict(export.articles))
