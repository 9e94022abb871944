"""API Gateway's REST proxy event (payload format 1.0) for a request, and the HTTP response for
a Lambda proxy result (None when the result is malformed, which API Gateway answers with 502)."""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from local.api_routes import Match
from local.template import ACCOUNT_ID


def build_event(
    *,
    method: str,
    raw_path: str,
    headers: list[tuple[str, str]],
    body: bytes,
    match: Match,
    stage: str,
    claims: dict[str, str] | None,
    source_ip: str,
    host: str,
) -> dict[str, Any]:
    """The API Gateway REST proxy event (payload format 1.0) for one request."""
    split = urlsplit(raw_path)
    path = unquote(split.path) or "/"
    single_headers: dict[str, str] = {}
    multi_headers: dict[str, list[str]] = {}
    for name, value in headers:
        single_headers[name] = value
        multi_headers.setdefault(name, []).append(value)
    query = parse_qsl(split.query, keep_blank_values=True)
    single_query: dict[str, str] = {}
    multi_query: dict[str, list[str]] = {}
    for name, value in query:
        single_query[name] = value
        multi_query.setdefault(name, []).append(value)
    if body:
        try:
            text, encoded = body.decode("utf-8"), False
        except UnicodeDecodeError:
            text, encoded = base64.b64encode(body).decode(), True
    else:
        text, encoded = None, False
    now = datetime.now(UTC)
    request_id = str(uuid.uuid4())
    context: dict[str, Any] = {
        "accountId": ACCOUNT_ID,
        "apiId": "local",
        "domainName": host,
        "domainPrefix": host.split(".")[0],
        "extendedRequestId": request_id,
        "httpMethod": method,
        "identity": {
            "sourceIp": source_ip,
            "userAgent": single_headers.get("User-Agent") or single_headers.get("user-agent"),
            "accessKey": None,
            "accountId": None,
            "caller": None,
            "user": None,
            "userArn": None,
        },
        "path": f"/{stage}{path}",
        "protocol": "HTTP/1.1",
        "requestId": request_id,
        "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
        "requestTimeEpoch": int(now.timestamp() * 1000),
        "resourceId": match.node.resource_id,
        "resourcePath": match.resource_path,
        "stage": stage,
    }
    if claims is not None:
        context["authorizer"] = {"claims": claims}
    return {
        "resource": match.resource_path,
        "path": path,
        "httpMethod": method,
        "headers": single_headers or None,
        "multiValueHeaders": multi_headers or None,
        "queryStringParameters": single_query or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": match.path_parameters or None,
        "stageVariables": None,
        "requestContext": context,
        "body": text,
        "isBase64Encoded": encoded,
    }


@dataclass
class HttpResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


def proxy_response(result: Any) -> HttpResponse | None:
    """The HTTP response for a Lambda proxy result, or None when it is malformed (-> 502)."""
    if not isinstance(result, dict):
        return None
    try:
        status = int(result.get("statusCode", 200))
    except (TypeError, ValueError):
        return None
    headers: dict[str, list[str]] = {}
    for name, value in (result.get("headers") or {}).items():
        headers[str(name)] = [str(value)]
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers[str(name)] = [str(value) for value in (values or [])]
    body = result.get("body") or ""
    if not isinstance(body, str):
        return None
    try:
        payload = base64.b64decode(body) if result.get("isBase64Encoded") else body.encode("utf-8")
    except ValueError:
        return None
    return HttpResponse(status, [(n, v) for n, values in headers.items() for v in values], payload)


def json_response(status: int, message: str, extra: dict[str, str] | None = None) -> HttpResponse:
    body = json.dumps({"message": message}).encode()
    headers = [("Content-Type", "application/json"), *((extra or {}).items())]
    return HttpResponse(status, headers, body)
