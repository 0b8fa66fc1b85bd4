"""Where grants land: a managed policy (preferred: no inline policies) or any grantable principal."""

from __future__ import annotations

from typing import cast

from aws_cdk import aws_iam as iam
from constructs import IConstruct

PolicyTarget = iam.ManagedPolicy | iam.IGrantable
"""A managed policy to extend, or a principal whose own policy receives the statements."""


def attach(target: PolicyTarget, *statements: iam.PolicyStatement) -> None:
    """Add ``statements`` to ``target``."""
    for statement in statements:
        if isinstance(target, iam.ManagedPolicy):
            target.add_statements(statement)
        else:
            target.grant_principal.add_to_principal_policy(statement)


def owner(target: PolicyTarget) -> IConstruct:
    """The construct that holds ``target``'s statements, where nag findings about them are acknowledged."""
    return cast(IConstruct, target)
