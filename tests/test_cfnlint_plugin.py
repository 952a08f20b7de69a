"""The cfn-lint plugin: `cfn-lint -a awslint_rules.cfnlint_plugin`, run as the real cfn-lint."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from awslint_rules.engine import lint_file

from .conftest import FIXTURES, ROOT

# find_spec, not importorskip: importing cfn-lint takes over a second, even for `make quick`,
# which skips every test below that runs it (marked slow).
pytestmark = pytest.mark.skipif(importlib.util.find_spec("cfnlint") is None,
                                reason="cfn-lint is not installed (the `test` extra)")

PLUGIN = "awslint_rules.cfnlint_plugin"
CFN_LINT = ("import sys; from cfnlint.runner import main; sys.argv[0] = 'cfn-lint'; "
            "sys.exit(main())")
# cfn-lint needs about a minute for these four SAM templates of 450-520 expanded resources alone;
# EA0010 and WA0011 are still compared on their plain-CloudFormation fixtures.
SLOW_FOR_CFN_LINT = {"EA0010/fail_sam_expands_over_500.yaml",
                     "EA0010/pass_sam_200_declared_expands_to_450.yaml",
                     "WA0011/fail_sam_near_limit.yaml", "WA0011/pass_sam_over_limit.yaml"}


def cfn_lint(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """The real cfn-lint command line (exit code: a bit mask of 2 error, 4 warning, 8 info)."""
    result = subprocess.run([sys.executable, "-c", CFN_LINT, *args], cwd=cwd, text=True,
                            capture_output=True, timeout=600)
    assert result.returncode & 1 == 0 and result.returncode < 16, result.stderr or result.stdout
    return result


def cfn_lint_json(*args: str, cwd: Path = ROOT) -> list[dict]:
    return json.loads(cfn_lint("--format", "json", *args, cwd=cwd).stdout or "[]")


def _key(match: dict) -> tuple[str, str, int, int]:
    start = match["Location"]["Start"]
    return (match["Filename"], match["Rule"]["Id"], start["LineNumber"], start["ColumnNumber"])


def _standalone(settings, files, levels=("error", "warning")) -> set[tuple[str, str, int, int]]:
    return {(f.file, f.rule, f.span.line, f.span.column)
            for file in files for f in lint_file(file, settings).findings if f.level in levels}


def _plugin_rules() -> dict:
    from cfnlint.rules import Rules

    return dict(Rules.create_from_module(PLUGIN))


@pytest.mark.slow
def test_one_rule_class_per_catalog_rule_with_cfn_lint_severity(catalog):
    rules = _plugin_rules()
    # cfn-lint reports parse errors and duplicate keys itself (E0000)
    assert set(rules) == set(catalog) - {"EA0000", "EA0004"}
    severities = {"error": "error", "warning": "warning", "info": "informational"}
    for rule_id, rule in rules.items():
        assert rule.severity == severities[catalog[rule_id].level]
        assert rule.shortdesc == catalog[rule_id].name and rule.description
    assert rules["WA3002"].source_url.startswith("https://docs.aws.amazon.com/")


@pytest.mark.slow
def test_ids_do_not_collide_with_cfn_lint_or_cfn_lint_serverless():
    """cfn-lint's own `Rules` raises DuplicateRuleError when two loaded rules share an id."""
    from cfnlint.config import _DEFAULT_RULESDIR
    from cfnlint.rules import Rules

    pytest.importorskip("cfn_lint_serverless", reason="cfn-lint-serverless (the `test` extra)")
    builtin = Rules.create_from_directory(_DEFAULT_RULESDIR)
    serverless = Rules.create_from_module("cfn_lint_serverless.rules")
    ours = Rules.create_from_module(PLUGIN)
    assert len(builtin) > 200 and len(serverless) > 10
    everything = Rules()
    for rules in (builtin, serverless, ours):
        everything.update(rules)
    assert len(everything) == len(builtin) + len(serverless) + len(ours)


@pytest.mark.slow
def test_all_three_on_one_command_line():
    pytest.importorskip("cfn_lint_serverless", reason="cfn-lint-serverless (the `test` extra)")
    template = "fixtures/WA3002/fail_batching_window.yaml"
    ids = {m["Rule"]["Id"] for m in cfn_lint_json(
        "-a", "cfn_lint_serverless.rules", "-a", PLUGIN, "-c", "I", "--", template)}
    assert {"WA3002", "WA3003"} <= ids  # ours
    assert any(i[1] == "S" for i in ids)  # cfn-lint-serverless's (ES/WS)
    assert any(i[1].isdigit() for i in ids)  # cfn-lint's own (I3011 DeletionPolicy, ...)


@pytest.mark.slow
def test_e_and_w_findings_match_the_standalone_run(settings):
    files = sorted(
        str(path.relative_to(ROOT)) for path in FIXTURES.rglob("*")
        if path.suffix in (".yaml", ".yml", ".json") and path.name != "expect.yaml"
        and path.parent.name not in ("EA0000", "EA0004")  # cfn-lint stops at E0000 on these
        and str(path.relative_to(FIXTURES)) not in SLOW_FOR_CFN_LINT
    )
    halves = [files[0::2], files[1::2]]  # two cfn-lint processes: it is the slow part
    with ThreadPoolExecutor(len(halves)) as pool:
        outputs = list(pool.map(lambda part: cfn_lint_json("-a", PLUGIN, "--", *part), halves))
    ours = set(settings.rules) - {"EA0000", "EA0004"}  # both left to cfn-lint's E0000
    plugin = {_key(m) for output in outputs for m in output
              if m["Rule"]["Id"] in ours and m["Rule"]["Id"][0] in "EW"}
    standalone = _standalone(settings, files)
    print(f"cfn-lint plugin: {len(plugin)} E/W findings; standalone: {len(standalone)}; "
          f"{len(files)} templates")
    assert plugin == standalone
    assert len(plugin) > 150 and {rule for _, rule, _, _ in plugin} == {
        r for r in ours if r[0] in "EW" and r != "EA0001"}


