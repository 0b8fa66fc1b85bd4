"""``python -m blueprints publish`` and ``list``: DataZone through strict Stubbers (every request checked against
botocore's datazone model), S3 and STS through moto, a small ``dist/`` of three blueprints; once, the real ``dist/``."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.stub import ANY, Stubber
from moto import mock_aws

from blueprints.__main__ import main
from blueprints.cli import CliError, distribution
from blueprints.cli import publish as publish_module
from blueprints.cli.admin import DOMAIN_ID, Clients
from blueprints.cli.distribution import DistBlueprint
from blueprints.cli.publish import OPTION_PATTERNS, PROFILE_DESCRIPTION, ROLE_ARN
from blueprints.cli.regions import SMUS_REGIONS
from blueprints.provisioning import required_actions
from tests.conftest import Synthesized
from tests.helpers.processes import run_light_probe
from tests.helpers.strict_stubber import strict

REPO = Path(__file__).resolve().parent.parent
REGION = "us-east-1"
ACCOUNT = "123456789012"
"""moto's account."""
DOMAIN = "dzd_abc123def456gh"
BUCKET = "blueprint-templates"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/datazone-genai-sandbox-provisioning"
ROOT_UNIT = "root_unit_1"
TOOLING_ID = "tooling1"
PROFILE = "Gen AI sandbox"
OVERRIDES = {
    "genai-sandbox": ("PermissionsBoundaryArn", "DataSourceS3Arns"),
    "realtime-inference": ("PermissionsBoundaryArn",),
    "batch-inference": ("PermissionsBoundaryArn",),
}
"""The small catalogue: each blueprint and its admin-only parameters."""
NAMES = list(OVERRIDES)
SOURCES = (
    "app.py",
    "cdk.json",
    "blueprints/catalogue.py",
    "stacks/base.py",
    "constructs/genai_sandbox_constructs/x.py",
)


