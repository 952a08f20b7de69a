"""Command line: `awslint-rules [check] PATHS...`, `... rules` and `... explain ID`."""

from __future__ import annotations

import contextlib
import os
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

import click

from . import __version__
from .catalog import CatalogError, Rule, load_catalog, rule_text
from .engine import UNREADABLE, FileResult, Settings, lint_file
from .findings import LEVELS, Finding
from .suppressions import Suppressed

if TYPE_CHECKING:
    from .config import Config

FORMATS = ("text", "json", "github", "sarif")
FAIL_LEVELS = (*LEVELS, "never")
PROGRESS_MIN_FILES = 20
PARALLEL_MIN_FILES = 48  # below this, starting worker processes costs more than it saves


class _DefaultToCheck(click.Group):
    """`awslint-rules template.yaml` means `awslint-rules check template.yaml`."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args or (args[0] not in self.commands and args[0] not in ("--help", "--version")):
            args = ["check", *args]
        return super().parse_args(ctx, args)


@click.group(cls=_DefaultToCheck, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="awslint-rules")
def main() -> None:
    """Lint AWS CloudFormation and SAM templates for architecture mistakes."""


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


def _selected(catalog: dict[str, Rule], select: list[str], ignore: list[str]) -> dict[str, Rule]:
    for pattern in (*select, *ignore):
        if not any(rule_id.startswith(pattern.upper()) for rule_id in catalog):
            raise click.BadParameter(f"'{pattern}' matches no rule id", param_hint="--select")
    return _filtered(catalog, select, ignore)


def _filtered(catalog: dict[str, Rule], select: list[str], ignore: list[str]) -> dict[str, Rule]:
    return {
        rule_id: rule
        for rule_id, rule in catalog.items()
        if (not select or any(rule_id.startswith(p.upper()) for p in select))
        and not any(rule_id.startswith(p.upper()) for p in ignore)
    }


class ConfigProblem(click.ClickException):
    """A configuration, baseline or suppression file mistake: named file and key, exit 2."""

    exit_code = 2

    def show(self, file=None) -> None:
        click.echo(f"awslint-rules: error: {self.format_message()}", err=True)


def _catalog(rules_dirs: Iterable[str]) -> dict[str, Rule]:
    try:
        return load_catalog(rules_dirs)
    except CatalogError as error:
        raise click.UsageError(str(error)) from None


@main.command()
@click.argument("paths", nargs=-1)
@click.option("--format", "output_format", type=click.Choice(FORMATS), default="text",
              show_default=True, help="Output format.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True),
              help="Write the report to FILE instead of standard output.")
@click.option("--select", multiple=True, help="Only these rule ids or prefixes (e.g. WA3,EA0010).")
@click.option("--ignore", multiple=True, help="Skip these rule ids or prefixes.")
@click.option("--fail-level", type=click.Choice(FAIL_LEVELS), default=None,
              help="Exit 1 when a finding at or above this level is reported.  [default: warning]")
@click.option("--parameter", "-p", multiple=True, metavar="KEY=VALUE",
              help="Template parameter value (overrides its Default).")
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
@click.option("--verbose", "-v", is_flag=True, help="Also report files skipped as non-templates.")
def check(
    paths: tuple[str, ...],
    output_format: str,
    output: str | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    fail_level: str | None,
    parameter: tuple[str, ...],
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
    from .discover import discover

    catalog = _catalog(rules_dir)
    config = _config(config_file, no_config)
    if config is not None:
        catalog = _configured(config, catalog)
    cli_select, cli_ignore = _split(select), _split(ignore)
    rules = _selected(catalog, cli_select, cli_ignore)
    if config is not None:
        rules = _filtered(catalog, cli_select or config.select or [],
                          cli_ignore or config.ignore or [])
        fail_level = fail_level or config.fail_level
    parameters = {**(config.parameters if config else {}), **_parameters(parameter)}
    settings = Settings(rules, parameters, known_rules=frozenset(catalog))
    baseline = _baseline(baseline_file) if baseline_file and not write_baseline_file else None
    files, missing = discover(paths or ["."])
    if config is not None and config.exclude:
        files = [file for file in files if not config.excluded(file)]
    for argument in missing:
        click.echo(f"awslint-rules: {argument}: no such file or directory", err=True)
    findings: list[Finding] = []
    suppressed: list[Suppressed] = []
    skipped: list[tuple[str, str]] = []
    for result in _linted(files, settings, _job_count(jobs, files)):
        findings.extend(result.findings)
        suppressed.extend(result.suppressed)
        if result.skipped is not None:
            skipped.append((result.file, result.skipped))
            if result.skipped.startswith(UNREADABLE):  # always said, and the exit code is 2
                missing.append(result.file)
                click.echo(f"awslint-rules: {result.file}: {result.skipped}", err=True)
    if verbose:
        for file, reason in skipped:
            click.echo(f"awslint-rules: skipped {file}: {reason}", err=True)
    findings.sort(key=lambda f: f.sort_key)
    if write_baseline_file:
        from .baseline import write_baseline

        count = write_baseline(write_baseline_file, findings)
        click.echo(f"awslint-rules: wrote {count} finding{'s' * (count != 1)} to "
                   f"{write_baseline_file}", err=True)
        sys.exit(2 if missing else 0)
    if baseline is not None:
        from .baseline import split

        findings, known = split(findings, baseline)
        suppressed.extend(known)
    suppressed.sort(key=lambda s: s.finding.sort_key)
    names = {rule_id: rule.name for rule_id, rule in catalog.items()} if statistics else None
    report = _render(output_format, findings, rules, len(files), len(skipped), output,
                     suppressed if show_suppressed else [], names, suppressed)
    _write(report, output)
    if names is not None and output_format != "text":
        from .report import statistics_lines

        for line in statistics_lines(findings, names):
            click.echo(line, err=True)
    sys.exit(_exit_code(findings, fail_level or "warning", bool(missing)))


def _job_count(requested: int | None, files: list[str]) -> int:
    if "-" in files:  # standard input belongs to this process
        return 1
    if requested is not None:
        return requested
    return (os.cpu_count() or 1) if len(files) > PARALLEL_MIN_FILES else 1


def _linted(files: list[str], settings: Settings, jobs: int) -> Iterator[FileResult]:
    """Lint each file, in order; with a progress bar on standard error when it is a terminal
    and there are many files."""
    results = _results(files, settings, jobs)
    if len(files) <= PROGRESS_MIN_FILES or not sys.stderr.isatty():
        yield from results
        return
    with click.progressbar(results, length=len(files), label="linting", file=sys.stderr,
                           show_pos=True) as bar:
        yield from bar


def _results(files: list[str], settings: Settings, jobs: int) -> Iterator[FileResult]:
    if jobs <= 1:
        yield from (lint_file(file, settings) for file in files)
        return
    from concurrent.futures import ProcessPoolExecutor

    chunk = max(1, min(32, len(files) // (jobs * 8)))
    with ProcessPoolExecutor(jobs, initializer=_start_worker, initargs=(settings,)) as pool:
        yield from pool.map(_lint_in_worker, files, chunksize=chunk)  # keeps the input order


_worker_settings: Settings | None = None


def _start_worker(settings: Settings) -> None:
    global _worker_settings
    _worker_settings = settings


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


def _render(output_format: str, findings: list[Finding], rules: dict[str, Rule], files: int,
            skipped: int, output: str | None, shown_suppressed: list[Suppressed],
            names: dict[str, str] | None, suppressed: list[Suppressed]) -> str:
    if output_format == "json":
        from .report import json_report

        return json_report(findings, shown_suppressed)
    if output_format == "github":
        from .report import github_report

        return github_report(findings)
    if output_format == "sarif":
        from .sarif import sarif_report

        return sarif_report(findings, rules, suppressed=shown_suppressed)
    from .report import text_report

    return text_report(findings, files, skipped, _colour(output), suppressed=suppressed,
                       show_suppressed=bool(shown_suppressed), statistics=names)


def _colour(output: str | None) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org)."""
    return output is None and sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def _write(report: str, output: str | None) -> None:
    if output is None:
        sys.stdout.write(report)
        return
    import tempfile

    directory = os.path.dirname(os.path.abspath(output))
    descriptor, temporary = tempfile.mkstemp(dir=directory, suffix=".tmp")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(report)
        os.chmod(temporary, 0o666 & ~_umask())  # as a plain open() would create it
        os.replace(temporary, output)
    except BaseException:  # disk full, interrupted: no partial report and no stray temp file
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


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
        click.echo(f"{rule.id}  {rule.level:<7}  {rule.name:<45}  {rule.summary}")


@main.command()
@click.argument("rule_id")
def explain(rule_id: str) -> None:
    """Print a rule's documentation."""
    rule = load_catalog().get(rule_id.upper())
    if rule is None:
        raise click.UsageError(f"unknown rule id '{rule_id}' (see `awslint-rules rules`)")
    click.echo(rule_text(rule), nl=False)
