"""SandboxFunction: one function shape for APIs, queues and events."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sqs as sqs

from genai_sandbox_constructs import ConfigurationError, nag
from genai_sandbox_constructs.inference.function import Invocation, SandboxFunction
from tests.helpers.stacks import KEY_ARN, json_of, new_stack


def _function(tmp_path: Path, **options: Any) -> tuple[SandboxFunction, dict[str, Any]]:
    source = tmp_path / "handler.py"
    source.write_text("def handler(event, context):\n    return {'ok': True}\n")
    stack = new_stack()
    key = kms.Key.from_key_arn(stack, "Key", KEY_ARN)
    settings: dict[str, Any] = {"invocation": Invocation.SYNCHRONOUS} | options
    if callable(settings.get("dead_letter_queue")):
        settings["dead_letter_queue"] = settings["dead_letter_queue"](stack)
    function = SandboxFunction(
        stack, "Worker", source=source, description="d", encryption_key=key, log_retention_days=30, **settings
    )
    return function, json_of(stack)


def _only(template: dict[str, Any], resource_type: str) -> dict[str, Any]:
    (resource,) = [r for r in template["Resources"].values() if r["Type"] == resource_type]
    found: dict[str, Any] = resource
    return found


def test_inline_code_from_the_file_with_encrypted_environment_and_logs(tmp_path: Path) -> None:
    _, template = _function(tmp_path, environment={"MODE": "x"})
    properties = _only(template, "AWS::Lambda::Function")["Properties"]
    assert properties["Handler"] == "index.handler"
    assert properties["Code"] == {"ZipFile": "def handler(event, context):\n    return {'ok': True}\n"}
    assert (properties["Runtime"], properties["Architectures"]) == ("python3.14", ["arm64"])
    assert properties["KmsKeyArn"] == KEY_ARN
    assert properties["TracingConfig"] == {"Mode": "Active"}
    assert "VpcConfig" not in properties
    logs = _only(template, "AWS::Logs::LogGroup")["Properties"]
    assert (logs["KmsKeyId"], logs["RetentionInDays"]) == (KEY_ARN, 30)
    assert not [r for r in template["Resources"].values() if r["Type"] == "AWS::IAM::Policy"]  # no inline policy


def test_vpc_by_override_with_network_interface_permissions(tmp_path: Path) -> None:
    function, template = _function(tmp_path, subnet_ids=["subnet-0a"], security_group_id="sg-0a")
    properties = _only(template, "AWS::Lambda::Function")["Properties"]
    assert properties["VpcConfig"] == {"SubnetIds": ["subnet-0a"], "SecurityGroupIds": ["sg-0a"]}
    statements = _only(template, "AWS::IAM::ManagedPolicy")["Properties"]["PolicyDocument"]["Statement"]
    assert any("ec2:CreateNetworkInterface" in s["Action"] for s in statements)
    assert "NIST.800.53.R5-LambdaInsideVPC" in nag.acknowledgements(function.function)


def test_asynchronous_invocation_needs_a_dead_letter_queue(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="dead_letter_queue"):
        _function(tmp_path, invocation=Invocation.ASYNCHRONOUS)
    function, template = _function(
        tmp_path, invocation=Invocation.ASYNCHRONOUS, dead_letter_queue=lambda stack: sqs.Queue(stack, "Dlq")
    )
    properties = _only(template, "AWS::Lambda::Function")["Properties"]
    assert properties["DeadLetterConfig"]["TargetArn"]["Fn::GetAtt"][1] == "Arn"
    statements = _only(template, "AWS::IAM::ManagedPolicy")["Properties"]["PolicyDocument"]["Statement"]
    assert any(s["Action"] == "sqs:SendMessage" for s in statements)
    assert "NIST.800.53.R5-LambdaDLQ" not in nag.acknowledgements(function.function)


@pytest.mark.parametrize("invocation", [Invocation.SYNCHRONOUS, Invocation.QUEUE])
def test_the_dlq_acknowledgement_says_where_failures_go(tmp_path: Path, invocation: Invocation) -> None:
    function, _ = _function(tmp_path, invocation=invocation)
    assert invocation.value in nag.acknowledgements(function.function)["NIST.800.53.R5-LambdaDLQ"]


def test_subnets_and_security_group_come_together(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="both or neither"):
        _function(tmp_path, subnet_ids=["subnet-0a"])
