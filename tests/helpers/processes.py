"""Run the project's own entry points in a fresh process, the way users and CI do."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path


def run(
    command: Sequence[str], cwd: Path, extra_env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``command`` in ``cwd`` with this environment plus ``extra_env``; never raises on a non-zero exit."""
    return subprocess.run(
        list(command),
        cwd=cwd,
        env={**os.environ, **(extra_env or {})},
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


HEAVY_MODULES = ("aws_cdk", "constructs", "cdk_nag", "jsii", "stacks", "genai_sandbox_constructs")
"""What ``python -m blueprints`` must not import: the CDK and the code that needs Node."""
OFFLINE = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
    "AWS_MAX_ATTEMPTS": "1",
}
"""Credentials and an endpoint nothing listens on: a command runs up to its first AWS call and fails there."""


def run_light_probe(repo: Path, probe: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``probe`` (Python) offline in a fresh process, then assert it imported none of ``HEAVY_MODULES``."""
    check = f"\nheavy = sorted(m for m in sys.modules if m.startswith({HEAVY_MODULES!r}))\nassert not heavy, heavy\n"
    return run(
        [sys.executable, "-c", "import sys\n" + probe + check, *args], repo, {"PYTHONPATH": str(repo), **OFFLINE}
    )
