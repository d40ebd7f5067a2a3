"""schemas/recipe.schema.json from the recipe model (wisdomgate.recipe.schema), for `make regen`.

`python -m codegen.recipe_schema --write` writes the file, `--check` exits 1 when it is stale,
and with neither the schema is printed. A module of its own, so that running it does not import
wisdomgate.recipe.schema twice (once by the package, once as __main__).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from wisdomgate.recipe.schema import SCHEMA_PATH, render_schema

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m codegen.recipe_schema [--write | --check]`; prints the schema by default."""
    parser = argparse.ArgumentParser(prog="python -m codegen.recipe_schema", description=__doc__)
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--write", action="store_true", help=f"write {SCHEMA_PATH.name}")
    group.add_argument("--check", action="store_true", help="exit 1 when the file is stale")
    parser.add_argument("--path", type=Path, default=SCHEMA_PATH, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    text = render_schema()
    if args.write:
        args.path.parent.mkdir(parents=True, exist_ok=True)
        args.path.write_text(text, encoding="utf-8")
        print(f"wrote {args.path}")
        return 0
    if args.check:
        current = args.path.read_text(encoding="utf-8") if args.path.exists() else ""
        if current != text:
            print(
                f"{args.path} is stale: run `make regen`",
                file=sys.stderr,
            )
            return 1
        print(f"{args.path} is up to date")
        return 0
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
