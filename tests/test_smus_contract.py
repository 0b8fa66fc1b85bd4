"""Every template in dist/ against the SMUS custom-blueprint contract (../shared/design.md, section 4)."""

from __future__ import annotations

import json
import re
from typing import Any

import botocore.session
import pytest

from blueprints.dist import user_parameters
from stacks.parameters import ParameterPolicy
from stacks.smus import DOMAIN_ID, ENVIRONMENT_ID, PROJECT_ID, RESERVED_PARAMETERS, SCOPE_NAME
from tests.conftest import BLUEPRINT_NAMES, Synthesized
from tests.helpers.conditions import references

TEMPLATE_BYTES_LIMIT = 1_000_000
PARAMETER_LIMIT = OUTPUT_LIMIT = 200
RESOURCE_LIMIT = 500
USER_PARAMETER_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
ID_REFERENCES = (f"${{{PROJECT_ID}}}", f"${{{ENVIRONMENT_ID}}}", f"'Ref': '{PROJECT_ID}'", f"'Ref': '{ENVIRONMENT_ID}'")


@pytest.fixture(scope="module", params=BLUEPRINT_NAMES)
def blueprint(request: pytest.FixtureRequest, synthesized: Synthesized) -> tuple[str, dict[str, Any]]:
    name: str = request.param
    return name, synthesized.templates[name]


def _carries_an_id(value: Any) -> bool:
    return any(reference in str(value) for reference in ID_REFERENCES)


def test_template_is_plain_portable_cloudformation(blueprint: tuple[str, dict[str, Any]]) -> None:
    _, template = blueprint
    assert "Transform" not in template
    assert "BootstrapVersion" not in template.get("Parameters", {})
    assert "CheckBootstrapVersion" not in template.get("Rules", {})
    for logical_id, resource in template["Resources"].items():
        assert not resource["Type"].startswith("Custom::"), logical_id
        assert resource["Type"] not in (
            "AWS::CloudFormation::CustomResource",
            "AWS::CloudFormation::Stack",
            "AWS::CDK::Metadata",
        ), logical_id
        assert not any(key.startswith("aws:") for key in resource.get("Metadata", {})), logical_id
    rendered = json.dumps(template)
    assert "cdk-hnb659fds" not in rendered
    assert "aws:asset" not in rendered
    assert "AssetParameters" not in rendered


def test_reserved_parameters_are_declared_as_strings(blueprint: tuple[str, dict[str, Any]]) -> None:
    _, template = blueprint
    assert {DOMAIN_ID, PROJECT_ID, ENVIRONMENT_ID, SCOPE_NAME} <= set(template["Parameters"])
    for name in set(RESERVED_PARAMETERS) & set(template["Parameters"]):
        assert template["Parameters"][name]["Type"] == "String"


def test_user_parameters_follow_the_datazone_rules(blueprint: tuple[str, dict[str, Any]]) -> None:
    _, template = blueprint
    for name, spec in template["Parameters"].items():
        assert USER_PARAMETER_NAME.fullmatch(name), name
        assert spec["Type"] in ("String", "Number", "CommaDelimitedList"), name
        assert len(spec.get("Description", "")) >= 20, f"{name} needs a description a human can act on"
        assert {"AllowedValues", "AllowedPattern", "MinValue", "MaxValue"} & set(spec), f"{name} is unvalidated"


def test_within_cloudformation_and_smus_limits(blueprint: tuple[str, dict[str, Any]], synthesized: Synthesized) -> None:
    name, template = blueprint
    assert (synthesized.dist / f"{name}.template.json").stat().st_size <= TEMPLATE_BYTES_LIMIT
    assert len(template.get("Parameters", {})) <= PARAMETER_LIMIT
    assert len(template.get("Outputs", {})) <= OUTPUT_LIMIT
    assert len(template["Resources"]) <= RESOURCE_LIMIT


