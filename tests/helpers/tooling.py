"""A stand-in for the SMUS Tooling environment: a VPC, subnets, a security group, a key and a bucket,
exported under the names SMUS uses (``<key>-<projectId>-<scopeName>``)."""

from __future__ import annotations

import json
from typing import Any


def tooling_template(project_id: str, scope: str = "dev") -> str:
    """A template that exports what a project's Tooling environment exports."""
    suffix = f"{project_id}-{scope}"
    resources: dict[str, Any] = {
        "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}},
        "SubnetA": _subnet("10.0.0.0/24", "us-east-1a"),
        "SubnetB": _subnet("10.0.1.0/24", "us-east-1b"),
        "SecurityGroup": {
            "Type": "AWS::EC2::SecurityGroup",
            "Properties": {"GroupDescription": "tooling", "VpcId": {"Ref": "Vpc"}},
        },
        "Key": {"Type": "AWS::KMS::Key", "Properties": {"KeyPolicy": {"Version": "2012-10-17", "Statement": []}}},
        "Bucket": {"Type": "AWS::S3::Bucket"},
    }
    outputs = {
        "PrivateSubnets": _export(
            f"privateSubnets-{suffix}", {"Fn::Join": [",", [{"Ref": "SubnetA"}, {"Ref": "SubnetB"}]]}
        ),
        "SecurityGroup": _export(f"securityGroup-{suffix}", {"Ref": "SecurityGroup"}),
        "KmsKeyArn": _export(f"kmsKeyArn-{suffix}", {"Fn::GetAtt": ["Key", "Arn"]}),
        "VpcId": {"Value": {"Ref": "Vpc"}},
        "S3BucketPath": _export(f"s3BucketPath-{suffix}", {"Fn::Sub": "s3://${Bucket}/dzd_x/" + project_id}),
    }
    return json.dumps({"Resources": resources, "Outputs": outputs})


def _subnet(cidr: str, zone: str) -> dict[str, Any]:
    return {
        "Type": "AWS::EC2::Subnet",
        "Properties": {"VpcId": {"Ref": "Vpc"}, "CidrBlock": cidr, "AvailabilityZone": zone},
    }


def _export(name: str, value: Any) -> dict[str, Any]:
    return {"Value": value, "Export": {"Name": name}}
