"""Project members as resource-based policies name them: a wildcard principal narrowed by conditions.

Why not the role ARN: SMUS project roles carry the permissions boundary
``SageMakerStudioProjectUserRolePermissionsBoundary``, which allows same-account S3 objects only under the domain
bucket and KMS only on the project's own key. IAM User Guide, "How AWS enforcement code logic evaluates requests":
"Resource-based policies that grant permissions to an IAM role ARN are limited by an implicit deny in a permissions
boundary or session policy", but "Permissions boundaries and session policies do not limit permissions granted using
the aws:PrincipalArn condition key with a wildcard(*) in the Principal element, unless the identity-based policies
contain an explicit deny". Explicit denies (the boundary's ``NotDeniedOperations`` and
``DenyAllNonMatchingProjectTag``) still apply.

Why ``aws:PrincipalAccount`` too: S3 Block Public Access refuses a bucket policy that it judges public. The S3 User
Guide ("The meaning of public") calls a policy non-public when it grants only to fixed values of "An AWS principal,
user, role, or service principal (e.g. aws:PrincipalOrgID)", ``aws:SourceArn``, ``aws:SourceAccount``, ... A
wildcard ``aws:PrincipalArn`` is not fixed; a fixed ``aws:PrincipalAccount`` names the account principal, which that
first bullet covers (our reading: the page does not list ``aws:PrincipalAccount`` by name; see the README).
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Aws
from aws_cdk import aws_iam as iam


def project_members(role_arn_patterns: Sequence[str]) -> iam.IPrincipal:
    """Any principal of this account whose role ARN matches one of ``role_arn_patterns`` (``*`` allowed; tokens and
    ``Fn::If`` values work), for statements in bucket, key, topic or queue policies."""
    return iam.AnyPrincipal().with_conditions(
        {
            "StringEquals": {"aws:PrincipalAccount": Aws.ACCOUNT_ID},
            "ArnLike": {"aws:PrincipalArn": list(role_arn_patterns)},
        }
    )


def smus_project_role_pattern(project_id: str) -> str:
    """ARN pattern of the project user roles SMUS creates in Identity Center domains:
    ``datazone_usr_role_<projectId>_<environmentId>`` (one per Tooling environment)."""
    return f"arn:{Aws.PARTITION}:iam::{Aws.ACCOUNT_ID}:role/datazone_usr_role_{project_id}_*"
