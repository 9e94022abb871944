"""The one stack: composes one construct per concern and declares the stable outputs."""

from __future__ import annotations

from typing import Any

from aws_cdk import Aspects, CfnOutput, Stack
from constructs import Construct

from infra import names
from infra.api import Api
from infra.auth import Auth
from infra.config import StageConfig
from infra.functions import Functions
from infra.live import LiveScreens
from infra.mail import CustomerMail
from infra.monitoring import Monitoring
from infra.notifications import Notifications
from infra.tables import Tables


class ShopStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, config: StageConfig, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.config = config
        self.tables = Tables(self, "Tables", config=config)
        self.notifications = Notifications(self, "Notifications", config=config)
        self.auth = Auth(self, "Auth", config=config)
        self.functions = Functions(
            self, "Functions", config=config, tables=self.tables, notifications=self.notifications
        )
        self.mail = CustomerMail(self, "CustomerMail", config=config)
        self.mail.grant_send(self.functions.data_sync)
        self.live = LiveScreens(
            self,
            "Live",
            config=config,
            functions=self.functions,
            data_table=self.tables.data,
            user_pool=self.auth.user_pool,
            client=self.auth.client,
        )
        self.api = Api(self, "Api", config=config, handler=self.functions.api, user_pool=self.auth.user_pool)
        self.monitoring = Monitoring(
            self,
            "Monitoring",
            config=config,
            rest_api=self.api.rest_api,
            api_function=self.functions.api,
            stream_consumers=self.functions.stream_consumers,
            tables={
                "command": self.tables.command.table_name,
                "data": self.tables.data.table_name,
                "sequences": self.tables.sequences.table_name,
                "idempotency": self.tables.idempotency.table_name,
            },
        )
        self._outputs()

    def _outputs(self) -> None:
        # Declared on the stack itself so their logical ids are exactly these names.
        for output_id, value, description in (
            (names.OUTPUT_API_URL, self.api.url, "REST API base URL (stage)"),
            (names.OUTPUT_WEBSOCKET_URL, self.live.url, "WebSocket URL for staff screens (?token=<ID token>)"),
            (names.OUTPUT_USER_POOL_ID, self.auth.user_pool.user_pool_id, "Cognito user pool id"),
            (names.OUTPUT_USER_POOL_CLIENT_ID, self.auth.client.user_pool_client_id, "App client id (no secret)"),
            (names.OUTPUT_REGION, self.region, "Region of the stack"),
            (names.OUTPUT_NOTIFICATION_TOPIC_ARN, self.notifications.topic.topic_arn, "Order notifications"),
            (names.OUTPUT_COMMAND_TABLE, self.tables.command.table_name, "Command log and history table"),
            (names.OUTPUT_DATA_TABLE, self.tables.data.table_name, "Data (read model) table"),
            (names.OUTPUT_SEQUENCES_TABLE, self.tables.sequences.table_name, "Sequences table"),
            (names.OUTPUT_IDEMPOTENCY_TABLE, self.tables.idempotency.table_name, "Idempotency table"),
            (
                names.OUTPUT_PROJECTOR_FAILURES_QUEUE,
                self.functions.projector_dlq.queue_url,
                "Command-stream records that exhausted their retries",
            ),
            (
                names.OUTPUT_DATA_SYNC_FAILURES_QUEUE,
                self.functions.data_sync_dlq.queue_url,
                "Data-stream records that exhausted their retries",
            ),
        ):
            CfnOutput(self, output_id, value=value, description=description)


def build(scope: Construct, stage: str | None = None) -> ShopStack:
    """The stack for `stage` (default: context `stage`, else `dev`), with cdk-nag's AWS Solutions checks.

    app.py and the tests both build the stack through here, so the tests check what deploys.
    """
    from cdk_nag import AwsSolutionsChecks

    from infra.nag import suppress

    config = StageConfig.from_context(scope, stage)
    stack = ShopStack(
        scope,
        names.stack_name(config.stage),
        config=config,
        description=f"Multi-tenant CQRS shop ({config.stage})",
    )
    suppress(stack)
    Aspects.of(stack).add(AwsSolutionsChecks(verbose=True))
    return stack
