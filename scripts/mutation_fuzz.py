"""Byte-level mutation fuzzer: mutate real corpus files and lint them in-process.

A crash is an exception out of `engine.lint_bytes`, an EA0001 finding (a rule, the graph or the
template code raised: the engine's per-rule guard hid it), or a run slower than `--timeout`.
Crashes are grouped by where they happen; each group's first reproducer is saved to
`--crash-dir` (`<signature>.bin`, with the traceback next to it in `<signature>.txt`).

Mutations: bit flips, byte insert/delete/overwrite, chunk duplication and deletion, splicing two
corpus files, YAML-significant tokens (`: `, `- `, `!Ref `, `&a`, `*a`, `{`, `[`, tabs, NULs),
invalid UTF-8, truncation and line shuffling. The run is deterministic for a given `--seed`.

Usage:
  python scripts/mutation_fuzz.py [--iterations N] [--seconds S] [--seed N]
                                  [--corpus DIR] [--crash-dir DIR] [--timeout S] [--progress S]
Exit status: 0 when no crash was found, 1 otherwise.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from awslint_rules.catalog import load_catalog
from awslint_rules.engine import INTERNAL_ERROR, Settings, lint_bytes
from awslint_rules.load import NotATemplate, ParseError, load_document
from awslint_rules.model import build_model
from awslint_rules.template import Template

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus"
EXTRA_SEEDS = (ROOT / "examples", ROOT / "fixtures")
SUFFIXES = (".yaml", ".yml", ".json", ".template")
MAX_SEED_BYTES = 200_000

TOKENS = (
    b": ", b"- ", b"!Ref ", b"!GetAtt ", b"!Sub ", b"!If ", b"!Select ", b"!Join ", b"!FindInMap ",
    b"!Split ", b"!Condition ", b"&a ", b"*a", b"&b ", b"*b", b"<<: *a", b"{", b"}", b"[", b"]",
    b",", b"\t", b"\x00", b"\n", b"\n  ", b"\n- ", b"#", b"'", b'"', b"|", b">", b"?", b"%",
    b"---\n", b"...\n", b"~", b"null", b"true", b"!!binary ", b"!!python/object ", b"${", b"${!",
    b"Fn::If", b"Ref", b"Type", b"Properties", b"Events", b"AWS::NoValue",
    b"AWS::Serverless::Function", b"AWS::Lambda::Function", b"AWS::SQS::Queue", b"Condition",
    b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xef\xbb\xbf", b"\xfe\xff", b"\r", b"\x85", b"\u2028",
    b"1e999", b"-0", b"0x", b"99999999999999999999", b"NaN", b".inf",
)


class Hang(BaseException):
    """Raised by the alarm: a BaseException, so no `except Exception` in the linter eats it."""


def _seeds(corpus: Path) -> list[bytes]:
    files = []
    for directory in (corpus, *EXTRA_SEEDS):
        if directory.is_dir():
            files += sorted(p for p in directory.rglob("*") if p.suffix in SUFFIXES and p.is_file())
    seeds = []
    for file in files:
        try:
            data = file.read_bytes()
        except OSError:
            continue
        if 0 < len(data) <= MAX_SEED_BYTES:
            seeds.append(data)
    return seeds


# -- mutations ------------------------------------------------------------------------------------


def _pos(rng: random.Random, data: bytes) -> int:
    return rng.randrange(len(data) + 1)


def _flip_bit(rng: random.Random, data: bytes, _: list[bytes]) -> bytes:
    if not data:
        return data
    i = rng.randrange(len(data))
    return data[:i] + bytes([data[i] ^ (1 << rng.randrange(8))]) + data[i + 1 :]


def _set_byte(rng: random.Random, data: bytes, _: list[bytes]) -> bytes:
    if not data:
        return data
    i = rng.randrange(len(data))
    special = b":-!&*{}[],\t\x00\n #'\"|>?%$\\\x80\xff"
    value = rng.choice(special) if rng.random() < 0.7 else rng.randrange(256)
    return data[:i] + bytes([value]) + data[i + 1 :]


def _insert_byte(rng: random.Random, data: bytes, _: list[bytes]) -> bytes:
    i = _pos(rng, data)
    return data[:i] + bytes([rng.randrange(256)]) + data[i:]


def _delete_range(rng: random.Random, data: bytes, _: list[bytes]) -> bytes:
    if not data:
        return data
    i = rng.randrange(len(data))
    return data[:i] + data[i + rng.choice((1, 1, 2, 4, 16, 64, 256)) :]


def _duplicate_chunk(rng: random.Random, data: bytes, _: list[bytes]) -> bytes:
    if not data:
        return data
    i = rng.randrange(len(data))
    chunk = data[i : i + rng.choice((4, 16, 64, 256, 1024))]
    j = _pos(rng, data)
    return data[:j] + chunk * rng.choice((1, 1, 2, 8)) + data[j:]


def _duplicate_line(rng: random.Random, data: bytes, _: list[bytes]) -> bytes:
    lines = data.split(b"\n")
    i = rng.randrange(len(lines))
    lines.insert(rng.randrange(len(lines) + 1), lines[i])
    return b"\n".join(lines)


def _swap_lines(rng: random.Random, data: bytes, _: list[bytes]) -> bytes:
    lines = data.split(b"\n")
    i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
    lines[i], lines[j] = lines[j], lines[i]
    return b"\n".join(lines)


def _splice(rng: random.Random, data: bytes, seeds: list[bytes]) -> bytes:
    other = rng.choice(seeds)
    i, j = _pos(rng, data), rng.randrange(len(other) + 1)
    if rng.random() < 0.5:  # head of one file, tail of the other
        return data[:i] + other[j:]
    k = min(len(other), j + rng.choice((16, 128, 1024)))
    return data[:i] + other[j:k] + data[i:]


def _token(rng: random.Random, data: bytes, _: list[bytes]) -> bytes:
    i = _pos(rng, data)
    if data and rng.random() < 0.3:  # replace a word-sized stretch instead of inserting
        return data[:i] + rng.choice(TOKENS) + data[i + rng.randrange(1, 8) :]
    return data[:i] + rng.choice(TOKENS) + data[i:]


def _invalid_utf8(rng: random.Random, data: bytes, _: list[bytes]) -> bytes:
    i = _pos(rng, data)
    bad = rng.choice((b"\x80", b"\xc3\x28", b"\xe2\x82", b"\xf0\x28\x8c", b"\xff\xfe"))
    return data[:i] + bad + data[i:]


def _truncate(rng: random.Random, data: bytes, _: list[bytes]) -> bytes:
    return data[: _pos(rng, data)]


def _indent_shift(rng: random.Random, data: bytes, _: list[bytes]) -> bytes:
    lines = data.split(b"\n")
    i = rng.randrange(len(lines))
    lines[i] = (b"  " + lines[i]) if rng.random() < 0.5 else lines[i][2:]
    return b"\n".join(lines)


VALUES = (
    b"!Ref Missing", b"!Ref AWS::NoValue", b"!GetAtt Missing.Arn", b"!GetAtt [a]", b"[]", b"{}",
    b"null", b"~", b"''", b"0", b"-1", b"1.5", b"1e400", b"true", b"[1, [2]]", b"{a: b}",
    b"!If [C, a]", b"!If [C, !Ref X, !Ref AWS::NoValue]", b"!Sub '${X.Arn}'", b"!Sub [a, b]",
    b"!Join [',', !Ref X]", b"!Select [9, []]", b"!Select ['x', [a]]", b"!Split [',', 3]",
    b"!FindInMap [M, !Ref X, k]", b"!FindInMap [M]", b"{Ref: [a]}", b'{"Fn::If": null}',
    b"!Condition C", b"!Ref", b"!GetAtt", b"!Sub", b"*a", b"&a x", b"[*a, *a]",
    b'"arn:aws:sqs:us-east-1:1:q"', b"!Sub arn:${AWS::Partition}:lambda:${R}:1:function:${F}",
    b"SQS", b"SNS", b"Api", b"Kinesis", b"DynamoDB", b"Schedule", b"S3", b"HttpApi", b"MSK",
)


def _replace_value(rng: random.Random, data: bytes, _: list[bytes]) -> bytes:
    """Keep the YAML well formed: replace what follows one `key: ` with a value of another type."""
    lines = data.split(b"\n")
    candidates = [i for i, line in enumerate(lines) if b": " in line]
    if not candidates:
        return data
    i = rng.choice(candidates)
    key = lines[i].split(b": ", 1)[0]
    lines[i] = key + b": " + rng.choice(VALUES)
    return b"\n".join(lines)


def _move_value(rng: random.Random, data: bytes, _: list[bytes]) -> bytes:
    lines = data.split(b"\n")
    candidates = [i for i, line in enumerate(lines) if b": " in line]
    if len(candidates) < 2:
        return data
    i, j = rng.choice(candidates), rng.choice(candidates)
    lines[i] = lines[i].split(b": ", 1)[0] + b": " + lines[j].split(b": ", 1)[1]
    return b"\n".join(lines)


MUTATORS: tuple[Callable[[random.Random, bytes, list[bytes]], bytes], ...] = (
    _flip_bit, _set_byte, _insert_byte, _delete_range, _duplicate_chunk, _duplicate_line,
    _swap_lines, _splice, _token, _token, _token, _invalid_utf8, _truncate, _indent_shift,
    _replace_value, _replace_value, _replace_value, _replace_value, _move_value, _move_value,
)


def mutate(rng: random.Random, data: bytes, seeds: list[bytes]) -> bytes:
    for _ in range(rng.choice((1, 1, 1, 1, 2, 2, 3, 6))):
        data = rng.choice(MUTATORS)(rng, data, seeds)
    return data


# -- running --------------------------------------------------------------------------------------


def _signature(error: BaseException) -> tuple[str, str]:
    """(short id, description) from the innermost frame inside the linter."""
    frames = traceback.extract_tb(error.__traceback__)
    ours = [f for f in frames if "awslint_rules" in f.filename] or frames
    where = f"{Path(ours[-1].filename).name}:{ours[-1].lineno}" if ours else "?"
    description = f"{type(error).__name__} at {where}"
    return hashlib.sha1(description.encode()).hexdigest()[:12], description


def strict_lint(raw: bytes, settings: Settings) -> None:
    """The engine's work without its per-rule guard: raises what a rule would turn into EA0001."""
    try:
        document = load_document("fuzz.yaml", raw)
    except (NotATemplate, ParseError):
        return
    model = build_model(Template(document, settings.parameters), settings.region)
    model.expansion  # noqa: B018 -- counted on first use; a crash there is a crash too
    for rule_id, check in settings.checks.items():
        for hit in check(model, settings.rules[rule_id]):
            document.locate(hit.at.path, key=hit.at.key)
            for place in hit.related:
                document.locate(place.path, key=place.key)


