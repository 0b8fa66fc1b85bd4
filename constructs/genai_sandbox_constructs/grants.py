"""Where grants land: a managed policy (preferred: no inline policies) or any grantable principal."""

from __future__ import annotations

from typing import Any, cast
from weakref import WeakKeyDictionary

import jsii
from aws_cdk import Aws, CfnCondition, Fn, IResolvable, IResolveContext, Token
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


def via_service(service: str) -> str:
    """The ``kms:ViaService`` value of ``service`` in this region, in any partition (``AWS::URLSuffix``:
    ``amazonaws.com``, ``amazonaws.com.cn`` in China)."""
    return f"{service}.{Aws.REGION}.{Aws.URL_SUFFIX}"


@jsii.implements(IResolvable)
class _DocumentWithConditionalStatements:
    """Renders a managed policy's document followed by statements that exist only under their conditions."""

    creation_stack: tuple[str, ...] = ()

    def __init__(self, policy: iam.ManagedPolicy) -> None:
        self.policy = policy
        self.conditional: list[tuple[CfnCondition, iam.PolicyStatement]] = []

    def resolve(self, context: IResolveContext) -> Any:
        rendered = dict(context.resolve(self.policy.document))
        extra = [Fn.condition_if(c.logical_id, s.to_statement_json(), Aws.NO_VALUE) for c, s in self.conditional]
        return {**rendered, "Statement": [*rendered.get("Statement", []), *(context.resolve(e) for e in extra)]}

    def to_string(self) -> str:
        return Token.as_string(self)


_conditional_documents: WeakKeyDictionary[iam.ManagedPolicy, _DocumentWithConditionalStatements] = WeakKeyDictionary()


def add_conditional_statement(
    policy: iam.ManagedPolicy, condition: CfnCondition, statement: iam.PolicyStatement
) -> None:
    """Add ``statement`` to ``policy`` only where ``condition`` holds (``Fn::If`` in the document), so that one
    policy, such as one exported to SMUS, serves every branch of a template. The policy needs one statement of its
    own (``ManagedPolicy`` refuses an empty document)."""
    producer = _conditional_documents.get(policy)
    if producer is None:
        producer = _DocumentWithConditionalStatements(policy)
        _conditional_documents[policy] = producer
        cast(iam.CfnManagedPolicy, policy.node.default_child).policy_document = producer
    producer.conditional.append((condition, statement))
