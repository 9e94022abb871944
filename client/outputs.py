"""Find a stack from an outputs file, and build the Cognito client it names.

Two shapes are read: `cdk deploy --outputs-file` (`{"<StackName>": {"ApiUrl": ...}}`, which the
local runtime writes too) and a flat `{"ApiUrl": ...}`. A file with `AwsEndpointUrl` points at the
local runtime's emulated Cognito.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from client.errors import ClientError
from infra.names import OUTPUT_API_URL, OUTPUT_REGION, OUTPUT_USER_POOL_CLIENT_ID, OUTPUT_USER_POOL_ID

LOCAL_OUTPUTS = Path(".local/outputs.json")
DEPLOY_OUTPUTS = Path("outputs.json")
AWS_ENDPOINT = "AwsEndpointUrl"
# Bounded everywhere: a hung endpoint fails the command instead of hanging it.
BOTO_CONFIG = Config(connect_timeout=5, read_timeout=30, retries={"max_attempts": 3, "mode": "standard"})
_REQUIRED = (OUTPUT_API_URL, OUTPUT_USER_POOL_ID, OUTPUT_USER_POOL_CLIENT_ID, OUTPUT_REGION)


@dataclass(frozen=True)
class Stack:
    """What a client needs to know about one deployed (or local) stack."""

    api_url: str
    user_pool_id: str
    client_id: str
    region: str
    aws_endpoint_url: str | None = None
    name: str = ""

    @property
    def is_local(self) -> bool:
        return self.aws_endpoint_url is not None


def default_outputs_path() -> Path:
    return LOCAL_OUTPUTS if LOCAL_OUTPUTS.is_file() else DEPLOY_OUTPUTS


def parse_outputs(document: Any, stack: str | None = None, source: str = "outputs") -> Stack:
    """The `Stack` in an outputs document of either shape (`stack` picks one of several)."""
    values, name = stack_values(document, stack, source)
    missing = [key for key in _REQUIRED if not values.get(key)]
    if missing:
        raise ClientError(f"{source}: missing {', '.join(missing)}")
    endpoint = values.get(AWS_ENDPOINT)
    return Stack(
        api_url=str(values[OUTPUT_API_URL]),
        user_pool_id=str(values[OUTPUT_USER_POOL_ID]),
        client_id=str(values[OUTPUT_USER_POOL_CLIENT_ID]),
        region=str(values[OUTPUT_REGION]),
        aws_endpoint_url=str(endpoint) if endpoint else None,
        name=name,
    )


def stack_values(document: Any, stack: str | None = None, source: str = "outputs") -> tuple[dict[str, Any], str]:
    """Every output of one stack in an outputs document of either shape, and the stack's name."""
    if not isinstance(document, dict):
        raise ClientError(f"{source}: expected a JSON object")
    if OUTPUT_USER_POOL_ID in document or OUTPUT_API_URL in document:
        values, name = document, stack or ""
    else:
        stacks = {k: v for k, v in document.items() if isinstance(v, dict) and OUTPUT_USER_POOL_ID in v}
        if stack is not None:
            if stack not in stacks:
                raise ClientError(f"{source}: no stack {stack!r} (found: {', '.join(sorted(stacks)) or 'none'})")
            name = stack
        elif len(stacks) == 1:
            (name,) = stacks
        elif not stacks:
            raise ClientError(f"{source}: no stack outputs with {OUTPUT_USER_POOL_ID} found")
        else:
            raise ClientError(f"{source}: several stacks ({', '.join(sorted(stacks))}): choose one with --stack")
        values = stacks[name]
    return dict(values), name


def load_stack(path: Path | None = None, stack: str | None = None) -> Stack:
    """Read the outputs file at `path` (default: `.local/outputs.json` if present, else `outputs.json`)."""
    path = path or default_outputs_path()
    return parse_outputs(read_outputs_file(path), stack, source=str(path))


def load_values(path: Path | None = None, stack: str | None = None) -> dict[str, Any]:
    """Every output of the stack in the outputs file (table names, queue URLs, endpoints)."""
    path = path or default_outputs_path()
    return stack_values(read_outputs_file(path), stack, source=str(path))[0]


def find_output(path: Path, key: str, stack: str | None = None) -> Any:
    """One output by name, flat or under any stack (`stack` narrows the search), or None.

    Unlike `load_values`, this needs no stack to be complete: a file that names only this output
    (a test's, or a stack deployed before the output existed) is searched too.
    """
    document = read_outputs_file(path)
    if not isinstance(document, dict):
        return None
    stacks = [v for k, v in document.items() if isinstance(v, dict) and stack in (None, k)]
    for values in [document, *stacks]:
        if values.get(key):
            return values[key]
    return None


def read_outputs_file(path: Path) -> Any:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ClientError(
            f"no outputs file at {path}: run `make run` (local) or `cdk deploy --outputs-file outputs.json`,"
            " or pass --outputs PATH"
        ) from None
    except ValueError as error:
        raise ClientError(f"{path}: not JSON ({error})") from None
    return document


def cognito_client(stack: Stack) -> Any:
    """A cognito-idp client for the stack's pool; the local emulator takes any credentials."""
    kwargs: dict[str, Any] = {"region_name": stack.region, "config": BOTO_CONFIG}
    if stack.aws_endpoint_url:
        kwargs["endpoint_url"] = stack.aws_endpoint_url
        if not (os.environ.get("AWS_ACCESS_KEY_ID") or os.environ.get("AWS_PROFILE")):
            # Dummy keys (never a profile or instance-metadata lookup) for the local emulator.
            kwargs["aws_access_key_id"] = "local"
            kwargs["aws_secret_access_key"] = "local"  # noqa: S106 - not a secret: the emulator takes any key
    return boto3.client("cognito-idp", **kwargs)
