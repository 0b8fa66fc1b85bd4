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


def test_cdk_synth_matches_app_py(synthesized: Synthesized, tmp_path: Path) -> None:
    if not CDK.exists():
        pytest.fail("node_modules is missing: run `make install` (make test does it for you)")
    node_first = {"PATH": f"{CDK.parent}{os.pathsep}{os.environ['PATH']}"}
    result = run([str(CDK), "synth", "--quiet", "--output", str(tmp_path)], REPO_ROOT, node_first)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""
    said = result.stderr.strip().splitlines()
    assert said[0].startswith("Successfully synthesized to "), result.stderr
    assert said[1:] == [f"Supply a stack id ({', '.join(synthesized.templates)}) to display its template."]
    for name, template in synthesized.templates.items():
        assert json.loads((tmp_path / f"{name}.template.json").read_text()) == template
