"""Benchmark awslint-rules against cfn-lint on the same inputs, in one run.

Cases (each tool runs as a cold process, the way pre-commit runs it; output goes to /dev/null):

* small   - examples/sam-api-and-queue.yaml, median of N runs (7; --quick: 3)
* large   - a generated 400-resource SAM/CFN template (scripts/make_large_template.py), median
* corpus  - ../shared/corpus (sibling of the repo root), one invocation per tool with all files
            as arguments, once. cfn-lint needs minutes for the full corpus, so by default
            awslint-rules runs on all files and both tools run on a deterministic sample
            (--corpus-sample, default 300) that gives the ratio. --corpus-sample 0 runs both on
            all files.
* floor   - in-process yaml.compose(text, Loader=yaml.CSafeLoader) over the same corpus files:
            the least any YAML-based linter has to do; awslint-rules is reported as a multiple.

Wall time is measured around each child; peak memory and CPU time come from the child's own
rusage (os.wait4). Linter exit codes are findings, not failures.

Usage: python scripts/benchmark.py [--quick] [--runs N] [--corpus-sample N] [--corpus DIR]
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from make_large_template import make_template

REPO_ROOT = Path(__file__).resolve().parent.parent
SMALL_TEMPLATE = REPO_ROOT / "examples" / "sam-api-and-queue.yaml"
DEFAULT_CORPUS = REPO_ROOT.parent / "shared" / "corpus"
TEMPLATE_SUFFIXES = frozenset({".yaml", ".yml", ".json", ".template"})
LARGE_RESOURCES = 400
SAMPLE_SEED = 20240601
AWSLINT = "awslint-rules"
CFN_LINT = "cfn-lint"


@dataclass(frozen=True)
class Tool:
    name: str
    exe: str | None
    flags: tuple[str, ...]

    def argv(self, files: Sequence[Path]) -> list[str]:
        assert self.exe is not None
        return [self.exe, *self.flags, *(str(f) for f in files)]


@dataclass(frozen=True)
class Run:
    wall: float
    cpu: float
    peak_mb: float
    exit_code: int


@dataclass
class Measurement:
    """All runs of one tool on one case; `note` explains a missing measurement."""

    runs: list[Run] = field(default_factory=list)
    note: str = ""

    @property
    def median(self) -> float | None:
        return statistics.median(r.wall for r in self.runs) if self.runs else None

    @property
    def cpu(self) -> float | None:
        return statistics.median(r.cpu for r in self.runs) if self.runs else None

    @property
    def peak_mb(self) -> float | None:
        return max(r.peak_mb for r in self.runs) if self.runs else None

    @property
    def exit_codes(self) -> str:
        return ",".join(str(c) for c in sorted({r.exit_code for r in self.runs})) or "-"


@dataclass
class CaseResult:
    label: str
    n_files: int
    results: dict[str, Measurement]


# --------------------------------------------------------------------------- tools


def _resolve_pyenv_shim(path: str) -> str:
    """A pyenv shim adds a bash + `pyenv exec` hop per start; time the real entry point."""
    if "/.pyenv/shims/" not in path or shutil.which("pyenv") is None:
        return path
    try:
        out = subprocess.run(
            ["pyenv", "which", Path(path).name], capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError):
        return path
    real = out.stdout.strip()
    return real if real and os.access(real, os.X_OK) else path


def find_tool(name: str) -> str | None:
    """Prefer the executable next to this interpreter (the venv), then PATH."""
    local = Path(sys.executable).parent / name
    if local.is_file() and os.access(local, os.X_OK):
        return str(local)
    found = shutil.which(name)
    return _resolve_pyenv_shim(found) if found else None


def make_tools() -> dict[str, Tool]:
    return {
        AWSLINT: Tool(AWSLINT, find_tool(AWSLINT), ("--format", "json")),
        CFN_LINT: Tool(CFN_LINT, find_tool(CFN_LINT), ("-f", "json", "--")),
    }


def tool_version(tool: Tool) -> str:
    if tool.exe is None:
        return "not installed"
    try:
        out = subprocess.run(
            [tool.exe, "--version"], capture_output=True, text=True, timeout=120, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"unknown ({exc})"
    return (out.stdout or out.stderr).strip().splitlines()[0] if (out.stdout or out.stderr) else "?"


# --------------------------------------------------------------------------- measuring


def _maxrss_mb(maxrss: int) -> float:
    """ru_maxrss is in KiB on Linux and in bytes on macOS."""
    return maxrss / (1024 * 1024) if sys.platform == "darwin" else maxrss / 1024


def run_once(argv: list[str]) -> Run:
    """Start a cold process, wait for it with wait4 to get its own rusage."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env=CHILD_ENV,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)  # already reaped: keep Popen quiet
    return Run(
        wall=wall,
        cpu=usage.ru_utime + usage.ru_stime,
        peak_mb=_maxrss_mb(usage.ru_maxrss),
        exit_code=proc.returncode,
    )


