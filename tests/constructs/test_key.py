"""SandboxKey: rotation, retention, delegation to IAM and the service principals it names."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Template

from genai_sandbox_constructs import SandboxKey
from genai_sandbox_constructs.access.members import project_members
from genai_sandbox_constructs.storage.key import SERVICES_FOR_PRINCIPALS
from tests.helpers.stacks import new_stack, template_of


@pytest.fixture(scope="module")
def template() -> Template:
    stack = new_stack()
    key = SandboxKey(stack, "Key", alias="genai-sandbox-p1-dev", description="sandbox key")
    key.grant_use(iam.ManagedPolicy(stack, "Policy"))
    return template_of(stack)


def _key(template: Template) -> dict[str, Any]:
    (key,) = template.find_resources("AWS::KMS::Key").values()
    return dict(key)


def _statements(template: Template) -> dict[str, dict[str, Any]]:
    statements = _key(template)["Properties"]["KeyPolicy"]["Statement"]
    return {s.get("Sid", ""): s for s in statements}


def test_key_rotates_and_survives_stack_deletion(template: Template) -> None:
    key = _key(template)
    assert key["Properties"]["EnableKeyRotation"] is True
    assert key["Properties"]["PendingWindowInDays"] == 30
    assert key["DeletionPolicy"] == "Retain"
    template.has_resource_properties("AWS::KMS::Alias", {"AliasName": "alias/genai-sandbox-p1-dev"})


def test_key_policy_delegates_to_iam_in_this_account(template: Template) -> None:
    root = next(s for s in _statements(template).values() if s["Action"] == "kms:*")
    assert root["Principal"]["AWS"]["Fn::Join"][1][-1] == ":root"
    assert "Condition" not in root


def test_cloudwatch_logs_of_this_region_only_for_log_groups_of_this_account(template: Template) -> None:
    logs = _statements(template)["AllowCloudWatchLogsInThisRegion"]
    assert logs["Principal"] == {
        "Service": {"Fn::Join": ["", ["logs.", {"Ref": "AWS::Region"}, ".", {"Ref": "AWS::URLSuffix"}]]}
    }
    context = logs["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"]["Fn::Join"][1]
    assert {"Ref": "AWS::AccountId"} in context
    assert context[-1] == ":log-group:*"


def test_services_must_act_for_this_account(template: Template) -> None:
    services = _statements(template)["AllowAwsServicesOfThisAccount"]
    assert sorted(services["Principal"]["Service"]) == [
        "budgets.amazonaws.com",  # budget notifications to the encrypted budget topic
        "cloudwatch.amazonaws.com",  # alarms publish to the encrypted alarm topic
        "s3.amazonaws.com",
        "sns.amazonaws.com",
        "sqs.amazonaws.com",
    ]
    assert services["Action"] == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert services["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}


def test_eventbridge_gets_the_documented_statement_without_source_conditions(template: Template) -> None:
    """SNS Developer Guide: aws:SourceAccount/SourceArn in a KMS policy are "not supported for EventBridge-to-encrypted
    topics"; with them, rule deliveries to encrypted topics and queues would fail."""
    events = _statements(template)["AllowEventBridgeTargets"]
    assert events["Principal"] == {"Service": "events.amazonaws.com"}
    assert events["Action"] == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert "Condition" not in events


def test_members_use_the_key_through_services_in_the_key_policy() -> None:
    stack = new_stack()
    key = SandboxKey(stack, "Key", alias="a", description="d")
    key.grant_use_to_principal(project_members(["arn:aws:iam::111122223333:role/datazone_usr_role_p_*"]))
    statements = _statements(Template.from_stack(stack))
    use = statements["AllowProjectMembersThroughServices"]
    assert use["Principal"] == {"AWS": "*"}
    assert use["Condition"]["ArnLike"] == {"aws:PrincipalArn": ["arn:aws:iam::111122223333:role/datazone_usr_role_p_*"]}
    assert use["Condition"]["StringEquals"]["aws:PrincipalAccount"] == {"Ref": "AWS::AccountId"}
    assert len(use["Condition"]["StringEquals"]["kms:ViaService"]) == len(SERVICES_FOR_PRINCIPALS)
    grants = statements["AllowProjectMembersGrantsForAwsResources"]
    assert grants["Condition"]["Bool"] == {"kms:GrantIsForAWSResource": "true"}


def test_grant_use_names_exact_actions_on_this_key(template: Template) -> None:
    (policy,) = template.find_resources("AWS::IAM::ManagedPolicy").values()
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    use = statements[0]
    assert use["Action"] == ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]
    assert use["Resource"]["Fn::GetAtt"][1] == "Arn"
    services = [join["Fn::Join"][1][0] for join in use["Condition"]["StringEquals"]["kms:ViaService"]]
    assert services == ["s3.", "sagemaker.", "sqs.", "sns.", "ecr."]
    assert not any("*" in action or "ReEncrypt" in action for action in use["Action"])
    assert statements[1]["Action"] == "kms:DescribeKey"
    grant = statements[2]
    assert grant["Action"] == "kms:CreateGrant"
    assert grant["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": "true"}}
