"""Benchmark awslint-rules against cfn-lint (alone and with the awslint-rules plugin) and
checkov, on the same inputs, in one run.

Cases (each tool runs as a cold process, the way pre-commit runs it; output goes to /dev/null):

* small   - examples/sam-api-and-queue.yaml, median of N runs (7; --quick: 3)
* 400     - a generated 400-resource SAM/CFN template (scripts/make_large_template.py), median
* 500 / 5000 - generated templates for the growth check (awslint-rules only unless --full)
* corpus  - ../shared/corpus, one invocation per tool with all files as arguments, once.
            awslint-rules runs on all files; every tool runs on a deterministic sample
            (--corpus-sample, default 300) for the ratios; --corpus-sample 0 runs all on all.
* floor   - in-process yaml.compose(text, Loader=yaml.CSafeLoader) over the same corpus files:
            the least any YAML-based linter has to do; awslint-rules is reported as a multiple.

Wall time is measured around each child; peak memory and CPU time come from the child's own
rusage (os.wait4). Linter exit codes are findings, not failures. The last section checks the
targets of the speed issue and says PASS or MISS for each.

Usage: python scripts/benchmark.py [--quick] [--full] [--runs N] [--corpus-sample N]
       [--corpus DIR] [--checkov PATH]
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
AWSLINT_SERIAL = "awslint-rules -j1"
CFN_LINT = "cfn-lint"
PLUGIN = "cfn-lint+plugin"
CHECKOV = "checkov"
PLUGIN_MODULE = "awslint_rules.cfnlint_plugin"
GROWTH_SIZES = (500, 5000)


@dataclass(frozen=True)
class Tool:
    name: str
    exe: str | None
    flags: tuple[str, ...]
    note: str = "not installed"

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
    key: str
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


def make_tools(checkov: str | None) -> dict[str, Tool]:
    cfn_lint = find_tool(CFN_LINT)
    plugin_ok = cfn_lint is not None and _importable(cfn_lint, PLUGIN_MODULE)
    return {
        AWSLINT: Tool(AWSLINT, find_tool(AWSLINT), ("--format", "json")),
        AWSLINT_SERIAL: Tool(AWSLINT_SERIAL, find_tool(AWSLINT), ("--format", "json", "--jobs",
                                                                  "1")),
        CFN_LINT: Tool(CFN_LINT, cfn_lint, ("-f", "json", "--")),
        PLUGIN: Tool(PLUGIN, cfn_lint if plugin_ok else None,
                     ("-f", "json", "-a", PLUGIN_MODULE, "--"),
                     note=f"{PLUGIN_MODULE} not importable next to cfn-lint"),
        CHECKOV: Tool(CHECKOV, checkov or find_tool(CHECKOV),
                      ("--framework", "cloudformation", "--skip-download", "--quiet",
                       "-o", "json", "-f")),
    }


def _importable(executable: str, module: str) -> bool:
    """Whether the interpreter behind a console script can import `module`."""
    try:
        first = Path(executable).read_text(encoding="utf-8", errors="replace").splitlines()[0]
    except (OSError, IndexError):
        return False
    python = first[2:].strip() if first.startswith("#!") else sys.executable
    probe = subprocess.run([python, "-c", f"import {module}"], capture_output=True, check=False)
    return probe.returncode == 0


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


class Crashed(Exception):
    """The tool died with a traceback: its time measures nothing."""


def run_once(argv: list[str]) -> Run:
    """Start a cold process, wait for it with wait4 to get its own rusage."""
    with tempfile.TemporaryFile() as errors:
        start = time.perf_counter()
        proc = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=errors,
            env=CHILD_ENV,
        )
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)  # already reaped: keep Popen quiet
        errors.seek(0)
        if b"Traceback (most recent call last)" in errors.read():
            raise Crashed(f"exit {proc.returncode} with a traceback")
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


def measure(tools: dict[str, Tool], files: Sequence[Path], runs: int) -> dict[str, Measurement]:
    """Interleaved (run 1 of every tool, then run 2, ...), so a slow spell of the machine
    falls on every tool alike instead of on one tool's block of runs."""
    results = {name: Measurement(note="" if t.exe else t.note) for name, t in tools.items()}
    for i in range(runs):
        for name, tool in tools.items():
            result = results[name]
            if tool.exe is None or result.note:
                continue
            progress(f"  {name}: run {i + 1}/{runs} on {len(files)} file(s)")
            try:
                result.runs.append(run_once(tool.argv(files)))
            except OSError as exc:
                results[name] = Measurement(note=f"failed to start: {exc}")
            except Crashed as exc:
                results[name] = Measurement(note=f"crashed: {exc}")
    return results


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
    key: str,
    label: str,
    files: Sequence[Path],
    tools: dict[str, Tool],
    runs: int,
    only: Sequence[str] | None = None,
    skip_note: str = "",
) -> CaseResult:
    progress(f"case: {label}")
    if only is None:  # --jobs makes no difference on one file
        only = [name for name in tools if name != AWSLINT_SERIAL]
    measured = measure({name: tool for name, tool in tools.items() if name in only}, files, runs)
    note = skip_note or "one file: as awslint-rules"
    results = {name: measured.get(name) or Measurement(note=note) for name in tools}
    return CaseResult(key, label, len(files), results)


