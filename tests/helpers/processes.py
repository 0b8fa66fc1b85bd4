"""Run the project's own entry points in a fresh process, the way users and CI do."""

from __future__ import annotations

import os
import subprocess
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
