"""Where grants land: a managed policy (preferred: no inline policies) or any grantable principal."""

from __future__ import annotations

from typing import Any, cast
from weakref import WeakKeyDictionary

import jsii
from aws_cdk import Aws, CfnCondition, Fn
from aws_cdk import aws_iam as iam
from constructs import IConstruct, IValidation

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


def via_service(service: str) -> str:
    """The ``kms:ViaService`` value of ``service`` in this region, in any partition (``AWS::URLSuffix``:
    ``amazonaws.com``, ``amazonaws.com.cn`` in China)."""
    return f"{service}.{Aws.REGION}.{Aws.URL_SUFFIX}"


@jsii.implements(IValidation)
class _ConditionalStatements:
    """Statements of a managed policy that exist only under their conditions, rendered after its own statements."""

    def __init__(self, policy: iam.ManagedPolicy) -> None:
        self.policy = policy
        self.statements: list[Any] = []
        self.rendered_own = 0

    def render(self) -> None:
        own = self.policy.document.to_json()
        self.rendered_own = int(self.policy.document.statement_count)
        cfn = cast(iam.CfnManagedPolicy, self.policy.node.default_child)
        cfn.policy_document = {**own, "Statement": [*own["Statement"], *self.statements]}

    def validate(self) -> list[str]:
        if self.policy.document.statement_count == self.rendered_own:
            return []
        return ["statements were added to this policy after add_conditional_statement rendered its document"]


_conditional: WeakKeyDictionary[iam.ManagedPolicy, _ConditionalStatements] = WeakKeyDictionary()


def add_conditional_statement(
    policy: iam.ManagedPolicy, condition: CfnCondition, statement: iam.PolicyStatement
) -> None:
    """Add ``statement`` to ``policy`` only where ``condition`` holds (``Fn::If`` with ``AWS::NoValue`` in the
    document), so that one policy, such as one exported to SMUS, serves every branch of a template.

    The document is rendered here, in full (rendering it lazily at synthesis cost a Python callback per resolution):
    add the policy's own statements first; one added later fails validation. The policy needs one statement of its
    own (``ManagedPolicy`` refuses an empty document)."""
    conditional = _conditional.get(policy)
    if conditional is None:
        conditional = _conditional[policy] = _ConditionalStatements(policy)
        policy.node.add_validation(conditional)
    conditional.statements.append(Fn.condition_if(condition.logical_id, statement.to_statement_json(), Aws.NO_VALUE))
    conditional.render()
