"""Print the README's rules table from the rule catalog, or rewrite it in place (--write).

Each row is `| id | name | what it finds |`, in catalog order; "what it finds" is the rule's
`brief` (a short markdown phrase, see rules/README.md) or, without one, its `summary`, followed
by "(off by default: its tags)" for a rule that is off by default. The README
section between `<!-- rules-table:start -->` and `<!-- rules-table:end -->` is the generated
table; tests/test_readme.py fails when it is out of date.

Usage: python scripts/readme_rules.py [--write] [--readme PATH]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from awslint_rules.catalog import Rule, load_catalog

README = Path(__file__).resolve().parent.parent / "README.md"
START, END = "<!-- rules-table:start -->", "<!-- rules-table:end -->"


def table(rules: dict[str, Rule]) -> str:
    """The markdown table, one row per rule, ending with a newline."""
    rows = ["| id | name | what it finds |", "| --- | --- | --- |"]
    for rule in rules.values():
        text = " ".join(str(rule.doc.get("brief") or rule.summary).split())
        if not rule.on_by_default:
            text += " *(off by default: " + ", ".join(rule.tags) + ")*"
        rows.append(f"| {rule.id} | {rule.name} | {text.replace('|', chr(92) + '|')} |")
    return "\n".join(rows) + "\n"


def rewrite(readme: str, generated: str) -> str:
    """`readme` with the text between the markers replaced by `generated`."""
    before, start, rest = readme.partition(START)
    _, end, after = rest.partition(END)
    if not start or not end:
        raise ValueError(f"the README needs the markers {START} and {END}, in this order")
    return f"{before}{START}\n{generated}{END}{after}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help="rewrite the README's table in place")
    parser.add_argument("--readme", type=Path, default=README, help="default: %(default)s")
    args = parser.parse_args(argv)
    generated = table(load_catalog())
    if not args.write:
        sys.stdout.write(generated)
        return 0
    old = args.readme.read_text(encoding="utf-8")
    try:
        new = rewrite(old, generated)
    except ValueError as error:
        parser.error(f"{args.readme}: {error}")
    if new != old:
        args.readme.write_text(new, encoding="utf-8")
    print(f"{args.readme}: rules table {'updated' if new != old else 'already up to date'}",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
