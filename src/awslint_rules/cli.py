"""Command line: `awslint-rules [check] PATHS...`, `... rules` and `... explain ID`."""

from __future__ import annotations

import os
import signal
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import click

from . import __version__
from .catalog import (
    CatalogError,
    Rule,
    load_catalog,
    rule_text,
    selected_rules,
    unmatched_pattern,
)
from .engine import (
    DUPLICATE_KEY,
    INTERNAL_ERROR,
    INVALID_PARAMETER,
    PARSE_ERROR,
    UNREADABLE,
    FileResult,
    Settings,
    compile_checks,
    lint_file,
)
from .findings import LEVELS, Finding
from .suppressions import Suppressed

if TYPE_CHECKING:
    from .assembly import Assembly
    from .config import Config

FORMATS = ("text", "concise", "json", "github", "sarif")
FAIL_LEVELS = (*LEVELS, "never")
PROGRESS_MIN_FILES = 20
PARALLEL_MIN_FILES = 48  # below this, starting worker processes costs more than it saves
# Never hidden by --select/--ignore (nor the configuration's): like a syntax error in ruff, a
# template that cannot be read as written, or a failure of the linter itself, is always said.
ALWAYS_REPORTED = (PARSE_ERROR, INTERNAL_ERROR, DUPLICATE_KEY)
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report Ctrl-C
EXIT_TERMINATED = 128 + signal.SIGTERM


class _DefaultToCheck(click.Group):
    """`awslint-rules template.yaml` means `awslint-rules check template.yaml`; the help shows
    the options of `check` too, and Ctrl-C is exit 130 without a traceback."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        group_options = (*ctx.help_option_names, "--version")
        if not args or (args[0] not in self.commands and args[0] not in group_options):
            args = ["check", *args]
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            click.echo("awslint-rules: interrupted", err=True)
            raise click.exceptions.Exit(EXIT_INTERRUPTED) from None

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        formatter.write_usage(ctx.command_path, "[check] [OPTIONS] [PATHS]...")
        formatter.write_usage(ctx.command_path, "COMMAND [ARGS]...", prefix="   or: ")

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        command = self.commands.get("check")
        if command is not None:
            sub = click.Context(command, info_name="check", parent=ctx)
            records = [record for param in command.get_params(sub)
                       if isinstance(param, click.Option)
                       and not set(param.opts) & set(ctx.help_option_names)
                       and (record := param.get_help_record(sub))]
            with formatter.section("Options of check (the default command)"):
                formatter.write_dl(records)
        super().format_options(ctx, formatter)


@click.group(cls=_DefaultToCheck, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="awslint-rules")
def main() -> None:
    """Lint AWS CloudFormation and SAM templates for architecture mistakes.

    `awslint-rules PATHS...` is `awslint-rules check PATHS...` (default path: the current
    directory), whose options come first below.
    """


def _split(values: Iterable[str]) -> list[str]:
    return [v.strip() for value in values for v in value.split(",") if v.strip()]


def _parameters(values: Iterable[str]) -> dict[str, str]:
    parameters = {}
    for value in values:
        key, equals, setting = value.partition("=")
        if not equals or not key:
            raise click.BadParameter(f"'{value}' is not KEY=VALUE", param_hint="--parameter")
        parameters[key] = setting
    return parameters


def _check_patterns(catalog: dict[str, Rule], patterns: list[str], option: str) -> None:
    pattern = unmatched_pattern(patterns, catalog)
    if pattern is not None:
        raise click.BadParameter(f"'{pattern}' matches no rule id", param_hint=option)


def _filtered(catalog: dict[str, Rule], select: list[str], ignore: list[str],
              extend_select: Iterable[str] = ()) -> dict[str, Rule]:
    """The selected rules; ALWAYS_REPORTED ones whatever `select` and `ignore` say."""
    chosen = selected_rules(catalog, select, ignore, extend_select)
    return {rule_id: rule for rule_id, rule in catalog.items()
            if rule_id in chosen or rule_id in ALWAYS_REPORTED}


class ConfigProblem(click.ClickException):
    """A configuration, baseline or suppression file mistake: named file and key, exit 2."""

    exit_code = 2

    def show(self, file=None) -> None:
        click.echo(f"awslint-rules: error: {self.format_message()}", err=True)


def _catalog(rules_dirs: Iterable[str]) -> dict[str, Rule]:
    """The catalog, every rule's check resolved: a broken rule stops the run before linting."""
    try:
        catalog = load_catalog(rules_dirs)
        compile_checks(catalog)
        return catalog
    except CatalogError as error:
        raise click.UsageError(str(error)) from None


