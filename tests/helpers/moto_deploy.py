"""Deploy templates into moto's CloudFormation, with its known gaps worked around and recorded."""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from moto import mock_aws

from stacks.smus import ENVIRONMENT_ID

REGION = "us-east-1"
APPLICATION_PROFILE = "AWS::Bedrock::ApplicationInferenceProfile"
NO_OP_STATEMENT = {"Effect": "Deny", "Action": "none:NoSuchAction", "Resource": "*"}
PROFILE_STAND_IN = "arn:aws:bedrock:${AWS::Region}:${AWS::AccountId}:application-inference-profile/moto00000000"


def moto_compatible(template: dict[str, Any]) -> str:
    """The template with moto's known gaps worked around; each one is asserted on the template elsewhere.

    - moto 5.2.5 reads KMS key tags as ``TagKey``/``TagValue`` and fails on CloudFormation's ``Key``/``Value``
      (KeyError 'TagKey'): key tags are dropped here and asserted in test_genai_sandbox.py.
    - CloudFormation lowercases the names it generates for ECR repositories; moto keeps the stack name's case
      and then rejects it: the repository gets an explicit lowercase name here.
    - moto reads an S3 flow-log destination with a key prefix as a bucket name: the prefix is dropped here and
      asserted in test_genai_sandbox_network.py.
    - moto has no ``AWS::Bedrock::ApplicationInferenceProfile``: it is dropped and its ARN replaced by a stand-in
      (asserted in test_model_source.py).
    - moto 5.2.5 reads SSM parameter tags as a list of ``Key``/``Value`` and fails on CloudFormation's map
      (TypeError): they become a list here; the map is what the access tests read (test_member_access.py).
    - moto 5.2.5 leaves ``AWS::NoValue`` in a policy's statement list as null and refuses the document: a statement
      that exists only under a condition gets a no-op stand-in (a Deny of no real action) in its other branch; the
      real documents are evaluated in test_member_access.py.
    - moto keeps a Number parameter's string default as a string and then fails its own integer checks: such
      defaults become numbers here (CloudFormation converts them itself).
    """
    patched = json.loads(json.dumps(template))
    for spec in patched.get("Parameters", {}).values():
        if spec["Type"] == "Number" and isinstance(spec.get("Default"), str):
            spec["Default"] = int(spec["Default"])
    for logical_id in [k for k, r in patched["Resources"].items() if r["Type"] == APPLICATION_PROFILE]:
        del patched["Resources"][logical_id]
        stand_in = json.dumps({"Fn::Sub": PROFILE_STAND_IN})
        patched = json.loads(
            json.dumps(patched).replace(json.dumps({"Fn::GetAtt": [logical_id, "InferenceProfileArn"]}), stand_in)
        )
    for logical_id, resource in patched["Resources"].items():
        if resource["Type"] == "AWS::KMS::Key":
            resource["Properties"].pop("Tags", None)
        if resource["Type"] == "AWS::IAM::ManagedPolicy":
            for statement in resource["Properties"]["PolicyDocument"]["Statement"]:
                if "Fn::If" in statement and statement["Fn::If"][2] == {"Ref": "AWS::NoValue"}:
                    statement["Fn::If"][2] = NO_OP_STATEMENT
        if resource["Type"] == "AWS::SSM::Parameter" and "Tags" in resource["Properties"]:
            tags = resource["Properties"]["Tags"]
            resource["Properties"]["Tags"] = [{"Key": k, "Value": v} for k, v in tags.items()]
        if resource["Type"] == "AWS::EC2::FlowLog":
            resource["Properties"]["LogDestination"] = resource["Properties"]["LogDestination"]["Fn::Join"][1][0]
        if resource["Type"] == "AWS::ECR::Repository":
            resource["Properties"]["RepositoryName"] = {"Fn::Sub": f"{logical_id.lower()}-${{{ENVIRONMENT_ID}}}"}
    return json.dumps(patched)


@dataclass
class MotoAccount:
    """Clients of one mocked account and the resource types moto skipped while creating stacks."""

    skipped: set[str] = field(default_factory=set)

    def client(self, service: str) -> Any:
        """A boto3 client of the mocked account."""
        return boto3.client(service, region_name=REGION)

    def create_stack(self, name: str, body: str, parameters: dict[str, str] | None = None) -> dict[str, str]:
        """Create ``name`` and return its outputs; fails unless it reaches CREATE_COMPLETE."""
        cloudformation = self.client("cloudformation")
        cloudformation.create_stack(
            StackName=name,
            TemplateBody=body,
            Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in (parameters or {}).items()],
            Capabilities=["CAPABILITY_IAM"],
        )
        stack = cloudformation.describe_stacks(StackName=name)["Stacks"][0]
        assert stack["StackStatus"] == "CREATE_COMPLETE", name
        return {output["OutputKey"]: output["OutputValue"] for output in stack.get("Outputs", [])}

    def exports(self) -> dict[str, str]:
        """Every export in the account and region (moto also lists skipped conditional ones, without a value)."""
        listed = self.client("cloudformation").list_exports()["Exports"]
        return {export["Name"]: export["Value"] for export in listed if "Value" in export}


@contextmanager
def moto_account() -> Iterator[MotoAccount]:
    """A fresh mocked account with fake credentials; records the resource types moto skips."""
    account = MotoAccount()
    with pytest.MonkeyPatch.context() as patch:
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
            patch.setenv(name, "testing")
        with mock_aws(), warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield account
            account.skipped |= {m.group(1) for w in caught if (m := re.search(r"parse (\S+) but", str(w.message)))}


@dataclass
class PatternDeployment:
    """One project's Tooling and genai-sandbox stacks, and one environment of a pattern per option."""

    account: MotoAccount
    sandbox: dict[str, str]
    """genai-sandbox's outputs."""
    outputs: dict[str, dict[str, str]]
    """Option -> the pattern environment's outputs."""


@contextmanager
def deploy_pattern(
    templates: Mapping[str, dict[str, Any]],
    pattern: str,
    *,
    tooling: str,
    sandbox_parameters: Mapping[str, str],
    options: Mapping[str, Mapping[str, str]],
    environment_id: Callable[[str], str],
) -> Iterator[PatternDeployment]:
    """Deploy Tooling (``tooling``, a template body), genai-sandbox and ``pattern`` once per option, as
    environment ``environment_id(option)`` with the option's parameters, in one mocked account."""
    with moto_account() as account:
        account.create_stack("DataZone-Env-tooling", tooling)
        body = moto_compatible(templates["genai-sandbox"])
        sandbox = account.create_stack("DataZone-Env-sandbox", body, dict(sandbox_parameters))
        body = moto_compatible(templates[pattern])
        outputs = {
            option: account.create_stack(
                f"DataZone-Env-{environment_id(option)}",
                body,
                {**sandbox_parameters, "datazoneEnvironmentEnvironmentId": environment_id(option), **given},
            )
            for option, given in options.items()
        }
        yield PatternDeployment(account, sandbox, outputs)
