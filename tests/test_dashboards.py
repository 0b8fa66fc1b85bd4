"""One dashboard set per environment, behind MonitoringEnabled, with the signals of its pattern: metric names,
namespaces and dimensions read back from the dashboard bodies CloudFormation would create."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import Synthesized
from tests.helpers.conditions import Evaluated

SAGEMAKER = {
    "ModelSource": "SageMaker",
    "ModelPackageArn": "arn:aws:sagemaker:us-east-1:123456789012:model-package/g/1",
}


def _rendered(body: Any) -> dict[str, Any]:
    """A dashboard body with every reference written as ``<LogicalId>`` (or ``<Ref>``)."""
    if isinstance(body, str):
        return dict(json.loads(body))
    parts = body["Fn::Join"][1]
    return dict(json.loads("".join(p if isinstance(p, str) else _reference(p) for p in parts)))


def _reference(node: dict[str, Any]) -> str:
    """``<LogicalId>`` for ``Ref``/``Fn::GetAtt``, ``<Function>`` for any other intrinsic."""
    if "Ref" in node:
        return f"<{node['Ref']}>"
    if "Fn::GetAtt" in node:
        return f"<{node['Fn::GetAtt'][0]}>"
    return f"<{next(iter(node))}>"


def _dashboards(template: dict[str, Any], **given: str) -> dict[str, set[tuple[str, ...]]]:
    """Dashboard logical id -> its metrics as (namespace, name, dimension names and values...)."""
    evaluated = Evaluated(template, given)
    found = {}
    for logical_id, resource in evaluated.resources().items():
        if resource["Type"] != "AWS::CloudWatch::Dashboard":
            continue
        body = _rendered(evaluated.resolve(resource["Properties"]["DashboardBody"]))
        metrics = {
            tuple(str(item) for item in metric if not isinstance(item, dict))
            for widget in body["widgets"]
            for metric in widget["properties"]["metrics"]
            if isinstance(metric[0], str)
        }
        found[logical_id.rstrip("0123456789ABCDEF")] = metrics
    return found


@pytest.mark.parametrize("blueprint", ["realtime-inference", "serverless-inference"])
def test_api_dashboards_show_requests_errors_latency_and_the_model(synthesized: Synthesized, blueprint: str) -> None:
    template = synthesized.templates[blueprint]
    dashboards = _dashboards(template, **SAGEMAKER)
    api, model = dashboards["MonitoringApiDashboard"], dashboards["MonitoringModelDashboard"]
    names = {(m[0], m[1]) for m in api}
    assert names == {
        ("AWS/ApiGateway", "4XXError"),
        ("AWS/ApiGateway", "5XXError"),
        ("AWS/ApiGateway", "Latency"),
        ("AWS/Lambda", "Errors"),
        ("AWS/Lambda", "Throttles"),
    }
    assert {m[1] for m in model} == {"Invocation5XXErrors", "ModelLatency"}
    assert all(m[2:4] == ("EndpointName", "<Endpoint8024A810>") and m[4] == "VariantName" for m in model)
    assert set(_dashboards(template)) == {"MonitoringApiDashboard"}  # Bedrock: no endpoint to show
    assert _dashboards(template, MonitoringEnabled="false", **SAGEMAKER) == {}


def test_async_dashboards_show_the_queue_and_the_endpoints_backlog(synthesized: Synthesized) -> None:
    template = synthesized.templates["async-inference"]
    dashboards = _dashboards(template, **SAGEMAKER)
    requests = {(m[0], m[1]) for m in dashboards["MonitoringRequestsDashboard"]}
    assert requests == {
        ("AWS/SQS", "ApproximateAgeOfOldestMessage"),
        ("AWS/SQS", "ApproximateNumberOfMessagesVisible"),
        ("AWS/Lambda", "Errors"),
    }
    endpoint = dashboards["MonitoringEndpointDashboard"]
    assert {m[1] for m in endpoint} == {
        "ApproximateBacklogSize",
        "ApproximateBacklogSizePerInstance",
        "HasBacklogWithoutCapacity",
    }
    assert all(m[2:] == ("EndpointName", "<Endpoint8024A810>") for m in endpoint)  # no VariantName: async metrics
    assert "Invocations" not in {m[1] for metrics in dashboards.values() for m in metrics}
    assert set(_dashboards(template)) == {"MonitoringRequestsDashboard"}
    assert _dashboards(template, MonitoringEnabled="false") == {}


def test_batch_dashboard_shows_job_outcomes(synthesized: Synthesized) -> None:
    template = synthesized.templates["batch-inference"]
    (jobs,) = _dashboards(template, datazoneEnvironmentEnvironmentId="env1").values()
    outcomes = {m for m in jobs if m[0] == "GenAISandbox/BatchInference"}
    assert outcomes == {
        ("GenAISandbox/BatchInference", "JobsSucceeded", "EnvironmentId", "env1"),
        ("GenAISandbox/BatchInference", "JobsFailed", "EnvironmentId", "env1"),
    }
    assert _dashboards(template, MonitoringEnabled="false") == {}
