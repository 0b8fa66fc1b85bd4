"""Every Python example of ``constructs/README.md`` runs as a new user would run it: a plain ``cdk.App()``, in a
fresh interpreter, from a folder without this repository's ``cdk.json``."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import genai_sandbox_constructs

README = Path(__file__).resolve().parent.parent / "constructs" / "README.md"
EXAMPLES = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.DOTALL)


def test_the_readme_has_an_example_per_pattern() -> None:
    assert len(EXAMPLES) == 3
    assert all("app.synth()" in example for example in EXAMPLES)


def test_examples_synthesize_in_a_plain_app(tmp_path: Path) -> None:
    """One fresh interpreter runs every example in turn (the kernel starts once), each in a namespace of its own."""
    runner = "\n".join(
        f"exec(compile({example!r}, 'example {number}', 'exec'), {{}})" for number, example in enumerate(EXAMPLES, 1)
    )
    environment = {key: value for key, value in os.environ.items() if not key.startswith("CDK_")}
    result = subprocess.run(
        [sys.executable, "-c", runner],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]


def test_every_documented_construct_is_exported_by_the_package_root() -> None:
    table = README.read_text().split("| Construct | What it builds |", 1)[1].split("\n\n", 1)[0]
    first_cells = [line.split("|")[1] for line in table.splitlines() if line.startswith("| `")]
    names = {name for cell in first_cells for name in re.findall(r"`(\w+)`", cell)}
    assert len(names) >= 18
    assert names <= set(genai_sandbox_constructs.__all__), names - set(genai_sandbox_constructs.__all__)
