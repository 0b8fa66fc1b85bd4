"""The synthesized catalogue in ``dist/`` (``manifest.json`` and one template per blueprint), synthesized again when
it is older than the sources.

Reads the manifest ``blueprints.dist`` writes without importing it: that module needs the CDK.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from blueprints.cli import FAILED, CliError

ROOT = Path(__file__).resolve().parents[2]
"""The repository: ``app.py``, the sources and ``dist/``."""
SOURCES = ("app.py", "cdk.json", "blueprints", "stacks", "constructs/genai_sandbox_constructs")
"""What ``dist/`` is made from, relative to ``ROOT``."""
MANIFEST = "manifest.json"
DESCRIPTION_LIMIT = 2048
"""DataZone's limit on a blueprint description."""


@dataclass(frozen=True)
class DistBlueprint:
    """One blueprint of ``dist/manifest.json`` and its template."""

    name: str
    description: str
    template: Path
    sha256: str
    size: int
    resource_count: int
    deployment_mode: str
    deployment_order: int | None
    user_parameters: list[dict[str, Any]]
    """DataZone ``CustomParameter`` entries."""
    profile_overrides: list[dict[str, Any]]
    """DataZone ``EnvironmentConfigurationParameter`` entries: the admin-only parameters."""


def catalogue() -> list[DistBlueprint]:
    """The blueprints of ``dist/``, synthesized first when ``dist/`` is missing or older than the sources."""
    if not is_current(ROOT):
        synthesize(ROOT)
    dist = ROOT / "dist"
    manifest = json.loads((dist / MANIFEST).read_text())
    return [dist_blueprint(dist, item) for item in manifest["blueprints"]]


def is_current(root: Path) -> bool:
    """Whether ``root``'s ``dist/manifest.json`` exists and is newer than every source file."""
    manifest = root / "dist" / MANIFEST
    newest = max((path.stat().st_mtime_ns for path in source_files(root)), default=0)
    return manifest.exists() and manifest.stat().st_mtime_ns > newest


def source_files(root: Path) -> Iterator[Path]:
    """The files of ``SOURCES`` under ``root``, without Python's bytecode caches."""
    for name in SOURCES:
        path = root / name
        if path.is_file():
            yield path
        elif path.is_dir():
            yield from (file for file in path.rglob("*") if file.is_file() and "__pycache__" not in file.parts)


def synthesize(root: Path) -> None:
    """Run ``python app.py`` in ``root`` (as ``make synth`` does) to write ``dist/`` again."""
    print("dist/ is missing or older than the sources: synthesizing again (python app.py)", file=sys.stderr)
    result = subprocess.run(
        [sys.executable, "app.py"], cwd=root, capture_output=True, text=True, check=False, timeout=1800
    )
    if result.returncode != 0 or not (root / "dist" / MANIFEST).exists():
        tail = "\n".join(f"    {line}" for line in result.stderr.strip().splitlines()[-15:])
        raise CliError(
            f"synthesis failed (python app.py exited {result.returncode}); run it in {root} to see why:\n{tail}", FAILED
        )


def dist_blueprint(dist: Path, item: dict[str, Any]) -> DistBlueprint:
    """The manifest entry ``item`` and its template in ``dist``."""
    template = dist / item["templateFile"]
    if not template.is_file():
        raise CliError(f"{template} is missing: run python app.py to synthesize dist/ again", FAILED)
    return DistBlueprint(
        name=item["name"],
        description=item["description"],
        template=template,
        sha256=hashlib.sha256(template.read_bytes()).hexdigest(),
        size=item["sizeBytes"],
        resource_count=item["resourceCount"],
        deployment_mode=item["deploymentMode"],
        deployment_order=item["deploymentOrder"],
        user_parameters=item["userParameters"],
        profile_overrides=item["profileParameterOverrides"],
    )
