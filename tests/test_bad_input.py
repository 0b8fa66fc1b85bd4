"""Bad input gets a clear error naming the field and what is allowed, before anything is created.

Deploy-time parameters are checked with the template's own constraints (tests/helpers/parameters.py applies
them as CloudFormation would); synth-time configuration is checked by our Python code.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms

from blueprints.catalogue import Blueprint
from blueprints.synthesis import select_blueprints
from genai_sandbox_constructs import ConfigurationError, LifecycleDays, ModelRegistry, SandboxBucket
from genai_sandbox_constructs.inference.instance_types import HOSTING_INSTANCE_TYPES
from genai_sandbox_constructs.inference.serverless_endpoint import check_serverless_model
from genai_sandbox_constructs.model_source import ALL_FORMS, describe
from stacks.environment_settings import EnvironmentSettings
from stacks.genai_sandbox import GenAiSandboxStack
from tests.conftest import Synthesized
from tests.helpers.parameters import parameter_errors
from tests.helpers.stacks import new_stack

VALID = {
    "datazoneEnvironmentDomainId": "dzd_abc123def456gh",
    "datazoneEnvironmentProjectId": "b0ha7ujn4ek8xx",
    "datazoneEnvironmentEnvironmentId": "cbz7bj2nh1x1ev",
    "datazoneScopeName": "dev",
    "ProjectName": "fraud-detection",
    "Environment": "prod",
}

DEPLOY_TIME_CASES = [
    ("Environment", "production", "Environment='production': must be one of dev, staging, prod"),
    (
        "ProjectName",
        "Fraud_Detection",
        "ProjectName='Fraud_Detection': must be 2-32 lowercase letters, digits or hyphens, starting with a letter",
    ),
    (
        "ProjectName",
        "a" * 33,
        f"ProjectName='{'a' * 33}': must be 2-32 lowercase letters, digits or hyphens, starting with a letter",
    ),
    (
        "datazoneEnvironmentProjectId",
        "proj_1",
        "datazoneEnvironmentProjectId='proj_1': must be the project id, 1-36 letters, digits or hyphens",
    ),
    ("datazoneEnvironmentProjectId", None, "datazoneEnvironmentProjectId: required, no default"),
    (
        "datazoneEnvironmentEnvironmentId",
        "",
        "datazoneEnvironmentEnvironmentId='': must be the environment id, 1-36 letters, digits or hyphens",
    ),
    (
        "datazoneEnvironmentDomainId",
        "domain-1",
        "datazoneEnvironmentDomainId='domain-1': must be the domain id, dzd_ or dzd- and 1-36 more",
    ),
    (
        "datazoneScopeName",
        "dev-",
        "datazoneScopeName='dev-': must be the project scope, 1-12 letters, digits or inner hyphens; dev is the "
        "Tooling scope",
    ),
    ("Unknown", "x", "Unknown: not a parameter of this template"),
    ("NetworkMode", "Vpc", "NetworkMode='Vpc': must be one of ProjectNetwork, ExistingVpc, NewVpc"),
    ("ExistingVpcId", "vpc-12", "ExistingVpcId='vpc-12': must be empty or a VPC id such as vpc-0123456789abcdef0"),
    (
        "ExistingSubnetIds",
        "subnet-0123456789abcdef0, subnet-0fedcba987654321f",
        "ExistingSubnetIds='subnet-0123456789abcdef0, subnet-0fedcba987654321f': must be empty or subnet ids such "
        "as subnet-0123456789abcdef0,subnet-0fedcba9876543210 (no spaces)",
    ),
    (
        "ExistingSecurityGroupId",
        "default",
        "ExistingSecurityGroupId='default': must be empty or a security group id such as sg-0123456789abcdef0",
    ),
    (
        "PermissionsBoundaryArn",
        "arn:aws:iam::123456789012:role/Boundary",
        "PermissionsBoundaryArn='arn:aws:iam::123456789012:role/Boundary': must be empty or a managed policy ARN "
        "such as arn:aws:iam::123456789012:policy/SandboxBoundary",
    ),
    (
        "DataSourceS3Arns",
        "s3://bucket/prefix",
        "DataSourceS3Arns='s3://bucket/prefix': must be empty or up to 10 comma-joined S3 ARNs such as "
        "arn:aws:s3:::my-bucket,arn:aws:s3:::my-bucket/raw/*",
    ),
    (
        "DataSourceKmsKeyArns",
        "alias/data",
        "DataSourceKmsKeyArns='alias/data': must be empty or up to 10 comma-joined KMS key ARNs such as "
        "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    ),
    (
        "DataSourceGlueDatabases",
        ",".join(f"db{i}" for i in range(11)),
        "DataSourceGlueDatabases='db0,db1,db2,db3,db4,db5,db6,db7,db8,db9,db10': must be empty or up to 10 "
        "comma-joined Glue database names of 1-64 characters (a-z, 0-9, _ and -)",
    ),
]

EXISTING_VPC = {
    "NetworkMode": "ExistingVpc",
    "ExistingVpcId": "vpc-0123456789abcdef0",
    "ExistingSubnetIds": "subnet-0123456789abcdef0,subnet-0fedcba987654321f",
}

KEY_ARN = "arn:aws:kms:eu-west-1:123456789012:key/mrk-0123456789abcdef0123456789abcdef"

RULE_CASES = [
    (
        {**EXISTING_VPC, "ExistingVpcId": ""},
        ["ExistingVpcNeedsVpcAndSubnets: NetworkMode ExistingVpc needs ExistingVpcId: the id of the VPC (vpc-...)."],
    ),
    (
        {"NetworkMode": "ExistingVpc"},
        [
            "ExistingVpcNeedsVpcAndSubnets: NetworkMode ExistingVpc needs ExistingVpcId: the id of the VPC (vpc-...).",
            "ExistingVpcNeedsVpcAndSubnets: NetworkMode ExistingVpc needs ExistingSubnetIds: comma-joined private "
            "subnet ids of that VPC.",
        ],
    ),
    (
        {**EXISTING_VPC, "NetworkMode": "NewVpc", "ExistingSecurityGroupId": ""},
        [
            "ExistingVpcFieldsOnlyInExistingVpcMode: ExistingVpcId is only used with NetworkMode ExistingVpc: clear "
            "it or choose ExistingVpc.",
            "ExistingVpcFieldsOnlyInExistingVpcMode: ExistingSubnetIds is only used with NetworkMode ExistingVpc: "
            "clear it or choose ExistingVpc.",
        ],
    ),
    (EXISTING_VPC, []),
    (
        {"DataSourceKmsKeyArns": KEY_ARN},
        [
            "DataSourceKeysNeedS3DataSources: DataSourceKmsKeyArns decrypts data in DataSourceS3Arns: give the S3 "
            "ARNs too, or clear the keys."
        ],
    ),
    ({"DataSourceKmsKeyArns": KEY_ARN, "DataSourceS3Arns": "arn:aws:s3:::data/raw/*"}, []),
    ({**EXISTING_VPC, "ExistingSecurityGroupId": "sg-0123456789abcdef0"}, []),
    ({"NetworkMode": "NewVpc"}, []),
]


@pytest.mark.parametrize(("given", "expected"), RULE_CASES)
def test_network_rules_say_what_to_fix(synthesized: Synthesized, given: dict[str, str], expected: list[str]) -> None:
    assert parameter_errors(synthesized.templates["genai-sandbox"], {**VALID, **given}) == expected


@pytest.mark.parametrize(("field", "value", "message"), DEPLOY_TIME_CASES)
def test_bad_parameter_values_are_named_with_what_is_allowed(
    synthesized: Synthesized, field: str, value: str | None, message: str
) -> None:
    given = {k: v for k, v in VALID.items() if k != field}
    if value is not None:
        given[field] = value
    assert parameter_errors(synthesized.templates["genai-sandbox"], given) == [message]


def test_valid_parameters_pass(synthesized: Synthesized) -> None:
    assert parameter_errors(synthesized.templates["genai-sandbox"], VALID) == []


def test_all_bad_parameters_are_reported_at_once(synthesized: Synthesized) -> None:
    given = {**VALID, "Environment": "qa", "ProjectName": "X", "datazoneScopeName": "no spaces"}
    assert len(parameter_errors(synthesized.templates["genai-sandbox"], given)) == 3


def _grant_outside_layout() -> None:
    stack = new_stack()
    bucket = SandboxBucket(stack, "Storage", encryption_key=kms.Key(stack, "Key"))
    bucket.grant_read(iam.ManagedPolicy(stack, "Policy"), "logs/")


SYNTH_TIME_CASES: list[tuple[str, Callable[[], Any], list[str]]] = [
    (
        "lifecycle transition below the STANDARD_IA minimum",
        lambda: LifecycleDays(inference_transition_days=7),
        ["inference_transition_days=7", "at least 30"],
    ),
    (
        "lifecycle expiry before transition, and a fractional day",
        lambda: LifecycleDays(inference_expiration_days=20, noncurrent_version_expiration_days=0.5),
        ["inference_expiration_days=20: must be more than", "noncurrent_version_expiration_days=0.5: must be a whole"],
    ),
    ("grant outside the layout", _grant_outside_layout, ["prefix='logs/'", "data/, artifacts/, configs/, inference/"]),
    (
        "registry group name with illegal characters",
        lambda: ModelRegistry(new_stack(), "Registry", group_name="my_models!", description="m"),
        ["group_name='my_models!'", "1-63 characters"],
    ),
    (
        "blueprint with a bad name, empty description and an unordered ON_CREATE",
        lambda: Blueprint("Bad Name", "", GenAiSandboxStack, "ON_CREATE"),
        ["name='Bad Name'", "description=''", "deployment_order=None"],
    ),
    (
        "blueprint with an unknown deployment mode",
        lambda: Blueprint("x", "d", GenAiSandboxStack, "SOMETIMES"),  # type: ignore[arg-type]
        ["deployment_mode='SOMETIMES': one of ON_CREATE, ON_DEMAND"],
    ),
    ("unknown blueprint selected", lambda: select_blueprints("sandbox"), ["blueprint='sandbox': one of genai-sandbox"]),
    (
        "unknown environment settings column",
        lambda: EnvironmentSettings(new_stack(), "dev", ["RetentionDays"]),
        ["columns='RetentionDays': one of AccessLogExpirationDays"],
    ),
]


@pytest.mark.parametrize(("case", "build", "fragments"), SYNTH_TIME_CASES, ids=[c[0] for c in SYNTH_TIME_CASES])
def test_bad_configuration_fails_at_synth_time_with_every_problem(
    case: str, build: Callable[[], Any], fragments: list[str]
) -> None:
    with pytest.raises(ConfigurationError) as error:
        build()
    for fragment in fragments:
        assert fragment in str(error.value), case


PATTERN_VALID = {k: v for k, v in VALID.items() if k in ("datazoneEnvironmentDomainId", "datazoneEnvironmentProjectId")}
PATTERN_VALID |= {"datazoneEnvironmentEnvironmentId": "cbz7bj2nh1x1ev"}
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/my-model:1"
ARTIFACT = "artifacts/models/sagemaker-finetuned/m/model.tar.gz"
PACKAGE = "arn:aws:sagemaker:us-east-1:123456789012:model-package/genai-sandbox-p-dev/3"
SAGEMAKER = {"ModelSource": "SageMaker", "ModelPackageArn": PACKAGE}

PATTERN_CASES = [
    (
        "realtime-inference",
        {"BedrockModelId": "gpt-4"},
        [f"BedrockModelId='gpt-4': must be one of: {describe(ALL_FORMS)}"],
    ),
    (
        "realtime-inference",
        {"GuardrailId": "abcd1234efgh", "GuardrailVersion": "latest"},
        ["GuardrailVersion='latest': must be DRAFT or a version number"],
    ),
    (
        "realtime-inference",
        {
            "ModelSource": "SageMaker",
            "ContainerImageUri": "docker.io/library/python:3.12",
            "ModelArtifactKey": ARTIFACT,
        },
        [
            "ContainerImageUri='docker.io/library/python:3.12': must be empty or an ECR image URI such as "
            "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.3-cpu-py311"
        ],
    ),
    (
        "realtime-inference",
        {"ModelSource": "SageMaker", "ContainerImageUri": IMAGE, "ModelArtifactKey": "data/raw/model.tar.gz"},
        [
            "ModelArtifactKey='data/raw/model.tar.gz': must be empty or a key such as "
            "artifacts/models/sagemaker-finetuned/my-model/model.tar.gz"
        ],
    ),
    (
        "realtime-inference",
        {"InstanceType": "m5.xlarge"},
        [f"InstanceType='m5.xlarge': must be one of {', '.join(HOSTING_INSTANCE_TYPES)}"],
    ),
    (
        "realtime-inference",
        {"ModelSource": "SageMaker", "ContainerImageUri": IMAGE},
        [
            "SageMakerNeedsAModel: ModelSource SageMaker needs ContainerImageUri and ModelArtifactKey, or "
            "ModelPackageArn."
        ],
    ),
    (
        "serverless-inference",
        {
            "ModelSource": "SageMaker",
            "ContainerImageUri": IMAGE,
            "ModelArtifactKey": ARTIFACT,
            "ModelPackageArn": PACKAGE,
        },
        ["SageMakerNeedsAModel: Give either ModelPackageArn or ContainerImageUri with ModelArtifactKey, not both."],
    ),
    (
        "serverless-inference",
        {"ModelArtifactKey": ARTIFACT},
        [
            "BedrockTakesNoSageMakerModel: ModelArtifactKey is only used with ModelSource SageMaker: clear it or "
            "choose SageMaker."
        ],
    ),
    (
        "serverless-inference",
        {**SAGEMAKER, "ProvisionedConcurrency": "50", "MaxConcurrency": "10"},
        ["ProvisionedConcurrencyFitsMaximum: ProvisionedConcurrency 50 needs MaxConcurrency 50 or more."],
    ),
    (
        "serverless-inference",
        {"MemorySizeInMB": "1000"},
        [
            "MemorySizeInMB='1000': must be one of 1024, 2048, 3072, 4096, 5120, 6144",
            "MemorySizeInMB='1000': must be between 1024 and 6144",
        ],
    ),
    ("serverless-inference", {"MaxConcurrency": "201"}, ["MaxConcurrency='201': must be between 1 and 200"]),
    ("serverless-inference", {"ModelSource": "SageMaker", "ModelPackageArn": PACKAGE}, []),
    (
        "realtime-inference",
        {**SAGEMAKER, "MinInstanceCount": "3", "MaxInstanceCount": "2"},
        ["MaxInstancesFitMinimum: MinInstanceCount 3 needs MaxInstanceCount 3 or more."],
    ),
    (
        "realtime-inference",
        {**SAGEMAKER, "Environment": "prod", "MaxInstanceCount": "1"},
        [
            "MaxInstancesFitMinimum: Environment prod starts 2 instances (MinInstanceCount 0): MaxInstanceCount needs "
            "2 or more."
        ],
    ),
    ("realtime-inference", {**SAGEMAKER, "Environment": "dev", "MaxInstanceCount": "1"}, []),
    ("realtime-inference", {"Environment": "prod", "MaxInstanceCount": "1"}, []),  # Bedrock scales nothing
    ("serverless-inference", {**SAGEMAKER, "ProvisionedConcurrency": "10", "MaxConcurrency": "10"}, []),
    ("serverless-inference", {"ProvisionedConcurrency": "50", "MaxConcurrency": "10"}, []),  # Bedrock
    # Rules compare the strings given: a leading zero or a decimal would slip past them, so it is refused by name.
    (
        "realtime-inference",
        {**SAGEMAKER, "MinInstanceCount": "010", "MaxInstanceCount": "10"},
        [
            "MinInstanceCountIsPlain: MinInstanceCount must be a whole number from 0 to 20 without leading zeros or "
            "decimals, such as 2 (not 02 or 2.0)."
        ],
    ),
    (
        "realtime-inference",
        {**SAGEMAKER, "MinInstanceCount": "10", "MaxInstanceCount": "010"},
        [
            "MaxInstanceCountIsPlain: MaxInstanceCount must be a whole number from 1 to 20 without leading zeros or "
            "decimals, such as 2 (not 02 or 2.0).",
            "MaxInstancesFitMinimum: MinInstanceCount 10 needs MaxInstanceCount 10 or more.",
        ],
    ),
    (
        "serverless-inference",
        {**SAGEMAKER, "MaxConcurrency": "5.0"},
        [
            "MaxConcurrencyIsPlain: MaxConcurrency must be a whole number from 1 to 200 without leading zeros or "
            "decimals, such as 2 (not 02 or 2.0)."
        ],
    ),
    (
        "async-inference",
        {**SAGEMAKER, "MinInstanceCount": "3", "MaxInstanceCount": "2"},
        ["MaxInstancesFitMinimum: MinInstanceCount 3 needs MaxInstanceCount 3 or more."],
    ),
    ("async-inference", {"MinInstanceCount": "3", "MaxInstanceCount": "2"}, []),  # Bedrock scales nothing
    ("async-inference", {**SAGEMAKER, "MinInstanceCount": "0", "MaxInstanceCount": "1"}, []),
    (
        "async-inference",
        {
            "InvocationTimeoutSeconds": "3601",
            "RequestTTLSeconds": "59",
            "MaxConcurrentInvocationsPerInstance": "0",
            "NotificationEmail": "not-an-address",
        },
        [
            "MaxConcurrentInvocationsPerInstance='0': must be between 1 and 1000",
            "InvocationTimeoutSeconds='3601': must be between 1 and 3600",
            "RequestTTLSeconds='59': must be between 60 and 21600",
            "NotificationEmail='not-an-address': NotificationEmail must be empty or an email address such as "
            "team@example.com.",
        ],
    ),
    ("async-inference", {"NotificationEmail": "ml-team@example.com"}, []),
]


@pytest.mark.parametrize(("pattern", "given", "expected"), PATTERN_CASES)
def test_pattern_parameters_say_what_to_fix(
    synthesized: Synthesized, pattern: str, given: dict[str, str], expected: list[str]
) -> None:
    assert parameter_errors(synthesized.templates[pattern], {**PATTERN_VALID, **given}) == expected


def test_serverless_guardrails_name_every_unsupported_feature() -> None:
    with pytest.raises(ConfigurationError) as error:
        check_serverless_model(subnet_ids=["subnet-1"], network_isolation=True)
    assert error.value.problems == [
        "subnet_ids=['subnet-1']: must be None: serverless endpoints cannot run in a VPC",
        "network_isolation=True: must be False: serverless endpoints cannot be isolated",
    ]
