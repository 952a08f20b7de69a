"""`make fuzz`: the long hypothesis profile, then the mutation fuzzer, within one time budget.

The hypothesis phase (tests/test_fuzz.py with AWSLINT_FUZZ_PROFILE=long, `pytest -v`, so each
property is listed as it finishes) gets at most half of the budget: when it runs out, pytest is
interrupted (SIGINT, so it still prints the results so far) and the run goes on. The mutation
fuzzer (scripts/mutation_fuzz.py) gets the rest. A heartbeat line is printed every `--progress`
seconds while a phase is silent.

Usage: python scripts/fuzz.py [--seconds S] [--seed N] [--progress S]
Exit status: 0 when neither phase found a failure (an interrupted hypothesis phase is not one),
1 otherwise.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_phase(name: str, command: list[str], budget: float, progress: float | None,
              env: dict[str, str] | None = None) -> tuple[int, bool]:
    """Run `command`, interrupt it once `budget` seconds are over: (exit code, interrupted).

    `progress`: seconds between heartbeat lines (None: the command prints its own progress).
    """
    print(f"== {name}: budget {budget:.0f} s", flush=True)
    start = time.monotonic()
    process = subprocess.Popen(command, cwd=ROOT, env=env)
    interrupted = False
    next_beat = start + progress if progress else float("inf")
    while True:
        try:
            code = process.wait(timeout=1.0)
            break
        except subprocess.TimeoutExpired:
            pass
        now = time.monotonic()
        if not interrupted and now - start >= budget:
            print(f"== {name}: time budget of {budget:.0f} s reached, stopping", flush=True)
            process.send_signal(signal.SIGINT)
            interrupted = True
        elif interrupted and now - start >= budget + 30:
            process.kill()
        if progress and now >= next_beat:
            print(f"== {name}: {now - start:.0f} s of {budget:.0f} s", flush=True)
            next_beat = now + progress
    print(f"== {name}: exit {code} after {time.monotonic() - start:.1f} s", flush=True)
    return code, interrupted


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=300.0, help="the whole run's budget")
    parser.add_argument("--seed", type=int, default=0, help="the mutation fuzzer's seed")
    parser.add_argument("--progress", type=float, default=10.0, help="seconds between lines")
    args = parser.parse_args(argv)
    start = time.monotonic()

    env = {**os.environ, "AWSLINT_FUZZ_PROFILE": "long"}
    code, interrupted = run_phase(
        "hypothesis (long profile)",
        [sys.executable, "-m", "pytest", "-v", "-rs", "-p", "no:cacheprovider",
         "tests/test_fuzz.py"],
        args.seconds / 2, args.progress, env,
    )
    failed = code != 0 and not interrupted

    remaining = max(1.0, args.seconds - (time.monotonic() - start))
    mutation, _ = run_phase(
        "mutation fuzzer",
        [sys.executable, str(ROOT / "scripts" / "mutation_fuzz.py"), "--seconds",
         f"{remaining:.0f}", "--seed", str(args.seed), "--progress", str(args.progress)],
        remaining + 30, None,  # it stops itself at --seconds; the margin covers one execution
    )
    failed = failed or mutation != 0
    print(f"== fuzz: {'FAILED' if failed else 'OK'} in {time.monotonic() - start:.0f} s "
          f"(budget {args.seconds:.0f} s)", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
