"""cfn-lint on every blueprint template: no errors, and no warning that is not explained here."""

from __future__ import annotations

import json

import pytest
from cfnlint.api import ManualArgs, lint

from tests.conftest import BLUEPRINT_NAMES, Synthesized

ACCEPTED_WARNINGS: dict[str, str] = {}
"""Warning rule id -> why it is acceptable. Empty: every warning is a failure until explained."""


@pytest.mark.parametrize("name", BLUEPRINT_NAMES)
def test_template_lints_clean(synthesized: Synthesized, name: str) -> None:
    matches = lint(
        json.dumps(synthesized.templates[name]),
        config=ManualArgs(regions=["us-east-1", "eu-central-1", "ap-southeast-2"]),
    )
    problems = [
        m for m in matches if m.rule.id[0] == "E" or (m.rule.id[0] == "W" and m.rule.id not in ACCEPTED_WARNINGS)
    ]
    assert not problems, "\n".join(str(m) for m in problems)
