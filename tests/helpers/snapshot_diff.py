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


def resource_of_each_line(lines: list[str], template: dict[str, Any]) -> list[str]:
    """For each line of ``readable_lines``, the top-level entry it belongs to: ``Resources/<id> (<type>)``,
    ``Parameters/<name>``, ... (empty outside any entry)."""
    owners, section, entry = [], "", ""
    for line in lines:
        if line.startswith(' "'):
            section, entry = line.split('"')[1], ""
        elif line.startswith('  "') and section:
            entry = line.split('"')[1]
        kind = template.get("Resources", {}).get(entry, {}).get("Type") if section == "Resources" else None
        owners.append(f"{section}/{entry} ({kind})" if kind else f"{section}/{entry}" if entry else section)
    return owners


def named_hunks(old: Path, new: Path, name: str) -> list[str]:
    """The unified diff of the two templates, each hunk header naming the entry (logical id and type) it is in."""
    before, after = readable_lines(old), readable_lines(new)
    owners_after = resource_of_each_line(after, json.loads(new.read_text()) if new.exists() else {})
    owners_before = resource_of_each_line(before, json.loads(old.read_text()) if old.exists() else {})
    named = []
    for line in difflib.unified_diff(before, after, fromfile=f"snapshot/{name}", tofile=f"dist/{name}"):
        if not line.startswith("@@"):
            named.append(line)
            continue
        old_start, new_start = (int(part.split(",")[0][1:]) for part in line.split()[1:3])
        owner = _owner(owners_after, new_start + 2) or _owner(owners_before, old_start + 2)
        named.append(f"{line.rstrip()} {owner}\n")
    return named


def _owner(owners: list[str], line_number: int) -> str:
    """The entry of the first changed line of a hunk (three lines of context precede it)."""
    index = min(max(line_number, 1), len(owners)) - 1
    return owners[index] if owners else ""


def main() -> int:
    """Print the diffs; return 1 when any template differs from its snapshot, 2 when dist/ is missing."""
    manifest_path = REPO_ROOT / "dist" / "manifest.json"
    if not manifest_path.exists():
        print(
            "dist/ is missing: the last synthesis failed (its errors are above); fix it and run again", file=sys.stderr
        )
        return 2
    changed = 0
    for entry in json.loads(manifest_path.read_text())["blueprints"]:
        name = entry["name"]
        diff = named_hunks(snapshot_path(name), REPO_ROOT / "dist" / template_file(name), name)
        changed += bool(diff)
        sys.stdout.writelines(diff)
    print(f"{changed} template(s) differ from their reviewed snapshot", file=sys.stderr)
    return 1 if changed else 0


if __name__ == "__main__":
    raise SystemExit(main())
