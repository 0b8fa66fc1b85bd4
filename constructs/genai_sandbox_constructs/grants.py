"""Where grants land: a managed policy (preferred: no inline policies) or any grantable principal."""

from __future__ import annotations

from typing import Union

from aws_cdk import aws_iam as iam

PolicyTarget = Union[iam.ManagedPolicy, iam.IGrantable]
"""A managed policy to extend, or a principal whose own policy receives the statements."""


def attach(target: PolicyTarget, *statements: iam.PolicyStatement) -> None:
    """Add ``statements`` to ``target``."""
    for statement in statements:
        if isinstance(target, iam.ManagedPolicy):
            target.add_statements(statement)
        else:
            target.grant_principal.add_to_principal_policy(statement)
