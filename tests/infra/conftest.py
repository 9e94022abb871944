"""One synthesis per test session: the dev and prod stacks, built in one App the way app.py builds them.

The App gets the context from cdk.json, so the tests see what `cdk synth` sees (feature flags,
throttling, CORS origins).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

# Before jsii starts node: quiet its end-of-life banner.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

import aws_cdk as cdk  # noqa: E402
from aws_cdk import cx_api  # noqa: E402
from aws_cdk.assertions import Template  # noqa: E402

from infra.stack import ShopStack, build  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
CDK_CONTEXT: dict[str, Any] = json.loads((ROOT / "cdk.json").read_text())["context"]


@dataclass(frozen=True)
class Synthesized:
    stack: ShopStack
    template: Template
    json: dict[str, Any]
    template_path: Path
    outdir: Path

    def resources(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.json["Resources"].items() if v["Type"] == resource_type}

    def logical_id(self, construct: Any) -> str:
        """The template id of an L2 construct's main resource (or of an L1 construct)."""
        child = getattr(construct.node, "default_child", None) or construct
        return self.stack.get_logical_id(child)


@dataclass(frozen=True)
class Synthesis:
    dev: Synthesized
    prod: Synthesized
    assembly: cx_api.CloudAssembly
    # The files under lambdas/ when the asset was staged (others may edit the tree while tests run).
    lambdas_files: frozenset[str]


ASSET_CACHE_DIRS = frozenset({"__pycache__", ".pytest_cache", ".mypy_cache"})


def lambdas_files() -> frozenset[str]:
    """Every file and directory under lambdas/ that belongs in the asset (no caches, no bytecode)."""
    root = ROOT / "lambdas"
    return frozenset(
        str(p.relative_to(root))
        for p in root.rglob("*")
        if not ASSET_CACHE_DIRS & set(p.relative_to(root).parts) and p.suffix != ".pyc" and p.name != ".DS_Store"
    )


@pytest.fixture(scope="session")
def synthesis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synthesis]:
    outdir = tmp_path_factory.mktemp("cdk.out")
    app = cdk.App(outdir=str(outdir), context=dict(CDK_CONTEXT))
    dev = build(app, stage="dev")
    prod = build(app, stage="prod")
    source_files = lambdas_files()
    assembly = app.synth()

    def synthesized(stack: ShopStack) -> Synthesized:
        artifact = assembly.get_stack_by_name(stack.stack_name)
        template_json = artifact.template
        return Synthesized(
            stack=stack,
            template=Template.from_json(template_json),
            json=template_json,
            template_path=Path(artifact.template_full_path),
            outdir=outdir,
        )

    yield Synthesis(dev=synthesized(dev), prod=synthesized(prod), assembly=assembly, lambdas_files=source_files)


@pytest.fixture(scope="session")
def dev(synthesis: Synthesis) -> Synthesized:
    return synthesis.dev


@pytest.fixture(scope="session")
def prod(synthesis: Synthesis) -> Synthesized:
    return synthesis.prod