def template(name: str) -> bytes:
    parameters = {"ProjectName": {"Type": "String", "Default": name}} | {
        parameter: {"Type": "String", "Default": ""} for parameter in OVERRIDES[name]
    }
    body = {"Description": name, "Parameters": parameters, "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}}
    return json.dumps(body, indent=1).encode()


def manifest_entry(name: str, description: str) -> dict[str, Any]:
    mode, order = ("ON_CREATE", 1) if name == "genai-sandbox" else ("ON_DEMAND", None)
    parameters = json.loads(template(name))["Parameters"]
    return {
        "name": name,
        "description": description,
        "templateFile": f"{name}.template.json",
        "sizeBytes": len(template(name)),
        "resourceCount": 1,
        "deploymentMode": mode,
        "deploymentOrder": order,
        "userParameters": [
            {
                "keyName": key,
                "fieldType": "STRING",
                "description": f"The {key}.",
                "defaultValue": spec["Default"],
                "isEditable": True,
                "isOptional": True,
                "isUpdateSupported": True,
            }
            for key, spec in parameters.items()
        ],
        "profileParameterOverrides": [{"name": key, "value": "", "isEditable": False} for key in OVERRIDES[name]],
    }


MANIFEST = {name: manifest_entry(name, f"The {name} blueprint. It does things.") for name in NAMES}
SHA = {name: hashlib.sha256(template(name)).hexdigest() for name in NAMES}


def write_catalogue(root: Path, long_description: bool = False) -> Path:
    """A repository in ``root``: sources a minute old, then ``dist/`` written now; ``root``."""
    for source in SOURCES:
        (root / source).parent.mkdir(parents=True, exist_ok=True)
        (root / source).write_text("")
        os.utime(root / source, (time.time() - 60, time.time() - 60))
    dist = root / "dist"
    dist.mkdir(exist_ok=True)
    entries = dict(MANIFEST)
    if long_description:
        entries["genai-sandbox"] = manifest_entry("genai-sandbox", "x" * 2049)
    for name in NAMES:
        (dist / f"{name}.template.json").write_bytes(template(name))
    (dist / "manifest.json").write_text(json.dumps({"blueprints": list(entries.values())}))
    return root


@pytest.fixture(scope="module")
def catalogue_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_catalogue(tmp_path_factory.mktemp("repo"))


@pytest.fixture(autouse=True)
def current_dist(catalogue_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every command reads the small catalogue, whose ``dist/`` is current."""
    monkeypatch.setattr(distribution, "ROOT", catalogue_root)


def key(name: str, sha: str | None = None) -> str:
    return f"genai-sandbox-blueprints/{name}/{sha or SHA[name]}.template.json"


def url(name: str, sha: str | None = None) -> str:
    return f"https://{BUCKET}.s3.{REGION}.amazonaws.com/{key(name, sha)}"


def summary(name: str, blueprint_id: str, template_url: str) -> dict[str, Any]:
    """A blueprint as ``list_environment_blueprints`` describes it."""
    properties = {"cloudFormation": {"templateUrl": template_url}}
    return {"id": blueprint_id, "name": name, "provider": "Custom", "provisioningProperties": properties}


def blueprint_fields(name: str) -> dict[str, Any]:
    """What create and update send besides the domain and the name or id."""
    return {
        "description": MANIFEST[name]["description"],
        "provisioningProperties": {"cloudFormation": {"templateUrl": url(name)}},
        "userParameters": MANIFEST[name]["userParameters"],
    }


def project_grant(unit: str) -> dict[str, Any]:
    """A ``CREATE_ENVIRONMENT_FROM_BLUEPRINT`` grant to the contributor projects of ``unit``."""
    projects = {"domainUnitFilter": {"domainUnit": unit, "includeChildDomainUnits": True}}
    return {
        "principal": {"project": {"projectDesignation": "CONTRIBUTOR", "projectGrantFilter": projects}},
        "detail": {"createEnvironmentFromBlueprint": {}},
    }


def blueprint_entity(blueprint_id: str) -> dict[str, str]:
    return {
        "domainIdentifier": DOMAIN,
        "entityType": "ENVIRONMENT_BLUEPRINT_CONFIGURATION",
        "entityIdentifier": f"{ACCOUNT}:{blueprint_id}",
        "policyType": "CREATE_ENVIRONMENT_FROM_BLUEPRINT",
    }


PROFILE_ENTITY = {
    "domainIdentifier": DOMAIN,
    "entityType": "DOMAIN_UNIT",
    "entityIdentifier": ROOT_UNIT,
    "policyType": "CREATE_PROJECT_FROM_PROJECT_PROFILE",
}
PLACEMENT = {"awsAccount": {"awsAccountId": ACCOUNT}, "awsRegion": {"regionName": REGION}}
TOOLING_OVERRIDES = [{"name": "enableSpaces", "value": "true", "isEditable": False}]
TOOLING = {"name": "Tooling", "environmentBlueprintId": TOOLING_ID, "deploymentMode": "ON_CREATE", "deploymentOrder": 0}


@dataclass
class Aws:
    """A strict Stubber for DataZone, moto S3 (the template bucket) and STS, and the S3 operations called."""

    datazone: Stubber
    s3: Any
    sts: Any
    s3_operations: list[str]

    def publish(self, *args: str, regions: str = REGION) -> int:
        clients = Clients(self.datazone.client, self.s3, self.sts)
        required = ["--domain-id", DOMAIN, "--bucket", BUCKET, "--regions", regions, "--provisioning-role-arn", ROLE]
        return main(["publish", *required, *args], clients=lambda region: clients)

    def list_blueprints(self, *args: str) -> int:
        clients = Clients(self.datazone.client, self.s3, self.sts)
        return main(["list", *args], clients=lambda region: clients)

    def expect(self, operation: str, params: dict[str, Any], response: dict[str, Any] | None = None) -> None:
        self.datazone.add_response(operation, response or {}, params)

    def expect_root_unit(self) -> None:
        response = {"id": DOMAIN, "domainExecutionRole": ROLE, "status": "AVAILABLE", "rootDomainUnitId": ROOT_UNIT}
        self.expect("get_domain", {"identifier": DOMAIN}, response)

    def expect_lookup(self, name: str, found: dict[str, Any] | None = None, managed: bool = False) -> None:
        params = {"domainIdentifier": DOMAIN, "managed": managed, "name": name}
        self.expect("list_environment_blueprints", params, {"items": [found] if found else []})

    def expect_create(self, name: str, blueprint_id: str) -> None:
        params = {"domainIdentifier": DOMAIN, "name": name, **blueprint_fields(name)}
        self.expect("create_environment_blueprint", params, summary(name, blueprint_id, url(name)))

    def expect_configuration(self, blueprint_id: str, existing: dict[str, Any] | None) -> None:
        params = {"domainIdentifier": DOMAIN, "environmentBlueprintIdentifier": blueprint_id}
        if existing is None:
            self.datazone.add_client_error(
                "get_environment_blueprint_configuration",
                "ResourceNotFoundException",
                "none",
                404,
                expected_params=params,
            )
        else:
            response = {"domainId": DOMAIN, "environmentBlueprintId": blueprint_id, **existing}
            self.expect("get_environment_blueprint_configuration", params, response)

    def expect_put_configuration(self, blueprint_id: str, configuration: dict[str, Any]) -> None:
        params = {"domainIdentifier": DOMAIN, "environmentBlueprintIdentifier": blueprint_id, **configuration}
        response = {"domainId": DOMAIN, "environmentBlueprintId": blueprint_id}
        self.expect("put_environment_blueprint_configuration", params, response)

    def expect_grants(self, entity: dict[str, str], grants: list[dict[str, Any]]) -> None:
        self.expect("list_policy_grants", entity, {"grantList": grants})

    def expect_add_grant(self, blueprint_id: str, unit: str = ROOT_UNIT) -> None:
        self.expect("add_policy_grant", {**blueprint_entity(blueprint_id), **project_grant(unit)}, {"grantId": "g1"})

    def expect_current(self, name: str, blueprint_id: str) -> None:
        """The template in the bucket, the blueprint registered with it, enabled here and granted to the root unit."""
        self.s3.put_object(Bucket=BUCKET, Key=key(name), Body=template(name))
        self.expect_lookup(name, summary(name, blueprint_id, url(name)))
        self.expect_configuration(blueprint_id, {"enabledRegions": [REGION], "provisioningRoleArn": ROLE})
        self.expect_grants(blueprint_entity(blueprint_id), [project_grant(ROOT_UNIT)])

    def keys(self) -> list[str]:
        return sorted(item["Key"] for item in self.s3.list_objects_v2(Bucket=BUCKET).get("Contents", []))


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Aws]:
    """Fake credentials; moto with the template bucket in us-east-1; every queued DataZone response used up."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        s3 = strict(boto3.client("s3", region_name=REGION))
        s3.create_bucket(Bucket=BUCKET)
        operations: list[str] = []
        s3.meta.events.register("before-call.s3", lambda model, **_: operations.append(model.name))
        datazone = Stubber(strict(boto3.client("datazone", region_name=REGION)))
        datazone.activate()
        yield Aws(datazone, s3, strict(boto3.client("sts", region_name=REGION)), operations)
        datazone.assert_no_pending_responses()


def table(out: str) -> dict[str, list[str]]:
    """The rows of the closing table (or the list), by their first cell."""
    lines = out.splitlines()
    start = next(index for index, line in enumerate(lines) if line.startswith(("BLUEPRINT ", "NAME ")))
    rows = [re.split(r"\s{2,}", line) for line in lines[start + 1 :] if line.strip()]
    return {row[0]: row[1:] for row in rows if len(row) > 1}


# ---- publish -------------------------------------------------------------------------------------------------------


def test_an_absent_blueprint_is_uploaded_created_enabled_and_granted(
    aws: Aws, capsys: pytest.CaptureFixture[str]
) -> None:
    aws.expect_root_unit()
    aws.expect_lookup("genai-sandbox")
    aws.expect_create("genai-sandbox", "bp1")
    aws.expect_put_configuration("bp1", {"enabledRegions": [REGION, "eu-west-1"], "provisioningRoleArn": ROLE})
    aws.expect_add_grant("bp1")

    assert aws.publish("--blueprints", "genai-sandbox", regions=f"{REGION},eu-west-1") == 0

    assert aws.keys() == [key("genai-sandbox")]
    assert aws.s3.get_object(Bucket=BUCKET, Key=key("genai-sandbox"))["Body"].read() == template("genai-sandbox")
    out = capsys.readouterr().out
    assert f"  template   uploaded s3://{BUCKET}/{key('genai-sandbox')}" in out
    assert "  blueprint  created bp1" in out
    assert f"  regions    enabled: {REGION}, eu-west-1, provisioning role {ROLE}" in out
    assert f"  grant      added: contributor projects of domain unit {ROOT_UNIT} may use it" in out
    assert "CAPABILITY_NAMED_IAM" in out
    sha = SHA["genai-sandbox"][:12]
    assert table(out) == {"genai-sandbox": ["bp1", sha, f"{REGION}, eu-west-1", "added", "created"]}


def test_a_blueprint_with_another_template_is_updated(aws: Aws, capsys: pytest.CaptureFixture[str]) -> None:
    aws.expect_root_unit()
    aws.expect_lookup("genai-sandbox", summary("genai-sandbox", "bp1", url("genai-sandbox", "0" * 64)))
    params = {"domainIdentifier": DOMAIN, "identifier": "bp1", **blueprint_fields("genai-sandbox")}
    aws.expect("update_environment_blueprint", params, summary("genai-sandbox", "bp1", url("genai-sandbox")))
    aws.expect_configuration("bp1", {"enabledRegions": [REGION], "provisioningRoleArn": ROLE})
    aws.expect_grants(blueprint_entity("bp1"), [project_grant("other_unit"), project_grant(ROOT_UNIT)])

    assert aws.publish("--blueprints", "genai-sandbox") == 0

    out = capsys.readouterr().out
    assert "  blueprint  updated bp1" in out
    assert f"  regions    current: {REGION}" in out
    assert "  grant      present" in out
    assert table(out)["genai-sandbox"] == ["bp1", SHA["genai-sandbox"][:12], REGION, "present", "updated"]


def test_a_current_catalogue_is_only_read(aws: Aws, capsys: pytest.CaptureFixture[str]) -> None:
    aws.expect_root_unit()
    for number, name in enumerate(NAMES, 1):
        aws.expect_current(name, f"bp{number}")
    aws.s3_operations.clear()

    assert aws.publish() == 0

    assert aws.s3_operations == ["GetBucketLocation"] + ["HeadObject"] * 3
    rows = table(capsys.readouterr().out)
    assert {name: row[-2:] for name, row in rows.items()} == {name: ["present", "current"] for name in NAMES}


def test_dry_run_prints_every_call_as_json_and_sends_no_write(aws: Aws, capsys: pytest.CaptureFixture[str]) -> None:
    aws.expect_root_unit()
    aws.expect_lookup("Tooling", summary("Tooling", TOOLING_ID, "https://example.com/tooling.json"), managed=True)
    aws.expect_lookup("realtime-inference")
    aws.expect("list_project_profiles", {"domainIdentifier": DOMAIN, "name": PROFILE}, {"items": []})

    code = aws.publish("--blueprints", "realtime-inference", "--project-profile", PROFILE, "--dry-run")

    assert code == 0
    assert aws.keys() == []
    out = capsys.readouterr().out
    calls = [
        (kind, operation, json.loads(params))
        for kind, operation, params in re.findall(r"^    dry run (read |write) (\S+) (\{.*\})$", out, re.MULTILINE)
    ]
    writes = [(operation, params) for kind, operation, params in calls if kind == "write"]
    assert [operation for operation, _ in writes] == [
        "s3.put_object",
        "datazone.create_environment_blueprint",
        "datazone.put_environment_blueprint_configuration",
        "datazone.add_policy_grant",
        "datazone.create_project_profile",
        "datazone.add_policy_grant",
    ]
    body = f"<{len(template('realtime-inference'))} bytes>"
    assert writes[0][1] == {
        "Body": body,
        "Bucket": BUCKET,
        "ContentType": "application/json",
        "Key": key("realtime-inference"),
    }
    assert writes[1][1] == {
        "domainIdentifier": DOMAIN,
        "name": "realtime-inference",
        **blueprint_fields("realtime-inference"),
    }
    assert writes[4][1]["environmentConfigurations"][1]["environmentBlueprintId"] == "<new realtime-inference>"
    assert [operation for kind, operation, _ in calls if kind == "read "] == [
        "sts.get_caller_identity",
        "s3.get_bucket_location",
        "datazone.get_domain",
        "datazone.list_environment_blueprints",
        "s3.head_object",
        "datazone.list_environment_blueprints",
        "datazone.list_project_profiles",
    ]
    assert "Dry run: every call is printed, no write is sent" in out
    assert table(out)["realtime-inference"][-1] == "created"


def test_a_failed_run_reports_what_was_done_and_a_rerun_continues(aws: Aws, capsys: pytest.CaptureFixture[str]) -> None:
    aws.expect_root_unit()
    aws.expect_lookup("genai-sandbox")
    aws.expect_create("genai-sandbox", "bp1")
    aws.expect_put_configuration("bp1", {"enabledRegions": [REGION], "provisioningRoleArn": ROLE})
    aws.datazone.add_client_error("add_policy_grant", "AccessDeniedException", "not authorized", 403)

    assert aws.publish("--blueprints", "genai-sandbox") == 1

    captured = capsys.readouterr()
    assert table(captured.out) == {"genai-sandbox": ["bp1", SHA["genai-sandbox"][:12], REGION, "-", "incomplete"]}
    assert "AWS AddPolicyGrant failed: AccessDeniedException: not authorized" in captured.err
    assert "hint: this needs datazone:AddPolicyGrant: are you a domain administrator" in captured.err
    assert "re-run the same command to continue: what exists is skipped" in captured.err

    aws.expect_root_unit()
    aws.expect_lookup("genai-sandbox", summary("genai-sandbox", "bp1", url("genai-sandbox")))
    aws.expect_configuration("bp1", {"enabledRegions": [REGION], "provisioningRoleArn": ROLE})
    aws.expect_grants(blueprint_entity("bp1"), [])
    aws.expect_add_grant("bp1")

    assert aws.publish("--blueprints", "genai-sandbox") == 0

    assert aws.s3_operations.count("PutObject") == 1
    assert table(capsys.readouterr().out)["genai-sandbox"][-2:] == ["added", "updated"]


def test_the_grant_goes_to_the_given_domain_unit_when_only_other_units_have_one(aws: Aws) -> None:
    aws.expect_current("batch-inference", "bp3")
    aws.expect_add_grant("bp3", unit="child_unit")

    assert aws.publish("--blueprints", "batch-inference", "--domain-unit-id", "child_unit") == 0


def test_the_configuration_keeps_its_regions_and_parameters(aws: Aws) -> None:
    regional = {"eu-west-1": {"VpcId": "vpc-1", "Subnets": "subnet-1,subnet-2"}}
    resource = {"name": "lake", "region": "eu-west-1", "parameters": {"a": "b"}}
    existing = {
        "enabledRegions": ["eu-west-1"],
        "provisioningRoleArn": f"arn:aws:iam::{ACCOUNT}:role/old",
        "manageAccessRoleArn": f"arn:aws:iam::{ACCOUNT}:role/manage",
        "regionalParameters": regional,
        "resourceConfigurations": [{"identifier": "rc1", **resource}],
    }
    aws.expect_root_unit()
    aws.expect_lookup("genai-sandbox", summary("genai-sandbox", "bp1", url("genai-sandbox")))
    aws.expect_configuration("bp1", existing)
    aws.expect_put_configuration(
        "bp1",
        {
            "enabledRegions": ["eu-west-1", REGION],
            "provisioningRoleArn": ROLE,
            "manageAccessRoleArn": f"arn:aws:iam::{ACCOUNT}:role/manage",
            "regionalParameters": regional,
            "resourceConfigurations": [resource],
        },
    )
    aws.expect_grants(blueprint_entity("bp1"), [project_grant(ROOT_UNIT)])

    assert aws.publish("--blueprints", "genai-sandbox", regions=f"{REGION},eu-west-1") == 0


def test_a_blueprint_without_configuration_gets_one(aws: Aws) -> None:
    aws.expect_root_unit()
    aws.expect_lookup("genai-sandbox", summary("genai-sandbox", "bp1", url("genai-sandbox")))
    aws.expect_configuration("bp1", None)
    aws.expect_put_configuration("bp1", {"enabledRegions": [REGION], "provisioningRoleArn": ROLE})
    aws.expect_grants(blueprint_entity("bp1"), [])
    aws.expect_add_grant("bp1")

    assert aws.publish("--blueprints", "genai-sandbox") == 0


def expect_profile_preflight(aws: Aws) -> None:
    aws.expect_root_unit()
    aws.expect_lookup("Tooling", summary("Tooling", TOOLING_ID, "https://example.com/tooling.json"), managed=True)


def test_the_project_profile_keeps_other_configurations_and_applies_locks(
    aws: Aws, capsys: pytest.CaptureFixture[str]
) -> None:
    boundary = f"arn:aws:iam::{ACCOUNT}:policy/boundary"
    tooling = {
        **TOOLING,
        **PLACEMENT,
        "configurationParameters": {
            "parameterOverrides": TOOLING_OVERRIDES,
            "resolvedParameters": [*TOOLING_OVERRIDES, {"name": "maxDuration", "value": "1", "isEditable": True}],
        },
    }
    other = {"name": "analytics", "environmentBlueprintId": "other1", "deploymentMode": "ON_DEMAND", **PLACEMENT}
    sandbox_before = {
        "id": "cfg1",
        "name": "genai-sandbox",
        "description": "kept",
        "environmentBlueprintId": "bp1",
        "deploymentMode": "ON_CREATE",
        "deploymentOrder": 3,
        **PLACEMENT,
        "configurationParameters": {
            "parameterOverrides": [
                {"name": "PermissionsBoundaryArn", "value": boundary, "isEditable": False},
                {"name": "GoneParameter", "value": "x", "isEditable": True},
            ]
        },
    }
    expect_profile_preflight(aws)
    aws.expect_current("genai-sandbox", "bp1")
    aws.expect_current("realtime-inference", "bp2")
    profile = {"domainId": DOMAIN, "id": "prof1", "name": PROFILE, "createdBy": "admin"}
    aws.expect("list_project_profiles", {"domainIdentifier": DOMAIN, "name": PROFILE}, {"items": [profile]})
    configurations = [tooling, other, sandbox_before]
    aws.expect(
        "get_project_profile",
        {"domainIdentifier": DOMAIN, "identifier": "prof1"},
        {**profile, "environmentConfigurations": configurations},
    )
    sandbox_after = {
        **sandbox_before,
        "deploymentOrder": 1,
        "configurationParameters": {
            "parameterOverrides": [
                {"name": "PermissionsBoundaryArn", "value": boundary, "isEditable": False},
                {"name": "DataSourceS3Arns", "value": "arn:aws:s3:::data", "isEditable": False},
            ]
        },
    }
    realtime = {
        "name": "realtime-inference",
        "environmentBlueprintId": "bp2",
        "deploymentMode": "ON_DEMAND",
        **PLACEMENT,
        "configurationParameters": {
            "parameterOverrides": [{"name": "PermissionsBoundaryArn", "value": "", "isEditable": False}]
        },
    }
    tooling_sent = {**tooling, "configurationParameters": {"parameterOverrides": TOOLING_OVERRIDES}}
    aws.expect(
        "update_project_profile",
        {
            "domainIdentifier": DOMAIN,
            "identifier": "prof1",
            "environmentConfigurations": [tooling_sent, other, sandbox_after, realtime],
        },
        profile,
    )
    aws.expect_grants(PROFILE_ENTITY, [])
    detail = {"createProjectFromProjectProfile": {"includeChildDomainUnits": True, "projectProfiles": ["prof1"]}}
    aws.expect(
        "add_policy_grant", {**PROFILE_ENTITY, "principal": {"user": {"allUsersGrantFilter": {}}}, "detail": detail}
    )

    args = ["--blueprints", "genai-sandbox,realtime-inference", "--project-profile", PROFILE]
    assert aws.publish(*args, "--lock", "DataSourceS3Arns=arn:aws:s3:::data") == 0

    out = capsys.readouterr().out
    assert (
        "  profile    updated prof1: Tooling ON_CREATE 0, analytics ON_DEMAND, genai-sandbox ON_CREATE 1, "
        "realtime-inference ON_DEMAND"
    ) in out
    assert f"  grant      added: users may create projects from it in domain unit {ROOT_UNIT}" in out


def test_an_absent_project_profile_is_created_with_tooling_first(aws: Aws, capsys: pytest.CaptureFixture[str]) -> None:
    expect_profile_preflight(aws)
    aws.expect_current("genai-sandbox", "bp1")
    aws.expect("list_project_profiles", {"domainIdentifier": DOMAIN, "name": PROFILE}, {"items": []})
    overrides = [
        {"name": "PermissionsBoundaryArn", "value": "arn:aws:iam::123456789012:policy/b", "isEditable": False},
        {"name": "DataSourceS3Arns", "value": "", "isEditable": False},
    ]
    sandbox = {
        "name": "genai-sandbox",
        "environmentBlueprintId": "bp1",
        "deploymentMode": "ON_CREATE",
        "deploymentOrder": 1,
        **PLACEMENT,
        "configurationParameters": {"parameterOverrides": overrides},
    }
    params = {
        "domainIdentifier": DOMAIN,
        "name": PROFILE,
        "description": PROFILE_DESCRIPTION,
        "status": "ENABLED",
        "domainUnitIdentifier": ROOT_UNIT,
        "environmentConfigurations": [{**TOOLING, **PLACEMENT}, sandbox],
    }
    aws.expect(
        "create_project_profile", params, {"domainId": DOMAIN, "id": "prof9", "name": PROFILE, "createdBy": "me"}
    )
    detail = {"createProjectFromProjectProfile": {"includeChildDomainUnits": True, "projectProfiles": ["prof9"]}}
    aws.expect(
        "add_policy_grant", {**PROFILE_ENTITY, "principal": {"user": {"allUsersGrantFilter": {}}}, "detail": detail}
    )

    lock = "PermissionsBoundaryArn=arn:aws:iam::123456789012:policy/b"
    assert aws.publish("--blueprints", "genai-sandbox", "--project-profile", PROFILE, "--lock", lock) == 0

    assert "  profile    created prof9: Tooling ON_CREATE 0, genai-sandbox ON_CREATE 1" in capsys.readouterr().out


def test_a_current_project_profile_with_its_grant_is_only_read(aws: Aws, capsys: pytest.CaptureFixture[str]) -> None:
    expect_profile_preflight(aws)
    aws.expect_current("batch-inference", "bp3")
    profile = {"domainId": DOMAIN, "id": "prof1", "name": PROFILE, "createdBy": "admin"}
    batch = {
        "name": "batch-inference",
        "environmentBlueprintId": "bp3",
        "deploymentMode": "ON_DEMAND",
        **PLACEMENT,
        "configurationParameters": {
            "parameterOverrides": [{"name": "PermissionsBoundaryArn", "value": "", "isEditable": False}]
        },
    }
    aws.expect("list_project_profiles", {"domainIdentifier": DOMAIN, "name": PROFILE}, {"items": [profile]})
    aws.expect(
        "get_project_profile",
        {"domainIdentifier": DOMAIN, "identifier": "prof1"},
        {**profile, "environmentConfigurations": [{**TOOLING, **PLACEMENT}, batch]},
    )
    detail = {
        "createProjectFromProjectProfile": {"includeChildDomainUnits": True, "projectProfiles": ["prof0", "prof1"]}
    }
    aws.expect_grants(PROFILE_ENTITY, [{"principal": {"user": {"allUsersGrantFilter": {}}}, "detail": detail}])

    assert aws.publish("--blueprints", "batch-inference", "--project-profile", PROFILE) == 0

    out = capsys.readouterr().out
    assert "  profile    current prof1" in out
    assert "  grant      present: users may create projects" in out


def test_every_invalid_option_is_reported_at_once_and_nothing_is_called(capsys: pytest.CaptureFixture[str]) -> None:
    def no_clients(region: str | None) -> Clients:
        raise AssertionError("no AWS client may be made")

    argv = ["publish", "--domain-id", "dz_1", "--bucket", "Bad_Bucket", "--regions", "us-east-1,mars-1"]
    argv += ["--provisioning-role-arn", "arn:aws:iam::123:user/x", "--blueprints", "genai-sandbox,nope"]
    argv += ["--lock", "Foo=1", "--lock", "novalue"]

    assert main(argv, clients=no_clients) == 2

    error = capsys.readouterr().err
    assert "publish: 8 problem(s), nothing changed" in error
    for problem in (
        "--domain-id='dz_1': expected dzd_ or dzd- and 1-36 letters, digits, '_', '-'",
        "--bucket='Bad_Bucket': expected an S3 bucket name",
        "--provisioning-role-arn='arn:aws:iam::123:user/x': expected an IAM role ARN",
        "--regions 'mars-1': not a Region of SMUS; valid: us-east-1, us-east-2",
        "--blueprints 'nope': not in dist/manifest.json; valid: genai-sandbox, realtime-inference, batch-inference",
        "--lock: needs --project-profile",
        "--lock 'novalue': expected NAME=VALUE",
        "--lock Foo: not a parameter of the selected blueprints; valid: ",
    ):
        assert problem in error


def test_locks_must_name_a_parameter_of_the_selected_blueprints(aws: Aws, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--blueprints", "batch-inference", "--project-profile", PROFILE, "--lock", "DataSourceS3Arns=x"]

    assert aws.publish(*args) == 2

    error = capsys.readouterr().err
    assert "--lock DataSourceS3Arns: not a parameter of the selected blueprints; valid: " in error
    assert "ProjectName" in error.split("valid: ", 1)[1]  # any parameter can be locked, not only admin-only ones


@pytest.mark.parametrize(
    ("bucket", "problem"),
    [
        ("eu-templates", "bucket eu-templates is in eu-west-1, but the domain is reached in us-east-1: use a bucket"),
        ("missing-bucket", "bucket missing-bucket does not exist: create it in us-east-1, the domain's Region"),
    ],
)
def test_the_bucket_must_exist_in_the_domains_region(
    aws: Aws, capsys: pytest.CaptureFixture[str], bucket: str, problem: str
) -> None:
    aws.s3.create_bucket(Bucket="eu-templates", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    clients = Clients(aws.datazone.client, aws.s3, aws.sts)
    argv = ["publish", "--domain-id", DOMAIN, "--bucket", bucket, "--regions", REGION, "--provisioning-role-arn", ROLE]

    assert main(argv, clients=lambda region: clients) == 2

    assert problem in capsys.readouterr().err


@pytest.mark.parametrize(
    ("code", "hint"),
    [
        ("ConflictException", "another blueprint or project profile of this name exists (AWS-managed"),
        ("ValidationException", "DataZone refused a value of the request: the message names it"),
    ],
)
def test_aws_errors_say_what_to_do(aws: Aws, capsys: pytest.CaptureFixture[str], code: str, hint: str) -> None:
    aws.expect_root_unit()
    aws.expect_lookup("genai-sandbox")
    aws.datazone.add_client_error("create_environment_blueprint", code, "the service's message", 400)

    assert aws.publish("--blueprints", "genai-sandbox") == 1

    error = capsys.readouterr().err
    assert f"AWS CreateEnvironmentBlueprint failed: {code}: the service's message\n  hint: {hint}" in error


def test_the_real_catalogue_makes_valid_requests(
    aws: Aws, synthesized: Synthesized, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The synthesized manifest's parameters and overrides, through the strict Stubber (parameters not compared)."""
    (tmp_path / "dist").symlink_to(synthesized.dist)
    monkeypatch.setattr(distribution, "ROOT", tmp_path)
    names = [entry["name"] for entry in synthesized.manifest["blueprints"]]
    aws.expect_root_unit()
    aws.expect_lookup("Tooling", summary("Tooling", TOOLING_ID, "https://example.com/tooling.json"), managed=True)
    stub = aws.datazone.add_response
    for number, name in enumerate(names):
        stub("list_environment_blueprints", {"items": []})
        stub("create_environment_blueprint", summary(name, f"bp{number}", "https://example.com/t.json"))
        stub("put_environment_blueprint_configuration", {"domainId": DOMAIN, "environmentBlueprintId": f"bp{number}"})
        stub("add_policy_grant", {})
    stub("list_project_profiles", {"items": []})
    stub("create_project_profile", {"domainId": DOMAIN, "id": "p1", "name": PROFILE, "createdBy": "me"})
    stub("add_policy_grant", {})

    assert aws.publish("--project-profile", PROFILE, "--lock", "PermissionsBoundaryArn=arn:aws:iam::1:policy/b") == 0

    assert len(aws.keys()) == len(names)


# ---- list ----------------------------------------------------------------------------------------------------------


def test_list_prints_the_catalogue(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list"]) == 0

    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == ["NAME", "MODE", "SIZE", "RESOURCES", "DESCRIPTION"]
    size = f"{len(template('genai-sandbox')) / 1024:.1f} KiB"
    assert table(out)["genai-sandbox"] == ["ON_CREATE 1", size, "1", "The genai-sandbox blueprint."]
    assert table(out)["batch-inference"][0] == "ON_DEMAND"


def test_list_with_a_domain_tells_registered_and_current(aws: Aws, capsys: pytest.CaptureFixture[str]) -> None:
    items = [
        summary("genai-sandbox", "bp1", url("genai-sandbox")),
        summary("realtime-inference", "bp2", url("realtime-inference", "a" * 64)),
        summary("unrelated", "bp9", "https://example.com/t.json"),
    ]
    aws.expect("list_environment_blueprints", {"domainIdentifier": DOMAIN, "managed": False}, {"items": items})

    assert aws.list_blueprints("--domain-id", DOMAIN) == 0

    out = capsys.readouterr().out
    rows = table(out)
    assert rows["genai-sandbox"][3:5] == ["bp1", "current"]
    assert rows["realtime-inference"][3:5] == ["bp2", f"outdated (registered {'a' * 12})"]
    assert rows["batch-inference"][3:5] == ["-", "not registered"]
    assert out.splitlines()[-1] == "Register or update them with: python -m blueprints publish"


def test_list_rejects_an_invalid_domain_id(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list", "--domain-id", "dzd_no/slash"]) == 2

    assert "--domain-id='dzd_no/slash': expected dzd_ or dzd-" in capsys.readouterr().err


def test_descriptions_longer_than_datazone_takes_are_flagged(
    aws: Aws, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(distribution, "ROOT", write_catalogue(tmp_path, long_description=True))

    assert main(["list"]) == 0
    assert aws.publish("--blueprints", "genai-sandbox") == 2

    error = capsys.readouterr().err
    assert "warning: genai-sandbox: description has 2049 characters, DataZone takes at most 2048" in error
    assert "genai-sandbox: description has 2049 characters, DataZone takes 2048" in error


# ---- dist/ staleness -----------------------------------------------------------------------------------------------


@pytest.fixture
def synthesis(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[tuple[list[str], Path]]:
    """A repository in ``tmp_path`` with a current ``dist/``; ``python app.py`` replaced by a touch of the manifest.
    Returns the commands run."""
    monkeypatch.setattr(distribution, "ROOT", write_catalogue(tmp_path))
    commands: list[tuple[list[str], Path]] = []

    def synthesizing(command: list[str], cwd: Path, **_: Any) -> subprocess.CompletedProcess[str]:
        commands.append((command, cwd))
        write_catalogue(tmp_path)
        return subprocess.CompletedProcess(command, 0, "", "")

    monkeypatch.setattr(subprocess, "run", synthesizing)
    return commands


def touch(path: Path, age: float = 0) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch()
    os.utime(path, (time.time() + 5 - age, time.time() + 5 - age))


def test_a_current_dist_is_read_as_it_is(synthesis: list[tuple[list[str], Path]], tmp_path: Path) -> None:
    touch(tmp_path / "blueprints" / "__pycache__" / "catalogue.cpython-311.pyc")

    assert [blueprint.name for blueprint in distribution.catalogue()] == NAMES
    assert synthesis == []


@pytest.mark.parametrize(
    "source", [*SOURCES[:2], "blueprints/cli/x.py", "stacks/new.py", "constructs/genai_sandbox_constructs/a/b.py"]
)
def test_a_dist_older_than_a_source_is_synthesized_first(
    synthesis: list[tuple[list[str], Path]], tmp_path: Path, capsys: pytest.CaptureFixture[str], source: str
) -> None:
    touch(tmp_path / source)

    assert main(["list"]) == 0

    assert synthesis == [([sys.executable, "app.py"], tmp_path)]
    assert "dist/ is missing or older than the sources: synthesizing again (python app.py)" in capsys.readouterr().err


def test_a_missing_dist_is_synthesized(synthesis: list[tuple[list[str], Path]], tmp_path: Path) -> None:
    (tmp_path / "dist" / "manifest.json").unlink()

    assert len(distribution.catalogue()) == 3
    assert len(synthesis) == 1


def test_a_failed_synthesis_fails_the_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(distribution, "ROOT", write_catalogue(tmp_path))
    touch(tmp_path / "stacks" / "base.py")
    failed = subprocess.CompletedProcess(["python"], 1, "", "Traceback\nValueError: bad stack\n")
    monkeypatch.setattr(subprocess, "run", lambda *args, **kwargs: failed)

    assert main(["list"]) == 1

    error = capsys.readouterr().err
    assert f"error: synthesis failed (python app.py exited 1); run it in {tmp_path} to see why:" in error
    assert "    ValueError: bad stack" in error


# ---- the module's constants and weight ----------------------------------------------------------------------------


def test_smus_regions_are_datazone_regions() -> None:
    assert len(set(SMUS_REGIONS)) == len(SMUS_REGIONS)
    assert set(SMUS_REGIONS) <= set(boto3.session.Session().get_available_regions("datazone"))


def test_patterns_are_those_of_botocores_datazone_model() -> None:
    model = botocore.session.get_session().get_service_model("datazone")
    assert DOMAIN_ID.pattern == model.shape_for("DomainId").metadata["pattern"]
    assert ROLE_ARN.pattern == model.shape_for("RoleArn").metadata["pattern"]
    options = {attribute: regex for attribute, regex, _ in OPTION_PATTERNS}
    for attribute, shape in (("domain_unit_id", "DomainUnitId"), ("project_profile", "ProjectProfileName")):
        metadata = model.shape_for(shape).metadata
        for value in ("", "a", "a-b_c", "a b", "A", "x/y", "a" * 64, "a" * 65, "a" * 256, "a" * 257):
            valid = re.fullmatch(metadata["pattern"], value) is not None and len(value) <= metadata["max"]
            assert (options[attribute].fullmatch(value) is not None) == valid, (attribute, value)


def test_list_and_publish_import_neither_the_cdk_nor_the_stacks(catalogue_root: Path) -> None:
    probe = (
        "from pathlib import Path\n"
        "import blueprints.__main__ as cli\nfrom blueprints.cli import distribution\n"
        "distribution.ROOT = Path(sys.argv[1])\n"
        "assert cli.main(['list']) == 0\n"
        f"args = ['--domain-id', {DOMAIN!r}, '--bucket', {BUCKET!r}, '--regions', 'us-east-1', "
        f"'--provisioning-role-arn', {ROLE!r}, '--region', 'us-east-1']\n"
        "code = cli.main(['publish', *args])\n"
        "assert code == 1, code\n"
    )

    result = run_light_probe(REPO, probe, str(catalogue_root))

    assert result.returncode == 0, result.stderr
    assert "error: AWS request failed: Could not connect to the endpoint URL" in result.stderr
    assert "genai-sandbox" in result.stdout


# ---- API Gateway's logging role ----------------------------------------------------------------------------------


def _logging_request(tmp_path: Path, *, configure: bool = False, dry_run: bool = False) -> publish_module.Request:
    api = tmp_path / "api.template.json"
    api.write_text('{"Resources": {"Stage": {"Type": "AWS::ApiGateway::Stage"}}}')
    blueprint = DistBlueprint("realtime-inference", "d", api, "0" * 64, 1, 1, "ON_DEMAND", None, [], [])
    return publish_module.Request(
        "dzd_abc123", "bucket", ["us-east-1", "eu-west-1"], "arn:aws:iam::123456789012:role/p", [blueprint], None,
        None, {}, configure_api_logging=configure, dry_run=dry_run,
    )  # fmt: skip


def _gateways(*missing: str) -> dict[str, Any]:
    gateways: dict[str, Any] = {}
    for region in ("us-east-1", "eu-west-1"):
        stubber = Stubber(strict(boto3.client("apigateway", region_name=region)))
        stubber.add_response("get_account", {} if region in missing else {"cloudwatchRoleArn": "arn:aws:iam::1:role/x"})
        stubber.activate()
        gateways[region] = stubber
    return gateways


def test_api_blueprints_need_the_logging_role_in_every_region(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    gateways = _gateways("eu-west-1")
    clients = Clients(None, None, None, lambda region: gateways[region].client, None)
    with pytest.raises(CliError, match="no CloudWatch Logs role in eu-west-1: realtime-inference cannot create"):
        publish_module.check_api_logging(clients, _logging_request(tmp_path))


def test_configure_api_logging_sets_the_role_where_it_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    gateways = _gateways("eu-west-1")
    set_role = {"op": "replace", "path": "/cloudwatchRoleArn"}
    gateways["eu-west-1"].add_response("update_account", {}, {"patchOperations": [set_role | {"value": ANY}]})
    sts = Stubber(strict(boto3.client("sts")))
    sts.add_response("get_caller_identity", {"Account": "123456789012", "Arn": "arn:aws:iam::123456789012:user/a"})
    sts.activate()
    with mock_aws(config={"iam": {"load_aws_managed_policies": True}}):
        clients = Clients(None, None, sts.client, lambda region: gateways[region].client, boto3.client("iam"))
        publish_module.check_api_logging(clients, _logging_request(tmp_path, configure=True))
    for stubber in gateways.values():
        stubber.assert_no_pending_responses()
    assert "set in eu-west-1" in capsys.readouterr().out


# ---- the provisioning role's permissions -------------------------------------------------------------------------


def test_a_provisioning_role_that_lacks_actions_is_refused_naming_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    iam = Stubber(strict(boto3.client("iam")))
    request = _logging_request(tmp_path)
    actions = required_actions(["realtime-inference"])
    for start in range(0, len(actions), publish_module.SIMULATED_PER_CALL):
        chunk = actions[start : start + publish_module.SIMULATED_PER_CALL]
        results = [
            {
                "EvalActionName": a,
                "EvalResourceName": "*",
                "EvalDecision": "implicitDeny" if a == "iam:PassRole" else "allowed",
            }
            for a in chunk
        ]
        iam.add_response(
            "simulate_principal_policy",
            {"EvaluationResults": results, "IsTruncated": False},
            {"PolicySourceArn": request.role_arn, "ActionNames": chunk},
        )
    iam.activate()
    with pytest.raises(CliError, match=r"may not iam:PassRole: the templates need them.*provisioning-role --create"):
        publish_module.check_provisioning_role(Clients(None, None, None, None, iam.client), request)
    iam.assert_no_pending_responses()


def test_a_provisioning_role_with_every_action_passes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    iam = Stubber(strict(boto3.client("iam")))
    request = _logging_request(tmp_path)
    actions = required_actions(["realtime-inference"])
    for start in range(0, len(actions), publish_module.SIMULATED_PER_CALL):
        chunk = actions[start : start + publish_module.SIMULATED_PER_CALL]
        results = [{"EvalActionName": a, "EvalResourceName": "*", "EvalDecision": "allowed"} for a in chunk]
        iam.add_response("simulate_principal_policy", {"EvaluationResults": results, "IsTruncated": False})
    iam.activate()
    publish_module.check_provisioning_role(Clients(None, None, None, None, iam.client), request)
    assert f"may do all {len(actions)} actions" in capsys.readouterr().out


def test_any_parameter_can_be_locked_to_cap_cost(tmp_path: Path) -> None:
    user_parameters = [{"keyName": "InstanceType"}, {"keyName": "MaxInstanceCount"}]
    admin_only = [{"name": "PermissionsBoundaryArn", "value": "", "isEditable": False}]
    blueprint = DistBlueprint(
        "realtime-inference", "d", tmp_path / "t.json", "0" * 64, 1, 1, "ON_DEMAND", None, user_parameters, admin_only
    )
    locks = {"InstanceType": "ml.m5.large", "MaxInstanceCount": "2", "NetworkMode": "NewVpc"}
    assert publish_module.parameter_overrides(blueprint, {}, locks) == [
        {"name": "PermissionsBoundaryArn", "value": "", "isEditable": False},
        {"name": "InstanceType", "value": "ml.m5.large", "isEditable": False},
        {"name": "MaxInstanceCount", "value": "2", "isEditable": False},
    ]  # NetworkMode is genai-sandbox's: not this blueprint's override
