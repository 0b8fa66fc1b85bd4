"""genai-sandbox network modes, evaluated per mode the way CloudFormation evaluates the template's Conditions."""

from __future__ import annotations

from typing import Any

import pytest

from genai_sandbox_constructs.network.sandbox_network import EXISTING_VPC, NEW_VPC, PROJECT_NETWORK
from tests.conftest import Synthesized
from tests.helpers.conditions import Evaluated, references
from tests.helpers.expected import NEW_VPC_INTERFACE_ENDPOINTS

EXISTING = {
    "ExistingVpcId": "vpc-0123456789abcdef0",
    "ExistingSubnetIds": "subnet-0123456789abcdef0,subnet-0fedcba987654321f",
}


@pytest.fixture(scope="module")
def template(synthesized: Synthesized) -> dict[str, Any]:
    return synthesized.templates["genai-sandbox"]


def _mode(template: dict[str, Any], mode: str, **extra: str) -> Evaluated:
    return Evaluated(template, {"NetworkMode": mode, **(EXISTING if mode == EXISTING_VPC else {}), **extra})


def _ec2_types(evaluated: Evaluated) -> list[str]:
    return sorted(r["Type"] for r in evaluated.resources().values() if r["Type"].startswith("AWS::EC2::"))


def test_project_network_creates_no_network_and_imports_the_tooling_exports(template: dict[str, Any]) -> None:
    evaluated = _mode(template, PROJECT_NETWORK)
    assert _ec2_types(evaluated) == []
    outputs = evaluated.outputs()
    assert outputs["SubnetIds"] == {
        "Fn::ImportValue": {"Fn::Sub": "privateSubnets-${datazoneEnvironmentProjectId}-${datazoneScopeName}"}
    }
    assert outputs["SecurityGroupId"] == {
        "Fn::ImportValue": {"Fn::Sub": "securityGroup-${datazoneEnvironmentProjectId}-${datazoneScopeName}"}
    }
    assert "VpcId" not in outputs


@pytest.mark.parametrize("mode", [EXISTING_VPC, NEW_VPC])
def test_other_modes_never_read_the_tooling_exports(template: dict[str, Any], mode: str) -> None:
    evaluated = _mode(template, mode)
    assert "Fn::ImportValue" not in str(evaluated.outputs())
    assert "Fn::ImportValue" not in str(evaluated.resolve(evaluated.resources()))


def test_existing_vpc_uses_the_given_ids_and_creates_only_a_security_group(template: dict[str, Any]) -> None:
    evaluated = _mode(template, EXISTING_VPC)
    assert _ec2_types(evaluated) == [
        "AWS::EC2::SecurityGroup",
        "AWS::EC2::SecurityGroupEgress",
        "AWS::EC2::SecurityGroupIngress",
    ]
    outputs = evaluated.outputs()
    assert outputs["SubnetIds"] == EXISTING["ExistingSubnetIds"]
    assert outputs["VpcId"] == EXISTING["ExistingVpcId"]
    assert outputs["SecurityGroupId"]["Fn::GetAtt"][0].startswith("NetworkSecurityGroup")
    (group,) = [r for r in evaluated.resources().values() if r["Type"] == "AWS::EC2::SecurityGroup"]
    assert evaluated.resolve(group["Properties"]["VpcId"]) == EXISTING["ExistingVpcId"]


def test_existing_vpc_with_a_security_group_creates_nothing(template: dict[str, Any]) -> None:
    evaluated = _mode(template, EXISTING_VPC, ExistingSecurityGroupId="sg-0123456789abcdef0")
    assert _ec2_types(evaluated) == []
    assert evaluated.outputs()["SecurityGroupId"] == "sg-0123456789abcdef0"


def test_new_vpc_is_isolated_in_two_azs_with_named_endpoints(template: dict[str, Any]) -> None:
    evaluated = _mode(template, NEW_VPC)
    types = _ec2_types(evaluated)
    assert types.count("AWS::EC2::VPC") == 1
    assert types.count("AWS::EC2::Subnet") == 2
    assert not {"AWS::EC2::NatGateway", "AWS::EC2::InternetGateway", "AWS::EC2::EIP", "AWS::EC2::Route"} & set(types)
    endpoints = [r["Properties"] for r in evaluated.resources().values() if r["Type"] == "AWS::EC2::VPCEndpoint"]
    interface = [e for e in endpoints if e.get("VpcEndpointType") == "Interface"]
    services = {e["ServiceName"]["Fn::Join"][1][-1].lstrip(".") for e in interface}
    assert services == NEW_VPC_INTERFACE_ENDPOINTS
    assert all(e["PrivateDnsEnabled"] is True for e in interface)
    (gateway,) = [e for e in endpoints if e.get("VpcEndpointType") == "Gateway"]
    assert gateway["ServiceName"]["Fn::Join"][1][-1] == ".s3"
    subnets = [r for r in evaluated.resources().values() if r["Type"] == "AWS::EC2::Subnet"]
    zones = {str(s["Properties"]["AvailabilityZone"]) for s in subnets}
    assert len(zones) == 2
    assert all(s["Properties"]["MapPublicIpOnLaunch"] is False for s in subnets)


def test_new_vpc_outputs_its_own_subnets_and_group(template: dict[str, Any]) -> None:
    outputs = _mode(template, NEW_VPC).outputs()
    joined = outputs["SubnetIds"]["Fn::Join"]
    assert joined[0] == ","
    assert [ref["Ref"][:29] for ref in joined[1]] == ["NetworkNewVpcIsolatedSubnet1S", "NetworkNewVpcIsolatedSubnet2S"]
    assert outputs["VpcId"]["Ref"].startswith("NetworkNewVpc")
    assert outputs["SecurityGroupId"]["Fn::GetAtt"][0].startswith("NetworkSecurityGroup")


