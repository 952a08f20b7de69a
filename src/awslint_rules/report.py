"""Report stage: findings -> text, JSON or GitHub workflow commands (SARIF lives in sarif.py)."""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .findings import Finding

if TYPE_CHECKING:
    from .suppressions import Suppressed

COLOURS = {"error": "\033[31m", "warning": "\033[33m", "info": "\033[36m"}
RESET = "\033[0m"
GITHUB_COMMANDS = {"error": "error", "warning": "warning", "info": "notice"}
# the suffix Hit.full_message appends to a finding that holds only under template conditions
_CONDITION_SUFFIX = re.compile(r" \((when condition [^()]*)\)$")


def short_message(message: str) -> str:
    """`--format concise`: the message up to its first ": " outside parentheses (messages say
    what is wrong, then ": " and the consequence), without a final period; a condition suffix
    `(when condition X is true)` is kept."""
    depth = 0
    cut = None
    for index, char in enumerate(message):
        if char == "(":
            depth += 1
        elif char == ")":
            depth = max(0, depth - 1)
        elif char == ":" and depth == 0 and message.startswith(": ", index):
            cut = index
            break
    if cut is None:
        return message.rstrip(".")
    short = message[:cut].rstrip(".")
    condition = _CONDITION_SUFFIX.search(message)
    return f"{short} ({condition[1]})" if condition else short


def text_report(
    findings: list[Finding],
    files: int,
    skipped: int,
    colour: bool = False,
    *,
    suppressed: Sequence[Suppressed] = (),
    show_suppressed: bool = False,
    statistics: Mapping[str, str] | None = None,
    unreadable: int = 0,
    concise: bool = False,
    invalid: int = 0,
) -> str:
    """One line per finding, then (with `statistics`: rule id -> name) counts per rule, then
    the summary. Suppressed findings are counted, and listed only with `show_suppressed`.
    `concise`: each message cut to its first clause (short_message)."""
    shown = [(f, None) for f in findings]
    if show_suppressed:
        shown = sorted(shown + [(s.finding, s) for s in suppressed], key=lambda p: p[0].sort_key)
    lines = []
    for f, suppression in shown:
        level = f"{COLOURS[f.level]}{f.level}{RESET}" if colour else f.level
        message = short_message(f.message) if concise else f.message
        line = f"{f.file}:{f.span.line}:{f.span.column}: {level} {f.rule} {message}"
        if suppression is not None:
            line += f" [suppressed: {suppression.reason or 'no reason given'}]"
        lines.append(line)
    if statistics is not None:
        lines += statistics_lines(findings, statistics)
    lines.append(summary(findings, files, skipped, suppressed, unreadable, invalid))
    return "\n".join(lines) + "\n"


def statistics_lines(findings: Iterable[Finding], names: Mapping[str, str]) -> list[str]:
    """`--statistics`: how many findings each rule reported, most first."""
    counts = Counter(f.rule for f in findings)
    levels = {f.rule: f.level for f in findings}
    width = max((len(str(n)) for n in counts.values()), default=1)
    return [
        f"{count:>{width}}  {rule}  {levels[rule]:<7}  {names.get(rule, '')}".rstrip()
        for rule, count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    ]


def summary(findings: list[Finding], files: int, skipped: int,
            suppressed: Sequence[Suppressed] = (), unreadable: int = 0, invalid: int = 0) -> str:
    counts = Counter(f.level for f in findings)
    by_level = ", ".join(f"{counts[level]} {level}" for level in ("error", "warning", "info"))
    checked = files - skipped - unreadable - invalid
    noun = "finding" if len(findings) == 1 else "findings"
    text = f"{len(findings)} {noun} ({by_level}) in {checked} template{'s' * (checked != 1)}"
    kinds = Counter(s.kind for s in suppressed)
    if kinds["inSource"]:
        text += f"; {kinds['inSource']} suppressed in templates"
    if kinds["external"]:
        text += f"; {kinds['external']} in the baseline"
    if unreadable:
        text += f"; {unreadable} file{'s' * (unreadable != 1)} unreadable"
    if invalid:
        text += f"; {invalid} file{'s' * (invalid != 1)} not linted (invalid parameter)"
    return text + (f"; {skipped} file{'s' * (skipped != 1)} skipped (not templates)"
                   if skipped else "")


def finding_dict(f: Finding) -> dict[str, Any]:
    return {
        "rule": f.rule,
        "level": f.level,
        "message": f.message,
        "file": f.file,
        "line": f.span.line,
        "column": f.span.column,
        "end_line": f.span.end_line,
        "end_column": f.span.end_column,
        "resource": f.resource,
        "construct": f.construct,
        "path": list(f.path),
        "related": [
            {"file": r.file, "line": r.span.line, "column": r.span.column, "message": r.message}
            for r in f.related
        ],
        "fingerprint": f.fingerprint,
    }


def json_report(findings: Iterable[Finding], suppressed: Iterable[Suppressed] = ()) -> str:
    """A list of findings; `suppressed` ones (only passed with --show-suppressed) carry
    `"suppression": {"kind": "inSource" | "external", "justification": ...}`."""
    entries = [(f.sort_key, finding_dict(f)) for f in findings]
    for s in suppressed:
        entry = finding_dict(s.finding)
        entry["suppression"] = {"kind": s.kind, "justification": s.reason}
        entries.append((s.finding.sort_key, entry))
    entries.sort(key=lambda pair: pair[0])
    return json.dumps([entry for _, entry in entries], indent=2) + "\n"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_report(findings: Iterable[Finding]) -> str:
    lines = []
    for f in findings:
        properties = ",".join([
            f"file={_escape_property(_annotation_path(f.file))}",
            f"line={f.span.line}",
            f"col={f.span.column}",
            f"endLine={f.span.end_line}",
            f"endColumn={f.span.end_column}",
            f"title={_escape_property(f.rule)}",
        ])
        lines.append(f"::{GITHUB_COMMANDS[f.level]} {properties}::{_escape_data(f.message)}")
    return "".join(line + "\n" for line in lines)


def _annotation_path(file: str) -> str:
    """GitHub places an annotation by its repository-relative path: `./infra/q.yaml` is
    `infra/q.yaml`."""
    return os.path.normpath(file).replace(os.sep, "/") if file != "-" else file
