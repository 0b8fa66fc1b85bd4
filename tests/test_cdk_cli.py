"""The pinned CDK CLI synthesizes the same templates as app.py, quietly (no notices, telemetry or jsii banner)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from blueprints.synthesis import CDK_JSON, REPO_ROOT
from tests.conftest import Synthesized
from tests.helpers.processes import run

CDK = REPO_ROOT / "node_modules" / ".bin" / "cdk"


def test_cdk_json_keeps_the_cli_quiet_and_the_templates_portable() -> None:
    config = json.loads(CDK_JSON.read_text())
    assert config["notices"] is False
    assert config["versionReporting"] is False
    assert config["pathMetadata"] is False
    assert config["context"]["cli-telemetry"] is False
    assert config["context"]["@aws-cdk/aws-ec2:restrictDefaultSecurityGroup"] is False  # adds a custom resource


def test_cli_version_is_pinned() -> None:
    package = json.loads((REPO_ROOT / "package.json").read_text())
    assert package["devDependencies"]["aws-cdk"].startswith("2.1148.")
    assert package["devDependencies"]["node"].startswith("22.")


@pytest.mark.parametrize("ci", ["true", "false"], ids=["in-ci", "at-a-desk"])
def test_cdk_synth_matches_app_py(synthesized: Synthesized, tmp_path: Path, ci: str) -> None:
    """With CI=true the CLI writes its messages to stdout instead of stderr: both must stay quiet."""
    if not CDK.exists():
        pytest.fail("node_modules is missing: run `make install` (make test does it for you)")
    environment = {"PATH": f"{CDK.parent}{os.pathsep}{os.environ['PATH']}", "CI": ci}
    result = run([str(CDK), "synth", "--quiet", "--output", str(tmp_path)], REPO_ROOT, environment)
    assert result.returncode == 0, result.stderr
    said = (result.stdout + result.stderr).strip().splitlines()
    assert said[0].startswith("Successfully synthesized to "), said
    assert said[1:] == [f"Supply a stack id ({', '.join(synthesized.templates)}) to display its template."]
    for name, template in synthesized.templates.items():
        assert json.loads((tmp_path / f"{name}.template.json").read_text()) == template