def test_every_export_carries_the_project_or_environment_id(blueprint: tuple[str, dict[str, Any]]) -> None:
    _, template = blueprint
    exports = [o["Export"]["Name"] for o in template.get("Outputs", {}).values() if "Export" in o]
    assert exports
    for export_name in exports:
        assert _carries_an_id(export_name), export_name


SCOPED_NAMES = {
    ("AWS::ApiGateway::Stage", "StageName"),
    ("AWS::ApiGateway::Model", "Name"),
    ("AWS::ApiGateway::RequestValidator", "Name"),
}
"""Names that are unique only inside their parent (a REST API), not in the account."""


def _physical_names(resource_type: str, properties: dict[str, Any]) -> dict[str, Any]:
    """``Name`` and ``<Type>Name`` properties (BucketName, AliasName, ModelPackageGroupName, RoleName, …), and names
    that follow neither form (``InferenceProfileName``)."""
    type_name = resource_type.rsplit("::", maxsplit=1)[-1]
    return {
        key: value
        for key, value in properties.items()
        if key in ("Name", f"{type_name}Name", "AliasName", "InferenceProfileName")
        and (resource_type, key) not in SCOPED_NAMES
    }


def test_every_physical_name_carries_the_project_or_environment_id(blueprint: tuple[str, dict[str, Any]]) -> None:
    _, template = blueprint
    named = 0
    for logical_id, resource in template["Resources"].items():
        for key, value in _physical_names(resource["Type"], resource.get("Properties", {})).items():
            named += 1
            assert _carries_an_id(value), f"{logical_id}.{key} = {value}"
    assert named >= 1


NAMED_AFTER_WHAT_REPLACES_THEM = {("AWS::SageMaker::Endpoint", "EndpointName"): "InstanceType"}
"""Names that change exactly when a replacement is needed: a real-time endpoint is named after its instance type
(SageMaker cannot change the instance type of an autoscaled variant in place)."""


def test_immutable_or_replaceable_resources_have_no_fixed_names(blueprint: tuple[str, dict[str, Any]]) -> None:
    _, template = blueprint
    for logical_id, resource in template["Resources"].items():
        properties = resource.get("Properties", {})
        for key in ("BucketName", "ManagedPolicyName", "RoleName", "EndpointName", "EndpointConfigName", "ModelName"):
            value = properties.get(key)
            replaced_by = NAMED_AFTER_WHAT_REPLACES_THEM.get((resource["Type"], key))
            if replaced_by is not None and value is not None:
                assert replaced_by in references(value), f"{logical_id}.{key} does not change with {replaced_by}"
                assert ENVIRONMENT_ID in references(value), f"{logical_id}.{key} lacks the environment id"
                continue
            if (resource["Type"], key) == ("AWS::IAM::Role", "RoleName") and value is not None:
                _assert_passable_role_name(logical_id, value)
                continue
            refers = isinstance(value, dict) and ("Ref" in value or "Fn::GetAtt" in value)
            assert value is None or refers, f"{logical_id} fixes {key}"


def _assert_passable_role_name(logical_id: str, value: Any) -> None:
    """Roles members pass: SMUS's boundary allows iam:PassRole only on role/datazone*; the environment id makes the
    name unique, and with the longest id (36) it stays within IAM's 64 characters."""
    assert ENVIRONMENT_ID in references(value), f"{logical_id}.RoleName lacks the environment id"
    text = value["Fn::Sub"]
    fixed_part = text.replace(f"${{{ENVIRONMENT_ID}}}", "")
    assert text.startswith("datazone-"), text
    assert fixed_part == fixed_part.lower(), text
    assert len(fixed_part) + 36 <= 64


