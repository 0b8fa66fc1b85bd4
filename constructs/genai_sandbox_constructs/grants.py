"""Where grants land: a managed policy (preferred: no inline policies) or any grantable principal; every grant
returns an ``iam.Grant`` in aws-cdk-lib's shape."""

from __future__ import annotations

from collections.abc import Sequence
from functools import reduce
from typing import Any, cast
from weakref import WeakKeyDictionary

import jsii
from aws_cdk import Aws, CfnCondition, Fn
from aws_cdk import aws_iam as iam
from constructs import IConstruct, IValidation

PolicyTarget = iam.ManagedPolicy | iam.IGrantable
"""A grantee: any ``iam.IGrantable`` (a role, a function), or a managed policy that receives the statements itself."""


@jsii.implements(iam.IPrincipal)
class _ManagedPolicyPrincipal:
    """A managed policy as the principal of a grant: statements land in the policy, which is what later resources
    wait for (``Grant.apply_before``)."""

    def __init__(self, policy: iam.ManagedPolicy) -> None:
        self._policy = policy

    @property
    def assume_role_action(self) -> str:
        return "sts:AssumeRole"

    @property
    def grant_principal(self) -> iam.IPrincipal:
        return cast(iam.IPrincipal, self)

    @property
    def policy_fragment(self) -> iam.PrincipalPolicyFragment:
        return iam.PrincipalPolicyFragment({})

    @property
    def principal_account(self) -> str | None:
        return None

    def add_to_policy(self, statement: iam.PolicyStatement) -> bool:
        return self.add_to_principal_policy(statement).statement_added

    def add_to_principal_policy(self, statement: iam.PolicyStatement) -> iam.AddToPrincipalPolicyResult:
        self._policy.add_statements(statement)
        return iam.AddToPrincipalPolicyResult(statement_added=True, policy_dependable=self._policy)


def grantee(target: PolicyTarget) -> iam.IGrantable:
    """``target`` as an ``iam.IGrantable``."""
    if isinstance(target, iam.ManagedPolicy):
        return cast(iam.IGrantable, _ManagedPolicyPrincipal(target))
    return target


def attach(target: PolicyTarget, *statements: iam.PolicyStatement) -> iam.Grant:
    """Add ``statements`` (Allow, without principals) to ``target``; one ``iam.Grant`` covers them all."""
    principal = grantee(target)
    grants = [
        iam.Grant.add_to_principal(
            grantee=principal,
            actions=statement.actions,
            resource_arns=statement.resources,
            conditions=statement.conditions or None,
        )
        for statement in statements
    ]
    return reduce(lambda combined, grant: combined.combine(grant), grants)


def grant_publish(target: PolicyTarget, topic_arns: Sequence[str], key_arn: str) -> iam.Grant:
    """Let ``target`` publish to ``topic_arns``, encrypted with ``key_arn`` (used through SNS only)."""
    return attach(
        target,
        iam.PolicyStatement(actions=["sns:Publish"], resources=list(topic_arns)),
        iam.PolicyStatement(
            actions=["kms:Decrypt", "kms:GenerateDataKey"],
            resources=[key_arn],
            conditions={"StringEquals": {"kms:ViaService": via_service("sns")}},
        ),
    )


def in_resource_policy(
    principal: iam.IPrincipal, resource: iam.IResourceWithPolicyV2, *statements: iam.PolicyStatement
) -> iam.Grant:
    """Add ``statements`` for ``principal`` to ``resource``'s own policy (bucket, key, topic, queue): for principals
    that hold no policy of their own, such as a wildcard narrowed by conditions."""
    for statement in statements:
        statement.add_principals(principal)  # merges the principal's conditions into the statement's own
    grants = [
        iam.Grant.add_statement_to_resource_policy(
            grantee=principal,
            statement=statement,
            resource=resource,
            actions=statement.actions,
            resource_arns=statement.resources,
        )
        for statement in statements
    ]
    return reduce(lambda combined, grant: combined.combine(grant), grants)


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