def generated_cases(tools: dict[str, Tool], runs: int, full: bool, tmp: Path) -> list[CaseResult]:
    cases = []
    for size in (LARGE_RESOURCES, *GROWTH_SIZES):
        path = tmp / f"generated-{size}.yaml"
        path.write_text(make_template(size), encoding="utf-8")
        only = None if size == LARGE_RESOURCES or full else [AWSLINT]
        cases.append(run_case(str(size), f"generated: {size} resources", [path], tools, runs,
                              only=only, skip_note="skipped (--full runs it)"))
    return cases


def corpus_cases(
    corpus: Path, tools: dict[str, Tool], sample_size: int
) -> tuple[list[CaseResult], list[str], float | None]:
    """awslint-rules on all files, every tool on the sample; the parse floor of both."""
    if not corpus.is_dir():
        return [], [f"corpus: skipped, {corpus} does not exist"], None
    files = corpus_files(corpus)
    if not files:
        return [], [f"corpus: skipped, no template files under {corpus}"], None
    warm_page_cache(files)
    subset = sample(files, sample_size)
    cases: list[CaseResult] = []
    notes: list[str] = []
    if len(subset) < len(files):
        cases.append(run_case("corpus", f"corpus, all {len(files)} files", files, tools, 1,
                              only=[AWSLINT, AWSLINT_SERIAL],
                              skip_note=f"sample of {len(subset)} below"))
        cases.append(run_case("corpus-sample", f"corpus, sample {len(subset)} files", subset,
                              tools, 1, only=list(tools)))
        notes.append(
            f"corpus sample: {len(subset)} of {len(files)} files, random.Random({SAMPLE_SEED})"
            " sample, sorted; the other tools run only on the sample (--corpus-sample 0: all)"
        )
    else:
        cases.append(run_case("corpus", f"corpus, all {len(files)} files", files, tools, 1,
                              only=list(tools)))
    floor_lines, whole_multiple = floor_notes(cases, files, subset)
    return cases, notes + floor_lines, whole_multiple


def floor_notes(
    cases: list[CaseResult], files: list[Path], subset: list[Path]
) -> tuple[list[str], float | None]:
    notes: list[str] = []
    whole: float | None = None
    for case, group in zip(cases, (files, subset), strict=False):
        progress(f"floor: yaml.compose on {len(group)} files")
        floor = parse_floor(group)
        if floor is None:
            notes.append("parse floor: skipped, PyYAML is not importable")
            continue
        lint = case.results[AWSLINT_SERIAL].median  # one process, as the floor
        multiple = lint / floor.seconds if lint and floor.seconds else None
        if case.key == "corpus":
            whole = multiple
        notes.append(
            f"parse floor ({case.label}): yaml.compose with {floor.loader} in-process "
            f"{fmt_seconds(floor.seconds)} ({floor.failures} unparseable); awslint-rules -j1 "
            f"{fmt_seconds(lint)} = {f'{multiple:.1f}x' if multiple else 'n/a'} the floor"
        )
    return notes, whole


# --------------------------------------------------------------------------- report


