"""The genai-sandbox blueprint's own parameters (network, governance, data sources) and their Rules."""

from __future__ import annotations

from aws_cdk import CfnRule, CfnRuleAssertion, Fn, Stack

from genai_sandbox_constructs.model_building.data_sources import MAX_GLUE_DATABASES
from genai_sandbox_constructs.network.sandbox_network import EXISTING_VPC, MODES, PROJECT_NETWORK

from .parameters import string_parameter

SUBNET = "subnet-[0-9a-f]{8,17}"
S3_ARN = "arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/[^,]{0,256})?"
GLUE_NAME = "[a-z0-9_-]{1,64}"
KMS_KEY_ARN = "arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/(mrk-[0-9a-f]{32}|[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12})"
S3_ARN_LIMIT = 10
EXISTING_VPC_FIELDS = ("ExistingVpcId", "ExistingSubnetIds", "ExistingSecurityGroupId")


def _list_pattern(item: str, most: int | None = None) -> str:
    """Empty, or up to ``most`` (default: any number of) comma-joined items without spaces."""
    repeat = f"{{0,{most - 1}}}" if most else "*"
    return f"^({item}(,{item}){repeat})?$"


class SandboxParameters:
    """Declares the parameters on ``stack``; attributes hold their values as tokens."""

    def __init__(self, stack: Stack) -> None:
        self.network_mode = string_parameter(
            stack,
            "NetworkMode",
            "Where sandbox workloads run. ProjectNetwork: the SMUS project's subnets and security group (Tooling "
            "exports). ExistingVpc: the VPC and subnets given below. NewVpc: a new isolated VPC in two AZs with an "
            "S3 gateway endpoint and 11 interface endpoints (about $7.3 per endpoint per AZ per month, $160 in all).",
            default=PROJECT_NETWORK,
            allowed_values=list(MODES),
            fixed_after_create=True,  # pattern environments import the resolved network, an export in use
        )
        self.existing_vpc_id = string_parameter(
            stack,
            "ExistingVpcId",
            "ExistingVpc mode only: the VPC id (vpc-...).",
            pattern="^(vpc-[0-9a-f]{8,17})?$",
            constraint="must be empty or a VPC id such as vpc-0123456789abcdef0",
            fixed_after_create=True,  # pattern environments import the resolved network, an export in use
        )
        self.existing_subnet_ids = string_parameter(
            stack,
            "ExistingSubnetIds",
            "ExistingVpc mode only: comma-joined private subnet ids of that VPC, no spaces (two AZs or more).",
            pattern=_list_pattern(SUBNET),
            constraint="must be empty or subnet ids such as "
            "subnet-0123456789abcdef0,subnet-0fedcba9876543210 (no spaces)",
            fixed_after_create=True,  # pattern environments import the resolved network, an export in use
        )
        self.existing_security_group_id = string_parameter(
            stack,
            "ExistingSecurityGroupId",
            "ExistingVpc mode only: security group for sandbox workloads (sg-...); empty creates one.",
            pattern="^(sg-[0-9a-f]{8,17})?$",
            constraint="must be empty or a security group id such as sg-0123456789abcdef0",
            fixed_after_create=True,  # pattern environments import the resolved network, an export in use
        )
        self.data_source_s3_arns = string_parameter(
            stack,
            "DataSourceS3Arns",
            f"Optional existing S3 data to read, up to {S3_ARN_LIMIT} comma-joined ARNs: arn:aws:s3:::bucket "
            "allows listing, arn:aws:s3:::bucket/prefix/* allows reading (SSE-KMS data also needs "
            "DataSourceKmsKeyArns).",
            pattern=_list_pattern(S3_ARN, S3_ARN_LIMIT),
            constraint=f"must be empty or up to {S3_ARN_LIMIT} comma-joined S3 ARNs such as "
            "arn:aws:s3:::my-bucket,arn:aws:s3:::my-bucket/raw/*",
            admin_only=True,  # reaches outside the sandbox: a creator could name another project's data
        )
        self.data_source_kms_key_arns = string_parameter(
            stack,
            "DataSourceKmsKeyArns",
            f"Optional KMS keys of SSE-KMS data in DataSourceS3Arns, up to {S3_ARN_LIMIT} comma-joined key ARNs; "
            "decryption is allowed only through S3 (the key policy must allow this account).",
            pattern=_list_pattern(KMS_KEY_ARN, S3_ARN_LIMIT),
            constraint=f"must be empty or up to {S3_ARN_LIMIT} comma-joined KMS key ARNs such as "
            "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            admin_only=True,  # reaches outside the sandbox: a creator could name another project's data
        )
        self.data_source_glue_databases = string_parameter(
            stack,
            "DataSourceGlueDatabases",
            f"Optional existing Glue databases to read (tables too), up to {MAX_GLUE_DATABASES} comma-joined names; "
            "Lake Formation grants still apply.",
            pattern=_list_pattern(GLUE_NAME, MAX_GLUE_DATABASES),
            constraint=f"must be empty or up to {MAX_GLUE_DATABASES} comma-joined Glue database names of 1-64 "
            "characters (a-z, 0-9, _ and -)",
            admin_only=True,  # reaches outside the sandbox: a creator could name another project's data
        )
        self._add_network_rules(stack)
        CfnRule(
            stack,
            "DataSourceKeysNeedS3DataSources",
            rule_condition=Fn.condition_not(Fn.condition_equals(self.data_source_kms_key_arns, "")),
            assertions=[
                CfnRuleAssertion(
                    assert_=Fn.condition_not(Fn.condition_equals(self.data_source_s3_arns, "")),
                    assert_description="DataSourceKmsKeyArns decrypts data in DataSourceS3Arns: give the S3 ARNs "
                    "too, or clear the keys.",
                )
            ],
        )

    def _add_network_rules(self, stack: Stack) -> None:
        is_existing = Fn.condition_equals(self.network_mode, EXISTING_VPC)
        CfnRule(
            stack,
            "ExistingVpcNeedsVpcAndSubnets",
            rule_condition=is_existing,
            assertions=[
                CfnRuleAssertion(
                    assert_=Fn.condition_not(Fn.condition_equals(value, "")),
                    assert_description=f"NetworkMode ExistingVpc needs {name}: {what}.",
                )
                for name, value, what in (
                    ("ExistingVpcId", self.existing_vpc_id, "the id of the VPC (vpc-...)"),
                    ("ExistingSubnetIds", self.existing_subnet_ids, "comma-joined private subnet ids of that VPC"),
                )
            ],
        )
        CfnRule(
            stack,
            "ExistingVpcFieldsOnlyInExistingVpcMode",
            rule_condition=Fn.condition_not(is_existing),
            assertions=[
                CfnRuleAssertion(
                    assert_=Fn.condition_equals(value, ""),
                    assert_description=f"{name} is only used with NetworkMode ExistingVpc: clear it or choose "
                    "ExistingVpc.",
                )
                for name, value in zip(
                    EXISTING_VPC_FIELDS,
                    (self.existing_vpc_id, self.existing_subnet_ids, self.existing_security_group_id),
                    strict=True,
                )
            ],
        )
