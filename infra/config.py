"""Stage settings, read once from the CDK context (cdk.json, `-c key=value`) and requirements.txt."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aws_cdk import RemovalPolicy
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra import names

PROJECT_ROOT = Path(__file__).resolve().parent.parent
REQUIREMENTS_FILE = PROJECT_ROOT / "requirements.txt"

_POWERTOOLS_PIN = re.compile(r"^aws-lambda-powertools(?:\[[^\]]*\])?==(?P<version>[0-9][0-9A-Za-z.]*)\s*$")


def powertools_version(requirements: Path = REQUIREMENTS_FILE) -> str:
    """The Powertools version pinned in requirements.txt: the layer must match what the tests ran."""
    for line in requirements.read_text(encoding="utf-8").splitlines():
        match = _POWERTOOLS_PIN.match(line.strip())
        if match:
            return match.group("version")
    raise ValueError(f"no pinned aws-lambda-powertools==<version> line in {requirements}")


def powertools_layer_ssm_parameter(version: str) -> str:
    """The public SSM parameter Powertools publishes per region with its arm64 / Python 3.13 layer ARN."""
    return f"/aws/service/powertools/python/arm64/python3.13/{version}"


@dataclass(frozen=True)
class StageConfig:
    stage: str
    cors_allow_origins: tuple[str, ...]
    api_throttle_rate_limit: float
    api_throttle_burst_limit: int
    powertools_version: str
    # An explicit layer ARN (context `powertoolsLayerArn`) wins over the SSM lookup, for a region or
    # a version whose parameter is missing.
    powertools_layer_arn: str | None
    alarm_email: str | None
    # The address customer e-mail comes from (an SES identity of the stack), context `mailSender`.
    mail_sender: str = names.DEFAULT_MAIL_SENDER
    # Domains the stack also sends from (SES domain identities), context `mailDomains`: a tenant's
    # own sender address must be the stack's sender or an address at one of them.
    mail_domains: tuple[str, ...] = ()
    # Serve the OpenAPI document and Swagger UI (context `apiDocs`; by default on, except in prod).
    api_docs: bool = True

    @property
    def is_prod(self) -> bool:
        return self.stage == names.PROD_STAGE

    @property
    def removal_policy(self) -> RemovalPolicy:
        """Prod keeps its data, keys, queues and logs when the stack is deleted; other stages do not."""
        return RemovalPolicy.RETAIN if self.is_prod else RemovalPolicy.DESTROY

    @property
    def log_retention(self) -> logs.RetentionDays:
        return logs.RetentionDays.THREE_MONTHS if self.is_prod else logs.RetentionDays.ONE_MONTH

    @classmethod
    def from_context(cls, scope: Construct, stage: str | None = None) -> StageConfig:
        node = scope.node

        def get(key: str, default: Any) -> Any:
            value = node.try_get_context(key)
            return default if value is None else value

        stage = stage or str(get(names.CONTEXT_STAGE, names.DEFAULT_STAGE))
        docs = node.try_get_context(names.CONTEXT_API_DOCS)
        origins = get(names.CONTEXT_CORS_ALLOW_ORIGINS, ["*"])
        if isinstance(origins, str):
            origins = [origin.strip() for origin in origins.split(",") if origin.strip()]
        return cls(
            stage=stage,
            cors_allow_origins=tuple(str(origin) for origin in origins),
            api_throttle_rate_limit=float(get(names.CONTEXT_API_THROTTLE_RATE, 100)),
            api_throttle_burst_limit=int(get(names.CONTEXT_API_THROTTLE_BURST, 200)),
            powertools_version=powertools_version(),
            powertools_layer_arn=node.try_get_context(names.CONTEXT_POWERTOOLS_LAYER_ARN) or None,
            alarm_email=node.try_get_context(names.CONTEXT_ALARM_EMAIL) or None,
            mail_sender=str(get(names.CONTEXT_MAIL_SENDER, names.DEFAULT_MAIL_SENDER)),
            mail_domains=mail_domains(get(names.CONTEXT_MAIL_DOMAINS, [])),
            api_docs=stage != names.PROD_STAGE if docs is None else _flag(docs, names.CONTEXT_API_DOCS),
        )


_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def mail_domains(value: Any) -> tuple[str, ...]:
    """Context `mailDomains`: a list from cdk.json, or "a.example,b.example" from `-c`."""
    items = value.split(",") if isinstance(value, str) else list(value)
    domains = tuple(dict.fromkeys(str(item).strip().lower() for item in items if str(item).strip()))
    for domain in domains:
        if not _DOMAIN.match(domain):
            raise ValueError(f"context {names.CONTEXT_MAIL_DOMAINS}: {domain!r} is not a domain name")
    return domains


def _flag(value: Any, key: str) -> bool:
    """A boolean context value: true/false from cdk.json, or "true"/"false" from `-c key=value`."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text not in ("true", "false"):
        raise ValueError(f"context {key} must be true or false, got {value!r}")
    return text == "true"
