"""The stack's Region (`--region`, `region` in the configuration): EA8002 and EA8007 use it."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from awslint_rules.cli import main
from awslint_rules.config import ConfigError, load_config
from awslint_rules.engine import Settings, lint_bytes
from awslint_rules.graph import INVOKES

from .conftest import FIXTURES, invoke

STACK_CERTIFICATE = FIXTURES / "EA8002" / "pass_us_east_1_or_unknown.yaml"
EDGE_FUNCTION = FIXTURES / "EA8007" / "pass_within_limits.yaml"


def _rules(catalog, *ids: str) -> dict:
    return {rule_id: catalog[rule_id] for rule_id in ids}


def _locations(catalog, path, rule: str, region: str | None) -> list[str]:
    settings = Settings(_rules(catalog, rule), region=region)
    findings = lint_bytes(str(path), path.read_bytes(), settings).findings
    return [f"{f.span.line}:{f.span.column}" for f in findings if f.rule == rule]


def test_certificates_of_this_stack_are_reported_only_outside_us_east_1(catalog):
    assert _locations(catalog, STACK_CERTIFICATE, "EA8002", None) == []
    assert _locations(catalog, STACK_CERTIFICATE, "EA8002", "us-east-1") == []
    # `!Ref Certificate` and `!Sub arn:aws:acm:${AWS::Region}:...`; the parameter stays unknown
    assert _locations(catalog, STACK_CERTIFICATE, "EA8002", "eu-west-1") == ["18:30", "52:30"]


def test_lambda_edge_function_must_be_created_in_us_east_1(catalog):
    assert _locations(catalog, EDGE_FUNCTION, "EA8007", None) == []
    assert _locations(catalog, EDGE_FUNCTION, "EA8007", "us-east-1") == []
    # only the associated function (at its logical id), not the regional worker next to it
    assert _locations(catalog, EDGE_FUNCTION, "EA8007", "eu-west-1") == ["3:3"]


def _cli(*args: str) -> tuple[int, list[dict]]:
    result = invoke("--format", "json", "--select", "EA8002", *args)
    return result.exit_code, json.loads(result.stdout) if result.stdout.startswith("[") else []


def test_region_option_and_configuration(tmp_path):
    exit_code, findings = _cli("--region", "eu-west-1", str(STACK_CERTIFICATE))
    assert exit_code == 1 and len(findings) == 2
    config = tmp_path / ".awslint-rules.yaml"
    config.write_text("region: EU-West-1\n")
    assert load_config(str(config)).region == "eu-west-1"
    runner = CliRunner()
    result = runner.invoke(main, ["--config", str(config), "--format", "json", "--select",
                                  "EA8002", str(STACK_CERTIFICATE)])
    assert result.exit_code == 1 and len(json.loads(result.stdout)) == 2
    # the command line wins over the configuration
    result = runner.invoke(main, ["--config", str(config), "--region", "us-east-1",
                                  "--select", "EA8002", str(STACK_CERTIFICATE)])
    assert result.exit_code == 0


@pytest.mark.parametrize("value", ["eu-west", "Ireland", "us_east_1", "5"])
def test_invalid_regions_are_rejected(tmp_path, value):
    result = invoke("--region", value, str(STACK_CERTIFICATE))
    assert result.exit_code == 2
    assert "not an AWS Region code" in result.output
    config = tmp_path / ".awslint-rules.yaml"
    config.write_text(f"region: {value}\n")
    with pytest.raises(ConfigError, match=r"region: .* is not an AWS Region code"):
        load_config(str(config))


def test_distribution_associations_are_synchronous_invocations(settings):
    from awslint_rules.load import load_document
    from awslint_rules.model import build_model
    from awslint_rules.template import Template

    path = FIXTURES / "EA8007" / "fail_two_associations.json"
    model = build_model(Template(load_document(str(path), path.read_bytes())))
    edges = [e for e in model.graph.of_kind(INVOKES) if e.origin == "cloudfront"]
    assert [(e.source, e.target, e.mode, e.qualifier) for e in edges] == [
        ("Distribution", "Headers", "sync", "*"), ("Distribution", "Headers", "sync", "*")]
    assert edges[1].path[-2:] == ("LambdaFunctionAssociations", 1)


@pytest.mark.parametrize("value", ["us-east-1", "eu-central-2", "us-gov-west-1", "cn-north-1",
                                   "ap-southeast-5", "US-WEST-2"])
def test_region_codes_of_every_partition_are_accepted(value):
    from awslint_rules.config import region_problem

    assert region_problem(value) is None