@main.command()
@click.argument("paths", nargs=-1)
@click.option("--format", "output_format", type=click.Choice(FORMATS, case_sensitive=False),
              default="text", show_default=True,
              help="Output format. text: path:line:col: level ID message. concise: the same "
                   "with each message cut at its first ': ' outside parentheses (what is "
                   "wrong, without the consequence; a '(when condition ...)' suffix is kept).")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True),
              help="Write the report to FILE instead of standard output.")
@click.option("--select", multiple=True,
              help="Only these rule ids, prefixes or tags (e.g. WA3,EA0010,sqs; default: the "
                   "rules on by default). A prefix selects only rules on by default; ALL is "
                   "every rule. EA0000, EA0001 and EA0004 are always reported.")
@click.option("--extend-select", multiple=True,
              help="Add these rule ids, prefixes or tags to the selection (e.g. "
                   "observability).")
@click.option("--ignore", multiple=True, help="Skip these rule ids, prefixes or tags.")
@click.option("--fail-level", type=click.Choice(FAIL_LEVELS, case_sensitive=False), default=None,
              help="Exit 1 when a finding at or above this level is reported.  [default: warning]")
@click.option("--parameter", "-p", multiple=True, metavar="KEY=VALUE",
              help="Template parameter value (overrides its Default).")
@click.option("--region", default=None, metavar="REGION",
              help="The AWS Region the stacks are deployed to, e.g. eu-west-1 (default: the "
                   "configuration's `region`, else unknown; a CDK stack's manifest "
                   "environment wins). Lambda@Edge functions and CloudFront certificates "
                   "must be in us-east-1.")
@click.option("--rules-dir", multiple=True, type=click.Path(file_okay=False),
              help="An extra folder of rule YAML files.")
@click.option("--config", "config_file", type=click.Path(dir_okay=False),
              help="Configuration file (default: .awslint-rules.yaml or pyproject.toml "
                   "[tool.awslint-rules], from the working directory upwards).")
@click.option("--no-config", is_flag=True, help="Ignore configuration files.")
@click.option("--baseline", "baseline_file", type=click.Path(dir_okay=False),
              help="Only report findings that are not in this baseline file.")
@click.option("--write-baseline", "write_baseline_file", type=click.Path(dir_okay=False),
              help="Write every current finding to this baseline file and exit 0.")
@click.option("--show-suppressed", is_flag=True,
              help="Also list findings suppressed in templates or by the baseline.")
@click.option("--statistics", is_flag=True,
              help="Count findings per rule (text: after the findings; other formats: stderr).")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Lint files in N parallel processes (default: one per CPU when there are "
                   f"more than {PARALLEL_MIN_FILES} files). The output is the same.")
@click.option("--verbose", "-v", is_flag=True,
              help="Say which configuration file is used, why each file was passed over, "
                   "what the baseline matched, and notes on each template.")
def check(
    paths: tuple[str, ...],
    output_format: str,
    output: str | None,
    select: tuple[str, ...],
    extend_select: tuple[str, ...],
    ignore: tuple[str, ...],
    fail_level: str | None,
    parameter: tuple[str, ...],
    region: str | None,
    rules_dir: tuple[str, ...],
    config_file: str | None,
    no_config: bool,
    baseline_file: str | None,
    write_baseline_file: str | None,
    show_suppressed: bool,
    statistics: bool,
    jobs: int | None,
    verbose: bool,
) -> None:
    """Lint templates: files, directories (recursively), globs, or - for standard input."""
    output_format = output_format.lower()
    run = _prepare(rules_dir, config_file, no_config, _split(select), _split(ignore), parameter,
                   verbose, _split(extend_select))
    run.settings.region = _region(region, run.config)
    baseline = _baseline(baseline_file) if baseline_file and not write_baseline_file else None
    files = _files(paths, run.config, verbose)
    run.settings.assembly = _linked(files)
    outcome = _lint_all(files, run.settings, _job_count(jobs, files.found))
    if verbose:
        for remark in outcome.remarks:
            click.echo(f"awslint-rules: {remark}", err=True)
    _warn_empty_directories(files, outcome)
    failed_paths = bool(files.unreadable or outcome.unreadable or outcome.invalid)
    if write_baseline_file:
        _write_baseline(write_baseline_file, outcome.findings)
        sys.exit(2 if failed_paths else 0)
    if baseline is not None:
        from .baseline import split

        outcome.findings, known = split(outcome.findings, baseline)
        outcome.suppressed = sorted([*outcome.suppressed, *known],
                                    key=lambda s: s.finding.sort_key)
        if verbose:
            click.echo(f"awslint-rules: {_baseline_remark(baseline_file, baseline, known)}",
                       err=True)
    names = {rule_id: rule.name for rule_id, rule in run.catalog.items()} if statistics else None
    _emit(_render(output_format, outcome, run.rules, output, show_suppressed, names), output)
    if names is not None and output_format not in ("text", "concise"):
        from .report import statistics_lines

        for line in statistics_lines(outcome.findings, names):
            click.echo(line, err=True)
    sys.exit(_exit_code(outcome.findings, (fail_level or run.fail_level).lower(), failed_paths))


