"""DataSourceAccess: conditional policies, ARNs built in CloudFormation from comma-joined names."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import CfnParameter
from aws_cdk import aws_iam as iam

from genai_sandbox_constructs import DataSourceAccess
from genai_sandbox_constructs.model_building.data_sources import MAX_GLUE_DATABASES
from tests.helpers.conditions import Evaluated
from tests.helpers.stacks import json_of, new_stack


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    stack = new_stack()
    role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
    DataSourceAccess(
        stack,
        "DataSources",
        s3_arns=CfnParameter(stack, "S3", default="").value_as_string,
        glue_databases=CfnParameter(stack, "Glue", default="").value_as_string,
        roles=[role],
        s3_key_arns=CfnParameter(stack, "Keys", default="").value_as_string,
    )
    return json_of(stack)


def _policies(evaluated: Evaluated) -> dict[str, Any]:
    return {k: r for k, r in evaluated.resources().items() if r["Type"] == "AWS::IAM::ManagedPolicy"}


def test_nothing_exists_when_no_data_source_is_given(template: dict[str, Any]) -> None:
    assert _policies(Evaluated(template, {})) == {}


def test_s3_locations_become_the_resources_of_one_read_statement(template: dict[str, Any]) -> None:
    evaluated = Evaluated(template, {"S3": "arn:aws:s3:::b,arn:aws:s3:::b/raw/*"})
    (policy,) = _policies(evaluated).values()
    (statement,) = policy["Properties"]["PolicyDocument"]["Statement"]
    assert evaluated.resolve(statement["Resource"]) == {"Fn::Split": [",", "arn:aws:s3:::b,arn:aws:s3:::b/raw/*"]}
    assert statement["Action"] == ["s3:GetBucketLocation", "s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket"]
    assert policy["Properties"]["Roles"][0]["Ref"].startswith("Role")


def test_keys_of_encrypted_locations_decrypt_only_through_s3(template: dict[str, Any]) -> None:
    keys = "arn:aws:kms:us-east-1:123456789012:key/mrk-0123456789abcdef0123456789abcdef"
    evaluated = Evaluated(template, {"S3": "arn:aws:s3:::b/raw/*", "Keys": keys})
    decrypt = next(p for name, p in _policies(evaluated).items() if name.startswith("DataSourcesS3Decrypt"))
    (statement,) = decrypt["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Action"] == "kms:Decrypt"
    assert evaluated.resolve(statement["Resource"]) == {"Fn::Split": [",", keys]}
    via = statement["Condition"]["StringLike"]["kms:ViaService"]
    assert evaluated.value(via) == "s3.*.amazonaws.com"  # S3 in any region, in this partition (URLSuffix)
    assert decrypt["Properties"]["Roles"][0]["Ref"].startswith("Role")
    assert len(_policies(Evaluated(template, {"S3": "arn:aws:s3:::b/raw/*"}))) == 1


def _substitute(node: dict[str, Any], names: list[str]) -> str:
    """Evaluate ``Fn::Sub [template, {Name: Fn::Select [i, Fn::Split [",", Fn::Join [",", [names, pad]]]]}]``."""
    text, variables = node["Fn::Sub"]
    select = variables["Name"]["Fn::Select"]
    joined = select[1]["Fn::Split"][1]["Fn::Join"][1]
    padded = ",".join([",".join(names), joined[1]]).split(",")
    return str(text).replace("${Name}", padded[select[0]])


def test_glue_names_become_database_and_table_arns(template: dict[str, Any]) -> None:
    evaluated = Evaluated(template, {"Glue": "sales,marketing"})
    (policy,) = _policies(evaluated).values()
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    read = next(s for s in statements if "glue:GetTable" in s["Action"])
    subs = [_substitute(r, ["sales", "marketing"]) for r in read["Resource"] if isinstance(r, dict) and "Fn::Sub" in r]
    prefix = "arn:${AWS::Partition}:glue:${AWS::Region}:${AWS::AccountId}"
    assert subs[:2] == [f"{prefix}:database/sales", f"{prefix}:database/marketing"]
    assert subs[MAX_GLUE_DATABASES : MAX_GLUE_DATABASES + 2] == [
        f"{prefix}:table/sales/*",
        f"{prefix}:table/marketing/*",
    ]
    assert subs[2] == f"{prefix}:database/"  # an empty slot matches nothing
    assert len(subs) == 2 * MAX_GLUE_DATABASES
    assert not any(a.startswith(("glue:Create", "glue:Delete", "glue:Update")) for a in read["Action"])
    assert any(s["Action"] == "lakeformation:GetDataAccess" for s in statements)
