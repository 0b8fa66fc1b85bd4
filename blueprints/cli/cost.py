"""``python -m blueprints cost``: what each blueprint costs a month with nothing invoked, line by line, read from the
synthesized templates (the resources CloudFormation would create for each option) and the price table below.

Standard library only. The README's idle-cost table is this command's output (``make cost`` rewrites it; a test
fails when it is stale).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from blueprints.cli.distribution import DistBlueprint, catalogue

HOURS_PER_MONTH = 730
PRICES_SOURCE = "us-east-1 on-demand list prices as AWS published them in 2025 (not read live: verify current prices)"
PRICES = {
    "kms_key_month": 1.00,
    "interface_endpoint_az_hour": 0.01,
    "alarm_month": 0.10,
    "dashboard_month": 3.00,
    "lambda_per_million_requests": 0.20,
    "lambda_arm_gb_second": 0.0000133334,
    "rest_api_per_million_requests": 3.50,
    "serverless_inference_gb_second": 0.00002,
}
"""USD, us-east-1 (``PRICES_SOURCE``). Other Regions cost up to about a third more."""
INSTANCE_HOUR = {
    "ml.m5.large": 0.115,
    "ml.m5.xlarge": 0.23,
    "ml.m5.2xlarge": 0.461,
    "ml.g5.xlarge": 1.408,
    "ml.g5.2xlarge": 1.515,
}
"""SageMaker real-time hosting, USD per instance hour (``PRICES_SOURCE``)."""
OPTIONS: dict[str, list[dict[str, str]]] = {
    "genai-sandbox": [{"NetworkMode": "ProjectNetwork"}, {"NetworkMode": "NewVpc"}],
    "realtime-inference": [
        {"ModelSource": "Bedrock", "Environment": "dev"},
        {"ModelSource": "SageMaker", "Environment": "dev"},
        {"ModelSource": "SageMaker", "Environment": "prod"},
    ],
    "serverless-inference": [{"ModelSource": "Bedrock"}, {"ModelSource": "SageMaker"}],
    "async-inference": [{"ModelSource": "Bedrock"}, {"ModelSource": "SageMaker"}],
    "batch-inference": [{"ModelSource": "Bedrock"}, {"ModelSource": "SageMaker"}],
}
"""The options whose idle cost differs, per blueprint; every other parameter keeps its default."""
SAGEMAKER_MODEL = {"ModelPackageArn": "arn:aws:sagemaker:us-east-1:111122223333:model-package/g/1"}
"""What a SageMaker option needs to pass the template's conditions (no cost of its own)."""


@dataclass(frozen=True)
class Line:
    """One priced item of an option."""

    what: str
    monthly_usd: float


