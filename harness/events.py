"""API Gateway REST proxy events, as the Cognito authorizer hands them to the API Lambda."""

from __future__ import annotations

import json
import uuid
from typing import Any


def claims(tenant: str | None = "shop-a", role: str | None = "admin", sub: str = "user-1") -> dict[str, str]:
    out = {"sub": sub, "cognito:username": f"{sub}@example.com", "token_use": "id"}
    if tenant is not None:
        out["custom:tenant"] = tenant
    if role is not None:
        out["custom:role"] = role
    return out


def api_event(
    method: str,
    path: str,
    body: Any = None,
    *,
    tenant: str | None = "shop-a",
    role: str | None = "admin",
    sub: str = "user-1",
    query: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    raw_body: str | None = None,
) -> dict[str, Any]:
    all_headers = {"Content-Type": "application/json", **(headers or {})}
    return {
        "resource": "/{proxy+}",
        "path": path,
        "httpMethod": method,
        "headers": all_headers,
        "multiValueHeaders": {k: [v] for k, v in all_headers.items()},
        "queryStringParameters": query,
        "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} if query else None,
        "pathParameters": {"proxy": path.lstrip("/")},
        "stageVariables": None,
        "requestContext": {
            "resourcePath": "/{proxy+}",
            "httpMethod": method,
            "path": f"/dev{path}",
            "stage": "dev",
            "requestId": str(uuid.uuid4()),
            "accountId": "123456789012",
            "apiId": "local",
            "identity": {"sourceIp": "127.0.0.1"},
            "authorizer": {"claims": claims(tenant, role, sub)},
        },
        "body": raw_body if raw_body is not None else (json.dumps(body) if body is not None else None),
        "isBase64Encoded": False,
    }


class FakeLambdaContext:
    function_name = "api"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:api"
    aws_request_id = "req-1"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000
