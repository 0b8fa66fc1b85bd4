"""The catalogue, blueprint selection and what app.py writes to dist/."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from blueprints.catalogue import CATALOGUE
from blueprints.synthesis import REPO_ROOT, select_blueprints
from tests.helpers.processes import run


def test_every_blueprint_is_selected_by_default() -> None:
    assert select_blueprints(None) == list(CATALOGUE)


def test_one_blueprint_is_selected_by_name() -> None:
    assert [b.name for b in select_blueprints("genai-sandbox")] == ["genai-sandbox"]


def test_genai_sandbox_is_created_with_the_project_after_tooling() -> None:
    (sandbox,) = [b for b in CATALOGUE if b.name == "genai-sandbox"]
    assert (sandbox.deployment_mode, sandbox.deployment_order) == ("ON_CREATE", 1)


def test_app_writes_dist_exactly_as_make_synth(tmp_path: Path) -> None:
    """Run app.py itself on a copy of the repository entry points, as ``make synth`` does."""
    for name in ("app.py", "cdk.json"):
        (tmp_path / name).write_text((REPO_ROOT / name).read_text())
    selection = {"PYTHONPATH": str(REPO_ROOT), "CDK_CONTEXT_JSON": '{"blueprint": "genai-sandbox"}'}
    result = run([sys.executable, "app.py"], tmp_path, selection)
    assert result.returncode == 0, result.stderr
    manifest = json.loads((tmp_path / "dist" / "manifest.json").read_text())
    assert [entry["name"] for entry in manifest["blueprints"]] == ["genai-sandbox"]  # selected with -c blueprint=
    assert (tmp_path / "dist" / "genai-sandbox.template.json").stat().st_size == manifest["blueprints"][0]["sizeBytes"]
    assert "jsii" not in result.stderr.lower(), result.stderr
