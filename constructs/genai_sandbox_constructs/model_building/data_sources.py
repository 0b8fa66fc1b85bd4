"""Optional read access to existing data sources: S3 locations and Glue databases given as parameters."""

from __future__ import annotations

from aws_cdk import Aws, CfnCondition, Fn, ICfnConditionExpression
from aws_cdk import aws_iam as iam
from constructs import Construct

from genai_sandbox_constructs import nag
from genai_sandbox_constructs.roles import conditional_policy

S3_READ_ACTIONS = ("s3:GetBucketLocation", "s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket")
MAX_GLUE_DATABASES = 10
"""Glue databases a sandbox can read; the parameter's pattern enforces it."""
GLUE_READ_ACTIONS = (
    "glue:BatchGetPartition",
    "glue:GetDatabase",
    "glue:GetPartition",
    "glue:GetPartitions",
    "glue:GetTable",
    "glue:GetTables",
)


class DataSourceAccess(Construct):
    """Managed policies that exist only when their input is not empty (S3 read, decryption with the keys of that
    S3 data, Glue read); each is attached to ``roles``."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        s3_arns: str,
        glue_databases: str,
        roles: list[iam.IRole],
        s3_key_arns: str = "",
    ) -> None:
        """:param s3_arns: comma-joined bucket ARNs (listing) and object ARNs (reading); may be empty (required).
        :param glue_databases: comma-joined Glue database names; may be empty (required).
        :param roles: roles that read the data sources (required).
        :param s3_key_arns: comma-joined KMS key ARNs that encrypt the S3 data (SSE-KMS); may be empty
            (default: none, for SSE-S3 or unencrypted data).
        """
        super().__init__(scope, construct_id)
        self.has_s3 = CfnCondition(self, "HasS3DataSources", expression=_not_empty(s3_arns))
        """S3 locations are given."""
        self.has_glue = CfnCondition(self, "HasGlueDatabases", expression=_not_empty(glue_databases))
        """Glue databases are given."""
        self.s3_policy = conditional_policy(
            self, "S3Read", condition=self.has_s3, roles=roles, description="Read existing S3 data sources"
        )
        """Reads the given S3 locations; exists only under ``has_s3``."""
        self.s3_policy.add_statements(
            iam.PolicyStatement(actions=list(S3_READ_ACTIONS), resources=Fn.split(",", s3_arns))
        )
        self._allow_decrypt(s3_key_arns, roles)
        self.glue_policy = conditional_policy(
            self, "GlueRead", condition=self.has_glue, roles=roles, description="Read existing Glue databases"
        )
        """Reads the given Glue databases and their tables; exists only under ``has_glue``."""
        self._allow_glue(glue_databases)

    def _allow_decrypt(self, s3_key_arns: str, roles: list[iam.IRole]) -> None:
        self.has_s3_keys = CfnCondition(self, "HasS3DataSourceKeys", expression=_not_empty(s3_key_arns))
        """KMS keys of SSE-KMS data sources are given."""
        self.s3_key_policy = conditional_policy(
            self,
            "S3Decrypt",
            condition=self.has_s3_keys,
            roles=roles,
            description="Decrypt SSE-KMS objects of existing S3 data sources",
        )
        """Decrypts with the given keys, only through S3; exists only under ``has_s3_keys``."""
        self.s3_key_policy.add_statements(
            iam.PolicyStatement(
                actions=["kms:Decrypt"],
                resources=Fn.split(",", s3_key_arns),
                conditions={"StringLike": {"kms:ViaService": f"s3.*.{Aws.URL_SUFFIX}"}},
            )
        )

    def _allow_glue(self, names: str) -> None:
        catalog = f"arn:{Aws.PARTITION}:glue:{Aws.REGION}:{Aws.ACCOUNT_ID}:catalog"
        databases = _each(names, "arn:${AWS::Partition}:glue:${AWS::Region}:${AWS::AccountId}:database/${Name}")
        tables = _each(names, "arn:${AWS::Partition}:glue:${AWS::Region}:${AWS::AccountId}:table/${Name}/*")
        self.glue_policy.add_statements(
            iam.PolicyStatement(actions=list(GLUE_READ_ACTIONS), resources=[catalog, *databases, *tables]),
            iam.PolicyStatement(actions=["lakeformation:GetDataAccess"], resources=["*"]),
        )
        nag.acknowledge(
            self.glue_policy,
            "lakeformation:GetDataAccess has no resource-level permissions; Lake Formation grants decide which "
            "tables the role may read.",
            nag.wildcard_resource_finding(self, "*"),
        )
        nag.acknowledge(
            self.glue_policy,
            "Read access covers the tables of the databases named in DataSourceGlueDatabases, whichever they hold.",
            *(nag.wildcard_resource_finding(self, table) for table in tables),
        )


def _not_empty(value: str) -> ICfnConditionExpression:
    return Fn.condition_not(Fn.condition_equals(value, ""))


def _each(names: str, template: str) -> list[str]:
    """One ARN per name slot: ``Fn::Sub`` of ``template`` with ``${Name}`` taken from the comma-joined ``names``.

    CloudFormation cannot map over a list and Fn::Join needs a literal delimiter, so the list is padded with empty
    names to ``MAX_GLUE_DATABASES`` slots; an empty slot yields an ARN that matches nothing.
    """
    padded = Fn.split(",", Fn.join(",", [names, "," * (MAX_GLUE_DATABASES - 1)]))
    return [Fn.sub(template, {"Name": Fn.select(slot, padded)}) for slot in range(MAX_GLUE_DATABASES)]