def _region(option: str | None, config: Config | None) -> str | None:
    """`--region`, else the configuration's `region`, else unknown."""
    if option is None:
        return config.region if config else None
    from .config import region_problem

    problem = region_problem(option)
    if problem is not None:
        raise click.BadParameter(problem, param_hint="'--region'")
    return option.strip().lower()


def _baseline_remark(file: str | None, baseline: Counter[str], known: list[Suppressed]) -> str:
    listed = baseline.total()
    if not listed:
        return f"baseline {file} is empty: it matched no finding"
    if not known:
        return (f"baseline {file} matched no finding (it lists {listed}): was it written from "
                "another directory? Fingerprints use paths relative to the working directory")
    matched = len(known)
    return (f"baseline {file} matched {matched} finding{'s' * (matched != 1)} "
            f"(it lists {listed})")


def _warn_empty_directories(files: _Files, outcome: _Outcome) -> None:
    """A directory argument under which no template was found: a warning, not an error."""
    passed = {os.path.normpath(file) for file, _ in [*outcome.not_templates, *files.excluded]}
    for directory, found in files.directories.items():
        if all(os.path.normpath(file) in passed for file in found):
            click.echo(f"awslint-rules: no templates found under {directory}", err=True)


@dataclass
class _Run:
    """What one `check` works with: the catalog, the selected rules, the engine's settings."""

    catalog: dict[str, Rule]
    rules: dict[str, Rule]
    settings: Settings
    config: Config | None
    fail_level: str


@dataclass
class _Files:
    found: list[str]
    unreadable: list[str]  # arguments that matched nothing
    # directory arguments -> the files found under them, excluded ones included
    directories: dict[str, list[str]] = field(default_factory=dict)
    excluded: list[tuple[str, str]] = field(default_factory=list)  # (file, exclude pattern)
    # cloud assembly manifest -> its stack templates
    assemblies: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class _Outcome:
    files: int
    findings: list[Finding] = field(default_factory=list)
    suppressed: list[Suppressed] = field(default_factory=list)
    not_templates: list[tuple[str, str]] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)  # a parameter value outside AllowedValues
    remarks: list[str] = field(default_factory=list)  # for --verbose, in file order


def _prepare(rules_dir: Iterable[str], config_file: str | None, no_config: bool,
             select: list[str], ignore: list[str], parameter: Iterable[str],
             verbose: bool = False, extend_select: Iterable[str] = ()) -> _Run:
    """The rules and settings, from the catalog, the configuration file and the options (which
    win over the configuration)."""
    catalog = _catalog(rules_dir)
    config = _config(config_file, no_config)
    if verbose:
        click.echo(f"awslint-rules: {_config_remark(config, no_config)}", err=True)
    if config is not None:
        catalog = _configured(config, catalog)
        select, ignore = select or config.select or [], ignore or config.ignore or []
        extend_select = [*config.extend_select, *extend_select]
    _check_patterns(catalog, select, "--select")
    _check_patterns(catalog, list(extend_select), "--extend-select")
    _check_patterns(catalog, ignore, "--ignore")
    rules = _filtered(catalog, select, ignore, extend_select)
    parameters = {**(config.parameters if config else {}), **_parameters(parameter)}
    settings = Settings(rules, parameters, known_rules=frozenset(catalog))
    fail_level = (config.fail_level if config else None) or "warning"
    return _Run(catalog, rules, settings, config, fail_level)


def _config_remark(config: Config | None, no_config: bool) -> str:
    if config is not None:
        return f"configuration: {config.file}"
    if no_config:
        return "configuration files ignored (--no-config)"
    return ("no configuration file found (looked for .awslint-rules.yaml, .awslint-rules.yml "
            f"and pyproject.toml with [tool.awslint-rules] from {os.getcwd()} upwards)")


