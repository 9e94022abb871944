"""cdk-nag suppressions: each one names the finding, the exact resource and why it is accepted.

Nothing is suppressed stack-wide: a new resource with the same weakness is reported again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cdk_nag import NagPackSuppression, NagSuppressions, RegexAppliesTo
from constructs import IConstruct

if TYPE_CHECKING:
    from infra.stack import ShopStack

RUNTIME = (
    "Python 3.13 is the runtime the Powertools layer (AWSLambdaPowertoolsPythonV3-python313-arm64) "
    "is built for and the code is tested on; moving to a newer runtime is a deliberate upgrade."
)
STREAM_DLQ = (
    "This queue is itself the on-failure destination (dead-letter queue) of a DynamoDB stream event "
    "source; a dead-letter queue of a dead-letter queue would only move the problem."
)
XRAY_AND_LIST_STREAMS = (
    "Resource '*' only for actions without resource-level permissions: xray:PutTraceSegments and "
    "xray:PutTelemetryRecords (active tracing) and dynamodb:ListStreams (stream event source). Every "
    "DynamoDB data action is scoped to its table ARN and stream reads to the stream ARN."
)
DATA_INDEXES = (
    "Query on the data table's own indexes (<data table ARN>/index/*): the list pages query its three "
    "KEYS_ONLY list indexes; the grant is Query only, on that one table's indexes."
)
TOPIC_KEY = (
    "kms:GenerateDataKey* is what SNS needs to encrypt for a KMS-encrypted topic; it is granted on the "
    "notification topic's own key only."
)


def suppress(stack: ShopStack) -> None:
    functions = stack.functions
    for function in functions.all:
        _add(function, "AwsSolutions-L1", RUNTIME)
        role = function.role
        assert role is not None
        _add(role, "AwsSolutions-IAM5", XRAY_AND_LIST_STREAMS, applies_to=["Resource::*"])
    api_role = functions.api.role
    assert api_role is not None
    data_id = stack.get_logical_id(stack.tables.data.node.default_child)  # type: ignore[arg-type]
    _add(api_role, "AwsSolutions-IAM5", DATA_INDEXES, applies_to=[f"Resource::<{data_id}.Arn>/index/*"])
    data_sync_role = functions.data_sync.role
    assert data_sync_role is not None
    _add(data_sync_role, "AwsSolutions-IAM5", TOPIC_KEY, applies_to=["Action::kms:GenerateDataKey*"])
    for _, queue in functions.stream_consumers:
        _add(queue, "AwsSolutions-SQS3", STREAM_DLQ)

    live = stack.live
    for function in live.functions:
        _add(function, "AwsSolutions-L1", RUNTIME)
        role = function.role
        assert role is not None
        _add(role, "AwsSolutions-IAM5", XRAY_AND_LIST_STREAMS, applies_to=["Resource::*"])
    pusher_role = live.pusher.role
    assert pusher_role is not None
    _add(
        pusher_role,
        "AwsSolutions-IAM5",
        "execute-api:ManageConnections on this stage's @connections/* : connection ids are made by API "
        "Gateway at connect time, so they cannot be named in advance.",
        applies_to=[
            RegexAppliesTo(
                regex=r"/^Resource::arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:<[A-Za-z0-9]+>"
                r"\/[A-Za-z0-9_-]+\/\*\/@connections\/\*$/g"
            )
        ],
    )
    for route_id in ("$disconnect-Route", "$default-Route"):
        route = live.api.node.try_find_child(route_id)
        if route is not None:
            _add(
                route,
                "AwsSolutions-APIG4",
                "WebSocket APIs authorize only $connect; $disconnect and $default run on a connection "
                "the $connect authorizer already admitted.",
            )
    _add(
        live.stage,
        "AwsSolutions-APIG1",
        "Connections and refusals are logged by the authorizer and route functions (tenant, user, "
        "reason); stage access logs would repeat them.",
    )

    pool = stack.auth.user_pool
    _add(
        pool,
        "AwsSolutions-COG2",
        "MFA is optional (TOTP) as the issue asks: operators may require it per user; API clients that "
        "are scripts use USER_PASSWORD_AUTH without a second factor.",
    )
    _add(
        pool,
        "AwsSolutions-COG8",
        "The Plus feature plan (threat protection) is billed per monthly active user; the Essentials "
        "plan with a strong password policy, no self sign-up and optional MFA is the chosen baseline.",
    )

    api = stack.api
    rest_api = api.rest_api
    _add(
        rest_api,
        "AwsSolutions-APIG2",
        "Requests are validated in the API function (pydantic models through Powertools) so every "
        "validation error has the project's one JSON error shape naming the field (400/422).",
    )
    _add(
        rest_api,
        "AwsSolutions-IAM4",
        "API Gateway's account-level CloudWatch role uses AmazonAPIGatewayPushToCloudWatchLogs, the "
        "policy AWS documents for it; access and execution logs need it.",
        applies_to=["Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"],
    )
    _add(
        rest_api.deployment_stage,
        "AwsSolutions-APIG3",
        "No WAF web ACL: stage throttling (rate and burst from context) and the Cognito authorizer guard "
        "the API; a web ACL costs a monthly fee per ACL and rule and is an add-on for internet-facing prod.",
    )
    for method in api.public_methods:
        reason = (
            f"{method.resource.path} serves the public OpenAPI document / Swagger UI: it exposes no tenant "
            "data and must be readable without a token."
        )
        _add(method, "AwsSolutions-APIG4", reason)
        _add(method, "AwsSolutions-COG4", reason)


def _add(construct: IConstruct, rule: str, reason: str, applies_to: list[str | RegexAppliesTo] | None = None) -> None:
    NagSuppressions.add_resource_suppressions(
        construct,
        [NagPackSuppression(id=rule, reason=reason, applies_to=applies_to)],
        apply_to_children=True,
    )
