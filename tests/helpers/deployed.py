"""A synthesized template as if deployed: every intrinsic resolved to concrete, plausible physical values.

``Evaluated`` picks the Conditions and Fn::If branches of one parameter set; this module also resolves resource
references (``Ref``, ``Fn::GetAtt``, ``Fn::Sub``), string functions and ``Fn::ImportValue`` (from the exports of
templates deployed earlier), so that the policies in a template can be evaluated like the ones AWS would store.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Mapping
from typing import Any

from .conditions import PSEUDO, Evaluated

ACCOUNT = str(PSEUDO["AWS::AccountId"])
REGION = str(PSEUDO["AWS::Region"])


class Deployed:
    """One template under one parameter set, with physical ids made up per resource type."""

    def __init__(
        self, template: Mapping[str, Any], parameters: Mapping[str, str], exports: Mapping[str, str] | None = None
    ) -> None:
        self.evaluated = Evaluated(template, parameters)
        self.resources = self.evaluated.resources()
        self.imports = dict(exports or {})

    def value(self, node: Any) -> Any:
        """``node`` with every intrinsic function resolved."""
        return self._resolve(self.evaluated.resolve(node))

    def properties(self, logical_id: str) -> dict[str, Any]:
        """The resolved properties of a resource that exists under the parameter set."""
        return dict(self.value(self.resources[logical_id].get("Properties", {})))

    def of_type(self, resource_type: str) -> dict[str, dict[str, Any]]:
        """Logical id -> resolved properties, for every existing resource of ``resource_type``."""
        return {
            logical_id: self.properties(logical_id)
            for logical_id, resource in self.resources.items()
            if resource["Type"] == resource_type
        }

    def exports(self) -> dict[str, str]:
        """Export name -> value, as other stacks would import them."""
        outputs = self.evaluated.template.get("Outputs", {})
        return {
            self.value(output["Export"]["Name"]): self.value(output["Value"])
            for output in outputs.values()
            if "Export" in output and ("Condition" not in output or self.evaluated.condition(output["Condition"]))
        }

    def tags(self, logical_id: str) -> dict[str, str]:
        """A resource's tags as a map (CloudFormation writes them as a list or a map, by resource type)."""
        tags = self.properties(logical_id).get("Tags", {})
        return {tag["Key"]: tag["Value"] for tag in tags} if isinstance(tags, list) else dict(tags)

    def tag_context(self, logical_id: str) -> dict[str, str]:
        """The ``aws:ResourceTag/*`` request context keys of a resource."""
        return {f"aws:ResourceTag/{k}": v for k, v in self.tags(logical_id).items()}

    def ref(self, logical_id: str) -> str:
        """What ``Ref`` returns for a resource of this template."""
        return str(self._physical(logical_id)["Ref"])

    def attribute(self, logical_id: str, name: str) -> str:
        """What ``Fn::GetAtt`` returns for a resource of this template (a made-up value for attributes that no
        policy of ours compares)."""
        return str(self._physical(logical_id).get(name, f"{name.lower()}-{logical_id.lower()}"))

    def _resolve(self, node: Any) -> Any:
        if isinstance(node, list):
            return [self._resolve(item) for item in node if item is not None]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            ((function, argument),) = node.items()
            resolver = self._functions().get(function)
            if resolver is not None:
                return resolver(argument)
        return {key: self._resolve(value) for key, value in node.items()}

    def _functions(self) -> dict[str, Any]:
        return {
            "Ref": self._reference,
            "Fn::GetAtt": lambda argument: self.attribute(*self._resolve(argument)),
            "Fn::Join": lambda argument: str(argument[0]).join(str(v) for v in self._resolve(argument[1])),
            "Fn::Select": lambda argument: self._resolve(argument[1])[int(self._resolve(argument[0]))],
            "Fn::Split": lambda argument: str(self._resolve(argument[1])).split(argument[0]),
            "Fn::Sub": self._sub,
            "Fn::ImportValue": lambda name: self.imports[self._resolve(name)],
            "Fn::If": lambda argument: self._resolve(self.evaluated.resolve({"Fn::If": argument})),
        }

    def _reference(self, name: str) -> Any:
        if name in self.evaluated.parameters:
            return self.evaluated.parameters[name]
        if name in PSEUDO:
            return PSEUDO[name]
        if name == "AWS::StackId":
            return f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/DataZone-Env-test/00000000-0000-0000-0000-0"
        return self.ref(name)

    def _sub(self, argument: Any) -> str:
        text, variables = (argument, {}) if isinstance(argument, str) else argument
        resolved = {name: self._resolve(value) for name, value in variables.items()}

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in resolved:
                return str(resolved[name])
            if "." in name:
                return self.attribute(*name.split(".", 1))
            return str(self._reference(name))

        return re.sub(r"\$\{([^}!]+)\}", replace, text)

    def _physical(self, logical_id: str) -> dict[str, str]:  # noqa: PLR0911 - one return per resource type
        resource = self.evaluated.template["Resources"][logical_id]
        name = logical_id.lower()[:40]
        properties = resource.get("Properties", {})
        kind = resource["Type"]
        arn = f"arn:aws:{{}}:{REGION}:{ACCOUNT}:{{}}"
        if kind == "AWS::S3::Bucket":
            return {"Ref": name, "Arn": f"arn:aws:s3:::{name}"}
        if kind == "AWS::KMS::Key":
            key_id = f"1234abcd-12ab-34cd-56ef-{zlib.crc32(logical_id.encode()):012d}"
            return {"Ref": key_id, "Arn": arn.format("kms", f"key/{key_id}"), "KeyId": key_id}
        if kind == "AWS::IAM::Role":
            role = self.value(properties["RoleName"]) if "RoleName" in properties else logical_id
            return {"Ref": role, "Arn": f"arn:aws:iam::{ACCOUNT}:role/{role}", "RoleId": f"AROA{name.upper()[:16]}"}
        if kind == "AWS::IAM::ManagedPolicy":
            return {"Ref": f"arn:aws:iam::{ACCOUNT}:policy/{logical_id}"}
        if kind == "AWS::ECR::Repository":
            return {"Ref": name, "Arn": arn.format("ecr", f"repository/{name}")}
        if kind == "AWS::SageMaker::Endpoint":
            return {"Ref": arn.format("sagemaker", f"endpoint/{name}"), "EndpointName": name}
        if kind == "AWS::Bedrock::ApplicationInferenceProfile":
            profile = arn.format("bedrock", f"application-inference-profile/{name[:12]}")
            return {"Ref": profile, "InferenceProfileArn": profile}
        if kind == "AWS::SNS::Topic":
            return {"Ref": arn.format("sns", name), "TopicArn": arn.format("sns", name)}
        if kind == "AWS::SSM::Parameter":
            return {"Ref": self.value(properties["Name"])}
        return {"Ref": name, "Arn": arn.format(kind.split("::")[1].lower(), name), "GroupId": f"sg-{name[:8]}"}