def test_manifest_describes_every_template(synthesized: Synthesized) -> None:
    entries = {entry["name"]: entry for entry in synthesized.manifest["blueprints"]}
    assert list(entries) == BLUEPRINT_NAMES
    for name, entry in entries.items():
        template = synthesized.templates[name]
        assert entry["templateFile"] == f"{name}.template.json"
        assert entry["sizeBytes"] == (synthesized.dist / entry["templateFile"]).stat().st_size
        assert entry["resourceCount"] == len(template["Resources"])
        user_parameters = {p["keyName"]: p for p in entry["userParameters"]}
        assert set(user_parameters) == set(template["Parameters"]) - set(RESERVED_PARAMETERS)
        for key, parameter in user_parameters.items():
            assert parameter["fieldType"] == "STRING"
            default = template["Parameters"][key].get("Default")
            assert parameter.get("defaultValue") == (None if default is None else str(default))
            assert parameter["isOptional"] == ("Default" in template["Parameters"][key])


GOVERNANCE = {"PermissionsBoundaryArn", "DataSourceS3Arns", "DataSourceKmsKeyArns", "DataSourceGlueDatabases"}
NETWORK = {"NetworkMode", "ExistingVpcId", "ExistingSubnetIds", "ExistingSecurityGroupId"}


def test_project_creators_cannot_loosen_governance_or_move_the_network(synthesized: Synthesized) -> None:
    """Admins set boundary and data sources as non-editable project-profile overrides; the network is chosen once
    (patterns import it, and CloudFormation refuses to change an export in use)."""
    for entry in synthesized.manifest["blueprints"]:
        parameters = {p["keyName"]: p for p in entry["userParameters"]}
        assert all(p["isEditable"] for p in parameters.values())  # so that the profile can set them
        overrides = {o["name"]: o for o in entry["profileParameterOverrides"]}
        assert set(overrides) == GOVERNANCE & set(parameters)
        assert all(o["isEditable"] is False and o["value"] == "" for o in overrides.values())
        assert {k for k, p in parameters.items() if not p["isUpdateSupported"]} == NETWORK & set(parameters)
    sandbox = next(e for e in synthesized.manifest["blueprints"] if e["name"] == "genai-sandbox")
    assert {p["keyName"] for p in sandbox["userParameters"]} >= GOVERNANCE | NETWORK  # no name is misspelt


def test_manifest_parameters_have_the_datazone_shape(synthesized: Synthesized) -> None:
    """Every key is a member of botocore's DataZone ``CustomParameter`` (what the publishing step sends)."""
    model = botocore.session.get_session().get_service_model("datazone")
    shapes = {
        "userParameters": model.shape_for("CustomParameter"),
        "profileParameterOverrides": model.shape_for("EnvironmentConfigurationParameter"),
    }
    for entry in synthesized.manifest["blueprints"]:
        for key, shape in shapes.items():
            for item in entry[key]:
                assert set(item) <= set(shape.members), item
                assert set(shape.required_members) <= set(item)


def test_manifest_carries_the_smus_deployment_hints(synthesized: Synthesized) -> None:
    hints = {e["name"]: (e["deploymentMode"], e["deploymentOrder"]) for e in synthesized.manifest["blueprints"]}
    assert hints == {
        "genai-sandbox": ("ON_CREATE", 1),
        "realtime-inference": ("ON_DEMAND", None),
        "serverless-inference": ("ON_DEMAND", None),
        "async-inference": ("ON_DEMAND", None),
        "batch-inference": ("ON_DEMAND", None),
    }


def test_parameters_without_a_default_are_required_in_the_manifest() -> None:
    template = {
        "Parameters": {
            ENVIRONMENT_ID: {"Type": "String"},
            "Needed": {"Type": "String", "Description": "d"},
            "Optional": {"Type": "Number", "Default": 5},
        }
    }
    assert user_parameters(template, ParameterPolicy(fixed_after_create={"Needed"})) == [
        {"keyName": "Needed", "fieldType": "STRING", "description": "d", "isEditable": True, "isOptional": False,
         "isUpdateSupported": False},
        {"keyName": "Optional", "fieldType": "STRING", "description": "", "defaultValue": "5", "isEditable": True,
         "isOptional": True, "isUpdateSupported": True},
    ]  # fmt: skip
