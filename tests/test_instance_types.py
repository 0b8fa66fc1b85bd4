"""Instance types come from botocore's SageMaker service model, not from a hand-written pattern."""

from __future__ import annotations

import botocore.session
import pytest

from genai_sandbox_constructs import ConfigurationError
from genai_sandbox_constructs.inference.endpoints import NVME_FAMILIES
from genai_sandbox_constructs.inference.instance_types import HOSTING_INSTANCE_TYPES, TRANSFORM_INSTANCE_TYPES
from tests.conftest import Synthesized
from tests.helpers.parameters import parameter_errors
from tests.helpers.stacks import new_stack, realtime_endpoint


def test_hosting_instance_types_are_the_service_models() -> None:
    model = botocore.session.get_session().get_service_model("sagemaker")
    assert tuple(model.shape_for("ProductionVariantInstanceType").enum) == HOSTING_INSTANCE_TYPES


def test_transform_instance_types_are_the_service_models() -> None:
    model = botocore.session.get_session().get_service_model("sagemaker")
    assert tuple(model.shape_for("TransformInstanceType").enum) == TRANSFORM_INSTANCE_TYPES
    assert set(HOSTING_INSTANCE_TYPES) - set(TRANSFORM_INSTANCE_TYPES)  # real-time takes types transform refuses


def test_nvme_families_are_hosting_families() -> None:
    families = {instance_type.split(".")[1] for instance_type in HOSTING_INSTANCE_TYPES}
    assert set(NVME_FAMILIES) - families <= {"c6id", "gr6", "m6id", "p3dn", "r6id"}  # hosting no longer lists these


@pytest.mark.parametrize(("value", "errors"), [("ml.t2.medium", 0), ("ml.p6e-gb200.36xlarge", 0), ("ml.m5.huge", 1)])
def test_instance_type_parameter_takes_what_hosting_accepts(synthesized: Synthesized, value: str, errors: int) -> None:
    given = {"ModelSource": "SageMaker", "InstanceType": value, "ModelPackageArn": PACKAGE}
    found = parameter_errors(synthesized.templates["realtime-inference"], VALID | given)
    assert len(found) == errors, found


def test_realtime_endpoint_refuses_a_literal_type_hosting_does_not_offer() -> None:
    with pytest.raises(ConfigurationError, match=r"instance_type='ml\.m5\.huge'"):
        realtime_endpoint(new_stack(), instance_type="ml.m5.huge")


PACKAGE = "arn:aws:sagemaker:us-east-1:111122223333:model-package/genai-sandbox-p1-dev/1"
VALID = {
    "datazoneEnvironmentDomainId": "dzd_abc123",
    "datazoneEnvironmentProjectId": "p1",
    "datazoneEnvironmentEnvironmentId": "e1",
}
