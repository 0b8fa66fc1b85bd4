"""SandboxNetwork as a construct: literal modes, conditions on every new-VPC resource, network-interface grants."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3

from genai_sandbox_constructs import SandboxNetwork
from genai_sandbox_constructs.network.sandbox_network import MODES, NEW_VPC
from tests.helpers.conditions import Evaluated
from tests.helpers.stacks import json_of, new_stack


def _template(mode: str) -> dict[str, Any]:
    stack = new_stack()
    network = SandboxNetwork(
        stack,
        "Network",
        mode=mode,
        project_subnet_ids="subnet-p1,subnet-p2",
        project_security_group_id="sg-p",
        existing_vpc_id="vpc-e",
        existing_subnet_ids="subnet-e1,subnet-e2",
        existing_security_group_id="",
        flow_log_bucket=s3.Bucket(stack, "Logs"),
        vpc_cidr="10.9.0.0/16",
    )
    network.grant_attach(iam.ManagedPolicy(stack, "Policy"))
    return json_of(stack)


@pytest.mark.parametrize("mode", MODES)
def test_every_new_vpc_resource_carries_the_new_vpc_condition(mode: str) -> None:
    template = _template(mode)
    for logical_id, resource in template["Resources"].items():
        if logical_id.startswith("NetworkNewVpc"):
            assert resource["Condition"].startswith("NetworkIsNewVpc"), logical_id
    evaluated = Evaluated(template, {})
    vpcs = [r for r in evaluated.resources().values() if r["Type"] == "AWS::EC2::VPC"]
    assert len(vpcs) == (1 if mode == NEW_VPC else 0)


def test_custom_cidr_reaches_the_vpc_and_the_endpoint_group() -> None:
    template = _template(NEW_VPC)
    (vpc,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::EC2::VPC"]
    assert vpc["Properties"]["CidrBlock"] == "10.9.0.0/16"
    assert vpc["Properties"]["EnableDnsHostnames"] is True
    assert "10.9.0.0/16" in str([r for r in template["Resources"].values() if r["Type"] == "AWS::EC2::SecurityGroup"])


def test_grant_attach_scopes_interface_actions_to_this_account() -> None:
    template = _template(NEW_VPC)
    (policy,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::IAM::ManagedPolicy"]
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    describe = next(s for s in statements if s["Resource"] == "*")
    assert all(action.startswith("ec2:Describe") for action in describe["Action"])
    create = next(s for s in statements if "ec2:CreateNetworkInterface" in s["Action"])
    kinds = {r["Fn::Join"][1][-1] for r in create["Resource"]}
    assert kinds == {":network-interface/*", ":*:subnet/*", ":security-group/*"}  # subnets may be RAM-shared
