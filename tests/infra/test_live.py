"""The live staff screens: WebSocket API, its authorizer, the connections table and least privilege."""

from __future__ import annotations

from typing import Any

from infra import names
from tests.infra.conftest import Synthesized
from tests.infra.test_permissions import LOGS, STREAM_READ, XRAY, grants_of, on


def _of_type(dev: Synthesized, resource_type: str) -> list[dict[str, Any]]:
    return list(dev.resources(resource_type).values())


def test_websocket_api_has_the_three_routes_and_only_connect_is_authorized(dev: Synthesized) -> None:
    live = dev.stack.live
    (api,) = _of_type(dev, "AWS::ApiGatewayV2::Api")
    assert api["Properties"]["ProtocolType"] == "WEBSOCKET"
    routes = {r["Properties"]["RouteKey"]: r["Properties"] for r in _of_type(dev, "AWS::ApiGatewayV2::Route")}
    assert set(routes) == {"$connect", "$disconnect", "$default"}
    assert routes["$connect"]["AuthorizationType"] == "CUSTOM"
    assert routes["$disconnect"].get("AuthorizationType", "NONE") == "NONE"
    (authorizer,) = _of_type(dev, "AWS::ApiGatewayV2::Authorizer")
    assert authorizer["Properties"]["AuthorizerType"] == "REQUEST"
    assert authorizer["Properties"]["IdentitySource"] == ["route.request.querystring.token"]
    assert dev.logical_id(live.authorizer) in str(authorizer["Properties"]["AuthorizerUri"])
    for integration in _of_type(dev, "AWS::ApiGatewayV2::Integration"):
        assert dev.logical_id(live.routes) in str(integration["Properties"]["IntegrationUri"])
    (stage,) = _of_type(dev, "AWS::ApiGatewayV2::Stage")
    assert stage["Properties"]["StageName"] == "dev"
    assert stage["Properties"]["AutoDeploy"] is True


def test_websocket_url_is_an_output(dev: Synthesized) -> None:
    value = dev.json["Outputs"][names.OUTPUT_WEBSOCKET_URL]["Value"]
    assert "wss://" in str(value)
    assert dev.logical_id(dev.stack.live.api) in str(value)


def test_connections_table_keeps_connections_per_tenant_with_a_ttl(dev: Synthesized) -> None:
    props = dev.json["Resources"][dev.logical_id(dev.stack.live.connections)]["Properties"]
    assert props["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expiresAt", "Enabled": True}
    assert "StreamSpecification" not in props


def test_pusher_reads_the_data_stream_and_drops_late_records(dev: Synthesized) -> None:
    live, tables = dev.stack.live, dev.stack.tables
    (mapping,) = [
        m["Properties"]
        for m in dev.resources("AWS::Lambda::EventSourceMapping").values()
        if m["Properties"]["FunctionName"] == {"Ref": dev.logical_id(live.pusher)}
    ]
    assert mapping["EventSourceArn"] == {"Fn::GetAtt": [dev.logical_id(tables.data), "StreamArn"]}
    assert mapping["StartingPosition"] == "LATEST"
    assert mapping["MaximumRetryAttempts"] == 2
    assert mapping["MaximumRecordAgeInSeconds"] == 300
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_live_functions_have_exactly_their_grants(dev: Synthesized) -> None:
    live, tables = dev.stack.live, dev.stack.tables
    connections = f"{dev.logical_id(live.connections)}.Arn"
    data_stream = f"{dev.logical_id(tables.data)}.StreamArn"
    api = dev.logical_id(live.api)
    stage = "dev"
    manage = (
        f"arn:${{AWS::Partition}}:execute-api:${{AWS::Region}}:${{AWS::AccountId}}:${{{api}}}/{stage}/*/@connections/*"
    )

    def logs(function: Any) -> str:
        cfn = dev.json["Resources"][dev.logical_id(function)]
        return f"{cfn['Properties']['LoggingConfig']['LogGroup']['Ref']}.Arn"

    assert grants_of(dev, live.authorizer) == on("*", *XRAY) | on(logs(live.authorizer), *LOGS)
    assert grants_of(dev, live.routes) == (
        on(connections, "dynamodb:PutItem", "dynamodb:DeleteItem") | on("*", *XRAY) | on(logs(live.routes), *LOGS)
    )
    assert grants_of(dev, live.pusher) == (
        on(connections, "dynamodb:Query", "dynamodb:DeleteItem")
        | on(f"{dev.logical_id(tables.data)}.Arn", "dynamodb:GetItem")
        | on(manage, "execute-api:ManageConnections")
        | on(data_stream, *STREAM_READ)
        | on("*", "dynamodb:ListStreams", *XRAY)
        | on(logs(live.pusher), *LOGS)
    )


def test_live_functions_get_only_their_settings(dev: Synthesized) -> None:
    live = dev.stack.live

    def variables(function: Any) -> set[str]:
        return set(dev.json["Resources"][dev.logical_id(function)]["Properties"]["Environment"]["Variables"])

    common = {
        names.ENV_POWERTOOLS_SERVICE_NAME,
        names.ENV_POWERTOOLS_METRICS_NAMESPACE,
        names.ENV_POWERTOOLS_LOG_LEVEL,
        names.ENV_POWERTOOLS_LOGGER_LOG_EVENT,
        names.ENV_POWERTOOLS_TRACER_CAPTURE_RESPONSE,
        names.ENV_STAGE,
    }
    assert variables(live.authorizer) == common | {names.ENV_USER_POOL_ID, names.ENV_USER_POOL_CLIENT_IDS}
    assert variables(live.routes) == common | {names.ENV_CONNECTIONS_TABLE}
    assert variables(live.pusher) == common | {
        names.ENV_CONNECTIONS_TABLE,
        names.ENV_WEBSOCKET_CALLBACK_URL,
        names.ENV_DATA_TABLE,
    }
