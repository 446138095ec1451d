"""Other generators' syntax in a markdown body, made plain before conversion. Pure.

Hugo shortcodes (``{{< name >}}``, ``{{% name %}}``) have no meaning here: ``ref`` and ``relref`` become the
path they name (so the link is resolved like any other), ``highlight`` becomes a fenced code block, and any
other one is removed, keeping the text between a paired shortcode's tags; Hugo's escaped form
(``{{</* name */>}}``) is shown as literal text. MkDocs' ``::: module`` lines (mkdocstrings) and ``--8<--``
snippet lines are shown as literal text (in a code span, so that nothing in them is read as HTML); Material's ``???`` collapsible admonitions become admonitions and its
``=== "Tab"`` content tabs become a bold title over their text; Hugo's attributes after a code fence's
language (``go {file="x"}``) are dropped. The body keeps its line count, so every line
number reported later is still the author's. Code blocks and code spans are left as they are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SHORTCODE = re.compile(r"\{\{([<%])\s*(/)?\s*([\w./-]+)(.*?)\s*/?\s*[>%]\}\}")
_ESCAPED = re.compile(r"\{\{([<%])/\*(.*?)\*/([>%])\}\}")  # Hugo's way of showing a shortcode as text
_FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
# Hugo's fence info "go-html-template {file="x" copy=true}": Python-Markdown would not see a fence at all.
_FENCE_ATTRS = re.compile(r"^(\s*(?:`{3,}|~{3,})\s*[\w+#.-]+)\s*\{.*\}\s*$")
_CODE_SPAN = re.compile(r"(`+).+?\1")
_HIGHLIGHT = re.compile(r"^\s*\{\{<\s*highlight\s+([\w+#-]+)[^>]*>\}\}\s*$")
_HIGHLIGHT_END = re.compile(r"^\s*\{\{<\s*/\s*highlight\s*>\}\}\s*$")
_DIRECTIVE = re.compile(r"^(\s*)(:::\s+\S.*|-{1,2}8<-{1,2}\s.*)$")  # mkdocstrings, pymdownx snippets
_COLLAPSIBLE = re.compile(r"^(\s*)\?\?\?\+?(?=\s)")
_TAB = re.compile(r"^(\s*)===\+?\s+\"(.*)\"\s*$")
_LINKING = ("ref", "relref")
_ANY = re.compile(r"\{\{|:::|8<-|\?\?\?|===|^\s*(?:`{3,}|~{3,}).*\{", re.M)


@dataclass(frozen=True, slots=True, kw_only=True)
class Foreign:
    """What was found: the first line (counted from 1 in the body) and how many in all."""

    first_line: int
    first: str
    count: int


def translate(body: str) -> tuple[str, Foreign | None]:
    """The body with foreign syntax made plain, and what was not understood (None when everything was)."""
    if not _ANY.search(body):
        return body, None  # the usual case, decided in one pass
    lines = body.split("\n")
    found: list[tuple[int, str]] = []
    out: list[str] = []
    fence = ""
    skipping_options = False
    tab_indent: str | None = None
    for number, line in enumerate(lines, 1):
        marker = _FENCE.match(line)
        if fence:
            if marker and marker.group(1)[0] == fence[0] and len(marker.group(1)) >= len(fence):
                fence = ""
            out.append(line)
            continue
        if marker:
            fence = marker.group(1)
            out.append(_FENCE_ATTRS.sub(r"\1", line))
            continue
        if skipping_options:
            if line.startswith((" ", "\t")) and line.strip():
                out.append("")
                continue
            skipping_options = False
        if tab_indent is not None:
            if not line.strip() or line.startswith(tab_indent + "    "):
                line = line.replace("    ", "", 1) if line.strip() else line
            else:
                tab_indent = None
        line, directive = _line(line, number, found)
        skipping_options = directive
        tab = _TAB.match(line)
        if tab:
            tab_indent = tab.group(1)
            line = f"{tab.group(1)}**{tab.group(2)}**"
        out.append(line)
    if not found:
        return "\n".join(out), None
    return "\n".join(out), Foreign(first_line=found[0][0], first=found[0][1], count=len(found))


def _line(line: str, number: int, found: list[tuple[int, str]]) -> tuple[str, bool]:
    """One line outside code blocks; the flag says a directive line whose indented options follow."""
    if _HIGHLIGHT.match(line):
        return _HIGHLIGHT.sub(lambda m: "```" + m.group(1), line), False
    if _HIGHLIGHT_END.match(line):
        return "```", False
    directive = _DIRECTIVE.match(line)
    if directive:
        found.append((number, directive.group(2).strip()))
        return f"{directive.group(1)}{_literal(directive.group(2).strip())}", True
    line = _COLLAPSIBLE.sub(lambda m: m.group(1) + "!!!", line)
    parts = []
    at = 0
    for span in _CODE_SPAN.finditer(line):
        parts.append(_shortcodes(line[at : span.start()], number, found))
        parts.append(span.group())
        at = span.end()
    parts.append(_shortcodes(line[at:], number, found))
    text = "".join(parts)
    return ("" if not text.strip() and line.strip() else text), False


def _shortcodes(text: str, number: int, found: list[tuple[int, str]]) -> str:
    escaped: list[str] = []

    def keep(match: re.Match[str]) -> str:
        escaped.append("{{" + match.group(1) + match.group(2) + match.group(3) + "}}")
        return f"\x00{len(escaped) - 1}\x00"

    def swap(match: re.Match[str]) -> str:
        name, args = match.group(3), match.group(4)
        if name in _LINKING and not match.group(2):
            return _linked_path(args)
        found.append((number, match.group(0)))
        return ""  # a paired shortcode's text stays between its tags; a lone one has none to keep

    text = _SHORTCODE.sub(swap, _ESCAPED.sub(keep, text))
    return re.sub("\x00(\\d+)\x00", lambda m: _literal(escaped[int(m.group(1))]), text)


def _linked_path(args: str) -> str:
    # {{< ref "guides/setup" >}}, {{< relref path="setup.md#install" >}}: the path, as a link to a file.
    match = re.search(r"[\"']([^\"']*)[\"']", args) or re.search(r"(\S+)", args)
    target = match.group(1) if match else ""
    path, hash_, fragment = target.partition("#")
    if path and not path.endswith((".md", "/")):
        path += ".md"
    if path.endswith("/"):
        path += "_index.md"
    return path + hash_ + fragment


def _literal(text: str) -> str:
    # A code span long enough to hold any backticks inside it.
    ticks = "`" * (max((len(run) for run in re.findall("`+", text)), default=0) + 1)
    return f"{ticks} {text} {ticks}"
