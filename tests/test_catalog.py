"""The catalog is complete and its documentation is true: each example fires, its fix does not."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml

from awslint_rules.catalog import (
    DEFERRED_KEYS,
    load_catalog,
    rule_markdown,
    rule_text,
    split_deferred,
)
from awslint_rules.engine import lint_bytes

CATALOG = load_catalog()
REQUIRED = ("id", "name", "level", "tags", "summary", "notes", "why", "aws_docs", "example",
            "use_instead")
# Rules whose examples cannot be complete templates: an internal error, and 500-resource stacks
# (their fixtures are generated instead).
AWS_DOMAINS = ("aws.amazon.com", "docs.aws.amazon.com", "repost.aws")
ABRIDGED_EXAMPLES = {"EA0001", "EA0010", "WA0011", "EA8008"}  # EA8008: 10 KB of code


@pytest.mark.parametrize("rule_id", sorted(CATALOG))
def test_rule_documentation_is_complete(rule_id):
    rule = CATALOG[rule_id]
    assert [key for key in REQUIRED if key not in rule.doc] == []
    assert rule.summary.strip()
    if rule_id != "EA0001":
        assert rule.doc["aws_docs"], "every rule cites the AWS documentation it relies on"
        for source in rule.doc["aws_docs"]:
            url = urlparse(source["url"])
            assert url.scheme == "https" and url.netloc.endswith(AWS_DOMAINS), url
            assert source["says"].strip()
    assert rule.id in rule_text(rule) and rule.name in rule_markdown(rule)


@pytest.mark.parametrize("rule_id", sorted(CATALOG))
def test_a_rule_read_in_two_parts_is_the_whole_file(rule_id):
    rule = CATALOG[rule_id]
    whole = yaml.safe_load(Path(rule.source).read_text(encoding="utf-8"))
    assert not set(DEFERRED_KEYS) & set(rule.head)
    assert rule.doc == whole


def test_the_index_of_rule_heads_is_current():
    """rules/_index.json spares a run parsing every rule's YAML; a stale entry is not used, but
    costs start-up time: rewrite it with `python scripts/catalog_index.py --write`."""
    import json

    from awslint_rules.catalog import INDEX, build_index

    assert json.loads(INDEX.read_text(encoding="utf-8")) == build_index()


def test_an_index_entry_of_another_text_is_not_used():
    from awslint_rules.catalog import _indexed_head, text_digest

    index = {"WA0001.yaml": {"sha1": text_digest("id: WA0001\n"), "head": {"id": "WA0001"}}}
    assert _indexed_head(index, "WA0001.yaml", "id: WA0001\n") == {"id": "WA0001"}
    assert _indexed_head(index, "WA0001.yaml", "id: WA0001\nname: edited\n") is None
    assert _indexed_head(index, "WA0002.yaml", "id: WA0002\n") is None


def test_split_deferred_keeps_indented_lines_with_their_key():
    text = "id: X\nwhy: |\n  a\n  id: not a key\nexample: |\n  b\ntags: [t]\n"
    assert split_deferred(text) == ("id: X\ntags: [t]\n",
                                    "why: |\n  a\n  id: not a key\nexample: |\n  b\n")


@pytest.mark.parametrize("rule_id", sorted(set(CATALOG) - ABRIDGED_EXAMPLES))
def test_documented_example_fires_and_fix_does_not(settings, rule_id):
    rule = CATALOG[rule_id]
    example = lint_bytes("example.yaml", rule.doc["example"].encode(), settings)
    fixed = lint_bytes("use_instead.yaml", rule.doc["use_instead"].encode(), settings)
    assert [f.rule for f in example.findings].count(rule_id) >= 1
    assert [f.rule for f in fixed.findings if f.rule == rule_id] == []
    assert not [f for f in example.findings + fixed.findings if f.rule == "EA0001"]


def test_rule_ids_follow_the_cfn_lint_convention():
    for rule_id, rule in CATALOG.items():
        assert len(rule_id) == 6 and rule_id[1] == "A" and rule_id[2:].isdigit()
        assert {"E": "error", "W": "warning", "I": "info"}[rule_id[0]] == rule.level


def test_on_by_default_must_be_a_boolean(tmp_path):
    from awslint_rules.catalog import CatalogError, default_state

    rule = ("id: IU0001\nname: queue-seen\nlevel: info\ntags: [sqs, observability]\n"
            "on_by_default: {}\nmatch: {{resource_type: 'AWS::SQS::Queue'}}\n")
    (tmp_path / "IU0001.yaml").write_text(rule.format("'no'"))
    with pytest.raises(CatalogError, match="on_by_default: must be true or false"):
        load_catalog([str(tmp_path)])
    (tmp_path / "IU0001.yaml").write_text(rule.format("false"))
    loaded = load_catalog([str(tmp_path)])["IU0001"]
    assert not loaded.on_by_default and CATALOG["WA3002"].on_by_default
    assert default_state(loaded) == (
        "Off by default: switch it on with its id (IU0001), one of its tags (sqs, "
        "observability) or ALL, in `select` or `extend-select` (an id prefix does not).")
    assert "Off by default" in rule_text(loaded) and "Off by default" in rule_markdown(loaded)


def test_selection_switches_off_by_default_rules_on_only_by_id_tag_or_all():
    from awslint_rules.catalog import selected_rules, unmatched_pattern

    off = {rule_id for rule_id, rule in CATALOG.items() if not rule.on_by_default}
    assert {"IA1011", "IA2009", "IA5004", "IA1015"} <= off
    default = set(selected_rules(CATALOG, [], []))
    assert default == set(CATALOG) - off
    assert set(selected_rules(CATALOG, ["IA"], [])) == {r for r in default if r.startswith("IA")}
    assert set(selected_rules(CATALOG, ["observability"], [])) == off - {"IA1015"}
    assert set(selected_rules(CATALOG, [], [], ["ALL"])) == set(CATALOG)
    assert set(selected_rules(CATALOG, ["ia1011"], [])) == {"IA1011"}
    assert "IA1011" not in selected_rules(CATALOG, [], ["lambda"], ["observability"])
    assert unmatched_pattern(["observability", "IA1", "all", "nosuch"], CATALOG) == "nosuch"
