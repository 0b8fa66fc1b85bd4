"""Roles and managed policies built the same way everywhere: service roles bound to this account, and policies
that exist only under a condition."""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from aws_cdk import Aws, CfnCondition
from aws_cdk import aws_iam as iam
from constructs import Construct


def sagemaker_role(scope: Construct, construct_id: str, description: str, role_name: str | None = None) -> iam.Role:
    """A role only SageMaker of this account may assume (``aws:SourceAccount``).

    :param scope: parent construct. :param construct_id: id of the role. :param description: what the role is for.
    :param role_name: physical name. Default: CloudFormation names it.
    """
    return iam.Role(
        scope,
        construct_id,
        assumed_by=iam.ServicePrincipal(
            "sagemaker.amazonaws.com", conditions={"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}}
        ),
        description=description,
        role_name=role_name,
    )


def conditional_policy(
    scope: Construct, construct_id: str, *, condition: CfnCondition, roles: Sequence[iam.IRole], description: str
) -> iam.ManagedPolicy:
    """A managed policy attached to ``roles`` that exists only when ``condition`` holds.

    :param condition: when the policy exists. :param roles: roles it is attached to (they must exist whenever the
        condition holds). :param description: what the policy allows.
    """
    policy = iam.ManagedPolicy(scope, construct_id, description=description, roles=list(roles))
    cast(iam.CfnManagedPolicy, policy.node.default_child).cfn_options.condition = condition
    return policy
