"""A hand-written article page with the chat mount of docs/contracts.md, for testing the panel on its own."""

from __future__ import annotations

import shutil
from pathlib import Path

STATIC = Path(__file__).resolve().parents[2] / "site_builder" / "static"

PARAGRAPH = (
    "Celebrations gather people together, change the rules of everyday behaviour for a while, and end with "
    "a return to normal life that is, in some small way, renewed. "
)

SECTIONS = ["History", "Key concepts", "Types of celebration", "Economic impact", "References"]


def _slug(heading: str) -> str:
    return heading.lower().replace(" ", "-")


def article_html(endpoint: str, slug: str = "celebration") -> str:
    sections = "\n".join(
        f'<h2 id="{_slug(h)}">{h}</h2>\n<p>{PARAGRAPH * 4}</p>\n<p>{PARAGRAPH * 3}</p>' for h in SECTIONS
    )
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Celebration - Folio</title>
<style>
  body {{ margin: 0; font: 1.05rem/1.6 system-ui, sans-serif; color: #1b1d21; background: #fff; }}
  @media (prefers-color-scheme: dark) {{ body {{ color: #e6e8eb; background: #15171b; }} }}
  header, main {{ max-width: 42rem; margin: 0 auto; padding: 0 1rem; }}
</style>
<link rel="stylesheet" href="/static/chat.css">
<script src="/static/chat.js" defer></script>
</head>
<body>
<header><p>Folio</p></header>
<main>
<article>
<h1>Celebration</h1>
<div class="prose" id="article-body">
<p>{PARAGRAPH * 2}</p>
{sections}
</div>
</article>
<aside class="chat" id="ask" aria-labelledby="ask-title"
       data-chat-endpoint="{endpoint}" data-article="{slug}">
  <h2 id="ask-title">Ask about this article</h2>
  <noscript><p>The assistant needs JavaScript. The article above is complete without it.</p></noscript>
</aside>
</main>
</body>
</html>
"""


def write_site(root: Path, endpoint: str) -> None:
    """Write the harness site: /celebration/index.html and /static/chat.{js,css} from the theme."""
    (root / "static").mkdir(parents=True, exist_ok=True)
    (root / "celebration").mkdir(exist_ok=True)
    for name in ("chat.js", "chat.css"):
        shutil.copy(STATIC / name, root / "static" / name)
    (root / "celebration" / "index.html").write_text(article_html(endpoint), encoding="utf-8")