def test_new_vpc_flow_logs_go_to_the_access_log_bucket(template: dict[str, Any]) -> None:
    evaluated = _mode(template, NEW_VPC)
    (flow_log,) = [r["Properties"] for r in evaluated.resources().values() if r["Type"] == "AWS::EC2::FlowLog"]
    assert flow_log["LogDestinationType"] == "s3"
    assert flow_log["TrafficType"] == "ALL"
    destination = flow_log["LogDestination"]["Fn::Join"][1]
    assert destination[0]["Fn::GetAtt"][0].startswith("StorageAccessLogs")
    assert destination[1] == "/vpc-flow-logs/"


def test_endpoint_group_takes_https_from_the_vpc_and_sends_nothing(template: dict[str, Any]) -> None:
    evaluated = _mode(template, NEW_VPC)
    (endpoints,) = [
        r["Properties"]
        for logical_id, r in evaluated.resources().items()
        if r["Type"] == "AWS::EC2::SecurityGroup" and "Endpoint" in logical_id
    ]
    assert [(r["CidrIp"], r["IpProtocol"], r["FromPort"], r["ToPort"]) for r in endpoints["SecurityGroupIngress"]] == [
        ("10.42.0.0/16", "tcp", 443, 443)
    ]
    assert endpoints["SecurityGroupEgress"][0]["Description"] == "Disallow all traffic"  # CDK's no-egress marker


@pytest.mark.parametrize("mode", [NEW_VPC, EXISTING_VPC])
def test_workload_group_sends_only_https_and_admits_only_its_members(template: dict[str, Any], mode: str) -> None:
    evaluated = _mode(template, mode)
    (workloads,) = [
        r["Properties"]
        for logical_id, r in evaluated.resources().items()
        if r["Type"] == "AWS::EC2::SecurityGroup" and "Endpoint" not in logical_id
    ]
    assert "SecurityGroupIngress" not in workloads
    assert [(r["IpProtocol"], r["FromPort"], r["ToPort"]) for r in workloads["SecurityGroupEgress"]] == [
        ("tcp", 443, 443)
    ]
    (members,) = [
        r["Properties"] for r in evaluated.resources().values() if r["Type"] == "AWS::EC2::SecurityGroupIngress"
    ]
    assert members["SourceSecurityGroupId"] == members["GroupId"]
    assert "CidrIp" not in members
    (members_out,) = [
        r["Properties"] for r in evaluated.resources().values() if r["Type"] == "AWS::EC2::SecurityGroupEgress"
    ]
    assert members_out["DestinationSecurityGroupId"] == members_out["GroupId"]  # only to other members
    assert "CidrIp" not in members_out
    assert "CidrIpv6" not in members_out


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ({}, None),
        ({"PermissionsBoundaryArn": "arn:aws:iam::123456789012:policy/B"}, "arn:aws:iam::123456789012:policy/B"),
    ],
)
def test_permissions_boundary_applies_to_every_role(
    template: dict[str, Any], given: dict[str, str], expected: str | None
) -> None:
    evaluated = Evaluated(template, given)
    roles = [r for r in evaluated.resources().values() if r["Type"] == "AWS::IAM::Role"]
    assert roles
    for role in roles:
        assert evaluated.resolve(role["Properties"]["PermissionsBoundary"]) == expected


def test_every_role_in_the_template_has_the_boundary_property(template: dict[str, Any]) -> None:
    roles = [r for r in template["Resources"].values() if r["Type"] == "AWS::IAM::Role"]
    assert all(
        r["Properties"]["PermissionsBoundary"]
        == {"Fn::If": ["HasPermissionsBoundary", {"Ref": "PermissionsBoundaryArn"}, {"Ref": "AWS::NoValue"}]}
        for r in roles
    )


COMBINATIONS = [
    {"NetworkMode": mode, **extra}
    for mode, extras in (
        (PROJECT_NETWORK, [{}]),
        (EXISTING_VPC, [EXISTING, {**EXISTING, "ExistingSecurityGroupId": "sg-0123456789abcdef0"}]),
        (NEW_VPC, [{}]),
    )
    for extra in extras
]
SOURCES = [
    {},
    {
        "DataSourceS3Arns": "arn:aws:s3:::b",
        "DataSourceGlueDatabases": "sales",
        "DataSourceKmsKeyArns": "arn:aws:kms:us-east-1:123456789012:key/mrk-0123456789abcdef0123456789abcdef",
    },
]


@pytest.mark.parametrize("network", COMBINATIONS)
@pytest.mark.parametrize("sources", SOURCES)
def test_what_remains_only_references_what_remains(
    template: dict[str, Any], network: dict[str, str], sources: dict[str, str]
) -> None:
    """Conditions applied by an Aspect regress silently: no kept resource or output may point at a dropped one."""
    evaluated = Evaluated(template, {**network, **sources})
    kept = evaluated.resources()
    known = (
        set(kept)
        | set(template["Parameters"])
        | {"AWS::Region", "AWS::AccountId", "AWS::Partition", "AWS::NoValue", "AWS::StackName", "AWS::URLSuffix"}
    )
    for logical_id, resource in kept.items():
        missing = references(evaluated.resolve(resource.get("Properties", {}))) - known
        assert not missing, f"{logical_id} references {missing}"
    missing = references(evaluated.outputs()) - known
    assert not missing, f"outputs reference {missing}"
