"""Evaluate a template's Conditions and Fn::If for one parameter set, as CloudFormation does at deploy time."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

PSEUDO = {
    "AWS::NoValue": None,
    "AWS::Region": "us-east-1",
    "AWS::AccountId": "123456789012",
    "AWS::Partition": "aws",
    "AWS::URLSuffix": "amazonaws.com",
}


class Evaluated:
    """One template under one parameter set: which conditions hold, which resources exist, resolved values."""

    def __init__(self, template: Mapping[str, Any], parameters: Mapping[str, str]) -> None:
        self.template = template
        declared = template.get("Parameters", {})
        given = {name: parameters.get(name, spec.get("Default")) for name, spec in declared.items()}
        self.parameters = {name: None if value is None else str(value) for name, value in given.items()}
        """Parameter values as CloudFormation passes them: strings."""
        self.conditions: dict[str, bool] = {}
        for name in template.get("Conditions", {}):
            self.condition(name)

    def condition(self, name: str) -> bool:
        """The value of condition ``name``."""
        if name not in self.conditions:
            self.conditions[name] = bool(self._truth(self.template["Conditions"][name]))
        return self.conditions[name]

    def resources(self) -> dict[str, Any]:
        """The resources CloudFormation would create."""
        return {
            logical_id: resource
            for logical_id, resource in self.template["Resources"].items()
            if "Condition" not in resource or self.condition(resource["Condition"])
        }

    def outputs(self) -> dict[str, Any]:
        """The outputs CloudFormation would create, with Fn::If and parameter references resolved."""
        return {
            key: self.resolve(output["Value"])
            for key, output in self.template.get("Outputs", {}).items()
            if "Condition" not in output or self.condition(output["Condition"])
        }

    def resolve(self, node: Any) -> Any:
        """Pick the taken branch of every Fn::If and substitute parameters; other intrinsics stay as they are."""
        if isinstance(node, list):
            return [self.resolve(item) for item in node]
        if not isinstance(node, dict):
            return node
        if "Fn::If" in node:
            name, taken, other = node["Fn::If"]
            return self.resolve(taken if self.condition(name) else other)
        if set(node) == {"Ref"} and node["Ref"] in self.parameters:
            return self.parameters[node["Ref"]]
        if set(node) == {"Ref"} and node["Ref"] in PSEUDO:
            return PSEUDO[node["Ref"]]
        return {key: self.resolve(value) for key, value in node.items()}

    def value(self, node: Any) -> Any:
        """Resolve ``node`` and evaluate the string functions in it (Fn::Join, Fn::Split, Fn::Select)."""
        return self._truth(self.resolve(node))

    def _truth(self, node: Any) -> Any:
        if isinstance(node, list):
            return [self._truth(item) for item in node]
        if not isinstance(node, dict):
            return node
        ((function, argument),) = node.items()
        if function == "Condition":
            return self.condition(argument)
        if function == "Ref":
            return self.parameters[argument]
        values = [self._truth(item) for item in argument]
        operations: dict[str, Callable[[], Any]] = {
            "Fn::Select": lambda: values[1][int(values[0])],
            "Fn::Split": lambda: str(values[1]).split(values[0]),
            "Fn::Join": lambda: str(values[0]).join(str(value) for value in values[1]),
            "Fn::Equals": lambda: str(values[0]) == str(values[1]),
            "Fn::Not": lambda: not values[0],
            "Fn::And": lambda: all(values),
            "Fn::Or": lambda: any(values),
        }
        return operations[function]()


def references(node: Any) -> set[str]:
    """Names a template value points at: ``Ref`` targets, ``Fn::GetAtt`` resources and ``Fn::Sub`` variables."""
    if isinstance(node, list):
        return set().union(*(references(item) for item in node)) if node else set()
    if not isinstance(node, dict):
        return set()
    found = set()
    if "Ref" in node and isinstance(node["Ref"], str):
        found.add(node["Ref"])
    if "Fn::GetAtt" in node:
        found.add(node["Fn::GetAtt"][0])
    if "Fn::Sub" in node and isinstance(node["Fn::Sub"], str):
        found |= {name.split(".")[0] for name in re.findall(r"\$\{([^}!]+)\}", node["Fn::Sub"])}
    return found | set().union(*(references(value) for key, value in node.items() if key != "DependsOn"))


def properties_of_type(evaluated: Evaluated, resource_type: str) -> dict[str, dict[str, Any]]:
    """Logical id -> properties (``Fn::If`` and parameters resolved) of every existing ``resource_type``."""
    return {
        name: evaluated.resolve(resource["Properties"])
        for name, resource in evaluated.resources().items()
        if resource["Type"] == resource_type
    }


def one_resource(evaluated: Evaluated, resource_type: str, prefix: str) -> dict[str, Any]:
    """The properties of the one existing ``resource_type`` whose logical id starts with ``prefix``."""
    (found,) = [r for name, r in properties_of_type(evaluated, resource_type).items() if name.startswith(prefix)]
    return found


def managed_policy_statements(evaluated: Evaluated, prefix: str) -> list[dict[str, Any]]:
    """The statements of the one existing managed policy whose logical id starts with ``prefix``."""
    return list(one_resource(evaluated, "AWS::IAM::ManagedPolicy", prefix)["PolicyDocument"]["Statement"])
