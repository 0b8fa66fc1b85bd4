"""Print a readable unified diff between each reviewed snapshot and the template in dist/.

Usage: ``make snapshot-diff`` (after ``make synth``). Read it, then accept with ``make snapshot-update``.
"""

from __future__ import annotations

import difflib
import json
import sys
from pathlib import Path
from typing import Any

from blueprints.dist import template_file
from blueprints.synthesis import REPO_ROOT

SNAPSHOTS = REPO_ROOT / "tests" / "__snapshots__" / "test_snapshots"


def snapshot_path(name: str) -> Path:
    """Where syrupy keeps the snapshot of blueprint ``name``."""
    return SNAPSHOTS / f"test_template_matches_the_reviewed_snapshot[{name}].json"


def readable_lines(path: Path) -> list[str]:
    """The template at ``path`` as sorted, indented JSON lines with multi-line strings split; none if absent."""
    if not path.exists():
        return []
    readable = _split_multiline(json.loads(path.read_text()))
    return json.dumps(readable, indent=1, sort_keys=True).splitlines(keepends=True)


def _split_multiline(node: Any) -> Any:
    """Show multi-line strings (inline handler code) one line per entry, so a code change diffs line by line."""
    if isinstance(node, str) and "\n" in node:
        return {"(lines)": node.splitlines()}
    if isinstance(node, dict):
        return {key: _split_multiline(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_split_multiline(item) for item in node]
    return node


def main() -> int:
    """Print the diffs; return 1 when any template differs from its snapshot."""
    changed = 0
    manifest = json.loads((REPO_ROOT / "dist" / "manifest.json").read_text())
    for entry in manifest["blueprints"]:
        name = entry["name"]
        diff = list(
            difflib.unified_diff(
                readable_lines(snapshot_path(name)),
                readable_lines(REPO_ROOT / "dist" / template_file(name)),
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
