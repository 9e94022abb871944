"""REST API: routes, the authorizer on every method but the documents, logs, throttling, tracing, CORS."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra import names
from tests.infra.conftest import CDK_CONTEXT, Synthesized

DOCS = {("GET", "/openapi.json"), ("GET", "/swagger"), ("GET", "/swagger/ui.js"), ("GET", "/swagger/ui.css")}


def _paths(synth: Synthesized) -> dict[str, str]:
    """Logical id of each API resource (and of the root, via the RestApi) -> its full path."""
    rest_api_id = synth.logical_id(synth.stack.api.rest_api)
    resources = synth.resources("AWS::ApiGateway::Resource")

    def path_of(logical_id: str) -> str:
        props = resources[logical_id]["Properties"]
        parent = props["ParentId"]
        prefix = "" if parent == {"Fn::GetAtt": [rest_api_id, "RootResourceId"]} else path_of(parent["Ref"])
        return f"{prefix}/{props['PathPart']}"

    return {logical_id: path_of(logical_id) for logical_id in resources}


def _methods(synth: Synthesized) -> dict[tuple[str, str], dict[str, Any]]:
    """(HTTP method, path) -> method properties."""
    rest_api_id = synth.logical_id(synth.stack.api.rest_api)
    paths = _paths(synth)
    methods = {}
    for method in synth.resources("AWS::ApiGateway::Method").values():
        props = method["Properties"]
        resource = props["ResourceId"]
        is_root = resource == {"Fn::GetAtt": [rest_api_id, "RootResourceId"]}
        path = "/" if is_root else paths[resource["Ref"]]
        methods[(props["HttpMethod"], path)] = props
    return methods


def test_routes_are_exactly_the_shared_route_table(dev: Synthesized) -> None:
    routes = {key for key in _methods(dev) if key[0] != "OPTIONS"}
    assert routes == {(method, path) for method, path, _ in names.API_ROUTES}


def test_every_route_but_the_documents_is_behind_the_cognito_authorizer(dev: Synthesized) -> None:
    authorizer_id = dev.logical_id(dev.stack.api.authorizer)
    methods = _methods(dev)
    for method, path, needs_token in names.API_ROUTES:
        props = methods[(method, path)]
        if needs_token:
            assert props["AuthorizationType"] == "COGNITO_USER_POOLS", (method, path)
            assert props["AuthorizerId"] == {"Ref": authorizer_id}, (method, path)
        else:
            assert props["AuthorizationType"] == "NONE", (method, path)
            assert "AuthorizerId" not in props
    public = {(m, p) for m, p, needs_token in names.API_ROUTES if not needs_token}
    assert public == DOCS


def test_only_cors_preflights_and_the_documents_are_open(dev: Synthesized) -> None:
    open_methods = {key for key, props in _methods(dev).items() if props["AuthorizationType"] == "NONE"}
    preflights = {key for key in open_methods if key[0] == "OPTIONS"}
    assert open_methods - preflights == DOCS
    for key in preflights:
        assert _methods(dev)[key]["Integration"]["Type"] == "MOCK"


def test_prod_serves_no_docs_by_default(prod: Synthesized) -> None:
    # The stage setting (`apiDocs`, off in prod unless set): API Gateway declares none of the
    # docs routes, the function is told so too, and every route left needs a token.
    methods = _methods(prod)
    assert not {path for _, path in methods} & {path for _, path in DOCS}
    assert {
        key for key, props in methods.items() if props["AuthorizationType"] == "NONE" and key[0] != "OPTIONS"
    } == set()
    api = prod.json["Resources"][prod.logical_id(prod.stack.functions.api)]["Properties"]
    assert api["Environment"]["Variables"]["API_DOCS"] == "false"


def test_dev_serves_the_docs(dev: Synthesized) -> None:
    api = dev.json["Resources"][dev.logical_id(dev.stack.functions.api)]["Properties"]
    assert api["Environment"]["Variables"]["API_DOCS"] == "true"


@pytest.mark.parametrize(("value", "expected"), [(True, True), (False, False), ("true", True), ("false", False)])
def test_the_api_docs_setting_reads_booleans_and_strings(value: object, expected: bool) -> None:
    import aws_cdk as cdk

    from infra.config import StageConfig

    app = cdk.App(context={"apiDocs": value})
    assert StageConfig.from_context(app, "prod").api_docs is expected
    assert StageConfig.from_context(app, "dev").api_docs is expected


def test_the_api_docs_setting_refuses_other_values() -> None:
    import aws_cdk as cdk

    from infra.config import StageConfig

    with pytest.raises(ValueError, match="apiDocs must be true or false"):
        StageConfig.from_context(cdk.App(context={"apiDocs": "maybe"}), "dev")


def test_authorizer_trusts_only_this_stacks_user_pool(dev: Synthesized) -> None:
    (authorizer,) = dev.resources("AWS::ApiGateway::Authorizer").values()
    props = authorizer["Properties"]
    assert props["Type"] == "COGNITO_USER_POOLS"
    assert props["IdentitySource"] == "method.request.header.Authorization"
    assert props["ProviderARNs"] == [{"Fn::GetAtt": [dev.logical_id(dev.stack.auth.user_pool), "Arn"]}]


def test_every_route_is_a_proxy_integration_to_the_api_function(dev: Synthesized) -> None:
    api_function = dev.logical_id(dev.stack.functions.api)
    for (method, _path), props in _methods(dev).items():
        if method == "OPTIONS":
            continue
        integration = props["Integration"]
        assert integration["Type"] == "AWS_PROXY"
        assert integration["IntegrationHttpMethod"] == "POST"
        assert {"Fn::GetAtt": [api_function, "Arn"]} in integration["Uri"]["Fn::Join"][1]


def _stage(synth: Synthesized) -> dict[str, Any]:
    (stage,) = synth.resources("AWS::ApiGateway::Stage").values()
    return stage["Properties"]


def test_stage_throttling_comes_from_context(dev: Synthesized) -> None:
    (settings,) = _stage(dev)["MethodSettings"]
    assert settings["HttpMethod"] == "*" and settings["ResourcePath"] == "/*"
    assert settings["ThrottlingRateLimit"] == CDK_CONTEXT["apiThrottleRateLimit"]
    assert settings["ThrottlingBurstLimit"] == CDK_CONTEXT["apiThrottleBurstLimit"]
    assert settings["MetricsEnabled"] is True
    assert settings["DataTraceEnabled"] is False


def test_stage_has_tracing_and_json_access_logs(dev: Synthesized) -> None:
    stage = _stage(dev)
    assert stage["StageName"] == "dev"
    assert stage["TracingEnabled"] is True
    log_setting = stage["AccessLogSetting"]
    assert log_setting["DestinationArn"] == {"Fn::GetAtt": [dev.logical_id(dev.stack.api.access_logs), "Arn"]}
    fields = json.loads(log_setting["Format"])
    assert {"requestId", "status", "httpMethod", "resourcePath", "ip", "user", "responseLatency"} <= set(fields)
    assert fields["requestId"] == "$context.requestId"


def test_api_gateway_may_write_logs_through_its_account_role(dev: Synthesized) -> None:
    (account,) = dev.resources("AWS::ApiGateway::Account").values()
    role_id = account["Properties"]["CloudWatchRoleArn"]["Fn::GetAtt"][0]
    assert dev.json["Resources"][role_id]["Type"] == "AWS::IAM::Role"


@pytest.mark.parametrize("path", ["/", "/orders", "/orders/{code}/status", "/inventory/{productCode}"])
def test_cors_preflight_allows_the_context_origins_and_the_idempotency_header(dev: Synthesized, path: str) -> None:
    props = _methods(dev)[("OPTIONS", path)]
    (response,) = props["Integration"]["IntegrationResponses"]
    headers = response["ResponseParameters"]
    origins = CDK_CONTEXT["corsAllowOrigins"]
    assert headers["method.response.header.Access-Control-Allow-Origin"] == f"'{origins[0]}'"
    allowed = headers["method.response.header.Access-Control-Allow-Headers"].strip("'").split(",")
    assert {"Authorization", "Content-Type", "Idempotency-Key"} <= set(allowed)


def test_gateway_errors_carry_cors_headers(dev: Synthesized) -> None:
    responses = {
        r["Properties"]["ResponseType"]: r["Properties"]
        for r in dev.resources("AWS::ApiGateway::GatewayResponse").values()
    }
    assert set(responses) == {"DEFAULT_4XX", "DEFAULT_5XX"}
    for props in responses.values():
        assert "gatewayresponse.header.Access-Control-Allow-Origin" in props["ResponseParameters"]


def test_prod_logs_errors_only_and_keeps_access_logs(prod: Synthesized) -> None:
    (settings,) = _stage(prod)["MethodSettings"]
    assert settings["LoggingLevel"] == "ERROR"
    access_logs = prod.json["Resources"][prod.logical_id(prod.stack.api.access_logs)]
    assert access_logs["DeletionPolicy"] == "Retain"
    assert access_logs["Properties"]["RetentionInDays"] == 90


def test_account_logging_role_outlives_the_stack(dev: Synthesized) -> None:
    (account,) = dev.resources("AWS::ApiGateway::Account").values()
    role = dev.json["Resources"][account["Properties"]["CloudWatchRoleArn"]["Fn::GetAtt"][0]]
    assert account["DeletionPolicy"] == "Retain"
    assert role["DeletionPolicy"] == "Retain"
