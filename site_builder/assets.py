"""Theme assets: CSS and JS with a content hash in their names, plus the Pygments colours for code."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

import rcssmin
import rjsmin
from pygments.formatters import HtmlFormatter

from .model import OutputFile

THEME_STATIC = Path(__file__).parent / "static"
LIGHT_STYLE, DARK_STYLE = "vs", "one-dark"
_MINIFY = {".css": rcssmin.cssmin, ".js": rjsmin.jsmin}


def theme_assets() -> tuple[tuple[OutputFile, ...], dict[str, str]]:
    """The theme's static files, minified and fingerprinted; and a map from plain name to its path in the site."""
    return _theme_assets()


def reload_theme() -> None:
    """Forget the theme's files read so far (the dev server calls it when the theme changes)."""
    _theme_assets.cache_clear()


@lru_cache(maxsize=1)
def _theme_assets() -> tuple[tuple[OutputFile, ...], dict[str, str]]:
    files, names = [], {}
    for path in sorted(THEME_STATIC.iterdir()):
        if not path.is_file() or path.name.startswith("."):
            continue
        text = path.read_text(encoding="utf-8")
        if path.name == "style.css":
            text += code_css()
        minify = _MINIFY.get(path.suffix)
        data = (minify(text) if minify else text).encode()
        digest = hashlib.sha256(data).hexdigest()[:10]
        target = f"assets/{path.stem}.{digest}{path.suffix}"
        files.append(OutputFile(path=target, data=data))
        names[path.name] = target
    return tuple(files), names


def static_files(files: Mapping[str, bytes]) -> list[OutputFile]:
    """content/static/ copied to the site root as it is."""
    return [OutputFile(path=name, data=data) for name, data in sorted(files.items())]


def code_css() -> str:
    """Pygments colours for ``.highlight`` blocks: a light style, and a dark one that follows the system."""
    light = HtmlFormatter(style=LIGHT_STYLE).get_style_defs(".highlight")
    dark = HtmlFormatter(style=DARK_STYLE).get_style_defs(".highlight")
    return f"\n{_compact(light)}\n@media (prefers-color-scheme: dark) {{\n{_compact(dark)}\n}}\n"


def _compact(css: str) -> str:
    # Pygments writes a comment naming each token type; dropping them halves the size the theme ships.
    css = re.sub(r"/\*.*?\*/", "", css)
    lines = (" ".join(line.split()) for line in css.splitlines())
    return "\n".join(
        line for line in lines if line and not line.startswith(("pre {", "td.linenos", "span.linenos"))
    )
