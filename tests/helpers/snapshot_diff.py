"""Print a readable unified diff between each reviewed snapshot and the template in dist/.

Usage: ``make snapshot-diff`` (after ``make synth``). Read it, then accept with ``make snapshot-update``.
"""

from __future__ import annotations

import difflib
import json
import sys
from pathlib import Path

from blueprints.dist import template_file
from blueprints.synthesis import REPO_ROOT

SNAPSHOTS = REPO_ROOT / "tests" / "__snapshots__" / "test_snapshots"


def snapshot_path(name: str) -> Path:
    """Where syrupy keeps the snapshot of blueprint ``name``."""
    return SNAPSHOTS / f"test_template_matches_the_reviewed_snapshot[{name}].json"


def _lines(path: Path) -> list[str]:
    if not path.exists():
        return []
    return json.dumps(json.loads(path.read_text()), indent=1, sort_keys=True).splitlines(keepends=True)


def main() -> int:
    """Print the diffs; return 1 when any template differs from its snapshot."""
    changed = 0
    manifest = json.loads((REPO_ROOT / "dist" / "manifest.json").read_text())
    for entry in manifest["blueprints"]:
        name = entry["name"]
        diff = list(
            difflib.unified_diff(
                _lines(snapshot_path(name)),
                _lines(REPO_ROOT / "dist" / template_file(name)),
                fromfile=f"snapshot/{name}",
                tofile=f"dist/{name}",
            )
        )
        changed += bool(diff)
        sys.stdout.writelines(diff)
    print(f"{changed} template(s) differ from their reviewed snapshot", file=sys.stderr)
    return 1 if changed else 0


if __name__ == "__main__":
    raise SystemExit(main())