# Installed packages run from cached bytecode; an editable checkout under
# PYTHONDONTWRITEBYTECODE would recompile on every start. Let children write it, and warm up.
CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def warm_up(tools: dict[str, Tool], template: Path) -> None:
    for tool in tools.values():
        if tool.exe is not None:
            progress(f"  {tool.name}: warm-up run (bytecode caches), not timed")
            run_once(tool.argv([template]))


def measure(tool: Tool, files: Sequence[Path], runs: int) -> Measurement:
    if tool.exe is None:
        return Measurement(note="not installed")
    result = Measurement()
    for i in range(runs):
        progress(f"  {tool.name}: run {i + 1}/{runs} on {len(files)} file(s)")
        try:
            result.runs.append(run_once(tool.argv(files)))
        except OSError as exc:
            return Measurement(note=f"failed to start: {exc}")
    return result


def skipped(note: str) -> Measurement:
    return Measurement(note=note)


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- corpus


def corpus_files(corpus: Path) -> list[Path]:
    """Every template file (README/MANIFEST excluded), in a stable order."""
    return sorted(
        p for p in corpus.rglob("*") if p.is_file() and p.suffix.lower() in TEMPLATE_SUFFIXES
    )


def sample(files: list[Path], size: int) -> list[Path]:
    if size <= 0 or size >= len(files):
        return files
    return sorted(random.Random(SAMPLE_SEED).sample(files, size))


def warm_page_cache(files: Sequence[Path]) -> None:
    """Read every file once so no tool pays for the first, cold disk read."""
    for path in files:
        path.read_bytes()


@dataclass(frozen=True)
class Floor:
    seconds: float
    loader: str
    failures: int


def parse_floor(files: Sequence[Path]) -> Floor | None:
    """Read and yaml.compose every file in-process: the parse-only lower bound."""
    try:
        import yaml
    except ImportError:
        return None
    loader = getattr(yaml, "CSafeLoader", None) or yaml.SafeLoader
    failures = 0
    start = time.perf_counter()
    for path in files:
        try:
            yaml.compose(path.read_text(encoding="utf-8"), Loader=loader)
        except (yaml.YAMLError, UnicodeDecodeError):
            failures += 1
    return Floor(time.perf_counter() - start, loader.__name__, failures)


# --------------------------------------------------------------------------- cases


def run_case(
    label: str,
    files: Sequence[Path],
    tools: dict[str, Tool],
    runs: int,
    only: Sequence[str] | None = None,
    skip_note: str = "",
) -> CaseResult:
    progress(f"case: {label}")
    results = {
        name: measure(tool, files, runs) if only is None or name in only else skipped(skip_note)
        for name, tool in tools.items()
    }
    return CaseResult(label, len(files), results)


def corpus_cases(
    corpus: Path, tools: dict[str, Tool], sample_size: int
) -> tuple[list[CaseResult], list[str]]:
    """awslint-rules on all files, both tools on the sample; plus parse-floor lines."""
    if not corpus.is_dir():
        return [], [f"corpus: skipped, {corpus} does not exist"]
    files = corpus_files(corpus)
    if not files:
        return [], [f"corpus: skipped, no template files under {corpus}"]
    warm_page_cache(files)
    subset = sample(files, sample_size)
    cases: list[CaseResult] = []
    notes: list[str] = []
    if len(subset) < len(files):
        cases.append(
            run_case(
                f"corpus, all {len(files)} files",
                files,
                tools,
                1,
                only=[AWSLINT],
                skip_note=f"skipped (sample of {len(subset)} below)",
            )
        )
        cases.append(run_case(f"corpus, sample {len(subset)} files", subset, tools, 1))
        notes.append(
            f"corpus sample: {len(subset)} of {len(files)} files, random.Random({SAMPLE_SEED})"
            " sample, sorted; cfn-lint runs only on the sample (use --corpus-sample 0 for all)"
        )
    else:
        cases.append(run_case(f"corpus, all {len(files)} files", files, tools, 1))
    notes.extend(floor_notes(cases, files, subset))
    return cases, notes