def register(groups: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``cost`` command."""
    parser = groups.add_parser(
        "cost",
        help="monthly cost of each blueprint with nothing invoked",
        description="Print, per blueprint and option, the monthly cost with nothing invoked, line by line.",
    )
    parser.add_argument("--markdown", action="store_true", help="print the README's table")
    usage = parser.add_argument_group("usage", "estimate a month of use instead (like the seed's cost table)")
    usage.add_argument("--usage", action="store_true", help="estimate a month of use")
    usage.add_argument("--hours-per-day", type=float, default=8, help="hours a day the model works. Default: 8")
    usage.add_argument("--days", type=float, default=22, help="days a month. Default: 22")
    usage.add_argument("--requests", type=float, default=100000, help="requests a month. Default: 100000")
    usage.add_argument("--seconds-per-request", type=float, default=2, help="model time per request. Default: 2")
    usage.add_argument("--instance-type", default="ml.m5.xlarge", help="SageMaker instance type. Default: ml.m5.xlarge")
    usage.add_argument(
        "--bedrock-usd-per-1k-requests",
        type=float,
        default=0,
        help="Bedrock tokens per 1,000 requests (model price x tokens). Default: 0, tokens not included",
    )
    parser.set_defaults(command=cost)


def cost(args: argparse.Namespace) -> int:
    """Print the idle cost, or with ``--usage`` a month of use, of every blueprint of ``dist/``."""
    rows = list(idle_costs(catalogue()))
    if args.usage:
        rows = [(b, o, lines + usage_lines(b, o, Usage.of(args))) for b, o, lines in rows if b != "genai-sandbox"]
    title = "a month of use (see --help for the assumptions)" if args.usage else "nothing invoked"
    print(markdown(rows) if args.markdown else plain(rows, title))
    return 0


@dataclass(frozen=True)
class Usage:
    """A month of use."""

    hours_per_day: float
    days: float
    requests: float
    seconds_per_request: float
    instance_type: str
    bedrock_usd_per_1k_requests: float

    @classmethod
    def of(cls, args: argparse.Namespace) -> Usage:
        """The ``--usage`` options."""
        return cls(
            args.hours_per_day,
            args.days,
            args.requests,
            args.seconds_per_request,
            args.instance_type,
            args.bedrock_usd_per_1k_requests,
        )


def usage_lines(blueprint: str, option: str, usage: Usage) -> list[Line]:
    """What a month of ``usage`` adds to an option's idle cost: requests through the front, and the model's time
    (Bedrock tokens at the given rate; SageMaker instance hours while working, or serverless GB-seconds).
    Real-time instances already run all month in the idle cost."""
    millions = usage.requests / 1_000_000
    lines = []
    if blueprint != "batch-inference":  # batches start one job each, not one invocation per record
        lines.append(
            Line(f"{usage.requests:,.0f} function invocations", millions * PRICES["lambda_per_million_requests"])
        )
    if blueprint in ("realtime-inference", "serverless-inference"):
        lines.append(Line("API requests", millions * PRICES["rest_api_per_million_requests"]))
    if "Bedrock" in option:
        lines.append(Line("Bedrock tokens (given rate)", usage.requests / 1000 * usage.bedrock_usd_per_1k_requests))
        if blueprint == "async-inference":  # the invoker waits for Bedrock's answer
            gb_seconds = usage.requests * usage.seconds_per_request * 0.25
            lines.append(Line("invoker time (256 MB)", gb_seconds * PRICES["lambda_arm_gb_second"]))
        return lines
    hours = usage.hours_per_day * usage.days
    price = INSTANCE_HOUR.get(usage.instance_type, 0.0)
    if blueprint in ("async-inference", "batch-inference"):
        lines.append(Line(f"{hours:,.0f} h of {usage.instance_type}", hours * price))
    elif blueprint == "serverless-inference":
        gb_seconds = usage.requests * usage.seconds_per_request * 2  # the default 2,048 MB
        lines.append(Line("serverless inference (2 GB)", gb_seconds * PRICES["serverless_inference_gb_second"]))
    return lines


def idle_costs(blueprints: list[DistBlueprint]) -> Iterator[tuple[str, str, list[Line]]]:
    """(blueprint, option, lines) for every option of every blueprint."""
    for blueprint in blueprints:
        template = json.loads(blueprint.template.read_text())
        for option in OPTIONS.get(blueprint.name, [{}]):
            given = {**(SAGEMAKER_MODEL if option.get("ModelSource") == "SageMaker" else {}), **option}
            label = ", ".join(f"{k} {v}" for k, v in option.items()) or "default"
            yield blueprint.name, label, idle_lines(Conditions(template, given))


def idle_lines(conditions: Conditions) -> list[Line]:
    """The priced resources of one option."""
    counted = conditions.count
    lines = [Line(f"{n} KMS key(s)", n * PRICES["kms_key_month"]) for n in [counted("AWS::KMS::Key")] if n]
    zones = sum(len(r.get("SubnetIds", [])) for r in conditions.properties("AWS::EC2::VPCEndpoint")
                if r.get("VpcEndpointType") == "Interface")  # fmt: skip
    if zones:
        hourly = PRICES["interface_endpoint_az_hour"] * HOURS_PER_MONTH
        lines.append(Line(f"interface endpoints: {zones} endpoint-AZs", zones * hourly))
    lines += [Line(f"{n} alarm(s)", n * PRICES["alarm_month"]) for n in [counted("AWS::CloudWatch::Alarm")] if n]
    lines += [
        Line(f"{n} dashboard(s)", n * PRICES["dashboard_month"]) for n in [counted("AWS::CloudWatch::Dashboard")] if n
    ]
    lines += instance_lines(conditions)
    return lines


def instance_lines(conditions: Conditions) -> list[Line]:
    """Endpoint instances that run with nothing invoked: a real-time endpoint's initial (minimum) count. Async
    endpoints scale to zero and serverless ones have none unless provisioned."""
    lines = []
    for config in conditions.properties("AWS::SageMaker::EndpointConfig"):
        if "AsyncInferenceConfig" in config or "ServerlessConfig" in json.dumps(config):
            continue
        for variant in config.get("ProductionVariants", []):
            count = int(float(conditions.value(variant["InitialInstanceCount"])))
            instance_type = str(conditions.value(variant["InstanceType"]))
            price = INSTANCE_HOUR.get(instance_type)
            if price is None:
                lines.append(Line(f"{count} x {instance_type} (price not in the table)", 0.0))
            else:
                lines.append(Line(f"{count} x {instance_type} instance(s)", count * price * HOURS_PER_MONTH))
    return lines


class Conditions:
    """One template under one parameter set: which conditions hold and what values resolve to."""

    def __init__(self, template: Mapping[str, Any], given: Mapping[str, str]) -> None:
        self.template = template
        declared = template.get("Parameters", {})
        self.parameters = {name: str(given.get(name, spec.get("Default", ""))) for name, spec in declared.items()}
        self._cache: dict[str, bool] = {}

    def holds(self, name: str) -> bool:
        """The value of condition ``name``."""
        if name not in self._cache:
            self._cache[name] = bool(self.value(self.template["Conditions"][name]))
        return self._cache[name]

    def resources(self, resource_type: str) -> list[Mapping[str, Any]]:
        """The resources of ``resource_type`` CloudFormation would create."""
        return [
            r for r in self.template["Resources"].values()
            if r["Type"] == resource_type and ("Condition" not in r or self.holds(r["Condition"]))
        ]  # fmt: skip

    def count(self, resource_type: str) -> int:
        """How many of ``resource_type`` would be created."""
        return len(self.resources(resource_type))

    def properties(self, resource_type: str) -> list[dict[str, Any]]:
        """Their properties, with the taken branch of every ``Fn::If``."""
        return [self._branch(r.get("Properties", {})) for r in self.resources(resource_type)]

    def _branch(self, node: Any) -> Any:
        if isinstance(node, list):
            return [self._branch(item) for item in node]
        if not isinstance(node, dict):
            return node
        if "Fn::If" in node:
            name, taken, other = node["Fn::If"]
            return self._branch(taken if self.holds(name) else other)
        return {key: self._branch(value) for key, value in node.items()}

    def value(self, node: Any) -> Any:
        """``node`` evaluated: parameters, mappings, conditions and the string functions they use."""
        if not isinstance(node, dict):
            return node
        ((function, argument),) = node.items()
        operations: dict[str, Callable[[], Any]] = {
            "Ref": lambda: self.parameters.get(argument, argument),
            "Condition": lambda: self.holds(argument),
            "Fn::If": lambda: self.value(argument[1] if self.holds(argument[0]) else argument[2]),
            "Fn::Equals": lambda: str(self.value(argument[0])) == str(self.value(argument[1])),
            "Fn::Not": lambda: not self.value(argument[0]),
            "Fn::And": lambda: all(self.value(item) for item in argument),
            "Fn::Or": lambda: any(self.value(item) for item in argument),
            "Fn::FindInMap": lambda: self.template["Mappings"][self.value(argument[0])][self.value(argument[1])][
                self.value(argument[2])
            ],
            "Fn::Select": lambda: self.value(argument[1])[int(self.value(argument[0]))],
            "Fn::Split": lambda: str(self.value(argument[1])).split(argument[0]),
            "Fn::Join": lambda: str(argument[0]).join(str(self.value(item)) for item in self.value(argument[1])),
        }
        if function not in operations:
            return node
        return operations[function]()


def plain(rows: list[tuple[str, str, list[Line]]], title: str = "nothing invoked") -> str:
    """Line by line, with a total per option."""
    out = [f"Monthly cost with {title} ({PRICES_SOURCE}; log storage extra)"]
    for blueprint, option, lines in rows:
        out.append(f"{blueprint} ({option}): ${sum(line.monthly_usd for line in lines):,.2f}")
        out += [f"    {line.what}: ${line.monthly_usd:,.2f}" for line in lines]
    return "\n".join(out)


def markdown(rows: list[tuple[str, str, list[Line]]]) -> str:
    """The README's table: one row per blueprint and option."""
    out = ["| Blueprint | Option | Per month | What |", "|---|---|---|---|"]
    for blueprint, option, lines in rows:
        what = "; ".join(f"{line.what} ${line.monthly_usd:,.2f}" for line in lines) or "nothing"
        out.append(f"| `{blueprint}` | {option} | ${sum(line.monthly_usd for line in lines):,.2f} | {what} |")
    out.append(f"\nPrices: {PRICES_SOURCE}; log storage, requests and tokens extra.")
    return "\n".join(out)


README_MARKERS = ("<!-- cost:begin -->", "<!-- cost:end -->")
"""Where ``make cost`` writes the table in README.md."""


def write_readme(readme: Path) -> bool:
    """Replace the table between ``README_MARKERS``; return whether it changed."""
    begin, end = README_MARKERS
    text = readme.read_text()
    before, rest = text.split(begin, 1)
    after = rest.split(end, 1)[1]
    updated = f"{before}{begin}\n{markdown(list(idle_costs(catalogue())))}\n{end}{after}"
    readme.write_text(updated)
    return updated != text
