"""Configuration: found upwards, validated against the catalog, overridden by the command line."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from awslint_rules.cli import main
from awslint_rules.config import excluding_pattern, find_config, load_config

from .conftest import CLI_TIMEOUT, EXAMPLE, ROOT


def lint(*args: str) -> tuple[int, list[dict], str]:
    result = CliRunner().invoke(main, ["--format", "json", *args])
    findings = json.loads(result.stdout) if result.stdout.startswith("[") else []
    return result.exit_code, findings, result.stderr


@pytest.fixture
def project(tmp_path, monkeypatch):
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "template.yaml").write_bytes(EXAMPLE.read_bytes())
    monkeypatch.chdir(tmp_path / "app")
    return tmp_path


PYPROJECT = """\
[project]
name = "orders"

[tool.awslint-rules]
ignore = ["WA8001"]
fail-level = "error"

[tool.awslint-rules.rules.WA3002]
level = "error"
visibility_multiplier = 2

[tool.awslint-rules.rules.WA2001]
level = "info"
"""


def test_pyproject_found_upwards_with_levels_options_and_ignore(project):
    (project / "pyproject.toml").write_text(PYPROJECT)
    code, findings, _ = lint("template.yaml")
    by_rule = {f["rule"]: f for f in findings}
    assert "WA8001" not in by_rule  # ignore
    assert by_rule["WA2001"]["level"] == "info"  # level override, id kept
    assert "WA3002" not in by_rule  # 60 s >= 2 x 20 s: the option reached the rule
    assert code == 0  # fail-level error, and nothing is an error now


def test_level_override_changes_exit_code_and_sarif(project):
    (project / ".awslint-rules.yaml").write_text(
        "select: [WA3002]\nrules:\n  WA3002: {level: error}\n")
    code, findings, _ = lint("--fail-level", "error", "template.yaml")
    assert [(f["rule"], f["level"]) for f in findings] == [("WA3002", "error")]
    assert code == 1
    sarif = json.loads(CliRunner().invoke(main, ["--format", "sarif", "template.yaml"]).stdout)
    run = sarif["runs"][0]
    assert run["results"][0]["level"] == "error"
    descriptor = next(r for r in run["tool"]["driver"]["rules"] if r["id"] == "WA3002")
    assert descriptor["defaultConfiguration"]["level"] == "error"


def test_yaml_wins_over_pyproject_in_one_directory_and_nearest_wins(project):
    (project / "pyproject.toml").write_text(PYPROJECT)
    (project / ".awslint-rules.yaml").write_text("select: [WA8001]\n")
    assert find_config(str(project / "app")) == str(project / ".awslint-rules.yaml")
    (project / "app" / "pyproject.toml").write_text("[project]\nname = 'no table'\n")
    assert find_config(str(project / "app")) == str(project / ".awslint-rules.yaml")
    (project / "app" / "pyproject.toml").write_text("[tool.awslint-rules]\nselect = ['WA2']\n")
    assert find_config(str(project / "app")) == str(project / "app" / "pyproject.toml")


def test_command_line_overrides_config(project, example_findings):
    (project / ".awslint-rules.yaml").write_text(
        "select: [WA8001]\nparameters: {Unused: 1}\nfail-level: never\n")
    _, findings, _ = lint("template.yaml")
    assert {f["rule"] for f in findings} == {"WA8001"}
    code, findings, _ = lint("--select", "WA3", "--fail-level", "warning", "template.yaml")
    assert {f["rule"] for f in findings} == {"WA3002", "WA3003"} and code == 1
    _, findings, _ = lint("--no-config", "template.yaml")
    assert [f["rule"] for f in findings] == [f["rule"] for f in example_findings]


def test_parameters_from_config_and_command_line(project):
    template = project / "app" / "template.yaml"
    template.write_text(EXAMPLE.read_text().replace(
        "      VisibilityTimeout: 60", "      VisibilityTimeout: !Ref Visibility"
    ).replace("Resources:", "Parameters:\n  Visibility: {Type: Number, Default: 60}\nResources:"))
    (project / ".awslint-rules.yaml").write_text(
        "select: [WA3002]\nparameters:\n  Visibility: 120\n")
    assert lint("template.yaml")[1] == []
    assert len(lint("-p", "Visibility=30", "template.yaml")[1]) == 1


def test_exclude_globs_are_relative_to_the_config_file(project):
    for folder in ("legacy", "app/generated"):
        (project / folder).mkdir(exist_ok=True)
        (project / folder / "t.yaml").write_bytes(EXAMPLE.read_bytes())
    (project / "app" / "x.generated.yaml").write_bytes(EXAMPLE.read_bytes())
    (project / ".awslint-rules.yaml").write_text(
        "select: [WA8001]\nexclude: [legacy, 'app/generated', '*.generated.yaml']\n")
    _, findings, _ = lint(str(project))
    assert {f["file"] for f in findings} == {str(project / "app" / "template.yaml")}
    assert excluding_pattern("a/cdk.out/t.yaml", ["cdk.out"], "/") == "cdk.out"
    assert excluding_pattern("templates/t.yaml", ["t"], "/") is None


@pytest.mark.parametrize(("text", "key", "says"), [
    ("selct: [WA3]\n", "selct", "unknown key"),
    ("select: WU9\n", "select", "'WU9' matches no rule id"),
    ("select: {WA3: 1}\n", "select", "must be a list of strings"),
    ("fail-level: fatal\n", "fail-level", "'fatal' is not one of"),
    ("parameters: [a]\n", "parameters", "must be a mapping"),
    ("parameters: {P: {a: 1}}\n", "parameters.P", "must be a string, number"),
    ("rules: {WA3002: 6}\n", "rules.WA3002", "must be a mapping"),
    ("rules: {XA0001: {level: info}}\n", "rules.XA0001", "unknown rule id"),
    ("rules: {WA3002: {level: fatal}}\n", "rules.WA3002.level", "'fatal' is not one of"),
    ("rules: {WA3002: {visibility_multiplier: six}}\n", "rules.WA3002.visibility_multiplier",
     "'six' is not an integer"),
    ("rules: {WA3002: {visibility_multiplier: true}}\n", "rules.WA3002.visibility_multiplier",
     "True is not an integer"),
    # account_concurrency belongs to no rule of this catalog: an error, not a silent no-op
    ("rules: {WA3002: {account_concurrency: 1000}}\n", "rules.WA3002.account_concurrency",
     "unknown option for WA3002 (its options: visibility_multiplier"),
    ("rules: {WA1001: {api_timeout_seconds: 30}}\n", "rules.WA1001.api_timeout_seconds",
     "unknown option for WA1001 (its options: include_schedules"),
    ("rules: {WA6001: {api_timeout_seconds: 30}}\n", "rules.WA6001.api_timeout_seconds",
     "unknown option for WA6001 (its options: none"),
    ("- a list\n", "", "must be a mapping"),
    ("select: [WA3\n", "", "cannot read YAML"),
])
def test_mistakes_name_the_file_and_key_and_exit_2(project, text, key, says):
    config = project / ".awslint-rules.yaml"
    config.write_text(text)
    code, findings, stderr = lint("template.yaml")
    assert code == 2 and findings == []
    assert stderr.startswith(f"awslint-rules: error: {config}: {key}")
    assert says in stderr


def test_toml_mistakes_use_the_toml_key(project):
    config = project / "pyproject.toml"
    config.write_text("[tool.awslint-rules.rules.WA2001]\napi_timeout_seconds = 29.5\n")
    code, _, stderr = lint("template.yaml")
    assert code == 2
    assert f"{config}: tool.awslint-rules.rules.WA2001.api_timeout_seconds: 29.5" in stderr
    config.write_text("[tool.awslint-rules]\nselect = [\n")
    code, _, stderr = lint("template.yaml")
    assert code == 2 and f"{config}: cannot read TOML" in stderr


def test_explicit_config_file_and_missing_one(project, tmp_path):
    other = tmp_path / "ci.yaml"
    other.write_text("select: [WA8001]\n")
    assert {f["rule"] for f in lint("--config", str(other), "template.yaml")[1]} == {"WA8001"}
    code, _, stderr = lint("--config", str(tmp_path / "nope.yaml"), "template.yaml")
    assert code == 2 and "nope.yaml: configuration file not found" in stderr


def test_load_config_values(tmp_path):
    config = tmp_path / ".awslint-rules.yaml"
    config.write_text("select: wa3, ea0010\nparameters: {Subnets: [a, b], Flag: true}\n"
                      "rules:\n  wa0011: {near_ratio: 1}\n")
    loaded = load_config(str(config))
    assert loaded.select == ["WA3", "EA0010"]
    assert loaded.parameters == {"Subnets": "a,b", "Flag": "true"}
    from awslint_rules.catalog import load_catalog

    rules = loaded.apply(load_catalog())
    assert rules["WA0011"].options["near_ratio"] == 1.0  # an int is fine for a float option
    assert load_catalog()["WA0011"].options["near_ratio"] != 1.0  # the catalog is not mutated


def test_no_config_file_means_no_toml_import(tmp_path):
    code = ("import sys, runpy; sys.argv=['awslint-rules', sys.argv[1]];\n"
            "try: runpy.run_module('awslint_rules', run_name='__main__')\n"
            "except SystemExit: pass\n"
            "print('tomllib' in sys.modules, 'awslint_rules.config' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code, str(EXAMPLE)], capture_output=True,
                            cwd=tmp_path, env={"NO_COLOR": "1", "PATH": "/usr/bin:/bin"},
                            timeout=CLI_TIMEOUT)
    assert result.stdout.splitlines()[-1] == b"False True", result.stderr


def _readme_block(heading: str, language: str) -> str:
    text = (ROOT / "README.md").read_text()
    section = text[text.index(heading):]
    start = section.index(f"```{language}\n") + len(language) + 4
    return section[start:section.index("```", start)]


@pytest.mark.parametrize(("name", "language"), [("pyproject.toml", "toml"),
                                                (".awslint-rules.yaml", "yaml")])
def test_readme_configuration_snippets_work(project, name, language):
    (project / name).write_text(_readme_block("### Configuration", language))
    code, findings, stderr = lint("template.yaml")
    assert stderr == "" and code == 1
    assert "WA8001" not in {f["rule"] for f in findings}
    assert {f["rule"]: f["level"] for f in findings}["WA3002"] == "error"


def test_readme_suppression_snippet_works(settings):
    from awslint_rules.engine import lint_bytes

    snippet = _readme_block("### Suppressions in templates", "yaml")
    result = lint_bytes("t.yaml", snippet.encode(), settings)
    assert result.findings == []
    assert sorted(s.finding.rule for s in result.suppressed) == ["IA3004", "WA8001"]


def test_levels_in_the_configuration_accept_any_case(tmp_path):
    file = tmp_path / ".awslint-rules.yaml"
    file.write_text("fail-level: NEVER\nrules:\n  wa3002: {level: Error}\n")
    config = load_config(str(file))
    assert config.fail_level == "never"
    assert config.rules["WA3002"].level == "error"


def test_excluded_by_names_the_pattern(tmp_path):
    file = tmp_path / ".awslint-rules.yaml"
    file.write_text("exclude: [cdk.out, 'legacy/']\n")
    config = load_config(str(file))
    assert config.excluded_by(str(tmp_path / "legacy" / "t.yaml")) == "legacy/"
    assert config.excluded_by(str(tmp_path / "a" / "cdk.out" / "t.yaml")) == "cdk.out"
    assert config.excluded_by(str(tmp_path / "t.yaml")) is None
    assert config.excluded_by("-") is None


# Two user rules on the example's queue: IU0001 is off by default (tags sqs, observability),
# IU0002 on by default; each fires once on the example template.
OFF_RULE = """\
id: IU0001
name: queue-seen-off
level: info
tags: [sqs, observability]
on_by_default: false
match: {resource_type: "AWS::SQS::Queue", message: "queue {resource}"}
summary: A queue (off by default).
"""
ON_RULE = OFF_RULE.replace("IU0001", "IU0002").replace("-off", "-on").replace(
    "on_by_default: false\n", "").replace("tags: [sqs, observability]", "tags: [sqs]")


@pytest.fixture
def opt_in_rules(project):
    folder = project / "rules"
    folder.mkdir()
    (folder / "IU0001.yaml").write_text(OFF_RULE)
    (folder / "IU0002.yaml").write_text(ON_RULE)
    return str(folder)


def _user_rules(config: str | None, *args: str, project) -> set[str]:
    if config is not None:
        (project / ".awslint-rules.yaml").write_text(config)
    code, findings, stderr = lint("--rules-dir", str(project / "rules"), *args, "template.yaml")
    assert code in (0, 1), stderr
    return {f["rule"] for f in findings if f["rule"].startswith("IU")}


@pytest.mark.parametrize(("config", "selected"), [
    (None, {"IU0002"}),  # off by default
    ("select: [IU]\n", {"IU0002"}),  # a prefix never switches an off-by-default rule on
    ("select: [IU0]\n", {"IU0002"}),
    ("select: [iu0001]\n", {"IU0001"}),  # its exact id does, in any case
    ("select: [observability]\n", {"IU0001"}),  # a tag of it does
    ("select: [SQS]\n", {"IU0001", "IU0002"}),  # tags match every rule tagged so
    ("select: [ALL]\n", {"IU0001", "IU0002"}),
    ("extend-select: [observability]\n", {"IU0001", "IU0002"}),  # added to the default
    ("select: [IU0002]\nextend-select: [IU0001]\n", {"IU0001", "IU0002"}),
    ("extend-select: [IU]\n", {"IU0002"}),
    ("extend-select: [ALL]\nignore: [observability]\n", {"IU0002"}),  # ignore wins
    ("extend-select: [observability]\nignore: [IU]\n", set()),  # a prefix ignores any rule
])
def test_off_by_default_rules_only_by_id_tag_or_all(project, opt_in_rules, config, selected):
    assert _user_rules(config, project=project) == selected


def test_extend_select_on_the_command_line_adds_to_the_configuration(project, opt_in_rules):
    config = "select: [IU0002]\n"
    assert _user_rules(config, "--extend-select", "observability",
                       project=project) == {"IU0001", "IU0002"}
    assert _user_rules(config, "--select", "observability", project=project) == {"IU0001"}
    toml = "[tool.awslint-rules]\nextend-select = ['IU0001']\n"
    (project / ".awslint-rules.yaml").unlink()
    (project / "pyproject.toml").write_text(toml)
    assert _user_rules(None, project=project) == {"IU0001", "IU0002"}


@pytest.mark.parametrize(("text", "key"), [
    ("extend-select: [nosuchtag]\n", "extend-select"),
    ("ignore: [XA9]\n", "ignore"),
])
def test_patterns_that_name_no_rule_or_tag_are_errors(project, text, key):
    config = project / ".awslint-rules.yaml"
    config.write_text(text)
    code, _, stderr = lint("template.yaml")
    assert code == 2 and f"{config}: {key}: " in stderr and "matches no rule id" in stderr
