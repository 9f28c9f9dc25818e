"""The swarmdeck command line: parse arguments, call the core, map errors to exit codes."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from swarmdeck import __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="swarmdeck",
        description="Self-hosted load testing for web applications, built on Locust.",
    )
    parser.add_argument("--version", action="version", version=f"swarmdeck {__version__}")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    parser.parse_args(argv)
    parser.print_help()
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
