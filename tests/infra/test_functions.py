"""Functions: runtime, architecture, handlers, asset, layer, environment, logs, tracing, sizing."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest

from infra import names
from infra.config import StageConfig, powertools_version
from tests.infra.conftest import ROOT, Synthesis, Synthesized

# (attribute on stack.functions, handler, memory MB, timeout s)
FUNCTIONS = [
    ("api", "handlers.api.handler", 1024, 10),
    ("projector", "handlers.projector.handler", 512, 30),
    ("data_sync", "handlers.data_sync.handler", 512, 60),
]


def _function(synth: Synthesized, attr: str) -> dict[str, Any]:
    return synth.json["Resources"][synth.logical_id(getattr(synth.stack.functions, attr))]


def test_exactly_six_functions(dev: Synthesized) -> None:
    # The three of infra/functions.py and the three live-screen functions of infra/live.py.
    assert len(dev.resources("AWS::Lambda::Function")) == 6


@pytest.mark.parametrize(("attr", "handler", "memory", "timeout"), FUNCTIONS)
def test_python_313_on_arm64_with_stated_sizing(
    dev: Synthesized, attr: str, handler: str, memory: int, timeout: int
) -> None:
    props = _function(dev, attr)["Properties"]
    assert props["Runtime"] == "python3.13"
    assert props["Architectures"] == ["arm64"]
    assert props["Handler"] == handler
    assert props["MemorySize"] == memory
    assert props["Timeout"] == timeout
    assert props["TracingConfig"] == {"Mode": "Active"}


def test_handler_strings_come_from_names(dev: Synthesized) -> None:
    handlers = {f["Properties"]["Handler"] for f in dev.resources("AWS::Lambda::Function").values()}
    assert handlers == {
        names.API_HANDLER,
        names.PROJECTOR_HANDLER,
        names.DATA_SYNC_HANDLER,
        names.WS_AUTHORIZER_HANDLER,
        names.WS_CONNECTIONS_HANDLER,
        names.LIVE_PUSHER_HANDLER,
    }


@pytest.mark.parametrize("attr", [f[0] for f in FUNCTIONS])
def test_environment_variable_names_are_exactly_the_shared_set(dev: Synthesized, attr: str) -> None:
    variables = _function(dev, attr)["Properties"]["Environment"]["Variables"]
    assert set(variables) == set(names.FUNCTION_ENV_VARS)


@pytest.mark.parametrize("attr", [f[0] for f in FUNCTIONS])
def test_environment_points_at_this_stacks_resources(dev: Synthesized, attr: str) -> None:
    variables = _function(dev, attr)["Properties"]["Environment"]["Variables"]
    tables = dev.stack.tables
    assert variables[names.ENV_COMMAND_TABLE] == {"Ref": dev.logical_id(tables.command)}
    assert variables[names.ENV_DATA_TABLE] == {"Ref": dev.logical_id(tables.data)}
    assert variables[names.ENV_SEQUENCES_TABLE] == {"Ref": dev.logical_id(tables.sequences)}
    assert variables[names.ENV_IDEMPOTENCY_TABLE] == {"Ref": dev.logical_id(tables.idempotency)}
    assert variables[names.ENV_NOTIFICATION_TOPIC] == {"Ref": dev.logical_id(dev.stack.notifications.topic)}
    assert variables[names.ENV_POWERTOOLS_SERVICE_NAME] == names.SERVICE_NAME
    assert variables[names.ENV_POWERTOOLS_METRICS_NAMESPACE] == names.METRICS_NAMESPACE
    assert variables[names.ENV_POWERTOOLS_LOG_LEVEL] == "INFO"
    assert variables[names.ENV_POWERTOOLS_LOGGER_LOG_EVENT] == "false"
    assert variables[names.ENV_POWERTOOLS_TRACER_CAPTURE_RESPONSE] == "false"
    assert variables[names.ENV_STAGE] == "dev"


def test_names_agree_with_the_lambda_settings() -> None:
    """The functions read exactly the variables infra/names.py gives them (the settings modules keep copies)."""
    from cqrs import settings as core_settings
    from shop import settings as shop_settings

    read_by_lambdas = {
        value
        for module in (core_settings, shop_settings)
        for key, value in vars(module).items()
        if key.endswith("_ENV")
    }
    expected = {
        names.ENV_COMMAND_TABLE,
        names.ENV_DATA_TABLE,
        names.ENV_SEQUENCES_TABLE,
        names.ENV_IDEMPOTENCY_TABLE,
        names.ENV_NOTIFICATION_TOPIC,
        names.ENV_CORS_ALLOW_ORIGINS,
    }
    assert read_by_lambdas == expected
    assert expected <= set(names.FUNCTION_ENV_VARS)


def _requirements_powertools_version() -> str:
    text = (ROOT / "requirements.txt").read_text()
    match = re.search(r"^aws-lambda-powertools\S*==(\S+)$", text, re.MULTILINE)
    assert match
    return match.group(1)


def test_powertools_layer_is_resolved_from_ssm_at_the_pinned_version(dev: Synthesized) -> None:
    version = _requirements_powertools_version()
    for function in dev.resources("AWS::Lambda::Function").values():
        layers = function["Properties"]["Layers"]
        assert len(layers) == 1
        parameter = dev.json["Parameters"][layers[0]["Ref"]]
        assert parameter["Type"] == "AWS::SSM::Parameter::Value<String>"
        assert parameter["Default"] == f"/aws/service/powertools/python/arm64/python3.13/{version}"


def test_layer_arn_from_context_wins_over_ssm() -> None:
    arn = "arn:aws:lambda:eu-west-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python313-arm64:99"
    app = cdk.App(context={names.CONTEXT_POWERTOOLS_LAYER_ARN: arn})
    assert StageConfig.from_context(app).powertools_layer_arn == arn
    assert StageConfig.from_context(cdk.App()).powertools_layer_arn is None


def test_powertools_version_requires_a_pin(tmp_path: Path) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("boto3==1.0\naws-lambda-powertools>=3\n")
    with pytest.raises(ValueError, match="aws-lambda-powertools"):
        powertools_version(requirements)
    requirements.write_text("aws-lambda-powertools[tracer,parser]==3.1.2\n")
    assert powertools_version(requirements) == "3.1.2"


def test_asset_is_the_lambdas_directory_without_caches(dev: Synthesized, synthesis: Synthesis) -> None:
    keys = {f["Properties"]["Code"]["S3Key"] for f in dev.resources("AWS::Lambda::Function").values()}
    assert len(keys) == 1, "all functions share one asset"
    key = keys.pop()
    manifest = json.loads((dev.outdir / f"{dev.stack.stack_name}.assets.json").read_text())
    (asset,) = [a for a in manifest["files"].values() if any(d["objectKey"] == key for d in a["destinations"].values())]
    assert asset["source"]["packaging"] == "zip"
    staged = dev.outdir / asset["source"]["path"]
    staged_files = {str(p.relative_to(staged)) for p in staged.rglob("*")}
    assert not [f for f in staged_files if "__pycache__" in f or f.endswith(".pyc")]
    assert staged_files == synthesis.lambdas_files
    assert {"cqrs", "shop", "handlers"} <= {p.name for p in staged.iterdir()}


@pytest.mark.parametrize("attr", [f[0] for f in FUNCTIONS])
def test_each_function_logs_to_its_own_group_with_retention(dev: Synthesized, attr: str) -> None:
    props = _function(dev, attr)["Properties"]
    group_id = props["LoggingConfig"]["LogGroup"]["Ref"]
    group = dev.json["Resources"][group_id]
    assert group["Type"] == "AWS::Logs::LogGroup"
    assert group["Properties"]["RetentionInDays"] == 30
    assert group["DeletionPolicy"] == "Delete"


def test_prod_logs_are_kept_longer_and_retained(prod: Synthesized) -> None:
    for function in prod.resources("AWS::Lambda::Function").values():
        group = prod.json["Resources"][function["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]]
        assert group["Properties"]["RetentionInDays"] == 90
        assert group["DeletionPolicy"] == "Retain"


@pytest.mark.parametrize("attr", [f[0] for f in FUNCTIONS])
def test_each_function_has_its_own_role_without_managed_policies(dev: Synthesized, attr: str) -> None:
    role_ref = _function(dev, attr)["Properties"]["Role"]["Fn::GetAtt"][0]
    role = dev.json["Resources"][role_ref]
    assert "ManagedPolicyArns" not in role["Properties"]
    other_roles = {
        _function(dev, other)["Properties"]["Role"]["Fn::GetAtt"][0] for other, *_ in FUNCTIONS if other != attr
    }
    assert role_ref not in other_roles


def test_stage_config_reads_context_lists_and_defaults() -> None:
    config = StageConfig.from_context(
        cdk.App(context={"corsAllowOrigins": "https://a.example, https://b.example", "apiThrottleRateLimit": "7"})
    )
    assert config.stage == "dev" and not config.is_prod
    assert config.cors_allow_origins == ("https://a.example", "https://b.example")
    assert config.api_throttle_rate_limit == 7
    assert config.api_throttle_burst_limit == 200
    assert StageConfig.from_context(cdk.App(context={"stage": "prod"})).is_prod
