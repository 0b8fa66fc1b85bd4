"""cdk-nag gate: AwsSolutions, HIPAA Security and NIST 800-53 R5 with zero unacknowledged findings.

The session fixture synthesizes every blueprint with all three packs: an unacknowledged finding fails it.
These tests prove the gate can fail and that every acknowledgement is granular and explained.
"""

from __future__ import annotations

import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3

from blueprints.catalogue import CATALOGUE
from blueprints.synthesis import build, create_app
from genai_sandbox_constructs import nag
from tests.conftest import Synthesized


def test_every_blueprint_synthesizes_with_every_pack(synthesized: Synthesized) -> None:
    assert set(synthesized.templates) == {blueprint.name for blueprint in CATALOGUE}
    assert {pack.__name__ for pack in nag.PACKS} == {"AwsSolutionsChecks", "HIPAASecurityChecks", "NIST80053R5Checks"}


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


def _acknowledgements(app: App) -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, str]] = {}
    for construct in app.node.find_all():
        for entry in construct.node.metadata:
            if entry.type == "aws:cdk:acknowledged-rules":
                found[construct.node.path] = dict(entry.data)
    return found


def test_every_acknowledgement_is_granular_and_explained() -> None:
    app = create_app()
    build(app, CATALOGUE, with_nag=False)
    acknowledgements = _acknowledgements(app)
    assert acknowledgements
    for path, rules in acknowledgements.items():
        for rule_id, reason in rules.items():
            assert len(reason) >= 40, f"{path}: {rule_id} needs a reason a reviewer would accept"
            if "IAM5" in rule_id:
                assert "[Resource::" in rule_id or "[Action::" in rule_id, f"{path}: {rule_id} is not granular"
            assert "[Resource::*]" not in rule_id or "ListModelPackages" in reason, f"{path}: {rule_id}"


def test_flatten_reference_matches_cdk_nag_rendering() -> None:
    assert nag.flatten_reference({"Fn::Join": ["", [{"Fn::GetAtt": ["B", "Arn"]}, "/data/*"]]}) == "<B.Arn>/data/*"
    assert nag.flatten_reference({"Fn::Sub": "x-${P}-y"}) == "x-<P>-y"
    assert nag.flatten_reference({"Ref": "AWS::Region"}) == "<AWS::Region>"
    assert nag.flatten_reference({"Fn::ImportValue": "e"}) == "e"
    assert nag.flatten_reference({"Fn::Select": [0, ["a"]]}) == '{"Fn::Select":[0,["a"]]}'
