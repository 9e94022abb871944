"""cdk-nag (AWS Solutions) and cfn-lint on the synthesized templates."""

from __future__ import annotations

import csv
from typing import Any

import pytest
from aws_cdk.assertions import Annotations, Match
from cfnlint.api import lint

from tests.infra.conftest import Synthesized

REGIONS = ["us-east-1", "eu-west-1"]


@pytest.fixture(params=["dev", "prod"])
def synth(request: pytest.FixtureRequest) -> Synthesized:
    value: Synthesized = request.getfixturevalue(request.param)
    return value


def test_cdk_nag_ran(synth: Synthesized) -> None:
    (report,) = synth.outdir.glob(f"AwsSolutions-*{synth.stack.stack_name}-NagReport.csv")
    with report.open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) > 50
    assert {"Compliant", "Suppressed"} <= {row["Compliance"] for row in rows}


def test_no_unsuppressed_nag_errors_or_warnings(synth: Synthesized) -> None:
    annotations = Annotations.from_stack(synth.stack)
    pattern = Match.string_like_regexp("AwsSolutions-.*")
    errors = annotations.find_error("*", pattern)
    warnings = annotations.find_warning("*", pattern)
    assert [(e.id, e.entry.data) for e in errors] == []
    assert [(w.id, w.entry.data) for w in warnings] == []


def _suppressions(template: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for logical_id, resource in template["Resources"].items():
        for rule in resource.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", []):
            found.append((logical_id, rule))
    return found


def test_every_suppression_names_its_reason(synth: Synthesized) -> None:
    suppressions = _suppressions(synth.json)
    assert suppressions
    for logical_id, rule in suppressions:
        assert rule["id"].startswith("AwsSolutions-"), logical_id
        assert len(rule["reason"]) >= 40, (logical_id, rule["id"])


def test_suppressions_are_only_the_accepted_ones(synth: Synthesized) -> None:
    rules = {rule["id"] for _, rule in _suppressions(synth.json)}
    assert rules == {
        "AwsSolutions-L1",
        "AwsSolutions-IAM4",
        "AwsSolutions-IAM5",
        "AwsSolutions-SQS3",
        "AwsSolutions-COG2",
        "AwsSolutions-COG8",
        "AwsSolutions-APIG1",
        "AwsSolutions-APIG2",
        "AwsSolutions-APIG3",
        # the WebSocket API authorizes only $connect: its other routes are always suppressed
        "AwsSolutions-APIG4",
        # the docs routes are open (no authorizer): suppressed only where a stage serves them
        *(("AwsSolutions-COG4",) if synth.stack.config.api_docs else ()),
    }
    # Open REST methods (APIG4 on AWS::ApiGateway::Method) exist only where a stage serves the docs.
    open_rest_methods = {
        logical_id
        for logical_id, rule in _suppressions(synth.json)
        if rule["id"] == "AwsSolutions-APIG4"
        and synth.json["Resources"][logical_id]["Type"] == "AWS::ApiGateway::Method"
    }
    assert bool(open_rest_methods) == synth.stack.config.api_docs
    # Wildcard findings are suppressed only for the named wildcards, never wholesale.
    for _, rule in _suppressions(synth.json):
        if rule["id"] in {"AwsSolutions-IAM5", "AwsSolutions-IAM4"}:
            assert rule.get("applies_to"), rule


def test_cfn_lint_finds_no_errors(synth: Synthesized) -> None:
    matches = lint(synth.template_path.read_text(), regions=REGIONS)
    errors = [f"{m.rule.id} {m.message} ({m.path})" for m in matches if m.rule.id.startswith("E")]
    assert errors == []
