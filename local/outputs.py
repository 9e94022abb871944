"""`.local/outputs.json`: the stack's outputs with local values, like `cdk deploy --outputs-file`.

The file has the same shape as the CDK CLI's (`{"<stack>": {"<OutputName>": value}}`), so a client
reads the local runtime and a deployed stack the same way; the local runtime adds
`AwsEndpointUrl` (Cognito, SNS, SQS), `DynamoDbEndpointUrl` and `DemoUsers`. It is written whole
and atomically (a temporary file in the same directory, then a rename), once everything is ready.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from infra.names import OUTPUT_API_URL
from local.template import Resolver, Template, UnresolvedError


def stack_outputs(template: Template, resolver: Resolver, api_url: str) -> dict[str, Any]:
    """Every output of the template, resolved to its local value (ApiUrl is the local front)."""
    values: dict[str, Any] = {}
    for name, spec in template.outputs.items():
        if name == OUTPUT_API_URL:
            values[name] = api_url
            continue
        try:
            values[name] = resolver.resolve(spec.get("Value"))
        except UnresolvedError:
            continue
    values.setdefault(OUTPUT_API_URL, api_url)
    return values


def write_atomically(path: Path, document: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(document, handle, indent=2)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def read_outputs(path: Path) -> dict[str, Any]:
    """The outputs of the one stack in an outputs file (local or `cdk deploy --outputs-file`)."""
    document = json.loads(path.read_text(encoding="utf-8"))
    if len(document) != 1:
        raise ValueError(f"{path}: expected the outputs of one stack, found {sorted(document)}")
    return dict(next(iter(document.values())))
