"""Two pages for one output path: decided when the pages are planned, before anything is rendered. Pure.

A real page beats an alias, an alias beats a page the build makes by itself (a folder's list, the tag
list, ...), and between two of one kind the first by source path wins. Each loser is one warning that
names both sources with their lines; ``build --strict`` fails on it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, TypeVar

from .errors import OutputClash

_KIND = {0: "page", 1: "alias", 2: "generated page"}


class Claim(Protocol):
    path: str
    rank: int
    source: str
    line: int | None


T = TypeVar("T", bound=Claim)


def settle(plans: Sequence[T], label: str) -> tuple[list[T], list[OutputClash]]:
    """The plans with one winner per path, in their order; and a warning for each plan that lost."""
    best: dict[str, T] = {}
    for plan in plans:
        held = best.get(plan.path)
        if held is None or _order(plan) < _order(held):
            best[plan.path] = plan
    clashes = [_clash(plan, best[plan.path], label) for plan in plans if best[plan.path] is not plan]
    return [p for p in plans if best[p.path] is p], sorted(clashes, key=lambda c: (c.path, c.line or 0))


def _order(plan: Claim) -> tuple[int, str, int]:
    return plan.rank, plan.source, plan.line or 0


def _clash(loser: Claim, winner: Claim, label: str) -> OutputClash:
    url = "/" + loser.path.removesuffix("index.html")
    if not loser.source:
        return OutputClash(
            _where(winner, label),
            winner.line,
            f"{_KIND[winner.rank]} {url} takes the place of the page the build makes there",
            "give it another path if you want the generated page back",
        )
    if winner.source:
        other = f"{_where(winner, label)}{f':{winner.line}' if winner.line else ''} ({_KIND[winner.rank]})"
    else:
        other = "a page the build makes"
    return OutputClash(
        _where(loser, label),
        loser.line,
        f"{_KIND[loser.rank]} {url} is also claimed by {other}, which is built",
        "give one of them another path",
    )


def _where(plan: Claim, label: str) -> str:
    return f"{label}/{plan.source}"
