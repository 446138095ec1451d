"""Command line: argv in, exit code out. The only module that prints."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from .build import build, check_site, skipped_files
from .cache import cache_dir_for, load_cache, save_cache
from .errors import BuildFailed, SiteError
from .workers import default_workers

EXIT_OK, EXIT_CONTENT, EXIT_USAGE = 0, 1, 2


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``python -m site_builder``; returns the exit code."""
    args = _parser().parse_args(argv)
    return args.run(args)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m site_builder", description="Build a Folio article site.")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")
    build_cmd = commands.add_parser("build", help="build content/ into dist/")
    _add_paths(build_cmd)
    build_cmd.add_argument("--drafts", action="store_true", help="include articles marked draft: true")
    build_cmd.add_argument("--strict", action="store_true", help="fail on every finding of the site check")
    build_cmd.add_argument(
        "--no-search", dest="search", action="store_false", help="skip the Pagefind search index"
    )
    build_cmd.set_defaults(run=_run_build)
    check_cmd = commands.add_parser(
        "check", help="report broken links and anchors, missing alt text and descriptions"
    )
    check_cmd.add_argument(
        "--content", type=Path, default=Path("content"), help="content folder (default: content)"
    )
    check_cmd.add_argument("--drafts", action="store_true", help="check drafts too")
    check_cmd.set_defaults(run=_run_check)
    watch_cmd = commands.add_parser(
        "watch", help="build, serve on http://127.0.0.1:8000 and rebuild on every save"
    )
    _add_paths(watch_cmd)
    watch_cmd.add_argument("--host", default="127.0.0.1", help="address to serve on (default: 127.0.0.1)")
    watch_cmd.add_argument("--port", type=int, default=8000, help="port to serve on (default: 8000)")
    watch_cmd.add_argument("--drafts", action="store_true", help="include articles marked draft: true")
    watch_cmd.set_defaults(run=_run_watch)
    return parser


def _add_paths(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--content", type=Path, default=Path("content"), help="content folder (default: content)"
    )
    command.add_argument("--out", type=Path, default=Path("dist"), help="output folder (default: dist)")


def _run_build(args: argparse.Namespace) -> int:
    if not args.content.is_dir():
        print(f"error: no content folder at {args.content}", file=sys.stderr)
        return EXIT_USAGE
    try:
        cache_dir = cache_dir_for(args.out)
        cache = load_cache(cache_dir)
        result = build(
            args.content,
            args.out,
            drafts=args.drafts,
            strict=args.strict,
            search=args.search,
            cache=cache,
            workers=default_workers(),
        )
        save_cache(cache, cache_dir)
    except BuildFailed as failed:
        report(failed.errors)
        print(
            f"Build failed with {len(failed.errors)} error(s); {args.out} was left as it was.",
            file=sys.stderr,
        )
        return EXIT_CONTENT
    report(result.warnings, "warning: ")
    pages = f"{result.pages} pages ({len(result.rendered)} rendered)"
    print(f"Built {result.articles} articles, {pages}, {result.files} files in {result.milliseconds} ms")
    return EXIT_OK


def _run_check(args: argparse.Namespace) -> int:
    if not args.content.is_dir():
        print(f"error: no content folder at {args.content}", file=sys.stderr)
        return EXIT_USAGE
    try:
        findings = check_site(args.content, drafts=args.drafts)
    except BuildFailed as failed:
        report(failed.errors)
        return EXIT_CONTENT
    report(skipped_files(args.content), "note: ")
    report(findings)
    return EXIT_CONTENT if findings else EXIT_OK


def _run_watch(args: argparse.Namespace) -> int:
    from .watch import serve

    if not args.content.is_dir():
        print(f"error: no content folder at {args.content}", file=sys.stderr)
        return EXIT_USAGE
    return serve(args.content, args.out, host=args.host, port=args.port, drafts=args.drafts, echo=echo)


def echo(line: str, error: bool = False) -> None:
    """One line for the editor: to stderr when it reports a problem."""
    print(line, file=sys.stderr if error else sys.stdout, flush=True)


def report(problems: Sequence[SiteError], prefix: str = "") -> None:
    """Print one ``path:line: message`` line per problem to stderr."""
    for problem in problems:
        where, _, rest = str(problem).partition(": ")
        print(f"{where}: {prefix}{rest}", file=sys.stderr)