def fmt_seconds(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def fmt_mb(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def cell(m: Measurement, value: Callable[[Measurement], str]) -> str:
    return value(m) if m.runs else (m.note or "-")


def ratio(numerator: Measurement, denominator: Measurement) -> float | None:
    if numerator.median and denominator.median:
        return numerator.median / denominator.median
    return None


def table_rows(cases: list[CaseResult]) -> list[list[str]]:
    """One row per case and tool; 'x awslint' is that tool's time over awslint-rules' time."""
    rows = [["case", "files", "tool", "runs", "wall (median)", "cpu", "peak MB", "x awslint",
             "exit"]]
    for case in cases:
        ours = case.results[AWSLINT]
        for name, m in case.results.items():
            times = ratio(m, ours)
            rows.append([
                case.label, str(case.n_files), name, str(len(m.runs)) if m.runs else "-",
                cell(m, lambda x: fmt_seconds(x.median)), fmt_seconds(m.cpu), fmt_mb(m.peak_mb),
                f"{times:.1f}x" if times and name != AWSLINT else "-", m.exit_codes,
            ])
    return rows


@dataclass(frozen=True)
class Target:
    what: str
    measured: float | None
    limit: float
    at_most: bool  # True: measured <= limit passes; False: measured >= limit passes
    unit: str = "x"

    def line(self) -> str:
        if self.measured is None:
            return f"n/a   {self.what}: not measured"
        ok = self.measured <= self.limit if self.at_most else self.measured >= self.limit
        bound = "<=" if self.at_most else ">="
        value = f"{self.measured:.2f}{self.unit}"
        return f"{'PASS' if ok else 'MISS'}  {self.what}: {value} (target {bound} " \
               f"{self.limit:g}{self.unit})"


def targets(cases: dict[str, CaseResult], floor_multiple: float | None) -> list[Target]:
    def tool(case: str, name: str) -> Measurement:
        found = cases.get(case)
        return found.results[name] if found else Measurement()

    small, large = tool("small", AWSLINT), tool("400", AWSLINT)
    corpus_case = "corpus-sample" if "corpus-sample" in cases else "corpus"
    growth = ratio(tool("5000", AWSLINT), tool("500", AWSLINT))
    return [
        Target("small template, cold: cfn-lint / awslint-rules",
               ratio(tool("small", CFN_LINT), small), 10, at_most=False),
        Target("small template, cold: awslint-rules wall", small.median, 0.25, True, " s"),
        Target("400 resources: cfn-lint / awslint-rules",
               ratio(tool("400", CFN_LINT), large), 20, at_most=False),
        Target(f"{corpus_case}: cfn-lint / awslint-rules -j1 (one process each)",
               ratio(tool(corpus_case, CFN_LINT), tool(corpus_case, AWSLINT_SERIAL)), 20, False),
        Target("whole corpus: awslint-rules -j1 / bare C-loader parse", floor_multiple, 3, True),
        Target("growth: 5000-resource / 500-resource time", growth, 12, at_most=True),
        *(
            Target(f"plugin overhead on {case}: (cfn-lint+plugin) / cfn-lint",
                   ratio(tool(case, PLUGIN), tool(case, CFN_LINT)), 1.10, at_most=True)
            for case in ("small", "400", corpus_case)
        ),
        Target("whole corpus: awslint-rules -j1 peak memory",
               tool("corpus", AWSLINT_SERIAL).peak_mb, 150, True, " MB"),
    ]


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
    parser.add_argument("--runs", type=int, default=None, help="runs per single-template case")
    parser.add_argument("--full", action="store_true",
                        help="also run the other tools on the 500/5000-resource templates")
    parser.add_argument(
        "--corpus-sample",
        type=int,
        default=300,
        metavar="N",
        help="files in the deterministic corpus sample every tool runs on (0: all files)",
    )
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="corpus directory")
    parser.add_argument("--checkov", default=None, help="checkov executable (default: PATH)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    runs = args.runs or (3 if args.quick else 7)
    tools = make_tools(args.checkov)
    info = machine_info(tools)
    started = time.perf_counter()
    warm_up(tools, SMALL_TEMPLATE)
    cases = [run_case("small", "small: sam-api-and-queue.yaml", [SMALL_TEMPLATE], tools, runs)]
    with tempfile.TemporaryDirectory(prefix="awslint-bench-") as tmp:
        cases += generated_cases(tools, runs, args.full, Path(tmp))
    corpus, notes, floor_multiple = corpus_cases(args.corpus.resolve(), tools, args.corpus_sample)
    cases += corpus
    print("\n".join(info))
    print()
    print(render_table(table_rows(cases)))
    print()
    print("\n".join(notes))
    print(
        "times are wall-clock medians per cold process (corpus: one run); cpu = user+sys of the "
        "child; peak MB = max ru_maxrss; exit codes are findings, not failures"
    )
    print()
    print("targets:")
    for target in targets({case.key: case for case in cases}, floor_multiple):
        print("  " + target.line())
    print(f"benchmark took {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
