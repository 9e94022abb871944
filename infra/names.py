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
WS_AUTHORIZER_HANDLER = "handlers.ws_authorizer.handler"
WS_CONNECTIONS_HANDLER = "handlers.ws_connections.handler"
LIVE_PUSHER_HANDLER = "handlers.live_pusher.handler"

# Environment variables the functions read.
ENV_COMMAND_TABLE = "COMMAND_TABLE_NAME"
ENV_DATA_TABLE = "DATA_TABLE_NAME"
ENV_SEQUENCES_TABLE = "SEQUENCES_TABLE_NAME"
ENV_IDEMPOTENCY_TABLE = "IDEMPOTENCY_TABLE_NAME"
ENV_NOTIFICATION_TOPIC = "NOTIFICATION_TOPIC_ARN"
# The stack-level sender of customer e-mail and the domains tenants' senders may use
# (`shop.mail_senders`: MAIL_SENDER_ENV, MAIL_DOMAINS_ENV).
ENV_MAIL_SENDER = "MAIL_SENDER"
ENV_MAIL_DOMAINS = "MAIL_DOMAINS"
# Browser origins the API answers with CORS headers (comma-separated), from `corsAllowOrigins`.
ENV_CORS_ALLOW_ORIGINS = "CORS_ALLOW_ORIGINS"

# The live-screen functions' settings (`live.wiring`, `live.messages`).
ENV_CONNECTIONS_TABLE = "CONNECTIONS_TABLE_NAME"
ENV_WEBSOCKET_CALLBACK_URL = "WEBSOCKET_CALLBACK_URL"
ENV_USER_POOL_ID = "USER_POOL_ID"
ENV_USER_POOL_CLIENT_IDS = "USER_POOL_CLIENT_IDS"
CONNECTION_TTL_ATTRIBUTE = "expiresAt"

# Cognito custom attributes (claims arrive as `custom:<name>`).
TENANT_ATTRIBUTE = "tenant"
ROLE_ATTRIBUTE = "role"
ROLES = ("admin", "staff")
# Operators: users of the shared `common` tenant with this role (custom:role) act across tenants.
OPERATOR_ROLE = "system_admin"
COMMON_TENANT = "common"
# The header an operator names the tenant it acts in with.
TENANT_HEADER = "X-Tenant-Code"

# Stack outputs (stable names: clients and the local runtime's outputs file use them).
OUTPUT_API_URL = "ApiUrl"
OUTPUT_WEBSOCKET_URL = "WebSocketUrl"
OUTPUT_USER_POOL_ID = "UserPoolId"
OUTPUT_USER_POOL_CLIENT_ID = "UserPoolClientId"
OUTPUT_REGION = "Region"
OUTPUT_NOTIFICATION_TOPIC_ARN = "NotificationTopicArn"
OUTPUT_COMMAND_TABLE = "CommandTableName"
OUTPUT_DATA_TABLE = "DataTableName"
OUTPUT_SEQUENCES_TABLE = "SequencesTableName"
OUTPUT_IDEMPOTENCY_TABLE = "IdempotencyTableName"
# The stream consumers' on-failure queues (read by `python -m client ops replay-failed`).
OUTPUT_PROJECTOR_FAILURES_QUEUE = "ProjectorFailuresQueueUrl"
OUTPUT_DATA_SYNC_FAILURES_QUEUE = "DataSyncFailuresQueueUrl"

# The API's description is served without a token: the OpenAPI document, Swagger UI's page and
# its two cacheable assets (a stage may turn them off: CONTEXT_API_DOCS).
OPENAPI_PATH = "/openapi.json"
SWAGGER_PATH = "/swagger"
SWAGGER_SCRIPT_PATH = "/swagger/ui.js"
SWAGGER_STYLE_PATH = "/swagger/ui.css"
DOCS_PATHS = (OPENAPI_PATH, SWAGGER_PATH, SWAGGER_SCRIPT_PATH, SWAGGER_STYLE_PATH)
ENV_API_DOCS = "API_DOCS"

