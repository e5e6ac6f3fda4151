"""``python -m chatserver.contract asyncapi [--check FILE]``: print the AsyncAPI
document as YAML, or exit 1 when FILE differs from it (docs/asyncapi.yaml)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from chatserver.contract import asyncapi
from chatserver.contract.yaml_text import dump

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chatserver.contract")
    parser.add_argument("document", choices=["asyncapi"])
    parser.add_argument("--check", type=Path, help="exit 1 when this file is stale")
    args = parser.parse_args(argv)
    text = dump(asyncapi.build())
    if args.check is None:
        sys.stdout.write(text)
        return 0
    if args.check.read_text(encoding="utf-8") != text:
        print(
            f"{args.check} is stale: python -m chatserver.contract asyncapi > {args.check}",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
