"""Errors an author can fix, each printed as ``path:line: message`` with an optional hint.

    SiteError
    ├── ConfigError         content/site.toml is missing a value, has a wrong type or an unknown key
    ├── FrontMatterError    an article's YAML front matter cannot be read or has a wrong type
    ├── DuplicateSlugError  two articles would be written to one URL
    ├── LinkError           a link to a missing page, file or anchor (a warning unless --strict)
    ├── ArticleWarning      an article with no text, or another generator's syntax (a warning unless --strict)
    ├── OutputClash         two pages for one output path (a warning naming both, unless --strict)
    ├── SkippedFile         a markdown file that is not built, and why (a note, never fatal)
    ├── MissingAltText      an image without alt text (a finding of the site check)
    ├── MissingDescription  an article without a description (a finding of the site check)
    ├── DuplicateTitle      two articles with one title (a finding of the site check)
    ├── TemplateError       a theme template cannot be compiled or rendered
    ├── SearchError         Pagefind could not index the site
    └── OutputError         two sources for one output path

``BuildFailed`` carries every error of one build, so that an author sees them all at once.
"""

from __future__ import annotations

from collections.abc import Sequence


class SiteError(Exception):
    """A problem in the site's sources, located at ``path:line``."""

    def __init__(self, path: str, line: int | None, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.path = path
        self.line = line
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        text = f"{where}: {self.message}"
        return f"{text}\n  hint: {self.hint}" if self.hint else text

    def __reduce__(self):  # type: ignore[no-untyped-def]
        # Errors travel back from worker processes, so they must pickle with all their fields.
        return (type(self), (self.path, self.line, self.message, self.hint))


class ConfigError(SiteError):
    pass


class FrontMatterError(SiteError):
    pass


class DuplicateSlugError(SiteError):
    pass


class LinkError(SiteError):
    pass


class ArticleWarning(SiteError):
    pass


class OutputClash(SiteError):
    pass


class SkippedFile(SiteError):
    pass


class MissingAltText(SiteError):
    pass


class MissingDescription(SiteError):
    pass


class DuplicateTitle(SiteError):
    pass


class TemplateError(SiteError):
    pass


class SearchError(SiteError):
    pass


class OutputError(SiteError):
    pass


class BuildFailed(Exception):
    """A build stopped by one or more content errors; ``dist/`` was left as it was."""

    def __init__(self, errors: Sequence[SiteError]) -> None:
        super().__init__(f"{len(errors)} error(s)")
        self.errors = tuple(errors)
