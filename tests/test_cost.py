"""``python -m blueprints cost``: idle cost per blueprint and option, from the templates, and the README's table."""

from __future__ import annotations

import json
from pathlib import Path

from blueprints.cli.cost import Conditions, Usage, idle_lines, markdown, usage_lines
from blueprints.cli.cost import idle_costs as costs
from blueprints.cli.distribution import DistBlueprint, dist_blueprint
from tests.conftest import Synthesized

README = Path(__file__).parent.parent / "README.md"


def _blueprints(synthesized: Synthesized) -> list[DistBlueprint]:
    manifest = json.loads((synthesized.dist / "manifest.json").read_text())
    return [dist_blueprint(synthesized.dist, item) for item in manifest["blueprints"]]


def test_the_readme_table_is_current(synthesized: Synthesized) -> None:
    table = markdown(list(costs(_blueprints(synthesized))))
    block = README.read_text().split("<!-- cost:begin -->\n", 1)[1].split("\n<!-- cost:end -->", 1)[0]
    assert block == table, "stale: run `make cost`"


def _lines(synthesized: Synthesized, name: str, **given: str) -> dict[str, float]:
    lines = idle_lines(Conditions(synthesized.templates[name], given))
    return {line.what: line.monthly_usd for line in lines}


def test_new_vpc_pays_for_its_interface_endpoints_in_two_zones(synthesized: Synthesized) -> None:
    assert _lines(synthesized, "genai-sandbox", NetworkMode="ProjectNetwork") == {"1 KMS key(s)": 1.0}
    new_vpc = _lines(synthesized, "genai-sandbox", NetworkMode="NewVpc")
    assert new_vpc["interface endpoints: 24 endpoint-AZs"] == 24 * 0.01 * 730  # 12 endpoints x 2 AZs


def test_real_time_instances_follow_the_environment_default(synthesized: Synthesized) -> None:
    sagemaker = {"ModelSource": "SageMaker", "ModelPackageArn": "arn:aws:sagemaker:us-east-1:1:model-package/g/1"}
    prod = _lines(synthesized, "realtime-inference", Environment="prod", **sagemaker)
    assert prod["2 x ml.m5.xlarge instance(s)"] == 2 * 0.23 * 730
    explicit = _lines(synthesized, "realtime-inference", MinInstanceCount="3", MaxInstanceCount="4", **sagemaker)
    assert "3 x ml.m5.xlarge instance(s)" in explicit
    odd = _lines(synthesized, "realtime-inference", InstanceType="ml.p4d.24xlarge", **sagemaker)
    assert odd["1 x ml.p4d.24xlarge (price not in the table)"] == 0.0


def test_monitoring_off_removes_alarms_and_dashboards(synthesized: Synthesized) -> None:
    assert _lines(synthesized, "async-inference", MonitoringEnabled="false") == {}
    on = _lines(synthesized, "async-inference")
    assert on == {"4 alarm(s)": 0.4, "1 dashboard(s)": 3.0}


def test_async_and_serverless_sagemaker_endpoints_idle_at_no_instance_cost(synthesized: Synthesized) -> None:
    sagemaker = {"ModelSource": "SageMaker", "ModelPackageArn": "arn:aws:sagemaker:us-east-1:1:model-package/g/1"}
    for name in ("async-inference", "serverless-inference"):
        assert not [what for what in _lines(synthesized, name, **sagemaker) if "instance" in what], name


def test_a_month_of_use_adds_requests_and_model_time() -> None:
    usage = Usage(8, 22, 100_000, 2, "ml.g5.xlarge", 0.5)
    api = {line.what: line.monthly_usd for line in usage_lines("realtime-inference", "ModelSource Bedrock", usage)}
    assert api == {
        "100,000 function invocations": 0.1 * 0.20,
        "API requests": 0.1 * 3.50,
        "Bedrock tokens (given rate)": 100 * 0.5,
    }
    async_sagemaker = usage_lines("async-inference", "ModelSource SageMaker", usage)
    assert async_sagemaker[-1].what == "176 h of ml.g5.xlarge"
    assert async_sagemaker[-1].monthly_usd == 176 * 1.408
    batch = {line.what for line in usage_lines("batch-inference", "ModelSource SageMaker", usage)}
    assert batch == {"176 h of ml.g5.xlarge"}  # one job per batch, not an invocation per record
    serverless = usage_lines("serverless-inference", "ModelSource SageMaker", usage)[-1]
    assert serverless.monthly_usd == 100_000 * 2 * 2 * 0.00002
