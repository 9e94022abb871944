"""Create what the template declares, on the local emulators, and record the local names.

Tables go to DynamoDB (Local, moto or a given endpoint) and are created only when missing, so a
restart keeps the data. The user pool, its clients and groups go to the local user pool, which
keeps them with the state directory and gives the same names the same ids on every start. SNS
topics and SQS queues go to moto, which keeps nothing between runs: they are created on every start.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.config import Config

from local.template import ACCOUNT_ID, REGION, Resolver, Resource, Template

log = logging.getLogger("local")

DUMMY_CREDENTIALS = {"aws_access_key_id": "local", "aws_secret_access_key": "local"}  # noqa: S105
TABLE_TYPES = ("AWS::DynamoDB::Table", "AWS::DynamoDB::GlobalTable")
TABLE_ACTIVE_TIMEOUT_S = 30.0


def client(service: str, endpoint: str, region: str = REGION, **config: Any) -> Any:
    """A boto3 client for a local endpoint, with dummy credentials."""
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=region,
        config=Config(max_pool_connections=32, **config),
        **DUMMY_CREDENTIALS,
    )


@dataclass
class Provisioned:
    """What provisioning created, by kind: logical id -> physical values."""

    tables: dict[str, dict[str, Any]] = field(default_factory=dict)
    user_pools: dict[str, str] = field(default_factory=dict)
    user_pool_clients: dict[str, str] = field(default_factory=dict)
    topics: dict[str, str] = field(default_factory=dict)
    queues: dict[str, dict[str, str]] = field(default_factory=dict)
    created_tables: list[str] = field(default_factory=list)


def _table_spec(resource: Resource, name: str) -> tuple[dict[str, Any], str | None]:
    """CreateTable arguments for an AWS::DynamoDB::Table or ::GlobalTable, and its TTL attribute."""
    props = resource.properties
    billing = props.get("BillingMode") or ("PAY_PER_REQUEST" if resource.type.endswith("GlobalTable") else None)
    on_demand = billing == "PAY_PER_REQUEST" or (billing is None and "ProvisionedThroughput" not in props)
    spec: dict[str, Any] = {
        "TableName": name,
        "KeySchema": props["KeySchema"],
        "AttributeDefinitions": props["AttributeDefinitions"],
        "BillingMode": "PAY_PER_REQUEST" if on_demand else "PROVISIONED",
    }
    if not on_demand:
        spec["ProvisionedThroughput"] = props.get("ProvisionedThroughput") or {
            "ReadCapacityUnits": 5,
            "WriteCapacityUnits": 5,
        }

    def index(raw: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {k: raw[k] for k in ("IndexName", "KeySchema", "Projection") if k in raw}
        if not on_demand:
            out["ProvisionedThroughput"] = raw.get("ProvisionedThroughput") or spec["ProvisionedThroughput"]
        return out

    if props.get("GlobalSecondaryIndexes"):
        spec["GlobalSecondaryIndexes"] = [index(raw) for raw in props["GlobalSecondaryIndexes"]]
    if props.get("LocalSecondaryIndexes"):
        spec["LocalSecondaryIndexes"] = [
            {key: raw[key] for key in ("IndexName", "KeySchema", "Projection") if key in raw}
            for raw in props["LocalSecondaryIndexes"]
        ]
    view_type = (props.get("StreamSpecification") or {}).get("StreamViewType")
    if view_type:
        spec["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": view_type}
    ttl = props.get("TimeToLiveSpecification") or {}
    ttl_attribute = ttl.get("AttributeName") if ttl.get("Enabled", True) else None
    # PITR, SSE, deletion protection, tags and replicas have no local meaning (DynamoDB Local
    # answers UnknownOperationException to UpdateContinuousBackups): left out on purpose.
    return spec, ttl_attribute


def table_name(template: Template, resolver: Resolver, resource: Resource) -> str:
    return str(resolver.resolve(resource.properties.get("TableName")) or template.local_name(resource.logical_id))


def record_table_names(template: Template, resolver: Resolver) -> None:
    """Record the tables' names before they exist: they are stable, and the functions' environments
    can be resolved (and the handlers imported) while DynamoDB Local is still booting."""
    for resource in template.of_type(*TABLE_TYPES):
        name = table_name(template, resolver, resource)
        resolver.record(resource.logical_id, Ref=name, Arn=f"arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/{name}")


def provision_tables(template: Template, resolver: Resolver, ddb: Any, out: Provisioned | None = None) -> Provisioned:
    """Create the tables that are missing (in parallel), and record names, ARNs and stream ARNs."""
    out = out or Provisioned()
    resources = template.of_type(*TABLE_TYPES)
    with ThreadPoolExecutor(max_workers=max(1, len(resources))) as pool:
        results = list(pool.map(lambda resource: _ensure_table(template, resolver, ddb, resource), resources))
    for resource, (values, created) in zip(resources, results, strict=True):
        resolver.record(resource.logical_id, **values)
        out.tables[resource.logical_id] = values
        if created:
            out.created_tables.append(values["Ref"])
    return out


def _ensure_table(template: Template, resolver: Resolver, ddb: Any, resource: Resource) -> tuple[dict[str, Any], bool]:
    name = table_name(template, resolver, resource)
    spec, ttl_attribute = _table_spec(resource, name)
    created = False
    try:
        description = ddb.describe_table(TableName=name)["Table"]
    except ddb.exceptions.ResourceNotFoundException:
        description = ddb.create_table(**spec)["TableDescription"]
        created = True
        if ttl_attribute:
            with contextlib.suppress(Exception):
                ddb.update_time_to_live(
                    TableName=name,
                    TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl_attribute},
                )
    if "StreamSpecification" in spec and not description.get("LatestStreamArn"):
        # A table from an older template without a stream: turn it on rather than fail.
        description = ddb.update_table(TableName=name, StreamSpecification=spec["StreamSpecification"])[
            "TableDescription"
        ]
    description = _wait_active(ddb, name, description)
    values = {
        "Ref": name,
        "Arn": description.get("TableArn") or f"arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/{name}",
    }
    if description.get("LatestStreamArn"):
        values["StreamArn"] = description["LatestStreamArn"]
    return values, created


def _wait_active(ddb: Any, name: str, description: dict[str, Any]) -> dict[str, Any]:
    deadline = time.monotonic() + TABLE_ACTIVE_TIMEOUT_S
    while description.get("TableStatus", "ACTIVE") != "ACTIVE" and time.monotonic() < deadline:
        time.sleep(0.1)
        description = ddb.describe_table(TableName=name)["Table"]
    return description


def provision_cognito(template: Template, resolver: Resolver, cognito: Any, out: Provisioned) -> None:
    for resource in template.of_type("AWS::Cognito::UserPool"):
        props = resolver.resolve_lenient(resource.properties, placeholder="")
        args: dict[str, Any] = {"PoolName": props.get("UserPoolName") or template.local_name(resource.logical_id)}
        for key in (
            "Policies",
            "Schema",
            "UsernameAttributes",
            "AliasAttributes",
            "AutoVerifiedAttributes",
            "MfaConfiguration",
            "UsernameConfiguration",
            "AccountRecoverySetting",
        ):
            if props.get(key):
                args[key] = props[key]
        if props.get("AdminCreateUserConfig"):
            args["AdminCreateUserConfig"] = {
                key: value
                for key, value in props["AdminCreateUserConfig"].items()
                if key in ("AllowAdminCreateUserOnly", "UnusedAccountValidityDays")
            }
        pool = cognito.create_user_pool(**args)["UserPool"]
        pool_id = pool["Id"]
        provider = f"cognito-idp.{REGION}.amazonaws.com/{pool_id}"
        resolver.record(
            resource.logical_id,
            Ref=pool_id,
            Arn=pool["Arn"],
            ProviderName=provider,
            ProviderURL=f"https://{provider}",
            UserPoolId=pool_id,
        )
        out.user_pools[resource.logical_id] = pool_id

    for resource in template.of_type("AWS::Cognito::UserPoolClient"):
        props = resource.properties
        pool_id = resolver.resolve(props["UserPoolId"])
        args = {
            "UserPoolId": pool_id,
            "ClientName": resolver.resolve_lenient(props.get("ClientName")) or resource.logical_id,
            "GenerateSecret": bool(props.get("GenerateSecret", False)),
        }
        for key in (
            "ExplicitAuthFlows",
            "ReadAttributes",
            "WriteAttributes",
            "SupportedIdentityProviders",
            "IdTokenValidity",
            "AccessTokenValidity",
            "RefreshTokenValidity",
            "TokenValidityUnits",
        ):
            if props.get(key):
                args[key] = props[key]
        client_id = cognito.create_user_pool_client(**args)["UserPoolClient"]["ClientId"]
        resolver.record(resource.logical_id, Ref=client_id, ClientId=client_id)
        out.user_pool_clients[resource.logical_id] = client_id

    for resource in template.of_type("AWS::Cognito::UserPoolGroup"):
        props = resource.properties
        args = {
            "UserPoolId": resolver.resolve(props["UserPoolId"]),
            "GroupName": resolver.resolve(props.get("GroupName")) or resource.logical_id,
        }
        if props.get("Description"):
            args["Description"] = str(resolver.resolve_lenient(props["Description"]))
        if props.get("Precedence") is not None:
            args["Precedence"] = int(props["Precedence"])
        # The local pool keeps its groups across restarts (with its state directory).
        with contextlib.suppress(cognito.exceptions.GroupExistsException):
            cognito.create_group(**args)
        resolver.record(resource.logical_id, Ref=args["GroupName"])


def provision_messaging(template: Template, resolver: Resolver, sns: Any, sqs: Any, out: Provisioned) -> None:
    for resource in template.of_type("AWS::SQS::Queue"):
        props = resource.properties
        name = resolver.resolve_lenient(props.get("QueueName")) or template.local_name(resource.logical_id, 80)
        attributes: dict[str, str] = {}
        if props.get("FifoQueue"):
            attributes["FifoQueue"] = "true"
            if not name.endswith(".fifo"):
                name = name[:75] + ".fifo"
        for key in ("VisibilityTimeout", "MessageRetentionPeriod", "DelaySeconds"):
            if props.get(key) is not None:
                attributes[key] = str(props[key])
        url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        arn = f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{name}"
        resolver.record(resource.logical_id, Ref=url, Arn=arn, QueueName=name, QueueUrl=url)
        out.queues[resource.logical_id] = {"url": url, "arn": arn, "name": name}

    for resource in template.of_type("AWS::SNS::Topic"):
        props = resource.properties
        name = resolver.resolve_lenient(props.get("TopicName")) or template.local_name(resource.logical_id)
        attributes = {"FifoTopic": "true"} if props.get("FifoTopic") else {}
        arn = sns.create_topic(Name=name, Attributes=attributes)["TopicArn"]
        resolver.record(resource.logical_id, Ref=arn, TopicArn=arn, TopicName=name)
        out.topics[resource.logical_id] = arn

    for resource in template.of_type("AWS::SNS::Subscription"):
        props = resource.properties
        if props.get("Protocol") != "sqs":
            continue  # email/https/lambda subscribers have nothing to reach locally
        args: dict[str, Any] = {
            "TopicArn": resolver.resolve(props["TopicArn"]),
            "Protocol": "sqs",
            "Endpoint": resolver.resolve(props["Endpoint"]),
        }
        attributes = {}
        if props.get("RawMessageDelivery") is not None:
            attributes["RawMessageDelivery"] = str(props["RawMessageDelivery"]).lower()
        if props.get("FilterPolicy"):
            attributes["FilterPolicy"] = json.dumps(props["FilterPolicy"])
        if attributes:
            args["Attributes"] = attributes
        sns.subscribe(**args)


def record_functions_and_rest(template: Template, resolver: Resolver) -> None:
    """Local values for everything else a function's environment or an output may name."""
    for resource in template.of_type("AWS::Lambda::Function"):
        name = resolver.resolve_lenient(resource.properties.get("FunctionName")) or template.local_name(
            resource.logical_id, 64
        )
        resolver.record(resource.logical_id, Ref=name, Arn=f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{name}")
    for resource in template.of_type("AWS::ApiGateway::RestApi"):
        resolver.record(resource.logical_id, Ref="local", RootResourceId="root")
    for resource in template.resources.values():
        if resource.logical_id not in resolver.physical:
            resolver.record(resource.logical_id, Ref=template.local_name(resource.logical_id))
