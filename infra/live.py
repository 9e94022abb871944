"""Live staff screens: an API Gateway WebSocket API, its connections table and three functions.

| function       | memory | timeout | triggered by                                           |
|----------------|--------|---------|--------------------------------------------------------|
| ws-authorizer  | 256 MB | 5 s     | `$connect` (`?token=<ID token>[&tenant=CODE]`)         |
| ws-connections | 256 MB | 5 s     | `$connect`, `$disconnect`, `$default`                  |
| live-pusher    | 512 MB | 30 s    | data table stream, batches of 25, no window            |

WebSocket APIs take no Cognito authorizer, so `$connect` has a Lambda authorizer that verifies the
ID token exactly as the REST API's Cognito authorizer does. The pusher is the data stream's second
consumer (DynamoDB serves two per shard without throttling); it may post to this stage's
connections only (`execute-api:ManageConnections` on the stage's `@connections`).
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_apigatewayv2_authorizers as authorizers
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from constructs import Construct

from infra import names
from infra.config import StageConfig
from infra.functions import STREAM_BATCH_SIZE, Functions, FunctionSpec, allow, observability_environment

AUTHORIZER = FunctionSpec(
    "WsAuthorizer", names.WS_AUTHORIZER_HANDLER, "WebSocket $connect: verifies the ID token", 256, Duration.seconds(5)
)
CONNECTIONS = FunctionSpec(
    "WsConnections", names.WS_CONNECTIONS_HANDLER, "WebSocket routes: keeps connections", 256, Duration.seconds(5)
)
PUSHER = FunctionSpec(
    "LivePusher", names.LIVE_PUSHER_HANDLER, "Data stream -> staff screens", 512, Duration.seconds(30)
)
TOKEN_SOURCE = "route.request.querystring.token"
# A live message is worth little once late: a failing record is retried twice, then dropped.
PUSHER_RETRY_ATTEMPTS = 2
PUSHER_MAX_RECORD_AGE = Duration.minutes(5)


class LiveScreens(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        functions: Functions,
        data_table: dynamodb.Table,
        user_pool: cognito.UserPool,
        client: cognito.UserPoolClient,
    ) -> None:
        super().__init__(scope, construct_id)
        self.connections = dynamodb.Table(
            self,
            "Connections",
            partition_key=dynamodb.Attribute(name=names.PARTITION_KEY, type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name=names.SORT_KEY, type=dynamodb.AttributeType.STRING),
            time_to_live_attribute=names.CONNECTION_TTL_ATTRIBUTE,
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            deletion_protection=config.is_prod,
            removal_policy=config.removal_policy,
        )
        common = observability_environment(config)
        self.authorizer = functions.add(
            AUTHORIZER,
            {
                **common,
                names.ENV_USER_POOL_ID: user_pool.user_pool_id,
                names.ENV_USER_POOL_CLIENT_IDS: client.user_pool_client_id,
            },
        )
        self.routes = functions.add(CONNECTIONS, {**common, names.ENV_CONNECTIONS_TABLE: self.connections.table_name})
        self.connections.grant(self.routes, "dynamodb:PutItem", "dynamodb:DeleteItem")

        route = integrations.WebSocketLambdaIntegration
        self.api = apigwv2.WebSocketApi(
            self,
            "Api",
            description="Live order and stock messages for staff screens",
            connect_route_options=apigwv2.WebSocketRouteOptions(
                integration=route("ConnectIntegration", self.routes),
                authorizer=authorizers.WebSocketLambdaAuthorizer(
                    "TokenAuthorizer", self.authorizer, identity_source=[TOKEN_SOURCE]
                ),
            ),
            disconnect_route_options=apigwv2.WebSocketRouteOptions(
                integration=route("DisconnectIntegration", self.routes)
            ),
            default_route_options=apigwv2.WebSocketRouteOptions(integration=route("DefaultIntegration", self.routes)),
        )
        self.stage = apigwv2.WebSocketStage(
            self,
            "Stage",
            web_socket_api=self.api,
            stage_name=config.stage,
            auto_deploy=True,
            throttle=apigwv2.ThrottleSettings(
                rate_limit=config.api_throttle_rate_limit, burst_limit=config.api_throttle_burst_limit
            ),
        )

        self.pusher = functions.add(
            PUSHER,
            {
                **common,
                names.ENV_CONNECTIONS_TABLE: self.connections.table_name,
                names.ENV_WEBSOCKET_CALLBACK_URL: self.stage.callback_url,
                # The tenant registry (each tenant's low-stock threshold) is read from the data table.
                names.ENV_DATA_TABLE: data_table.table_name,
            },
        )
        self.connections.grant(self.pusher, "dynamodb:Query", "dynamodb:DeleteItem")
        allow(self.pusher, data_table, "dynamodb:GetItem")
        self.stage.grant_management_api_access(self.pusher)
        self.pusher.add_event_source(
            sources.DynamoEventSource(
                data_table,
                starting_position=lambda_.StartingPosition.LATEST,
                batch_size=STREAM_BATCH_SIZE,
                max_batching_window=Duration.seconds(0),
                report_batch_item_failures=True,
                bisect_batch_on_error=True,
                retry_attempts=PUSHER_RETRY_ATTEMPTS,
                max_record_age=PUSHER_MAX_RECORD_AGE,
                parallelization_factor=1,
            )
        )

    @property
    def functions(self) -> tuple[lambda_.Function, ...]:
        return (self.authorizer, self.routes, self.pusher)

    @property
    def url(self) -> str:
        return self.stage.url
