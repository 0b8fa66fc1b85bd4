"""The deploy-time evaluator used by the bad-input tests must itself be able to fail."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers.parameters import evaluate, parameter_errors

TEMPLATE: dict[str, Any] = {
    "Parameters": {
        "Mode": {"Type": "String", "AllowedValues": ["A", "B"], "Default": "A"},
        "Ids": {"Type": "CommaDelimitedList", "Default": "", "AllowedPattern": "^id-[0-9]+$"},
        "Size": {"Type": "Number", "MinValue": 1, "MaxValue": 10, "Default": 5},
        "Name": {"Type": "String", "MinLength": 2, "MaxLength": 4, "Default": "abc"},
    },
    "Rules": {
        "ModeBNeedsIds": {
            "RuleCondition": {"Fn::Equals": [{"Ref": "Mode"}, "B"]},
            "Assertions": [
                {
                    "Assert": {"Fn::Not": [{"Fn::Equals": [{"Fn::Join": [",", {"Ref": "Ids"}]}, ""]}]},
                    "AssertDescription": "Mode B needs Ids",
                }
            ],
        },
        "SizeInSet": {
            "Assertions": [
                {"Assert": {"Fn::Contains": [["5", "6"], {"Ref": "Size"}]}, "AssertDescription": "Size is 5 or 6"}
            ]
        },
    },
}


def test_defaults_pass() -> None:
    assert parameter_errors(TEMPLATE, {}) == []


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ({"Mode": "C"}, "Mode='C': must be one of A, B"),
        ({"Size": "11"}, "Size='11': must be between 1 and 10"),
        ({"Size": "x"}, "Size='x': must be a number"),
        ({"Name": "a"}, "Name='a': at least 2 characters"),
        ({"Name": "abcde"}, "Name='abcde': at most 4 characters"),
        ({"Ids": "id-1,bad"}, "Ids='bad': must match ^id-[0-9]+$"),
        ({"Size": "6", "Mode": "A"}, None),
    ],
)
def test_constraints(given: dict[str, str], expected: str | None) -> None:
    errors = parameter_errors(TEMPLATE, given)
    assert errors == ([expected] if expected else [])


def test_rules_use_only_rule_functions() -> None:
    with pytest.raises(NotImplementedError, match="Fn::Join is not a rule function"):
        parameter_errors(TEMPLATE, {"Mode": "B", "Ids": "id-1"})


def test_rule_assertions_report_their_description() -> None:
    template = {**TEMPLATE, "Rules": {"SizeInSet": TEMPLATE["Rules"]["SizeInSet"]}}
    assert parameter_errors(template, {"Size": "7"}) == ["SizeInSet: Size is 5 or 6"]


def test_each_member_functions() -> None:
    values = {"Ids": ["a", "b"]}
    assert evaluate({"Fn::EachMemberIn": [{"Ref": "Ids"}, ["a", "b", "c"]]}, values) is True
    assert evaluate({"Fn::EachMemberEquals": [{"Ref": "Ids"}, "a"]}, values) is False
    assert evaluate({"Fn::And": [True, {"Fn::Or": [False, True]}]}, values) is True
