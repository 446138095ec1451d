"""Theme assets: CSS and JS with a content hash in their names, plus the Pygments colours for code."""

from __future__ import annotations

import colorsys
import hashlib
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

import rcssmin
import rjsmin
from pygments.styles import get_style_by_name
from pygments.token import STANDARD_TYPES, Token

from .model import OutputFile

THEME_STATIC = Path(__file__).parent / "static"
LIGHT_STYLE, DARK_STYLE = "vs", "one-dark"
TEXT_COLOURS = ("#1d1f21", "#e6e4df")  # the theme's text in light and dark mode (style.css --fg)
MIN_CONTRAST = 4.6  # WCAG AA asks 4.5:1 for body text; a little margin for rounding to whole hex digits
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
    """Pygments colours for ``.highlight`` blocks: a light style, and a dark one that follows the system.

    Every token class gets a colour in both modes (so no light colour is left over in dark mode), and each
    colour that would fall below WCAG AA contrast (4.5:1) on its background is darkened or lightened until
    it meets it, keeping its hue: the styles look as designed, only readable.
    """
    light, dark = _palette(LIGHT_STYLE, TEXT_COLOURS[0]), _palette(DARK_STYLE, TEXT_COLOURS[1])
    return f"\n{_rules(light, dark)}\n@media (prefers-color-scheme: dark) {{\n{_rules(dark, light)}\n}}\n"


Palette = dict[str, tuple[str, str | None, bool, bool]]  # css class -> colour, background, bold, italic


def _palette(style_name: str, default_text: str) -> Palette:
    style = get_style_by_name(style_name)
    background = _hex(style.background_color) or "#ffffff"
    text = _readable(_hex(style.style_for_token(Token.Text)["color"]) or default_text, background)
    palette: Palette = {"": (text, background, False, False)}
    for token, css_class in STANDARD_TYPES.items():
        if css_class:
            found = style.style_for_token(token)
            behind = _hex(found["bgcolor"])
            colour = _readable(_hex(found["color"]) or text, behind or background)
            palette[css_class] = (colour, behind, found["bold"], found["italic"])
    return palette


def _rules(palette: Palette, other: Palette) -> str:
    # A property is written when this mode sets it, or to undo what the other mode's rule set; classes
    # with the same properties share one rule.
    rules: dict[str, list[str]] = {}
    for css_class in sorted(palette):
        colour, behind, bold, italic = palette[css_class]
        _, other_behind, other_bold, other_italic = other[css_class]
        parts = [f"color: {colour}"]
        if behind or other_behind:
            parts.append(f"background-color: {behind or 'transparent'}")
        if bold or other_bold:
            parts.append(f"font-weight: {'bold' if bold else 'normal'}")
        if italic or other_italic:
            parts.append(f"font-style: {'italic' if italic else 'normal'}")
        selector = f".highlight .{css_class}" if css_class else ".highlight"
        rules.setdefault("; ".join(parts), []).append(selector)
    return "\n".join(f"{', '.join(selectors)} {{ {props} }}" for props, selectors in rules.items())


def _hex(value: str | None) -> str | None:
    return f"#{value.lstrip('#').lower()}" if value else None


def _readable(colour: str, background: str) -> str:
    """``colour``, or the nearest colour of its hue (darker on light, lighter on dark) with 4.5:1 contrast."""
    hue, lightness, saturation = colorsys.rgb_to_hls(*_rgb(colour))
    step = -0.01 if _luminance(_rgb(background)) > 0.18 else 0.01
    while _contrast(_rgb(colour), _rgb(background)) < MIN_CONTRAST and 0 <= lightness <= 1:
        lightness += step
        colour = _to_hex(colorsys.hls_to_rgb(hue, min(max(lightness, 0), 1), saturation))
    return colour


def _rgb(colour: str) -> tuple[float, float, float]:
    value = colour.lstrip("#")
    value = "".join(c * 2 for c in value) if len(value) == 3 else value
    return tuple(int(value[i : i + 2], 16) / 255 for i in (0, 2, 4))  # type: ignore[return-value]


def _to_hex(rgb: tuple[float, float, float]) -> str:
    return "#" + "".join(f"{round(c * 255):02x}" for c in rgb)


def _luminance(rgb: tuple[float, float, float]) -> float:
    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _contrast(a: tuple[float, float, float], b: tuple[float, float, float]) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)