# Powertools settings every function receives (values chosen in infra/functions.py).
ENV_POWERTOOLS_SERVICE_NAME = "POWERTOOLS_SERVICE_NAME"
ENV_POWERTOOLS_METRICS_NAMESPACE = "POWERTOOLS_METRICS_NAMESPACE"
ENV_POWERTOOLS_LOG_LEVEL = "POWERTOOLS_LOG_LEVEL"
ENV_POWERTOOLS_LOGGER_LOG_EVENT = "POWERTOOLS_LOGGER_LOG_EVENT"
ENV_POWERTOOLS_TRACER_CAPTURE_RESPONSE = "POWERTOOLS_TRACER_CAPTURE_RESPONSE"
ENV_STAGE = "STAGE"

# Every function gets exactly these variables (the same set: `cqrs.settings.Tables.from_env` needs all
# three table names in every function; IAM, not the environment, decides what a function may touch).
FUNCTION_ENV_VARS = frozenset(
    {
        ENV_COMMAND_TABLE,
        ENV_DATA_TABLE,
        ENV_SEQUENCES_TABLE,
        ENV_IDEMPOTENCY_TABLE,
        ENV_NOTIFICATION_TOPIC,
        ENV_MAIL_SENDER,
        ENV_MAIL_DOMAINS,
        ENV_POWERTOOLS_SERVICE_NAME,
        ENV_POWERTOOLS_METRICS_NAMESPACE,
        ENV_POWERTOOLS_LOG_LEVEL,
        ENV_POWERTOOLS_LOGGER_LOG_EVENT,
        ENV_POWERTOOLS_TRACER_CAPTURE_RESPONSE,
        ENV_STAGE,
        ENV_CORS_ALLOW_ORIGINS,
        ENV_API_DOCS,
    }
)

SERVICE_NAME = "cqrs-shop"
METRICS_NAMESPACE = "CqrsShop"

# Key attributes (docs/design.md, "Keys and tables"); the idempotency table uses Powertools' defaults.
PARTITION_KEY = "pk"
SORT_KEY = "sk"
IDEMPOTENCY_KEY = "id"
IDEMPOTENCY_TTL_ATTRIBUTE = "expiration"
# The data table's list indexes, (name, partition key), all sharing one sort key, KEYS_ONLY
# (`cqrs.indexes` in the Lambda code names the same; a test checks that the two agree).
DATA_LIST_INDEXES = (("gsi1", "gsi1pk"), ("gsi2", "gsi2pk"), ("gsi3", "gsi3pk"))
DATA_LIST_INDEX_SORT_KEY = "gsisk"

# The REST routes the API Gateway declares, as (method, path, needs_token). Every one goes to the
# API function (proxy integration); only the OpenAPI document and Swagger UI are public.
API_ROUTES: tuple[tuple[str, str, bool], ...] = (
    ("GET", "/orders", True),
    ("POST", "/orders", True),
    ("GET", "/orders/{code}", True),
    ("PATCH", "/orders/{code}/status", True),
    ("GET", "/orders/{code}/history", True),
    ("GET", "/products", True),
    ("POST", "/products", True),
    ("GET", "/products/{code}", True),
    ("PATCH", "/products/{code}", True),
    ("GET", "/products/{code}/history", True),
    ("GET", "/inventory", True),
    ("GET", "/inventory/{productCode}", True),
    ("PATCH", "/inventory/{productCode}", True),
    ("GET", "/inventory/{productCode}/history", True),
    ("GET", "/tenant", True),
    ("PATCH", "/tenant/settings", True),
    ("GET", "/tenants", True),
    ("POST", "/tenants", True),
    ("GET", "/tenants/{code}", True),
    ("PATCH", "/tenants/{code}", True),
    ("GET", "/tenants/{code}/history", True),
    *(("GET", path, False) for path in DOCS_PATHS),
)

# cdk.json context keys.
CONTEXT_STAGE = "stage"
CONTEXT_CORS_ALLOW_ORIGINS = "corsAllowOrigins"
CONTEXT_API_THROTTLE_RATE = "apiThrottleRateLimit"
CONTEXT_API_THROTTLE_BURST = "apiThrottleBurstLimit"
CONTEXT_POWERTOOLS_LAYER_ARN = "powertoolsLayerArn"
CONTEXT_ALARM_EMAIL = "alarmEmail"
CONTEXT_MAIL_SENDER = "mailSender"
CONTEXT_MAIL_DOMAINS = "mailDomains"
DEFAULT_MAIL_SENDER = "orders@example.com"
CONTEXT_API_DOCS = "apiDocs"
PROD_STAGE = "prod"
