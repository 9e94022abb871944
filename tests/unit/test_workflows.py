"""The CI workflow and the deploy job that docs/deploy.md hands to pipelines.

`make lint` validates and audits the repository's workflows; the deploy job lives only in the docs
(it needs an AWS account), so it is extracted here and put through the same two linters, and both
are held to what they promise: when they run, what they run, and with which rights.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CI = ROOT / ".github" / "workflows" / "ci.yml"
DEPLOY_DOC = ROOT / "docs/deploy.md"
BIN = Path(sys.executable).parent
LINT_TIMEOUT_S = 60


def load(text: str) -> dict[str, Any]:
    document = yaml.safe_load(text)
    # YAML 1.1 reads the key `on` as True.
    document["on"] = document.pop(True)
    return dict(document)


def deploy_workflow_text() -> str:
    blocks = re.findall(r"^```yaml\n(.*?)^```$", DEPLOY_DOC.read_text(encoding="utf-8"), re.MULTILINE | re.DOTALL)
    assert len(blocks) == 1, "docs/deploy.md holds one YAML block: the deploy workflow"
    return str(blocks[0])


def steps_running(job: dict[str, Any]) -> list[str]:
    return [step["run"] for step in job["steps"] if "run" in step]


def test_ci_runs_the_tests_and_synth_on_every_push_and_pull_request() -> None:
    ci = load(CI.read_text(encoding="utf-8"))

    assert set(ci["on"]) == {"push", "pull_request", "workflow_call"}
    assert ci["on"]["push"] is None and ci["on"]["pull_request"] is None  # every branch
    assert ci["permissions"] == {"contents": "read"}
    (job,) = ci["jobs"].values()
    assert steps_running(job) == ["make test", "make synth"]
    setups = {step["uses"].split("@")[0]: step.get("with", {}) for step in job["steps"] if "uses" in step}
    assert setups["actions/setup-python"]["cache"] == "pip"
    assert setups["actions/setup-python"]["cache-dependency-path"].split() == [
        "requirements.txt",
        "requirements-dev.txt",
    ]
    assert (setups["actions/setup-node"]["cache"], setups["actions/setup-node"]["cache-dependency-path"]) == (
        "npm",
        "package-lock.json",
    )
    assert setups["actions/setup-java"]["java-version"] == "17"


def test_every_action_is_pinned_to_a_commit() -> None:
    for text in (CI.read_text(encoding="utf-8"), deploy_workflow_text()):
        uses = re.findall(r"uses:\s*(\S+)", text)
        actions = [use for use in uses if not use.startswith("$/")]
        assert actions, "the workflow uses actions"
        assert all(re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", use) for use in actions), actions


def test_the_documented_deploy_job_assumes_a_role_deploys_and_smoke_tests() -> None:
    workflow = load(deploy_workflow_text())

    job = workflow["jobs"]["deploy"]
    assert job["needs"] == "ci"
    assert job["permissions"] == {"contents": "read", "id-token": "write"}
    credentials = next(step for step in job["steps"] if step.get("uses", "").startswith("aws-actions/"))
    assert credentials["with"]["role-to-assume"] == "${{ vars.AWS_DEPLOY_ROLE_ARN }}"
    assert "aws-access-key-id" not in credentials["with"]  # no stored keys
    assert steps_running(job) == [
        "make deps",
        'npx cdk deploy -c "stage=$STAGE" --require-approval never --outputs-file outputs.json',
        '.venv/bin/python -m client.smoke --outputs outputs.json --username "$SMOKE_USERNAME"',
    ]


@pytest.mark.parametrize("linter", ["check-jsonschema", "zizmor"])
def test_the_workflows_pass_the_linters_make_lint_runs(linter: str, tmp_path: Path) -> None:
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    shutil.copy(CI, workflows / "ci.yml")
    (workflows / "deploy.yml").write_text(deploy_workflow_text(), encoding="utf-8")
    files = [str(workflows / "ci.yml"), str(workflows / "deploy.yml")]
    command = {
        "check-jsonschema": [str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.github-workflows", *files],
        "zizmor": [str(BIN / "zizmor"), "--offline", "--quiet", *files],
    }[linter]

    done = subprocess.run(command, capture_output=True, text=True, timeout=LINT_TIMEOUT_S)

    assert done.returncode == 0, done.stdout + done.stderr
