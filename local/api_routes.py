"""The template's REST API as a resource tree: which method of which resource a request reaches.

A request is matched as API Gateway matches it: most specific resource first (a literal path part
wins over `{param}`, which wins over `{proxy+}`). A method is an AWS_PROXY integration to one of
the local functions, or a MOCK integration (the CORS preflights) with its static headers; the
template's gateway responses give the headers of API Gateway's own 4xx/5xx answers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from local.functions import LocalFunction
from local.template import Resolver, Template

COGNITO_AUTH = "COGNITO_USER_POOLS"
_INVOCATION_ARN = re.compile(r"functions/(?P<arn>arn:[^/]+)/invocations")


@dataclass
class Method:
    http_method: str
    authorization: str  # NONE | COGNITO_USER_POOLS | ...
    function: LocalFunction | None = None  # AWS_PROXY target
    integration: str = "AWS_PROXY"
    mock_status: int = 200
    mock_headers: dict[str, str] = field(default_factory=dict)


@dataclass
class ResourceNode:
    path_part: str  # "" for the root
    resource_id: str
    children: list[ResourceNode] = field(default_factory=list)
    methods: dict[str, Method] = field(default_factory=dict)

    @property
    def kind(self) -> int:
        """Match priority: literal (0), {param} (1), {param+} (2)."""
        if self.path_part.startswith("{") and self.path_part.endswith("+}"):
            return 2
        return 1 if self.path_part.startswith("{") else 0


@dataclass
class Match:
    node: ResourceNode
    resource_path: str
    path_parameters: dict[str, str]


class Routes:
    """The REST API's resource tree and methods."""

    def __init__(self, root: ResourceNode, gateway_headers: dict[str, dict[str, str]] | None = None) -> None:
        self.root = root
        self.gateway_headers = gateway_headers or {}

    @classmethod
    def from_template(
        cls, template: Template, resolver: Resolver, functions: dict[str, LocalFunction]
    ) -> Routes | None:
        apis = template.of_type("AWS::ApiGateway::RestApi")
        if not apis:
            return None
        root = ResourceNode("", "root")
        nodes: dict[str, ResourceNode] = {}
        resources = {r.logical_id: r for r in template.of_type("AWS::ApiGateway::Resource")}

        def node_for(logical_id: str) -> ResourceNode:
            if logical_id in nodes:
                return nodes[logical_id]
            props = resources[logical_id].properties
            parent_ref = props.get("ParentId") or {}
            parent = root if "Fn::GetAtt" in parent_ref else node_for(str(parent_ref.get("Ref")))
            node = ResourceNode(str(props["PathPart"]), logical_id)
            parent.children.append(node)
            parent.children.sort(key=lambda child: child.kind)
            nodes[logical_id] = node
            return node

        for logical_id in resources:
            node_for(logical_id)
        by_arn = {function.arn: function for function in functions.values()}
        for resource in template.of_type("AWS::ApiGateway::Method"):
            props = resource.properties
            resource_ref = props.get("ResourceId") or {}
            node = root if "Fn::GetAtt" in resource_ref else node_for(str(resource_ref.get("Ref")))
            integration = props.get("Integration") or {}
            method = Method(
                http_method=str(props.get("HttpMethod", "ANY")).upper(),
                authorization=str(props.get("AuthorizationType") or "NONE"),
                integration=str(integration.get("Type") or ""),
            )
            if integration.get("Type") in ("AWS_PROXY", "AWS"):
                uri = str(resolver.resolve_lenient(integration.get("Uri"), placeholder=""))
                found = _INVOCATION_ARN.search(uri)
                method.function = by_arn.get(found.group("arn")) if found else None
            elif integration.get("Type") == "MOCK":
                responses = integration.get("IntegrationResponses") or [{}]
                method.mock_status = int(responses[0].get("StatusCode", 200))
                method.mock_headers = _static_headers(responses[0].get("ResponseParameters") or {})
            node.methods[method.http_method] = method
        gateway_headers = {
            str(r.properties.get("ResponseType")): _static_headers(r.properties.get("ResponseParameters") or {})
            for r in template.of_type("AWS::ApiGateway::GatewayResponse")
        }
        return cls(root, gateway_headers)

    def match(self, path: str) -> Match | None:
        parts = [unquote(part) for part in path.strip("/").split("/")] if path.strip("/") else []
        return self._match(self.root, parts, [], {})

    def _match(self, node: ResourceNode, parts: list[str], names: list[str], params: dict[str, str]) -> Match | None:
        if not parts:
            return Match(node, "/" + "/".join(names), params) if node.methods else None
        head, rest = parts[0], parts[1:]
        for child in node.children:
            if child.kind == 0 and child.path_part == head:
                found = self._match(child, rest, [*names, child.path_part], params)
            elif child.kind == 1 and head:
                found = self._match(child, rest, [*names, child.path_part], {**params, child.path_part[1:-1]: head})
            elif child.kind == 2:
                name = child.path_part[1:-2]
                found = Match(child, "/" + "/".join([*names, child.path_part]), {**params, name: "/".join(parts)})
            else:
                found = None
            if found is not None:
                return found
        return None

    def gateway_response_headers(self, status: int) -> dict[str, str]:
        specific = {401: "UNAUTHORIZED", 403: "MISSING_AUTHENTICATION_TOKEN", 413: "REQUEST_TOO_LARGE"}.get(status)
        headers = dict(self.gateway_headers.get("DEFAULT_4XX" if status < 500 else "DEFAULT_5XX", {}))
        if specific:
            headers.update(self.gateway_headers.get(specific, {}))
        return headers


def _static_headers(parameters: dict[str, Any]) -> dict[str, str]:
    """`method.response.header.X: "'value'"` -> {"X": "value"} (only static, quoted values)."""
    headers = {}
    for key, value in parameters.items():
        name = key.rsplit(".header.", 1)[-1] if ".header." in key else None
        if name and isinstance(value, str) and value.startswith("'") and value.endswith("'"):
            headers[name] = value[1:-1]
    return headers