@pytest.mark.slow
def test_info_rules_only_with_include_checks_i(settings):
    template = "fixtures/IA3004/fail_plain_queue.yaml"
    without = {m["Rule"]["Id"] for m in cfn_lint_json("-a", PLUGIN, "--", template)}
    assert "IA3004" not in without
    with_i = {_key(m) for m in cfn_lint_json("-a", PLUGIN, "-c", "I", "--", template)
              if m["Rule"]["Id"] == "IA3004"}
    assert with_i and with_i == _standalone(settings, [template], levels=("info",))


@pytest.mark.slow
def test_cfnlintrc_append_rules(tmp_path):
    (tmp_path / "template.yaml").write_text(
        (FIXTURES / "WA3002" / "fail_batching_window.yaml").read_text())
    (tmp_path / ".cfnlintrc").write_text(f"append_rules:\n  - {PLUGIN}\n")
    result = cfn_lint("template.yaml", cwd=tmp_path)
    assert "WA3002 Queue 'JobsQueue' VisibilityTimeout 180 s" in result.stdout
    assert "template.yaml:8:26" in result.stdout


@pytest.mark.slow
def test_parse_errors_and_non_templates_are_left_to_cfn_lint():
    matches = cfn_lint_json("-a", PLUGIN, "--", "fixtures/EA0000/fail_invalid_yaml.yaml",
                            "fixtures/EA0000/pass_docker_compose.yaml")
    ids = {m["Rule"]["Id"] for m in matches}
    assert "E0000" in ids and not any(i[1] == "A" for i in ids)


@pytest.mark.slow
def test_duplicate_keys_cfn_lint_lets_through_are_not_reported_either(settings, tmp_path):
    """Next to a merge key (`<<`) cfn-lint does not check for duplicates: that is its decision,
    and the plugin does not add EA0004 to it."""
    template = tmp_path / "template.yaml"
    template.write_text('AWSTemplateFormatVersion: "2010-09-09"\n'
                        "Metadata:\n  Defaults: &defaults {DelaySeconds: 1}\n"
                        "Resources:\n  Jobs:\n    Type: AWS::SQS::Queue\n    Properties:\n"
                        "      <<: *defaults\n      VisibilityTimeout: 30\n"
                        "      VisibilityTimeout: 60\n")
    assert "EA0004" in {f.rule for f in lint_file(str(template), settings).findings}
    ids = {m["Rule"]["Id"] for m in cfn_lint_json("-a", PLUGIN, "-c", "I", "--", str(template))}
    assert "IA3004" in ids and "EA0004" not in ids and "E0000" not in ids


@pytest.mark.slow
def test_engine_runs_once_per_template(monkeypatch):
    from cfnlint.api import lint_file as cfn_lint_file
    from cfnlint.config import ManualArgs

    from awslint_rules.cfnlint_plugin import _run

    calls = []
    real = _run.lint_bytes

    def counting(file, raw, settings):
        calls.append(file)
        return real(file, raw, settings)

    monkeypatch.setattr(_run, "lint_bytes", counting)
    templates = [FIXTURES / "WA3002" / "fail_batching_window.yaml",
                 FIXTURES / "EA3001" / "fail_cfn.json"]
    matches = [m for t in templates
               for m in cfn_lint_file(t, ManualArgs(append_rules=[PLUGIN], include_checks=["I"]))]
    assert sorted(calls) == sorted(map(str, templates))
    assert {"WA3002", "EA3001"} <= {m.rule.id for m in matches}


@pytest.mark.slow
def test_template_without_a_file_is_linted_from_cfn_lints_decoded_template():
    from cfnlint.api import lint
    from cfnlint.config import ManualArgs

    text = (FIXTURES / "EA3001" / "fail_cfn.json").read_text()
    matches = [m for m in lint(text, config=ManualArgs(append_rules=[PLUGIN]))
               if m.rule.id.startswith(("EA", "WA"))]
    assert {(m.rule.id, m.linenumber) for m in matches} >= {("EA3001", 8), ("EA3001", 11)}


def test_standalone_does_not_import_the_plugin():
    code = ("import sys, awslint_rules.cli, awslint_rules.engine; "
            "assert 'cfnlint' not in sys.modules and "
            "'awslint_rules.cfnlint_plugin' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, env={**os.environ})


@pytest.mark.slow
def test_off_by_default_rules_report_only_when_the_configuration_switches_them_on(
        settings, tmp_path):
    template = tmp_path / "template.yaml"
    template.write_text((FIXTURES / "IA1014" / "fail_cfn_functions.yaml").read_text())

    def reported(config: str | None) -> set[tuple[str, str, int, int]]:
        if config is not None:
            (tmp_path / ".awslint-rules.yaml").write_text(config)
        return {_key(m) for m in cfn_lint_json("-a", PLUGIN, "-c", "I", "--", "template.yaml",
                                               cwd=tmp_path) if m["Rule"]["Id"] == "IA1014"}

    assert reported(None) == set()
    assert reported("select: [IA]\n") == set()  # a prefix does not switch it on
    assert reported("extend-select: [observability]\nignore: [IA1014]\n") == set()
    switched_on = reported("extend-select: [observability]\n")
    os.chdir(tmp_path)
    try:
        standalone = _standalone(settings, ["template.yaml"], levels=("info",))
        assert switched_on and switched_on == {f for f in standalone if f[1] == "IA1014"}
    finally:
        os.chdir(ROOT)
