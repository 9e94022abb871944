"""The REST API: explicit routes from `names.API_ROUTES`, all to the API function, behind Cognito."""

from __future__ import annotations

import json

from aws_cdk import RemovalPolicy
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra import names
from infra.config import StageConfig

# One JSON object per request, no bodies (no data tracing on the stage either). The caller is logged
# by `sub`; the API function's own log lines carry the tenant (access-log variables document only
# `claims.<name>`, and `custom:tenant` has a colon in its name).
ACCESS_LOG_FIELDS = {
    "requestId": "$context.requestId",
    "extendedRequestId": "$context.extendedRequestId",
    "requestTime": "$context.requestTime",
    "ip": "$context.identity.sourceIp",
    "userAgent": "$context.identity.userAgent",
    "httpMethod": "$context.httpMethod",
    "resourcePath": "$context.resourcePath",
    "path": "$context.path",
    "status": "$context.status",
    "protocol": "$context.protocol",
    "responseLength": "$context.responseLength",
    "responseLatency": "$context.responseLatency",
    "integrationLatency": "$context.integrationLatency",
    "integrationStatus": "$context.integration.status",
    "errorMessage": "$context.error.message",
    "authorizerError": "$context.authorizer.error",
    "user": "$context.authorizer.claims.sub",
    "xrayTraceId": "$context.xrayTraceId",
}

CORS_ALLOW_HEADERS = ["Authorization", "Content-Type", "Idempotency-Key", "X-Amz-Date", "X-Amz-Security-Token"]


class Api(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        handler: lambda_.IFunction,
        user_pool: cognito.IUserPool,
    ) -> None:
        super().__init__(scope, construct_id)
        prod = config.is_prod
        self.access_logs = logs.LogGroup(
            self,
            "AccessLogs",
            retention=config.log_retention,
            removal_policy=config.removal_policy,
        )
        origins = list(config.cors_allow_origins)
        self.rest_api = apigw.RestApi(
            self,
            "RestApi",
            rest_api_name=f"{names.stack_name(config.stage)}-api",
            description="Multi-tenant CQRS shop: orders, products, inventory",
            endpoint_types=[apigw.EndpointType.REGIONAL],
            # API Gateway needs an account-level role to write any log, access logs included. The
            # setting is account-wide (other APIs may rely on it), so the role outlives the stack.
            cloud_watch_role=True,
            cloud_watch_role_removal_policy=RemovalPolicy.RETAIN,
            deploy_options=apigw.StageOptions(
                stage_name=config.stage,
                tracing_enabled=True,
                metrics_enabled=True,
                logging_level=apigw.MethodLoggingLevel.ERROR if prod else apigw.MethodLoggingLevel.INFO,
                data_trace_enabled=False,
                throttling_rate_limit=config.api_throttle_rate_limit,
                throttling_burst_limit=config.api_throttle_burst_limit,
                access_log_destination=apigw.LogGroupLogDestination(self.access_logs),
                access_log_format=apigw.AccessLogFormat.custom(json.dumps(ACCESS_LOG_FIELDS)),
            ),
            default_cors_preflight_options=apigw.CorsOptions(
                allow_origins=origins,
                allow_methods=apigw.Cors.ALL_METHODS,
                allow_headers=CORS_ALLOW_HEADERS,
                max_age=None,
            ),
        )
        # RestApi adds an "Endpoint" output with a generated id; the stack's `ApiUrl` replaces it.
        self.rest_api.node.try_remove_child("Endpoint")

        # Errors API Gateway answers itself (401 from the authorizer, 403 for unknown routes, 429)
        # carry CORS headers too, so a browser client sees the status instead of a CORS failure.
        # A gateway response cannot choose among several origins (and must not echo any origin), so
        # with a list of origins only the function's own responses carry the header.
        if len(origins) == 1:
            for response_type, gateway_id in (
                (apigw.ResponseType.DEFAULT_4_XX, "Default4xx"),
                (apigw.ResponseType.DEFAULT_5_XX, "Default5xx"),
            ):
                self.rest_api.add_gateway_response(
                    gateway_id,
                    type=response_type,
                    response_headers={"Access-Control-Allow-Origin": f"'{origins[0]}'"},
                )

        self.authorizer = apigw.CognitoUserPoolsAuthorizer(
            self,
            "Authorizer",
            cognito_user_pools=[user_pool],
            identity_source="method.request.header.Authorization",
        )
        integration = apigw.LambdaIntegration(handler, proxy=True, allow_test_invoke=False)
        self.public_methods: list[apigw.Method] = []
        self.protected_methods: list[apigw.Method] = []
        for method, path, needs_token in names.API_ROUTES:
            if path in names.DOCS_PATHS and not config.api_docs:
                continue  # the stage serves no docs: API Gateway answers 403 to these paths
            resource = self.rest_api.root.resource_for_path(path)
            if needs_token:
                self.protected_methods.append(
                    resource.add_method(
                        method,
                        integration,
                        authorizer=self.authorizer,
                        authorization_type=apigw.AuthorizationType.COGNITO,
                    )
                )
            else:
                self.public_methods.append(
                    resource.add_method(method, integration, authorization_type=apigw.AuthorizationType.NONE)
                )

    @property
    def url(self) -> str:
        return self.rest_api.url
