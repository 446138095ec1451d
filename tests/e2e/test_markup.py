"""Our own markup passes axe-core in Chromium, light and dark: code blocks, tables, admonitions, folder pages."""

from __future__ import annotations

import textwrap

import pytest

from site_builder.build import build

from .axe import assert_no_violations
from .scripted import StaticServer

pytestmark = pytest.mark.e2e

LONG = "result = transform(" + ", ".join(f"argument_{i}" for i in range(30)) + ")"

ARTICLE = f"""
    ---
    title: Highlighted code
    description: Code, tables and admonitions.
    ---
    An introduction with `inline code`.

    ## Python

    ```python
    # A comment, then every kind of token
    @decorator
    def greet(name: str = "world", *args, **kwargs) -> None:
        \"\"\"Docstring.\"\"\"
        print(f"Hello, {{name}}!", 42, 3.14, 0x1F, True, None)  # trailing
        {LONG}
    ```

    ```javascript
    const re = /a+b/g; let n = null; class A extends B {{ static x = `t${{1}}`; }}
    ```

    ```diff
    - removed line
    + added line
    ```

    ## A wide table

    | {" | ".join(f"Column {i}" for i in range(14))} |
    |{"|".join("---" for _ in range(14))}|
    | {" | ".join(f"value-{i}-long" for i in range(14))} |

    !!! note "A note"
        Something to remember.

    !!! warning
        Something to avoid.

    ## Footnotes

    A claim.[^1]

    [^1]: A source, 2001.
    """


@pytest.fixture(scope="module")
def origin(tmp_path_factory):
    root = tmp_path_factory.mktemp("markup-site")
    content = root / "content"
    (content / "guides").mkdir(parents=True)
    (content / "site.toml").write_text('title = "Markup Test"\nbase_url = "http://127.0.0.1/"\n')
    (content / "guides" / "code.md").write_text(textwrap.dedent(ARTICLE).lstrip("\n"))
    (content / "guides" / "deeper").mkdir()
    (content / "guides" / "deeper" / "page.md").write_text("# Deeper page\n\nText.\n")
    build(content, root / "dist", search=True)
    with StaticServer(root / "dist") as server:
        yield server.origin


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("path", ["guides/code/", "guides/", "guides/deeper/page/", "", "search/?q=code"])
def test_axe_finds_no_violation(new_page, origin, scheme, path) -> None:
    page = new_page(color_scheme=scheme, viewport={"width": 360, "height": 800})
    page.goto(f"{origin}/{path}")
    if path.startswith("search/"):
        page.wait_for_function("document.querySelector('.search-status').textContent.includes(' for ')")
    assert_no_violations(page)


def test_a_code_block_that_scrolls_is_reached_by_the_keyboard(new_page, origin) -> None:
    page = new_page(viewport={"width": 360, "height": 800})
    page.goto(f"{origin}/guides/code/")
    block = page.locator(".highlight").first
    assert block.evaluate("el => el.scrollWidth > el.clientWidth"), "precondition: the block scrolls"
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('highlight')"):
            break
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == "Code"
    before = block.evaluate("el => el.scrollLeft")
    page.keyboard.press("ArrowRight")
    page.wait_for_function("el => el.scrollLeft > 0", arg=block.element_handle())
    assert block.evaluate("el => el.scrollLeft") > before
