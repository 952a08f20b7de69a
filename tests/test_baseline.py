"""Baselines: written from today's findings, matched by fingerprint, robust to moved lines."""

from __future__ import annotations

import json

from .conftest import EXAMPLE, invoke


def test_write_then_use_a_baseline(tmp_path, monkeypatch, example_findings):
    count = len(example_findings)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "t.yaml").write_bytes(EXAMPLE.read_bytes())
    written = invoke("--write-baseline", "baseline.json", ".")
    assert written.exit_code == 0 and written.stdout == ""
    assert f"wrote {count} findings to baseline.json" in written.stderr
    document = json.loads((tmp_path / "baseline.json").read_text())
    assert document["version"] == 1 and len(document["findings"]) == count
    entry = document["findings"][0]
    assert set(entry) == {"fingerprint", "rule", "file", "resource", "message"}

    # `.` then `t.yaml`: the same file for fingerprints
    clean = invoke("--baseline", "baseline.json", "t.yaml")
    assert clean.exit_code == 0
    assert clean.stdout.splitlines()[-1] == (
        f"0 findings (0 error, 0 warning, 0 info) in 1 template; {count} in the baseline")


def test_only_new_findings_are_reported_after_lines_move(tmp_path, monkeypatch, example_findings):
    count = len(example_findings)
    monkeypatch.chdir(tmp_path)
    template = tmp_path / "t.yaml"
    template.write_bytes(EXAMPLE.read_bytes())
    assert invoke("--write-baseline", "baseline.json", "t.yaml").exit_code == 0
    moved = EXAMPLE.read_text().replace(
        "Resources:\n",
        "Resources:\n  Extra:\n    Type: AWS::SNS::Topic\n"
        "    Properties: {KmsMasterKeyId: alias/aws/sns}\n"
        "  Old:\n    Type: AWS::ElasticLoadBalancing::LoadBalancer\n    Properties: {}\n")
    template.write_text("Description: moved down\n" + moved)
    result = invoke("--format", "json", "--baseline", "baseline.json", "t.yaml")
    new = json.loads(result.stdout)
    assert [(f["rule"], f["resource"]) for f in new] == [("WA8001", "Old")]
    assert result.exit_code == 1
    shown = json.loads(invoke("--format", "json", "--baseline", "baseline.json",
                              "--show-suppressed", "t.yaml").stdout)
    external = [f for f in shown if f.get("suppression", {}).get("kind") == "external"]
    assert len(external) == count
    sarif = json.loads(invoke("--format", "sarif", "--baseline", "baseline.json",
                              "--show-suppressed", "t.yaml").stdout)
    kinds = [r.get("suppressions", [{}])[0].get("kind") for r in sarif["runs"][0]["results"]]
    assert kinds.count("external") == count and kinds.count(None) == 1


def test_a_second_identical_finding_is_new(tmp_path, monkeypatch):
    """The baseline accepts as many findings per fingerprint as it lists, not more."""
    from awslint_rules.baseline import split
    from awslint_rules.findings import Finding
    from awslint_rules.load import FILE_START

    one = Finding("WA8001", "warning", "m", "t.yaml", FILE_START, fingerprint="abc")
    from collections import Counter

    new, known = split([one, one], Counter({"abc": 1}))
    assert (len(new), len(known)) == (1, 1)


def test_bad_baseline_files_exit_2(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "t.yaml").write_bytes(EXAMPLE.read_bytes())
    missing = invoke("--baseline", "nope.json", "t.yaml")
    assert missing.exit_code == 2 and "nope.json: cannot read the baseline" in missing.stderr
    (tmp_path / "bad.json").write_text("[1, 2]")
    bad = invoke("--baseline", "bad.json", "t.yaml")
    assert bad.exit_code == 2 and "bad.json: not a baseline" in bad.stderr
    (tmp_path / "broken.json").write_text("{")
    assert invoke("--baseline", "broken.json", "t.yaml").exit_code == 2


def test_the_bad_baseline_message_shows_single_braces(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "t.yaml").write_bytes(EXAMPLE.read_bytes())
    (tmp_path / "bad.json").write_text('{"findings": [1]}')
    bad = invoke("--baseline", "bad.json", "t.yaml")
    assert bad.exit_code == 2
    assert bad.stderr == (
        'awslint-rules: error: bad.json: not a baseline (expected {"findings": '
        '[{"fingerprint": ...}, ...]}, as written by --write-baseline)\n')
    assert "{{" not in bad.stderr and "}}" not in bad.stderr