def _files(paths: Iterable[str], config: Config | None, verbose: bool = False) -> _Files:
    from .discover import discover

    discovery = discover(paths or ["."])
    found, missing = discovery
    excluded: list[tuple[str, str]] = []
    if config is not None and config.exclude:
        kept = []
        for file in found:
            pattern = config.excluded_by(file)
            if pattern is None:
                kept.append(file)
            else:
                excluded.append((file, pattern))
        found = kept
    for argument in missing:
        click.echo(f"awslint-rules: {argument}: no such file or directory", err=True)
    if verbose:
        for path, reason in getattr(discovery, "passed_over", ()):
            click.echo(f"awslint-rules: skipped {path}: {reason}", err=True)
        for file, pattern in excluded:
            where = config.file if config is not None else "the configuration"
            click.echo(f"awslint-rules: skipped {file}: excluded by the configuration "
                       f"(exclude: {pattern!r} in {where})", err=True)
    return _Files(found, missing, dict(getattr(discovery, "directories", {})), excluded,
                  dict(getattr(discovery, "assemblies", {})))


def _linked(files: _Files) -> Assembly | None:
    """Nested templates and cloud assemblies among the files: linked for the run."""
    from .assembly import build_assembly

    return build_assembly(files.found, files.assemblies)


def _lint_all(files: _Files, settings: Settings, jobs: int) -> _Outcome:
    outcome = _Outcome(len(files.found))
    linked_uses: set[tuple[str, str]] = set()
    with closing(_linted(files.found, settings, jobs)) as results:  # workers end with the loop
        for result in results:
            _collect(outcome, result)
            linked_uses |= result.linked_uses
    if settings.assembly is not None:
        from .assembly import reconciled

        outcome.findings = reconciled(settings.assembly, outcome.findings, outcome.suppressed,
                                      linked_uses)
    outcome.findings.sort(key=lambda f: f.sort_key)
    outcome.suppressed.sort(key=lambda s: s.finding.sort_key)
    return outcome


def _collect(outcome: _Outcome, result: FileResult) -> None:
    outcome.findings.extend(result.findings)
    outcome.suppressed.extend(result.suppressed)
    outcome.remarks += [f"{result.file}: {note}" for note in result.notes]
    if result.skipped is None:
        return
    if result.skipped.startswith(UNREADABLE):  # always said, and the exit code is 2
        outcome.unreadable.append(result.file)
        click.echo(f"awslint-rules: {result.file}: {result.skipped}", err=True)
    elif result.skipped.startswith(INVALID_PARAMETER):  # a usage error: always said, exit 2
        outcome.invalid.append(result.file)
        click.echo(f"awslint-rules: {result.file}: {result.skipped}", err=True)
    else:
        outcome.not_templates.append((result.file, result.skipped))
        outcome.remarks.append(f"skipped {result.file}: {result.skipped}")


def _write_baseline(file: str, findings: list[Finding]) -> None:
    from .baseline import write_baseline

    try:
        count = write_baseline(file, findings)
    except OSError as error:
        raise ConfigProblem(f"{file}: cannot write the baseline: {error.strerror or error}"
                            ) from None
    click.echo(f"awslint-rules: wrote {count} finding{'s' * (count != 1)} to {file}", err=True)


def _job_count(requested: int | None, files: list[str]) -> int:
    if "-" in files:  # standard input belongs to this process
        return 1
    if requested is not None:
        return requested
    return (os.cpu_count() or 1) if len(files) > PARALLEL_MIN_FILES else 1


def _linted(files: list[str], settings: Settings, jobs: int) -> Iterator[FileResult]:
    """Lint each file, in order; with a progress bar on standard error when it is a terminal
    and there are many files."""
    with closing(_results(files, settings, jobs)) as results:
        if len(files) <= PROGRESS_MIN_FILES or not sys.stderr.isatty():
            yield from results
            return
        with click.progressbar(results, length=len(files), label="linting", file=sys.stderr,
                               show_pos=True) as bar:
            yield from bar


class _Terminated(SystemExit):
    """SIGTERM while worker processes run: unwinds through the pool's cleanup."""


def _terminate(signum: int, frame: object) -> None:
    raise _Terminated(EXIT_TERMINATED)


