"""cfn-lint on every blueprint template: no errors, and no warning that is not explained here."""

from __future__ import annotations

import json
import re

import pytest
from cfnlint.api import ManualArgs, Match, lint

from tests.conftest import BLUEPRINT_NAMES, Synthesized

ACCEPTED_WARNINGS: dict[tuple[str, str], str] = {
    (
        "W6001",
        re.escape("is an import from another output"),
    ): "In ProjectNetwork mode the resolved subnets and security group "
    "re-export the Tooling values, so that pattern blueprints never care which network mode was chosen.",
    (
        "W1030",
        re.escape("{'Ref': 'ExistingVpcId'} is not a 'AWS::EC2::VPC.Id'"),
    ): "The parameter may be empty in other modes; "
    "the security group that reads it exists only in NewVpc or ExistingVpc mode, where a Rule requires a VPC id.",
    (
        "W1030",
        re.escape("{'Ref': 'ContainerImageUri'} does not match"),
    ): "The parameter may be empty with Bedrock or a model "
    "package; the model reads it only in the artifact branch, where a Rule requires an image.",
    (
        "W3005",
        "Function[0-9A-F]{8}/Properties/Role'",
    ): "CDK's Lambda construct makes the function depend on its role explicitly as well; redundant and harmless.",
}
"""(warning rule id, message pattern) -> why it is acceptable. Anything else fails the gate."""


def _accepted(match: Match) -> bool:
    return any(rule == match.rule.id and re.search(fragment, match.message) for rule, fragment in ACCEPTED_WARNINGS)


@pytest.mark.parametrize("name", BLUEPRINT_NAMES)
def test_template_lints_clean(synthesized: Synthesized, name: str) -> None:
    matches = lint(
        json.dumps(synthesized.templates[name]),
        config=ManualArgs(regions=["us-east-1", "eu-central-1", "ap-southeast-2"]),
    )
    problems = [m for m in matches if m.rule.id[0] == "E" or (m.rule.id[0] == "W" and not _accepted(m))]
    assert not problems, "\n".join(str(m) for m in problems)
