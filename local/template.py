"""Read the synthesized CloudFormation template and resolve its references to local names.

The local runtime provisions and wires exactly what `cdk.out/<stack>.template.json` declares.
`Template` gives typed access to the resources the runtime cares about; `Resolver` evaluates the
intrinsic functions (`Ref`, `Fn::GetAtt`, `Fn::Join`, `Fn::Sub`, `Fn::Select`, `Fn::Split`,
`Fn::If`) against the physical values provisioning recorded.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from infra.names import stack_name

PROJECT_ROOT = Path(__file__).resolve().parent.parent
REGION = "us-east-1"
ACCOUNT_ID = "123456789012"  # moto's default account: ARNs it issues carry it
SYNTH_TIMEOUT_S = 300.0

# Files whose change can change the template: synthesize again when one is newer than it.
_SOURCES = ("app.py", "cdk.json", "requirements.txt", "infra")


class TemplateError(RuntimeError):
    """The template is missing, malformed, or uses something the local runtime cannot emulate."""


class UnresolvedError(TemplateError):
    """A reference to something the local runtime has no value for."""


def template_path(outdir: Path, stage: str) -> Path:
    return outdir / f"{stack_name(stage)}.template.json"


def _newest_source_mtime(root: Path) -> float:
    newest = 0.0
    for name in _SOURCES:
        path = root / name
        if path.is_dir():
            for file in path.rglob("*.py"):
                newest = max(newest, file.stat().st_mtime)
        elif path.exists():
            newest = max(newest, path.stat().st_mtime)
    return newest


def is_stale(template: Path, root: Path = PROJECT_ROOT) -> bool:
    """True when the template is missing or older than the CDK sources."""
    return not template.exists() or template.stat().st_mtime < _newest_source_mtime(root)


def synthesize(outdir: Path, stage: str, root: Path = PROJECT_ROOT) -> Path:
    """Synthesize the stack into `outdir` (the CDK CLI when installed, else `python app.py`)."""
    env = {
        **os.environ,
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
        "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1",
        "CDK_OUTDIR": str(outdir),
    }
    cdk = root / "node_modules" / ".bin" / "cdk"
    python = root / ".venv" / "bin" / "python"
    if cdk.exists():
        command = [str(cdk), "synth", "--quiet", "--no-notices", "-o", str(outdir), "-c", f"stage={stage}"]
        if python.exists():
            command += ["--app", f"{python} app.py"]
    else:
        command = [str(python if python.exists() else "python3"), "app.py"]
        env["CDK_CONTEXT_JSON"] = json.dumps({"stage": stage})
    try:
        done = subprocess.run(
            command, cwd=root, env=env, capture_output=True, text=True, timeout=SYNTH_TIMEOUT_S, check=False
        )
    except subprocess.TimeoutExpired as error:
        raise TemplateError(f"synthesis took longer than {SYNTH_TIMEOUT_S:.0f} s") from error
    path = template_path(outdir, stage)
    if done.returncode != 0 or not path.exists():
        raise TemplateError(f"synthesis failed ({' '.join(command)}):\n{(done.stderr or done.stdout)[-3000:]}")
    return path


def ensure_template(outdir: Path, stage: str, *, synth: bool = True, root: Path = PROJECT_ROOT) -> Path:
    """The template path, synthesized first when missing or older than the sources."""
    path = template_path(outdir, stage)
    if synth and is_stale(path, root):
        return synthesize(outdir, stage, root)
    if not path.exists():
        raise TemplateError(f"{path} does not exist: run `make synth`")
    return path


@dataclass(frozen=True)
class Resource:
    logical_id: str
    type: str
    properties: dict[str, Any]


@dataclass
class Template:
    """The parts of a synthesized template that the local runtime reads."""

    stack_name: str
    body: dict[str, Any]
    resources: dict[str, Resource] = field(init=False)

    def __post_init__(self) -> None:
        self.resources = {
            logical_id: Resource(logical_id, str(spec.get("Type", "")), dict(spec.get("Properties") or {}))
            for logical_id, spec in (self.body.get("Resources") or {}).items()
        }

    @classmethod
    def load(cls, path: Path, stack: str | None = None) -> Template:
        try:
            body = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise TemplateError(f"cannot read template {path}: {error}") from error
        name = stack or path.name.removesuffix(".template.json")
        return cls(stack_name=name, body=body)

    def of_type(self, *types: str) -> list[Resource]:
        return [resource for resource in self.resources.values() if resource.type in types]

    def resource(self, logical_id: str) -> Resource:
        try:
            return self.resources[logical_id]
        except KeyError:
            raise TemplateError(f"the template has no resource {logical_id!r}") from None

    @property
    def parameters(self) -> dict[str, Any]:
        return dict(self.body.get("Parameters") or {})

    @property
    def conditions(self) -> dict[str, Any]:
        return dict(self.body.get("Conditions") or {})

    @property
    def outputs(self) -> dict[str, Any]:
        return dict(self.body.get("Outputs") or {})

    def local_name(self, logical_id: str, max_length: int = 255) -> str:
        """A stable physical name for a resource the template leaves unnamed (like CloudFormation's
        `<stack>-<logicalId>-<suffix>`, without the random suffix so that a restart finds it)."""
        return f"{self.stack_name}-{logical_id}"[:max_length]


_SUB_VARIABLE = re.compile(r"\$\{([^}!][^}]*)\}")


class Resolver:
    """Evaluates intrinsic functions against the physical values recorded by provisioning.

    `physical[logical_id]` maps attribute names to values; the key "Ref" holds what `Ref` returns.
    """

    def __init__(self, template: Template, *, region: str = REGION, account: str = ACCOUNT_ID) -> None:
        self.template = template
        self.region = region
        self.account = account
        self.physical: dict[str, dict[str, Any]] = {}

    def record(self, logical_id: str, **attributes: Any) -> None:
        self.physical.setdefault(logical_id, {}).update(attributes)

    def pseudo(self, name: str) -> str | None:
        return {
            "AWS::Region": self.region,
            "AWS::AccountId": self.account,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": self.template.stack_name,
            "AWS::StackId": (
                f"arn:aws:cloudformation:{self.region}:{self.account}:stack/{self.template.stack_name}/local"
            ),
            "AWS::NoValue": None,
        }.get(name, name if name.startswith("AWS::") else None)

    def ref(self, name: str) -> Any:
        if name.startswith("AWS::"):
            return self.pseudo(name)
        if name in self.physical and "Ref" in self.physical[name]:
            return self.physical[name]["Ref"]
        parameter = self.template.parameters.get(name)
        if parameter is not None:
            if "Default" in parameter:
                return parameter["Default"]
            raise UnresolvedError(f"parameter {name} has no default")
        raise UnresolvedError(f"Ref {name}: not provisioned locally")

    def get_att(self, logical_id: str, attribute: str) -> Any:
        values = self.physical.get(logical_id, {})
        if attribute in values:
            return values[attribute]
        raise UnresolvedError(f"Fn::GetAtt {logical_id}.{attribute}: not provisioned locally")

    def condition(self, name: str) -> bool:
        spec = self.template.conditions.get(name)
        if spec is None:
            raise UnresolvedError(f"condition {name} is not defined")
        return bool(self.resolve(spec))

    def resolve(self, value: Any) -> Any:
        """`value` with every intrinsic function evaluated (raises UnresolvedError when it cannot)."""
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, argument),) = value.items()
            if key == "Ref":
                return self.ref(argument)
            if key == "Fn::GetAtt":
                logical_id, attribute = argument.split(".", 1) if isinstance(argument, str) else argument
                return self.get_att(str(logical_id), str(self.resolve(attribute)))
            if key == "Fn::Join":
                separator, items = argument
                return str(separator).join(str(item) for item in self.resolve(items))
            if key == "Fn::Select":
                index, items = argument
                return self.resolve(items)[int(self.resolve(index))]
            if key == "Fn::Split":
                separator, text = argument
                return str(self.resolve(text)).split(str(separator))
            if key == "Fn::Sub":
                return self._sub(argument)
            if key == "Fn::If":
                name, when_true, when_false = argument
                return self.resolve(when_true if self.condition(name) else when_false)
            if key in ("Fn::Equals",):
                left, right = self.resolve(argument)
                return left == right
            if key == "Fn::Not":
                return not self.resolve(argument[0])
            if key == "Fn::And":
                return all(self.resolve(item) for item in argument)
            if key == "Fn::Or":
                return any(self.resolve(item) for item in argument)
            if key == "Condition":
                return self.condition(argument)
            if key.startswith("Fn::"):
                raise UnresolvedError(f"{key} is not supported locally")
        return {key: self.resolve(item) for key, item in value.items()}

    def _sub(self, argument: Any) -> str:
        text, variables = (argument, {}) if isinstance(argument, str) else argument
        values = {name: self.resolve(item) for name, item in (variables or {}).items()}

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in values:
                return str(values[name])
            if "." in name and not name.startswith("AWS::"):
                logical_id, attribute = name.split(".", 1)
                return str(self.get_att(logical_id, attribute))
            return str(self.ref(name))

        return _SUB_VARIABLE.sub(replace, text).replace("${!", "${")

    def resolve_lenient(self, value: Any, placeholder: str = "") -> Any:
        """Like `resolve`, but a value that cannot be resolved becomes `placeholder`."""
        try:
            return self.resolve(value)
        except UnresolvedError:
            return placeholder

    def environment(self, function: Resource, skipped: list[str] | None = None) -> dict[str, str]:
        """A function's environment variables with references resolved to local values.

        Variables that cannot be resolved are left out (and their names added to `skipped`).
        """
        variables = ((function.properties.get("Environment") or {}).get("Variables")) or {}
        env: dict[str, str] = {}
        for name, raw in variables.items():
            try:
                value = self.resolve(raw)
            except UnresolvedError:
                if skipped is not None:
                    skipped.append(name)
                continue
            if value is not None:
                env[name] = value if isinstance(value, str) else json.dumps(value)
        return env


def logical_id_of(value: Any) -> str | None:
    """The logical id a `{"Ref": id}` or `{"Fn::GetAtt": [id, attr]}` points at, else None."""
    if isinstance(value, dict) and len(value) == 1:
        if "Ref" in value and isinstance(value["Ref"], str):
            return str(value["Ref"])
        if "Fn::GetAtt" in value:
            target = value["Fn::GetAtt"]
            if isinstance(target, str):
                return target.split(".", 1)[0]
            if isinstance(target, list) and target:
                return str(target[0])
    return None
