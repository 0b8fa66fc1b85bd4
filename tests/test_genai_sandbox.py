"""The genai-sandbox blueprint: parameters, the environment table, exports, tags and the users' policy."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk.assertions import Template

from genai_sandbox_constructs import LifecycleDays, layout
from stacks.environment_settings import ENVIRONMENTS
from stacks.genai_sandbox import GenAiSandboxStack
from tests.conftest import Synthesized


@pytest.fixture(scope="module")
def template(synthesized: Synthesized) -> dict[str, Any]:
    return synthesized.templates["genai-sandbox"]


def test_parameters_are_the_reserved_ones_plus_project_name_and_environment(template: dict[str, Any]) -> None:
    assert list(template["Parameters"]) == [
        "datazoneEnvironmentDomainId",
        "datazoneEnvironmentProjectId",
        "datazoneEnvironmentEnvironmentId",
        "datazoneScopeName",
        "ProjectName",
        "Environment",
        "PermissionsBoundaryArn",
        "NetworkMode",
        "ExistingVpcId",
        "ExistingSubnetIds",
        "ExistingSecurityGroupId",
        "DataSourceS3Arns",
        "DataSourceKmsKeyArns",
        "DataSourceGlueDatabases",
        "datazoneEnvironmentProjectExecutionRoleArn",
        "MonthlyBudgetUsd",
    ]
    parameters = template["Parameters"]
    assert parameters["Environment"]["AllowedValues"] == ["dev", "staging", "prod"]
    assert parameters["Environment"]["Default"] == "dev"
    assert parameters["datazoneScopeName"]["Default"] == "dev"
    assert all(p["Description"] for p in parameters.values())
    assert {name for name, p in parameters.items() if p["Type"] != "String"} == {"MonthlyBudgetUsd"}
    assert parameters["MonthlyBudgetUsd"] | {"Description": ""} == {
        "Type": "Number", "Description": "", "Default": 0, "MinValue": 0, "MaxValue": 1000000
    }  # fmt: skip


COLUMNS = (
    "InferenceTransitionDays",
    "InferenceExpirationDays",
    "CheckpointExpirationDays",
    "NoncurrentVersionExpirationDays",
    "IncompleteUploadDays",
    "AccessLogExpirationDays",
)
EXPECTED_SETTINGS = {
    "dev": dict(zip(COLUMNS, (30, 60, 14, 30, 3, 90), strict=True)),
    "staging": dict(zip(COLUMNS, (30, 90, 30, 60, 7, 365), strict=True)),
    "prod": dict(zip(COLUMNS, (60, 365, 60, 90, 7, 2557), strict=True)),  # access logs kept seven years
}
"""The lifecycle table as reviewed (README "Environment settings"), written out rather than read from the code."""


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_environment_table_is_complete_and_valid_for_every_environment(
    template: dict[str, Any], environment: str
) -> None:
    row = template["Mappings"]["EnvironmentSettings"][environment]
    assert row == EXPECTED_SETTINGS[environment]
    LifecycleDays(  # raises if S3 would reject the row
        inference_transition_days=row["InferenceTransitionDays"],
        inference_expiration_days=row["InferenceExpirationDays"],
        checkpoint_expiration_days=row["CheckpointExpirationDays"],
        noncurrent_version_expiration_days=row["NoncurrentVersionExpirationDays"],
        incomplete_upload_days=row["IncompleteUploadDays"],
        access_log_expiration_days=row["AccessLogExpirationDays"],
    )


def test_prod_keeps_more_than_dev(template: dict[str, Any]) -> None:
    table = template["Mappings"]["EnvironmentSettings"]
    for column in GenAiSandboxStack.SETTINGS_COLUMNS:
        assert table["dev"][column] <= table["staging"][column] <= table["prod"][column], column


def _column(days: dict[str, Any]) -> str:
    """The EnvironmentSettings column a lifecycle value reads (and only that table, keyed by Environment)."""
    table, key, column = days["Fn::FindInMap"]
    assert (table, key) == ("EnvironmentSettings", {"Ref": "Environment"})
    return str(column)


def test_lifecycle_days_come_from_the_table_not_from_python(template: dict[str, Any]) -> None:
    read = {}
    for logical_id, bucket in template["Resources"].items():
        if bucket["Type"] != "AWS::S3::Bucket":
            continue
        for rule in bucket["Properties"]["LifecycleConfiguration"]["Rules"]:
            name = f"{logical_id[:17]}.{rule['Id']}"
            if "ExpirationInDays" in rule:
                read[f"{name}.expire"] = _column(rule["ExpirationInDays"])
            for transition in rule.get("Transitions", []):
                read[f"{name}.transition"] = _column(transition["TransitionInDays"])
            if "AbortIncompleteMultipartUpload" in rule:
                read[f"{name}.abort"] = _column(rule["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"])
            if "NoncurrentVersionExpiration" in rule:
                read[f"{name}.noncurrent"] = _column(rule["NoncurrentVersionExpiration"]["NoncurrentDays"])
    tiers = ("AsyncInput", "AsyncOutput", "BatchInput", "BatchOutput", "RealtimeCapture")
    assert read == {
        **{f"{bucket}.{rule}": column for bucket in ("StorageAccessLogs", "StorageBucket5CB7")
           for rule, column in (("AbortIncompleteUploads.abort", "IncompleteUploadDays"),
                                ("ExpireNoncurrentVersions.noncurrent", "NoncurrentVersionExpirationDays"))},
        "StorageAccessLogs.ExpireAccessLogs.expire": "AccessLogExpirationDays",
        "StorageBucket5CB7.ExpireCheckpoints.expire": "CheckpointExpirationDays",
        **{f"StorageBucket5CB7.Tier{tier}.expire": "InferenceExpirationDays" for tier in tiers},
        **{f"StorageBucket5CB7.Tier{tier}.transition": "InferenceTransitionDays" for tier in tiers},
    }  # fmt: skip


EXPECTED_EXPORTS = {
    "BucketName",
    "BucketArn",
    "KeyArn",
    "ModelPackageGroupName",
    "TrainingRoleArn",
    "ImageRepositoryUri",
    "ImageRepositoryArn",
    "ImagePusherPolicyArn",
    "ResolvedNetworkMode",
    "SubnetIds",
    "SecurityGroupId",
    "VpcId",
    *(f"Prefix{prefix.name}" for prefix in layout.PREFIXES),
}


def test_exports_carry_the_project_id_and_scope(template: dict[str, Any]) -> None:
    outputs = template["Outputs"]
    for key in EXPECTED_EXPORTS:
        assert outputs[key]["Export"]["Name"] == {
            "Fn::Sub": f"genaiSandbox{key}-${{datazoneEnvironmentProjectId}}-${{datazoneScopeName}}"
        }
    assert set(outputs) == EXPECTED_EXPORTS | {
        "ProjectUserPolicyArn",
        "S3DataSourcePolicyArn",
        "S3DataSourceKeyPolicyArn",
        "GlueDataSourcePolicyArn",
        "DiscoveryParameterName",
        "BudgetTopicArn",
    }
    assert "Export" not in outputs["BudgetTopicArn"]


def test_layout_prefixes_are_exported_verbatim(template: dict[str, Any]) -> None:
    for prefix in layout.PREFIXES:
        assert template["Outputs"][f"Prefix{prefix.name}"]["Value"] == prefix.key
    assert {p.key for p in layout.PREFIXES} >= {
        "data/raw/",
        "data/processed/",
        "data/features/",
        "artifacts/models/bedrock-customized/",
        "artifacts/models/sagemaker-finetuned/",
        "artifacts/training-outputs/",
        "artifacts/checkpoints/",
        "inference/async/input/",
        "inference/async/output/",
        "inference/batch/input/",
        "inference/batch/output/",
        "inference/realtime/capture/",
        "configs/pipeline-definitions/",
        "configs/inference-configs/",
        "configs/training-configs/",
    }


def test_user_policy_is_exported_for_smus_under_the_environment_id(template: dict[str, Any]) -> None:
    output = template["Outputs"]["ProjectUserPolicyArn"]
    assert output["Export"]["Name"] == {
        "Fn::Sub": "datazone-managed-policy-genai-sandbox-${datazoneEnvironmentEnvironmentId}"
    }
    assert output["Value"]["Ref"].startswith("ProjectUserPolicy")


def test_registry_group_name_carries_project_and_scope(sandbox_template: Template) -> None:
    sandbox_template.has_resource_properties(
        "AWS::SageMaker::ModelPackageGroup",
        {"ModelPackageGroupName": {"Fn::Sub": "genai-sandbox-${datazoneEnvironmentProjectId}-${datazoneScopeName}"}},
    )


@pytest.mark.parametrize("resource_type", ["AWS::S3::Bucket", "AWS::KMS::Key", "AWS::SageMaker::ModelPackageGroup"])
def test_cost_allocation_tags_on_taggable_resources(template: dict[str, Any], resource_type: str) -> None:
    resources = [r for r in template["Resources"].values() if r["Type"] == resource_type]
    assert resources
    for resource in resources:
        tags = {t["Key"]: t["Value"] for t in resource["Properties"]["Tags"]}
        assert tags == {
            "Blueprint": "genai-sandbox",
            "Environment": {"Ref": "Environment"},
            "Project": {"Ref": "ProjectName"},
            "AmazonDataZoneProject": {"Ref": "datazoneEnvironmentProjectId"},
            "AmazonDataZoneDomain": {"Ref": "datazoneEnvironmentDomainId"},
            "AmazonDataZoneEnvironment": {"Ref": "datazoneEnvironmentEnvironmentId"},
        }


def _user_statements(template: dict[str, Any]) -> list[dict[str, Any]]:
    (policy,) = [r for k, r in template["Resources"].items() if k.startswith("ProjectUserPolicy")]
    statements: list[dict[str, Any]] = policy["Properties"]["PolicyDocument"]["Statement"]
    return statements


def _object_prefixes_with(template: dict[str, Any], action: str) -> set[str]:
    prefixes = set()
    for statement in _user_statements(template):
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        if action in actions:
            prefixes |= {r["Fn::Join"][1][1] for r in resources if isinstance(r, dict) and "Fn::Join" in r}
    return prefixes


def test_users_read_write_work_areas_submit_inputs_and_read_results(template: dict[str, Any]) -> None:
    assert _object_prefixes_with(template, "s3:PutObject") == {
        "/data/*",
        "/artifacts/*",
        "/configs/*",
        "/inference/async/input/*",
        "/inference/batch/input/*",
    }
    assert _object_prefixes_with(template, "s3:GetObject") == {
        "/data/*",
        "/artifacts/*",
        "/configs/*",
        "/inference/async/output/*",
        "/inference/batch/output/*",
        "/inference/realtime/capture/*",
    }
    assert _object_prefixes_with(template, "s3:DeleteObject") == {"/data/*", "/artifacts/*", "/configs/*"}


def test_users_get_no_service_wide_or_bucket_wide_power(template: dict[str, Any]) -> None:
    rendered = str(_user_statements(template))
    for forbidden in ("'s3:*'", "'kms:*'", "'sagemaker:*'", "'ecr:*'", "s3:DeleteObjectVersion", "s3:PutBucketPolicy"):
        assert forbidden not in rendered
    iam_statements = [s for s in _user_statements(template) if str(s["Action"]).startswith("iam:")]
    assert [s["Action"] for s in iam_statements] == ["iam:PassRole", "iam:GetRole"]
    assert all(s["Resource"]["Fn::GetAtt"][0].startswith("TrainingRole") for s in iam_statements)
    assert iam_statements[0]["Condition"] == {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}
    on_star = [s["Action"] for s in _user_statements(template) if s["Resource"] == "*"]
    assert on_star == [["ecr:GetAuthorizationToken", "sagemaker:ListModelPackages"]]
