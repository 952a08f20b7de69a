"""Baselines: accept today's findings, report only new ones.

A baseline is a JSON file listing findings by fingerprint (rule, file, logical id, property path
and what tells two findings apart; never line numbers), so edits that only move lines keep
matching. The rule, file, resource and message are written for the humans reviewing it.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterable
from typing import Any

from .files import atomic_write
from .findings import Finding
from .suppressions import Suppressed

VERSION = 1


class BaselineError(Exception):
    pass


def write_baseline(file: str, findings: Iterable[Finding]) -> int:
    entries = sorted(
        ({"fingerprint": f.fingerprint, "rule": f.rule, "file": f.file.replace(os.sep, "/"),
          "resource": f.resource, "message": f.message} for f in findings),
        key=lambda e: (e["file"], e["rule"], e["resource"] or "", e["fingerprint"]),
    )
    document = {"tool": "awslint-rules", "version": VERSION, "findings": entries}
    atomic_write(file, json.dumps(document, indent=2) + "\n")
    return len(entries)


def load_baseline(file: str) -> Counter[str]:
    """Fingerprint -> how many findings with it the baseline accepts."""
    try:
        with open(file, encoding="utf-8") as handle:
            document: Any = json.load(handle)
    except OSError as error:
        raise BaselineError(f"{file}: cannot read the baseline: {error.strerror or error}"
                            ) from None
    except ValueError as error:
        raise BaselineError(f"{file}: not a baseline (invalid JSON: {error})") from None
    entries = document.get("findings") if isinstance(document, dict) else None
    if not isinstance(entries, list) or not all(
        isinstance(e, dict) and isinstance(e.get("fingerprint"), str) for e in entries
    ):
        expected = '{"findings": [{"fingerprint": ...}, ...]}'
        raise BaselineError(f"{file}: not a baseline (expected {expected}, as written by "
                            "--write-baseline)")
    return Counter(e["fingerprint"] for e in entries)


def split(findings: Iterable[Finding], baseline: Counter[str]
          ) -> tuple[list[Finding], list[Suppressed]]:
    """(new findings, findings accepted by the baseline)."""
    remaining = Counter(baseline)
    new: list[Finding] = []
    known: list[Suppressed] = []
    for finding in findings:
        if remaining[finding.fingerprint] > 0:
            remaining[finding.fingerprint] -= 1
            known.append(Suppressed(finding, "in the baseline", kind="external"))
        else:
            new.append(finding)
    return new, known
