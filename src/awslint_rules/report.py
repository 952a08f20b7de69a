"""Report stage: findings -> text, JSON or GitHub workflow commands (SARIF lives in sarif.py)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from typing import Any

from .findings import Finding

COLOURS = {"error": "\033[31m", "warning": "\033[33m", "info": "\033[36m"}
RESET = "\033[0m"
GITHUB_COMMANDS = {"error": "error", "warning": "warning", "info": "notice"}


def text_report(findings: list[Finding], files: int, skipped: int, colour: bool = False) -> str:
    lines = []
    for f in findings:
        level = f"{COLOURS[f.level]}{f.level}{RESET}" if colour else f.level
        lines.append(f"{f.file}:{f.span.line}:{f.span.column}: {level} {f.rule} {f.message}")
    lines.append(summary(findings, files, skipped))
    return "\n".join(lines) + "\n"


def summary(findings: list[Finding], files: int, skipped: int) -> str:
    counts = Counter(f.level for f in findings)
    by_level = ", ".join(f"{counts[level]} {level}" for level in ("error", "warning", "info"))
    checked = files - skipped
    noun = "finding" if len(findings) == 1 else "findings"
    text = f"{len(findings)} {noun} ({by_level}) in {checked} template{'s' * (checked != 1)}"
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
        "path": list(f.path),
        "related": [
            {"file": r.file, "line": r.span.line, "column": r.span.column, "message": r.message}
            for r in f.related
        ],
        "fingerprint": f.fingerprint,
    }


def json_report(findings: Iterable[Finding]) -> str:
    return json.dumps([finding_dict(f) for f in findings], indent=2) + "\n"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_report(findings: Iterable[Finding]) -> str:
    lines = []
    for f in findings:
        properties = ",".join([
            f"file={_escape_property(f.file)}",
            f"line={f.span.line}",
            f"col={f.span.column}",
            f"endLine={f.span.end_line}",
            f"endColumn={f.span.end_column}",
            f"title={_escape_property(f.rule)}",
        ])
        lines.append(f"::{GITHUB_COMMANDS[f.level]} {properties}::{_escape_data(f.message)}")
    return "".join(line + "\n" for line in lines)
