"""The evaluation's articles, built by the real site_builder pipeline and read as the chat service reads them.

The sample site's articles (content/) and the documentation-shaped articles in tests/eval/articles/ are copied
into one temporary content folder and built with `site_builder.build.build`; the chat export it writes
(`chat/index.json` and one file per article) is then read back with the service's own `load_export`, so the
evaluation ranks exactly the sections the service would see.
"""

from __future__ import annotations

import atexit
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
    manifest: Path  # the built chat export, kept until the process ends (the site-wide index is beside it)


def _content_folder(folder: Path) -> Path:
    content = folder / "content"
    shutil.copytree(ROOT / "content", content, ignore=shutil.ignore_patterns("static", "templates"))
    for article in sorted(ARTICLES.glob("*.md")):
        shutil.copy(article, content / article.name)
    return content


def load_corpus() -> Corpus:
    """Build the evaluation site in a temporary folder and return its articles as the service sees them."""
    folder = Path(tempfile.mkdtemp(prefix="folio-eval-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    out = folder / "dist"
    build(_content_folder(folder), out, search=False)
    manifest = out / "chat" / "index.json"
    export = load_export(manifest)
    return Corpus(language=export.language, articles=dict(export.articles), manifest=manifest)
