"""The code highlighting colours the theme ships meet WCAG AA (4.5:1) for every token class, light and dark."""

from __future__ import annotations

import re

import pytest
from pygments.token import STANDARD_TYPES

from site_builder.assets import code_css

_RULE = re.compile(r"([^{}]+)\{([^}]*)\}")


def luminance(colour: str) -> float:
    value = colour.lstrip("#")
    channels = [int(value[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def rules(css: str) -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, str]] = {}
    for match in _RULE.finditer(css):
        props = dict(p.split(":", 1) for p in match.group(2).split(";") if ":" in p)
        for selector in match.group(1).split(","):
            name = selector.strip().removeprefix(".highlight").strip().removeprefix(".")
            found.setdefault(name, {}).update({k.strip(): v.strip() for k, v in props.items()})
    return found


def modes() -> dict[str, dict[str, dict[str, str]]]:
    css = code_css()
    light_css, _, dark_css = css.partition("@media (prefers-color-scheme: dark)")
    dark_css = dark_css.strip().removeprefix("{").removesuffix("}")
    light = rules(light_css)
    dark = {
        k: dict(v) for k, v in light.items()
    }  # the dark rules override the light ones, as the cascade does
    for name, props in rules(dark_css).items():
        dark.setdefault(name, {}).update(props)
    return {"light": light, "dark": dark}


@pytest.mark.parametrize("mode", ["light", "dark"])
def test_every_token_class_meets_aa_contrast_on_its_background(mode: str) -> None:
    styles = modes()[mode]
    block = styles[""]
    classes = {c for c in STANDARD_TYPES.values() if c}
    assert classes <= styles.keys(), f"classes without a colour: {sorted(classes - styles.keys())}"
    failing = []
    for name in sorted(classes):
        props = styles[name]
        behind = props.get("background-color", "transparent")
        background = block["background-color"] if behind == "transparent" else behind
        ratio = contrast(props.get("color", block["color"]), background)
        if ratio < 4.5:
            failing.append(f".{name} {props.get('color')} on {background}: {ratio:.2f}")
    assert contrast(block["color"], block["background-color"]) >= 4.5
    assert not failing, "\n".join(failing)


def test_the_two_modes_keep_their_styles_look() -> None:
    light, dark = modes()["light"], modes()["dark"]
    assert light[""]["background-color"] == "#ffffff" and dark[""]["background-color"] == "#282c34"
    assert light["c"]["color"] == "#008000"  # vs' comments were readable already: left as they were
    assert light["k"]["color"] != dark["k"]["color"]
