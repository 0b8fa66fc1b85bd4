"""Apply a template's deploy-time constraints to a parameter set, as CloudFormation would before creating.

CloudFormation checks AllowedValues, AllowedPattern, MinLength/MaxLength, MinValue/MaxValue and the ``Rules``
section before it creates anything; moto checks none of them, so the tests use this evaluator instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

Value = str | list[str] | bool


def parameter_errors(template: Mapping[str, Any], given: Mapping[str, str]) -> list[str]:
    """Every constraint that ``given`` violates, each naming the parameter (or rule) and what is allowed."""
    declared: Mapping[str, Any] = template.get("Parameters", {})
    errors = [f"{name}: not a parameter of this template" for name in given if name not in declared]
    values: dict[str, Value] = {}
    for name, spec in declared.items():
        raw = given.get(name, spec.get("Default"))
        if raw is None:
            errors.append(f"{name}: required, no default")
            continue
        errors.extend(_constraint_errors(name, spec, str(raw)))
        values[name] = _typed(spec, str(raw))
    if errors:
        return errors
    return _rule_errors(template.get("Rules", {}), values)


def _typed(spec: Mapping[str, Any], raw: str) -> Value:
    if spec["Type"] == "CommaDelimitedList" or spec["Type"].startswith("List<"):
        return [item.strip() for item in raw.split(",")] if raw else []
    return raw


def _constraint_errors(name: str, spec: Mapping[str, Any], raw: str) -> list[str]:
    hint = spec.get("ConstraintDescription", "")
    items = _typed(spec, raw)
    problems = []
    for item in items if isinstance(items, list) else [raw]:
        allowed = [str(value) for value in spec.get("AllowedValues", [])]
        if allowed and item not in allowed:
            problems.append(f"{name}={item!r}: must be one of {', '.join(allowed)}")
        pattern = spec.get("AllowedPattern")
        if pattern is not None and not re.fullmatch(pattern, item):
            problems.append(f"{name}={item!r}: {hint or 'must match ' + pattern}")
    if "MinLength" in spec and len(raw) < int(spec["MinLength"]):
        problems.append(f"{name}={raw!r}: at least {spec['MinLength']} characters")
    if "MaxLength" in spec and len(raw) > int(spec["MaxLength"]):
        problems.append(f"{name}={raw!r}: at most {spec['MaxLength']} characters")
    if spec["Type"] == "Number":
        problems.extend(_number_errors(name, spec, raw))
    return problems


def _number_errors(name: str, spec: Mapping[str, Any], raw: str) -> list[str]:
    try:
        number = float(raw)
    except ValueError:
        return [f"{name}={raw!r}: must be a number"]
    low, high = spec.get("MinValue"), spec.get("MaxValue")
    if (low is not None and number < float(low)) or (high is not None and number > float(high)):
        return [f"{name}={raw!r}: must be between {low} and {high}"]
    return []


def _rule_errors(rules: Mapping[str, Any], values: Mapping[str, Value]) -> list[str]:
    errors = []
    for rule_name, rule in rules.items():
        if "RuleCondition" in rule and not evaluate(rule["RuleCondition"], values):
            continue
        for assertion in rule.get("Assertions", []):
            if not evaluate(assertion["Assert"], values):
                errors.append(f"{rule_name}: {assertion.get('AssertDescription', 'assertion failed')}")
    return errors


def evaluate(node: Any, values: Mapping[str, Value]) -> Any:
    """Evaluate a rule expression built from the rule-specific intrinsic functions."""
    if isinstance(node, str | bool | int | float):
        return node
    if isinstance(node, list):
        return [evaluate(item, values) for item in node]
    ((function, argument),) = node.items()
    if function == "Ref":
        return values[argument]
    if function not in RULE_FUNCTIONS:
        raise NotImplementedError(f"{function} is not a rule function CloudFormation evaluates in Rules")
    return RULE_FUNCTIONS[function]([evaluate(item, values) for item in argument])


def _each_member_in(args: list[Any]) -> bool:
    members, allowed = args
    return all(member in allowed for member in members)


RULE_FUNCTIONS: dict[str, Callable[[list[Any]], Any]] = {
    "Fn::Equals": lambda args: str(args[0]) == str(args[1]),
    "Fn::Not": lambda args: not args[0],
    "Fn::And": all,
    "Fn::Or": any,
    "Fn::Contains": lambda args: args[1] in args[0],
    "Fn::EachMemberEquals": lambda args: all(member == args[1] for member in args[0]),
    "Fn::EachMemberIn": _each_member_in,
}
