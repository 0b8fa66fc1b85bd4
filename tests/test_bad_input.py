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
    bucket.grant_read("logs/", iam.ManagedPolicy(stack, "Policy"))


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