def floor_notes(cases: list[CaseResult], files: list[Path], subset: list[Path]) -> list[str]:
    notes: list[str] = []
    for case, group in zip(cases, (files, subset), strict=False):
        progress(f"floor: yaml.compose on {len(group)} files")
        floor = parse_floor(group)
        if floor is None:
            notes.append("parse floor: skipped, PyYAML is not importable")
            continue
        lint = case.results[AWSLINT].median
        multiple = f"{lint / floor.seconds:.1f}x the floor" if lint and floor.seconds else "n/a"
        notes.append(
            f"parse floor ({case.label}): yaml.compose with {floor.loader} in-process "
            f"{fmt_seconds(floor.seconds)} ({floor.failures} unparseable); "
            f"awslint-rules {fmt_seconds(lint)} = {multiple}"
        )
    return notes


# --------------------------------------------------------------------------- report


def fmt_seconds(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def fmt_mb(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def fmt_ratio(ours: Measurement, theirs: Measurement) -> str:
    if ours.median and theirs.median:
        return f"{theirs.median / ours.median:.1f}x"
    return "-"


def cell(m: Measurement, value: Callable[[Measurement], str]) -> str:
    return value(m) if m.runs else (m.note or "-")


def table_rows(cases: list[CaseResult]) -> list[list[str]]:
    rows = [
        [
            "case",
            "files",
            "runs",
            "awslint-rules",
            "cfn-lint",
            "ratio cfn/awslint",
            "awslint cpu",
            "cfn-lint cpu",
            "awslint peak MB",
            "cfn-lint peak MB",
            "exit codes a/c",
        ]
    ]
    for case in cases:
        ours, theirs = case.results[AWSLINT], case.results[CFN_LINT]
        rows.append(
            [
                case.label,
                str(case.n_files),
                str(max(len(ours.runs), len(theirs.runs))),
                cell(ours, lambda m: fmt_seconds(m.median)),
                cell(theirs, lambda m: fmt_seconds(m.median)),
                fmt_ratio(ours, theirs),
                fmt_seconds(ours.cpu),
                fmt_seconds(theirs.cpu),
                fmt_mb(ours.peak_mb),
                fmt_mb(theirs.peak_mb),
                f"{ours.exit_codes}/{theirs.exit_codes}",
            ]
        )
    return rows


def render_table(rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [" | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(lines)


def machine_info(tools: dict[str, Tool]) -> list[str]:
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else "?"
    lines = [
        f"machine: {platform.platform()}, {platform.machine()}, "
        f"CPUs: {os.cpu_count()} (usable {usable}), load average at start: {load}",
        f"python: {platform.python_implementation()} {platform.python_version()} "
        f"({sys.executable})",
    ]
    for tool in tools.values():
        lines.append(f"{tool.name}: {tool_version(tool)} ({tool.exe or 'not installed'})")
    return lines


# --------------------------------------------------------------------------- main


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 runs per timed case, not 7")
    parser.add_argument("--runs", type=int, default=None, help="runs per small/large case")
    parser.add_argument(
        "--corpus-sample",
        type=int,
        default=300,
        metavar="N",
        help="files in the deterministic corpus sample both tools run on (0: all files)",
    )
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="corpus directory")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    runs = args.runs or (3 if args.quick else 7)
    tools = make_tools()
    info = machine_info(tools)
    started = time.perf_counter()
    warm_up(tools, SMALL_TEMPLATE)
    cases = [run_case("small: sam-api-and-queue.yaml", [SMALL_TEMPLATE], tools, runs)]
    with tempfile.TemporaryDirectory(prefix="awslint-bench-") as tmp:
        large = Path(tmp) / f"large-{LARGE_RESOURCES}.yaml"
        large.write_text(make_template(LARGE_RESOURCES), encoding="utf-8")
        cases.append(run_case(f"large: {LARGE_RESOURCES} resources", [large], tools, runs))
    corpus, notes = corpus_cases(args.corpus.resolve(), tools, args.corpus_sample)
    cases.extend(corpus)
    print("\n".join(info))
    print()
    print(render_table(table_rows(cases)))
    print()
    print("\n".join(notes))
    print(
        "times are wall-clock medians per cold process (corpus: one run); cpu = user+sys of the "
        "child; peak MB = max ru_maxrss; exit codes are findings, not failures"
    )
    print(f"benchmark took {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
