"""The review helper shows inline code line by line, so a reviewer reads a handler change as a normal diff."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import Stack
from aws_cdk import aws_s3 as s3

from blueprints.dist import synthesize_to
from blueprints.synthesis import create_app
from genai_sandbox_constructs import nag
from tests.helpers.snapshot_diff import named_hunks, readable_lines


def test_multiline_strings_diff_line_by_line(tmp_path: Path) -> None:
    template = tmp_path / "t.json"
    template.write_text(json.dumps({"Code": {"ZipFile": "import json\ndef handler():\n    return 1\n"}, "N": 1}))
    rendered = "".join(readable_lines(template))
    assert '"def handler():",' in rendered
    assert '"    return 1"' in rendered
    assert json.loads(rendered) == {
        "Code": {"ZipFile": {"(lines)": ["import json", "def handler():", "    return 1"]}},
        "N": 1,
    }


def test_a_missing_snapshot_reads_as_empty(tmp_path: Path) -> None:
    assert readable_lines(tmp_path / "absent.json") == []


def test_hunks_name_the_resource_they_change(tmp_path: Path) -> None:
    role: dict[str, Any] = {"Type": "AWS::IAM::Role", "Properties": {"Name": "r"}}
    resources = {
        "Bucket1234": {"Type": "AWS::S3::Bucket", "Properties": {"A": 1, "B": 2, "C": 3, "D": 4, "E": 5}},
        "Role5678": role,
    }
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    old.write_text(json.dumps({"Parameters": {"P": {"Type": "String"}}, "Resources": resources}))
    role["Properties"]["Name"] = "changed"
    new.write_text(json.dumps({"Parameters": {"P": {"Type": "String"}}, "Resources": resources}))
    headers = [line for line in named_hunks(old, new, "t") if line.startswith("@@")]
    assert len(headers) == 1
    assert headers[0].rstrip().endswith("Resources/Role5678 (AWS::IAM::Role)")


def test_a_failed_synthesis_leaves_no_dist_behind(tmp_path: Path) -> None:
    """``synthesize_to`` empties dist/ before it synthesizes: an error leaves nothing stale to diff or upload."""
    dist = tmp_path / "dist"
    dist.mkdir()
    (dist / "genai-sandbox.template.json").write_text("{}")
    app = create_app(outdir=str(tmp_path / "out"))
    s3.Bucket(Stack(app, "Careless"), "Open")
    nag.register_packs(app)
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        synthesize_to(app, [], dist)
    assert not dist.exists()
