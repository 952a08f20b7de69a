"""Write rules/_index.json, the parsed heads of the built-in rules that a run reads at start-up.

    python scripts/catalog_index.py --write    # after editing a rule's YAML
    python scripts/catalog_index.py            # exit 1 when the index is out of date

A stale entry is never used (each is keyed by its file's SHA-1): it only costs start-up time, and
tests/test_catalog.py fails until the index is rewritten.
"""

from __future__ import annotations

import argparse
import json
import sys

from awslint_rules.catalog import INDEX, build_index


def rendered() -> str:
    return json.dumps(build_index(), indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="rewrite the index")
    args = parser.parse_args(argv)
    text = rendered()
    current = INDEX.read_text(encoding="utf-8") if INDEX.exists() else ""
    if args.write:
        if text != current:
            INDEX.write_text(text, encoding="utf-8")
        print(f"{INDEX}: {'updated' if text != current else 'already up to date'}",
              file=sys.stderr)
        return 0
    if text != current:
        print(f"{INDEX} is out of date: run python scripts/catalog_index.py --write",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
