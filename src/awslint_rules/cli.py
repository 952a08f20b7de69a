"""Command line: `awslint-rules [check] PATHS...`, `... rules` and `... explain ID`."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterable

import click

from . import __version__
from .catalog import CatalogError, Rule, load_catalog, rule_text
from .engine import Settings, lint_file
from .findings import LEVELS, Finding

FORMATS = ("text", "json", "github", "sarif")
FAIL_LEVELS = (*LEVELS, "never")


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
    return {
        rule_id: rule
        for rule_id, rule in catalog.items()
        if (not select or any(rule_id.startswith(p.upper()) for p in select))
        and not any(rule_id.startswith(p.upper()) for p in ignore)
    }


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
@click.option("--fail-level", type=click.Choice(FAIL_LEVELS), default="warning", show_default=True,
              help="Exit 1 when a finding at or above this level is reported.")
@click.option("--parameter", "-p", multiple=True, metavar="KEY=VALUE",
              help="Template parameter value (overrides its Default).")
@click.option("--rules-dir", multiple=True, type=click.Path(file_okay=False),
              help="An extra folder of rule YAML files.")
@click.option("--verbose", "-v", is_flag=True, help="Also report files skipped as non-templates.")
def check(
    paths: tuple[str, ...],
    output_format: str,
    output: str | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    fail_level: str,
    parameter: tuple[str, ...],
    rules_dir: tuple[str, ...],
    verbose: bool,
) -> None:
    """Lint templates: files, directories (recursively), globs, or - for standard input."""
    from .discover import discover

    catalog = _catalog(rules_dir)
    rules = _selected(catalog, _split(select), _split(ignore))
    settings = Settings(rules, _parameters(parameter))
    files, missing = discover(paths or ["."])
    for argument in missing:
        click.echo(f"awslint-rules: {argument}: no such file or directory", err=True)
    findings: list[Finding] = []
    skipped = 0
    for file in files:
        result = lint_file(file, settings)
        findings.extend(result.findings)
        if result.skipped is not None:
            skipped += 1
            if verbose:
                click.echo(f"awslint-rules: skipped {file}: {result.skipped}", err=True)
    findings.sort(key=lambda f: f.sort_key)
    _write(_render(output_format, findings, rules, len(files), skipped, output), output)
    sys.exit(_exit_code(findings, fail_level, bool(missing)))


def _render(output_format: str, findings: list[Finding], rules: dict[str, Rule], files: int,
            skipped: int, output: str | None) -> str:
    if output_format == "json":
        from .report import json_report

        return json_report(findings)
    if output_format == "github":
        from .report import github_report

        return github_report(findings)
    if output_format == "sarif":
        from .sarif import sarif_report

        return sarif_report(findings, rules)
    from .report import text_report

    colour = output is None and sys.stdout.isatty() and "NO_COLOR" not in os.environ
    return text_report(findings, files, skipped, colour)


def _write(report: str, output: str | None) -> None:
    if output is None:
        sys.stdout.write(report)
        return
    directory = os.path.dirname(os.path.abspath(output))
    with tempfile.NamedTemporaryFile("w", dir=directory, delete=False, encoding="utf-8",
                                     suffix=".tmp") as handle:
        handle.write(report)
    os.replace(handle.name, output)


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
