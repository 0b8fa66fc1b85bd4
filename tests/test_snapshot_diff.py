"""The review helper shows inline code line by line, so a reviewer reads a handler change as a normal diff."""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers.snapshot_diff import readable_lines


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