def _results(files: list[str], settings: Settings, jobs: int) -> Iterator[FileResult]:
    if jobs <= 1:
        yield from (lint_file(file, settings) for file in files)
        return
    import multiprocessing

    chunk = max(1, min(32, len(files) // (jobs * 8)))
    pool = multiprocessing.Pool(jobs, initializer=_start_worker, initargs=(settings, os.getpid()))
    try:
        previous = signal.signal(signal.SIGTERM, _terminate)
    except ValueError:  # not the main thread: signals are not this run's to handle
        previous = None
    finished = False
    try:
        yield from pool.imap(_lint_in_worker, files, chunksize=chunk)  # keeps the input order
        finished = True
    finally:
        # On SIGTERM, Ctrl-C or any error the workers are stopped at once, never left running
        # (nor holding the caller's pipes open); after the last result they just exit.
        if finished:
            pool.close()
        else:
            pool.terminate()
        pool.join()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


_worker_settings: Settings | None = None


def _start_worker(settings: Settings, parent: int) -> None:
    global _worker_settings
    _worker_settings = settings
    # Ctrl-C reaches every process of the terminal's group: the parent alone handles it (and
    # stops the workers). A SIGTERM handler of the parent is not the workers'.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _die_with_parent(parent)


def _die_with_parent(parent: int) -> None:
    """End this worker when the parent process ends, even by SIGKILL."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            pr_set_pdeathsig = 1
            if ctypes.CDLL(None).prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0) == 0:
                if os.getppid() != parent:  # the parent ended before prctl
                    os._exit(1)
                return
        except (OSError, AttributeError):  # pragma: no cover
            pass
    import threading  # pragma: no cover - other systems: poll the parent

    def watch() -> None:
        import time

        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def _lint_in_worker(file: str) -> FileResult:
    assert _worker_settings is not None
    return lint_file(file, _worker_settings)


def _config(config_file: str | None, no_config: bool) -> Config | None:
    if no_config:
        return None
    from .config import find_config

    file = config_file or find_config()
    if file is None:
        return None
    from .config import ConfigError, load_config

    if not os.path.isfile(file):
        raise ConfigProblem(f"{file}: configuration file not found")
    try:
        return load_config(file)
    except ConfigError as error:
        raise ConfigProblem(str(error)) from None


def _configured(config: Config, catalog: dict[str, Rule]) -> dict[str, Rule]:
    from .config import ConfigError

    try:
        config.check_patterns(catalog)
        return config.apply(catalog)
    except ConfigError as error:
        raise ConfigProblem(str(error)) from None


def _baseline(file: str) -> Counter[str]:
    from .baseline import BaselineError, load_baseline

    try:
        return load_baseline(file)
    except BaselineError as error:
        raise ConfigProblem(str(error)) from None


def _render(output_format: str, outcome: _Outcome, rules: dict[str, Rule], output: str | None,
            show_suppressed: bool, names: dict[str, str] | None) -> str:
    shown = outcome.suppressed if show_suppressed else []
    if output_format == "json":
        from .report import json_report

        return json_report(outcome.findings, shown)
    if output_format == "github":
        from .report import github_report

        return github_report(outcome.findings)
    if output_format == "sarif":
        from .sarif import sarif_report

        return sarif_report(outcome.findings, rules, suppressed=shown)
    from .report import text_report

    return text_report(outcome.findings, outcome.files, len(outcome.not_templates),
                       _colour(output), suppressed=outcome.suppressed,
                       show_suppressed=show_suppressed, statistics=names,
                       unreadable=len(outcome.unreadable), concise=output_format == "concise",
                       invalid=len(outcome.invalid))


def _colour(output: str | None) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org)."""
    return output is None and sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def _emit(report: str, output: str | None) -> None:
    if output is None:
        sys.stdout.write(report)
        return
    from .files import atomic_write

    try:
        atomic_write(output, report)
    except OSError as error:
        raise ConfigProblem(f"{output}: cannot write the report: {error.strerror or error}"
                            ) from None


def _exit_code(findings: list[Finding], fail_level: str, missing_paths: bool) -> int:
    if missing_paths:
        return 2
    if fail_level == "never":
        return 0
    threshold = LEVELS.index(fail_level)
    return 1 if any(LEVELS.index(f.level) >= threshold for f in findings) else 0


@main.command("rules")
def list_rules() -> None:
    """List the rule catalog."""
    for rule in load_catalog().values():
        default = "" if rule.on_by_default else " (off by default)"
        click.echo(f"{rule.id}  {rule.level:<7}  {rule.name:<45}  {rule.summary}{default}")


@main.command()
@click.argument("rule_id")
def explain(rule_id: str) -> None:
    """Print a rule's documentation."""
    rule = load_catalog().get(rule_id.upper())
    if rule is None:
        raise click.UsageError(f"unknown rule id '{rule_id}' (see `awslint-rules rules`)")
    click.echo(rule_text(rule), nl=False)
