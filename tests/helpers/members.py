"""Project members and their requests, evaluated against deployed templates, SMUS's policies and its boundary."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .deployed import ACCOUNT, REGION, Deployed
from .iam_evaluator import Policy, Request, Result, evaluate

FIXTURES = Path(__file__).parent.parent / "fixtures" / "smus_policies"
DOMAIN = "dzd_4p7fe2bcd1"
DOMAIN_BUCKET = f"amazon-sagemaker-{ACCOUNT}-{REGION}-5f1e9d0a2b3c"
MANAGED_POLICY_EXPORT = "datazone-managed-policy-"


def smus_policy(name: str) -> Policy:
    """One of the vendored AWS managed policies (see ``tests/fixtures/smus_policies/README.md``)."""
    loaded: Policy = json.loads((FIXTURES / f"{name}.json").read_text())
    return loaded


@dataclass(frozen=True)
class Member:
    """A person acting through a project role: its ARN, principal tags, identity policies and boundary."""

    role_arn: str
    tags: Mapping[str, str]
    identity_policies: Sequence[Policy]
    boundary: Policy | None

    @property
    def session_arn(self) -> str:
        """The assumed-role session of one person."""
        role_name = self.role_arn.rsplit("/", 1)[1]
        return f"arn:aws:sts::{ACCOUNT}:assumed-role/{role_name}/alice@example.com"

    def request(self, action: str, resource: str, **context: str | Sequence[str] | bool) -> Request:
        """A request over TLS, to a resource of this account, carrying this member's principal tags and
        ``context`` (``aws:ResourceAccount`` is in every request to our resources; S3 ARNs carry no account)."""
        keys: dict[str, str | Sequence[str] | bool] = {f"aws:PrincipalTag/{k}": v for k, v in self.tags.items()}
        keys |= {"aws:SecureTransport": True, "aws:RequestedRegion": REGION, "aws:ResourceAccount": ACCOUNT}
        return Request(action, resource, self.role_arn, self.session_arn, keys | context)


def smus_member(project_id: str, extra_policies: Sequence[Policy] = ()) -> Member:
    """A member of an SMUS project in an Identity Center domain: ``datazone_usr_role_<project>_<tooling env>``,
    SMUS's two policies plus ``extra_policies`` (what SMUS attached from our exports), and SMUS's boundary."""
    return Member(
        role_arn=f"arn:aws:iam::{ACCOUNT}:role/datazone_usr_role_{project_id}_b8t0oling4env",
        tags={
            "AmazonDataZoneProject": project_id,
            "AmazonDataZoneDomain": DOMAIN,
            "AmazonDataZoneEnvironment": "b8t0oling4env",
            "AmazonDataZoneScopeName": "dev",
            "DomainBucketName": DOMAIN_BUCKET,
            "KmsKeyId": "0f0e0d0c-1111-2222-3333-444455556666",
            "EnableSageMakerMLWorkloadsPermissions": "true",
            "EnableAmazonBedrockPermissions": "true",
        },
        identity_policies=[
            smus_policy("SageMakerStudioProjectUserRolePolicy"),
            smus_policy("SageMakerStudioProjectRoleMachineLearningPolicy"),
            *extra_policies,
        ],
        boundary=smus_policy("SageMakerStudioProjectUserRolePermissionsBoundary"),
    )


def exported_member_policies(deployed: Deployed) -> list[Policy]:
    """The documents of the managed policies a template exports for SMUS to attach to the project role."""
    outputs = deployed.evaluated.template.get("Outputs", {})
    return [
        deployed.properties(output["Value"]["Ref"])["PolicyDocument"]
        for output in outputs.values()
        if "Export" in output
        and str(deployed.value(output["Export"]["Name"])).startswith(MANAGED_POLICY_EXPORT)
        and ("Condition" not in output or deployed.evaluated.condition(output["Condition"]))
    ]


@dataclass
class Sandbox:
    """A deployed genai-sandbox environment: its bucket, key, tags and policies."""

    deployed: Deployed
    bucket_id: str = field(init=False)
    key_id: str = field(init=False)

    def __post_init__(self) -> None:
        self.bucket_id = _only(self.deployed.of_type("AWS::S3::Bucket"), "StorageBucket")
        self.key_id = _only(self.deployed.of_type("AWS::KMS::Key"), "Key")

    @property
    def bucket_arn(self) -> str:
        """ARN of the sandbox bucket."""
        return self.deployed.attribute(self.bucket_id, "Arn")

    @property
    def key_arn(self) -> str:
        """ARN of the sandbox key."""
        return self.deployed.attribute(self.key_id, "Arn")

    def bucket_policy(self) -> Policy:
        """The sandbox bucket's policy."""
        name = self.deployed.ref(self.bucket_id)
        policies = self.deployed.of_type("AWS::S3::BucketPolicy").values()
        document: Policy = next(p["PolicyDocument"] for p in policies if p["Bucket"] == name)
        return document

    def s3(self, member: Member, action: str, key: str, **context: Any) -> Result:
        """``action`` on object ``key`` (or, for ``s3:ListBucket``, the bucket with ``s3:prefix`` = ``key``)."""
        if action == "s3:ListBucket":
            request = member.request(action, self.bucket_arn, **{"s3:prefix": key}, **context)
        else:
            request = member.request(action, f"{self.bucket_arn}/{key}", **context)
        return evaluate(
            request,
            identity_policies=member.identity_policies,
            boundary=member.boundary,
            resource_policy=self.bucket_policy(),
        )

    def kms_through_s3(self, member: Member, action: str) -> Result:
        """``action`` on the sandbox key, called by S3 on the member's behalf (SSE-KMS with a bucket key)."""
        request = member.request(
            action,
            self.key_arn,
            **{
                "kms:ViaService": f"s3.{REGION}.amazonaws.com",
                "kms:CallerAccount": ACCOUNT,
                "kms:EncryptionContextKeys": ["aws:s3:arn"],
                "kms:EncryptionContext:aws:s3:arn": self.bucket_arn,
            },
            **self.deployed.tag_context(self.key_id),
        )
        key_policy = self.deployed.properties(self.key_id)["KeyPolicy"]
        return evaluate(
            request,
            identity_policies=member.identity_policies,
            boundary=member.boundary,
            resource_policy=key_policy,
            resource_is_kms_key=True,
        )


def identity_only(member: Member, action: str, resource: str, **context: Any) -> Result:
    """A request decided by identity policies and the boundary alone (no resource policy)."""
    return evaluate(
        member.request(action, resource, **context),
        identity_policies=member.identity_policies,
        boundary=member.boundary,
    )


def _only(resources: Mapping[str, Any], prefix: str) -> str:
    (logical_id,) = [name for name in resources if name.startswith(prefix)]
    return logical_id
