"""cdk-nag gate: AwsSolutions, HIPAA Security and NIST 800-53 R5 with zero unacknowledged findings.

``test_build_runs_every_pack_over_every_blueprint_and_they_are_clean`` is the gate: it builds every blueprint as
app.py does, with all three packs, and fails naming each unacknowledged finding. The other tests prove the gate can
fail and that every acknowledgement is granular and explained.
"""

from __future__ import annotations

import re

import pytest
from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3

from blueprints.catalogue import CATALOGUE
from blueprints.synthesis import build, create_app
from genai_sandbox_constructs import nag
from tests.conftest import Synthesized
from tests.helpers.policies import statements


def test_build_runs_every_pack_over_every_blueprint_and_they_are_clean(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """``build`` (what app.py runs) registers the packs: a careless probe next to the blueprints fails synthesis,
    and every finding reported is the probe's, none the blueprints'."""
    assert {pack.__name__ for pack in nag.PACKS} == {"AwsSolutionsChecks", "HIPAASecurityChecks", "NIST80053R5Checks"}
    app = create_app(outdir=str(tmp_path_factory.mktemp("nag")))
    s3.Bucket(Stack(app, "Probe"), "Open")
    build(app, CATALOGUE)
    with pytest.raises(RuntimeError, match="ValidationFailed") as error:
        app.synth()
    located = re.findall(r"^\s+([\w-]+/\S*) \S+$", str(error.value), flags=re.MULTILINE)  # "   Probe/Open/... type"
    assert len(located) >= 3, str(error.value)[:2000]
    assert all(path.startswith("Probe/") for path in located), sorted(set(located))
    for pack in ("AwsSolutions-S10", "HIPAA.Security-S3DefaultEncryptionKMS", "NIST.800.53.R5-S3BucketLoggingEnabled"):
        assert pack in str(error.value)


def test_an_unacknowledged_finding_fails_synthesis(tmp_path_factory: pytest.TempPathFactory) -> None:
    app = create_app(outdir=str(tmp_path_factory.mktemp("nag")))
    stack = Stack(app, "Careless")
    s3.Bucket(stack, "Open")
    nag.register_packs(app)
    with pytest.raises(RuntimeError, match="ValidationFailed") as error:
        app.synth()
    for finding in (
        "AwsSolutions-S10",
        "HIPAA.Security-S3DefaultEncryptionKMS",
        "NIST.800.53.R5-S3BucketLoggingEnabled",
    ):
        assert finding in str(error.value)


def test_an_acknowledgement_covers_exactly_its_finding(tmp_path_factory: pytest.TempPathFactory) -> None:
    app = create_app(outdir=str(tmp_path_factory.mktemp("nag")))
    stack = Stack(app, "Granular")
    policy = iam.ManagedPolicy(stack, "Policy")
    policy.add_statements(iam.PolicyStatement(actions=["s3:GetObject"], resources=["arn:aws:s3:::b/a/*", "*"]))
    nag.acknowledge(policy, "only the prefix is meant", nag.wildcard_resource_finding(policy, "arn:aws:s3:::b/a/*"))
    nag.register_packs(app)
    with pytest.raises(RuntimeError, match="ValidationFailed") as error:
        app.synth()
    assert "AwsSolutions-IAM5[Resource::*]" in str(error.value)
    assert "Resource::arn:aws:s3:::b/a/*" not in str(error.value)


def test_every_acknowledgement_is_granular_and_explained() -> None:
    app = create_app()
    build(app, CATALOGUE, with_nag=False)
    acknowledgements = {c.node.path: nag.acknowledgements(c) for c in app.node.find_all() if nag.acknowledgements(c)}
    assert acknowledgements
    for path, rules in acknowledgements.items():
        for rule_id, reason in rules.items():
            assert len(reason) >= 40, f"{path}: {rule_id} needs a reason a reviewer would accept"
            if "IAM5" in rule_id:
                assert "[Resource::" in rule_id or "[Action::" in rule_id, f"{path}: {rule_id} is not granular"
            if rule_id.endswith("[Resource::*]"):
                assert "no resource-level permissions" in reason, f"{path}: {rule_id}: {reason}"


def _star_reasons() -> dict[tuple[str, str], str]:
    """(stack, logical id) of every managed policy -> the reason acknowledged for its ``Resource::*`` finding."""
    app = create_app()
    build(app, CATALOGUE, with_nag=False)
    return {
        (Stack.of(c).stack_name, Stack.of(c).resolve(c.logical_id)): nag.acknowledgements(c.node.scope).get(
            "AwsSolutions-IAM5[Resource::*]", ""
        )
        for c in app.node.find_all()
        if isinstance(c, iam.CfnManagedPolicy) and c.node.scope is not None
    }


def test_every_action_granted_on_star_is_named_in_its_acknowledgement(synthesized: Synthesized) -> None:
    reasons = _star_reasons()
    checked = 0
    for stack, template in synthesized.templates.items():
        for logical_id, resource in template["Resources"].items():
            if resource["Type"] != "AWS::IAM::ManagedPolicy":
                continue
            for statement in statements(resource):
                if statement["Resource"] != "*":
                    continue
                for action in statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]:
                    name = action.split(":")[1]
                    verb = re.match(r"[A-Z][a-z]+", name)
                    assert (
                        name in reasons[stack, logical_id] or f"{verb and verb.group()}*" in reasons[stack, logical_id]
                    ), action
                    checked += 1
    assert checked >= 5


def test_flatten_reference_matches_cdk_nag_rendering() -> None:
    assert nag.flatten_reference({"Fn::Join": ["", [{"Fn::GetAtt": ["B", "Arn"]}, "/data/*"]]}) == "<B.Arn>/data/*"
    assert nag.flatten_reference({"Fn::Sub": "x-${P}-y"}) == "x-<P>-y"
    assert nag.flatten_reference({"Ref": "AWS::Region"}) == "<AWS::Region>"
    assert nag.flatten_reference({"Fn::ImportValue": "e"}) == "e"
    assert nag.flatten_reference({"Fn::Select": [0, ["a"]]}) == '{"Fn::Select":[0,["a"]]}'
