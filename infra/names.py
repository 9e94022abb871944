"""Names shared by the CDK code, the local runtime and the tests: defined once, here.

The Lambda code reads the same environment variable names in `cqrs.settings` and
`shop.settings`; a test checks that the two agree.
"""

from __future__ import annotations

STACK_NAME_PREFIX = "CqrsShop"
DEFAULT_STAGE = "dev"


def stack_name(stage: str) -> str:
    return f"{STACK_NAME_PREFIX}-{stage}"


# The asset root deployed to every function, and the handler strings inside it.
LAMBDA_ASSET_DIR = "lambdas"
API_HANDLER = "handlers.api.handler"
PROJECTOR_HANDLER = "handlers.projector.handler"
DATA_SYNC_HANDLER = "handlers.data_sync.handler"

# Environment variables the functions read.
ENV_COMMAND_TABLE = "COMMAND_TABLE_NAME"
ENV_DATA_TABLE = "DATA_TABLE_NAME"
ENV_HISTORY_TABLE = "HISTORY_TABLE_NAME"
ENV_SEQUENCES_TABLE = "SEQUENCES_TABLE_NAME"
ENV_IDEMPOTENCY_TABLE = "IDEMPOTENCY_TABLE_NAME"
ENV_NOTIFICATION_TOPIC = "NOTIFICATION_TOPIC_ARN"

# Cognito custom attributes (claims arrive as `custom:<name>`).
TENANT_ATTRIBUTE = "tenant"
ROLE_ATTRIBUTE = "role"
ROLES = ("admin", "staff")

# Stack outputs (stable names: clients and the local runtime's outputs file use them).
OUTPUT_API_URL = "ApiUrl"
OUTPUT_USER_POOL_ID = "UserPoolId"
OUTPUT_USER_POOL_CLIENT_ID = "UserPoolClientId"
OUTPUT_REGION = "Region"
OUTPUT_NOTIFICATION_TOPIC_ARN = "NotificationTopicArn"
OUTPUT_COMMAND_TABLE = "CommandTableName"
OUTPUT_DATA_TABLE = "DataTableName"
OUTPUT_HISTORY_TABLE = "HistoryTableName"
OUTPUT_SEQUENCES_TABLE = "SequencesTableName"
OUTPUT_IDEMPOTENCY_TABLE = "IdempotencyTableName"

# The OpenAPI document is the one route served without a token.
OPENAPI_PATH = "/openapi.json"
SWAGGER_PATH = "/swagger"
