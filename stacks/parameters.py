"""One way to declare String, Number and switch parameters with their constraints, for every blueprint."""

from __future__ import annotations

from dataclasses import dataclass, field
from weakref import WeakKeyDictionary

from aws_cdk import CfnCondition, CfnParameter, CfnRule, CfnRuleAssertion, Fn, ICfnRuleConditionExpression, Stack


@dataclass
class ParameterPolicy:
    """How SMUS may let people set a stack's parameters, declared where each parameter is declared."""

    admin_only: set[str] = field(default_factory=set)
    """Set only by a domain admin, as non-editable overrides in the project profile (the manifest's
    ``profileParameterOverrides``): governance that a project creator must not loosen."""
    fixed_after_create: set[str] = field(default_factory=set)
    """Their change after creation would fail the update or break importers (``isUpdateSupported`` false)."""


_policies: WeakKeyDictionary[Stack, ParameterPolicy] = WeakKeyDictionary()


def parameter_policy(stack: Stack) -> ParameterPolicy:
    """The parameter policy of ``stack`` (empty until parameters declare theirs)."""
    return _policies.setdefault(stack, ParameterPolicy())


def _declare(stack: Stack, name: str, *, admin_only: bool, fixed_after_create: bool) -> None:
    policy = parameter_policy(stack)
    if admin_only:
        policy.admin_only.add(name)
    if fixed_after_create:
        policy.fixed_after_create.add(name)


def string_parameter(
    stack: Stack,
    name: str,
    description: str,
    *,
    default: str = "",
    pattern: str | None = None,
    constraint: str | None = None,
    allowed_values: list[str] | None = None,
    admin_only: bool = False,
    fixed_after_create: bool = False,
) -> str:
    """Declare ``name`` on ``stack`` and return its value token; ``admin_only`` and ``fixed_after_create`` go to the
    stack's ``parameter_policy``."""
    _declare(stack, name, admin_only=admin_only, fixed_after_create=fixed_after_create)
    return CfnParameter(
        stack,
        name,
        description=description,
        default=default,
        allowed_pattern=pattern,
        constraint_description=constraint,
        allowed_values=allowed_values,
    ).value_as_string


def number_parameter(
    stack: Stack,
    name: str,
    description: str,
    *,
    default: int,
    low: int,
    high: int,
    allowed_values: list[int] | None = None,
    compared_in_rules: bool = False,
) -> float:
    """Declare a Number parameter from ``low`` to ``high`` (optionally one of ``allowed_values``); return its token.

    ``compared_in_rules``: Rules compare values as the strings given, so ``010`` or ``10.0`` (valid Numbers) would
    slip past them: a Rule then requires the plain form (``Fn::Contains`` of every whole number in the range).
    """
    if compared_in_rules:
        plain = [str(n) for n in (allowed_values or range(low, high + 1))]
        CfnRule(
            stack,
            f"{name}IsPlain",
            assertions=[
                CfnRuleAssertion(
                    assert_=Fn.condition_contains(plain, Fn.ref(name)),
                    assert_description=f"{name} must be a whole number from {low} to {high} without leading zeros "
                    "or decimals, such as 2 (not 02 or 2.0).",
                )
            ],
        )
    return CfnParameter(
        stack,
        name,
        type="Number",
        description=description,
        default=str(default) if allowed_values else default,  # AllowedValues are strings: so is the default
        min_value=low,
        max_value=high,
        allowed_values=[str(value) for value in allowed_values] if allowed_values else None,
    ).value_as_number


def switch_parameter(stack: Stack, name: str, description: str, *, default: bool, condition_id: str) -> CfnCondition:
    """Declare a ``true``/``false`` parameter and return the condition ``condition_id`` that holds when it is true."""
    value = string_parameter(stack, name, description, default=str(default).lower(), allowed_values=["true", "false"])
    return CfnCondition(stack, condition_id, expression=Fn.condition_equals(value, "true"))


def at_least(name: str, minimum: int, high: int) -> ICfnRuleConditionExpression:
    """Parameter ``name`` is ``minimum`` or more (Rules cannot compare numbers: the plain values up to ``high`` are
    listed)."""
    return Fn.condition_contains([str(n) for n in range(minimum, high + 1)], Fn.ref(name))


def minimum_fits_maximum(minimum: str, maximum: str, high: int) -> list[CfnRuleAssertion]:
    """One assertion per value of ``minimum`` from 2 to ``high``: ``maximum`` is that value or more (both declared
    with ``compared_in_rules``)."""
    return [
        CfnRuleAssertion(
            assert_=Fn.condition_or(
                Fn.condition_not(Fn.condition_equals(Fn.ref(minimum), str(n))), at_least(maximum, n, high)
            ),
            assert_description=f"{minimum} {n} needs {maximum} {n} or more.",
        )
        for n in range(2, high + 1)
    ]
