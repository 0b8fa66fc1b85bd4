"""Make every CloudFormation resource under a construct conditional, so optional parts share one template."""

from __future__ import annotations

from typing import cast

import jsii
from aws_cdk import AspectPriority, Aspects, CfnCondition, CfnResource, Fn, IAspect, ICfnConditionExpression
from constructs import IConstruct


@jsii.implements(IAspect)
class _ConditionEveryResource:
    def __init__(self, condition: CfnCondition) -> None:
        self._condition = condition

    def visit(self, node: IConstruct) -> None:
        if isinstance(node, CfnResource) and node.cfn_options.condition is None:
            node.cfn_options.condition = self._condition


def make_conditional(scope: IConstruct, condition: CfnCondition) -> None:
    """Give every L1 resource under ``scope`` (now or added later) the ``condition``, unless it has its own."""
    Aspects.of(scope).add(_ConditionEveryResource(condition), priority=AspectPriority.MUTATING)


def expression(condition: CfnCondition) -> ICfnConditionExpression:
    """``condition`` as an operand of ``Fn.condition_*`` (it is one; the Python typing does not say so)."""
    return cast(ICfnConditionExpression, condition)


def any_equal(value: str, options: tuple[str, ...]) -> ICfnConditionExpression:
    """``Fn::Or`` of ``Fn::Equals`` in groups of ten (CloudFormation's limit per Fn::Or)."""
    groups = [options[i : i + 10] for i in range(0, len(options), 10)]
    ors = [
        Fn.condition_or(*(Fn.condition_equals(value, option) for option in group))
        if len(group) > 1
        else Fn.condition_equals(value, group[0])
        for group in groups
    ]
    return ors[0] if len(ors) == 1 else Fn.condition_or(*ors)