def run_one(raw: bytes, settings: Settings, timeout: float) -> BaseException | None:
    """None when the linter handled `raw`, else the error that shows the crash."""
    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        result = lint_bytes("fuzz.yaml", raw, settings)
        if any(f.rule == INTERNAL_ERROR for f in result.findings):
            try:
                strict_lint(raw, settings)
            except Exception as error:
                return error
            return RuntimeError(next(f.message for f in result.findings
                                     if f.rule == INTERNAL_ERROR))
        return None
    except Hang as error:
        return error
    except Exception as error:
        return error
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


def _on_alarm(signum: int, frame: object) -> None:
    raise Hang("lint took longer than the timeout")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--iterations", type=int, default=None, help="stop after N executions")
    parser.add_argument("--seconds", type=float, default=None, help="stop after S seconds")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--crash-dir", type=Path,
                        default=Path(tempfile.gettempdir()) / "awslint-mutation-crashes")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per execution")
    parser.add_argument("--progress", type=float, default=10.0,
                        help="seconds between progress lines (default %(default)s)")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    if args.iterations is None and args.seconds is None:
        args.iterations = 10_000

    seeds = _seeds(args.corpus)
    if not seeds:
        print(f"no seed files under {args.corpus}", file=sys.stderr)
        return 2
    settings = Settings(load_catalog())
    args.crash_dir.mkdir(parents=True, exist_ok=True)
    signal.signal(signal.SIGALRM, _on_alarm)
    rng = random.Random(args.seed)
    crashes: dict[str, tuple[str, int]] = {}
    executions = 0
    start = last_report = time.monotonic()
    budget = f", {args.seconds:.0f} s budget" if args.seconds is not None else ""
    print(f"{len(seeds)} seed files, seed {args.seed}{budget}, crashes go to {args.crash_dir}",
          flush=True)
    while True:
        if args.iterations is not None and executions >= args.iterations:
            break
        if args.seconds is not None and time.monotonic() - start >= args.seconds:
            break
        data = mutate(rng, rng.choice(seeds), seeds)
        executions += 1
        error = run_one(data, settings, args.timeout)
        if error is not None:
            key, description = _signature(error)
            if key not in crashes:
                crashes[key] = (description, 1)
                (args.crash_dir / f"{key}.bin").write_bytes(data)
                text = "".join(traceback.format_exception(error))
                (args.crash_dir / f"{key}.txt").write_text(f"{description}\n\n{text}")
                print(f"NEW CRASH {key}: {description}: {error!s:.200}", flush=True)
            else:
                crashes[key] = (crashes[key][0], crashes[key][1] + 1)
        now = time.monotonic()
        if not args.quiet and now - last_report >= args.progress:
            last_report = now
            rate = executions / (now - start)
            left = f", {args.seconds - (now - start):.0f} s left" if args.seconds else ""
            print(f"{executions} executions, {len(crashes)} unique crashes, {rate:.0f}/s{left}",
                  flush=True)
    elapsed = time.monotonic() - start
    print(f"executions: {executions}")
    print(f"seconds: {elapsed:.1f}")
    print(f"unique crashes: {len(crashes)}")
    for key, (description, count) in sorted(crashes.items()):
        print(f"  {key}  x{count}  {description}  -> {args.crash_dir / (key + '.bin')}")
    return 1 if crashes else 0


if __name__ == "__main__":
    sys.exit(main())
