"""Architecture diagrams of the blueprints, generated from their synthesized templates as Mermaid flowcharts.

Nodes are the resources that carry the architecture (IAM policies, permissions, log groups and other plumbing are
left out); edges are the references between them (``Ref``, ``Fn::GetAtt``, ``Fn::Sub``), which include event source
mappings, subscriptions and rule targets; imports from genai-sandbox are nodes of their own. Conditional resources
are drawn dashed. ``make docs`` rewrites ``docs/diagrams/`` and the README's diagrams; a test fails when they are
stale. Standard library only.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).parent.parent
DIAGRAMS = ROOT / "docs" / "diagrams"
HIDDEN_TYPES = {
    "AWS::IAM::ManagedPolicy",
    "AWS::IAM::Policy",
    "AWS::Lambda::Permission",
    "AWS::SNS::TopicPolicy",
    "AWS::SQS::QueuePolicy",
    "AWS::S3::BucketPolicy",
    "AWS::Logs::LogGroup",
    "AWS::EC2::SecurityGroupEgress",
    "AWS::EC2::SecurityGroupIngress",
    "AWS::EC2::SubnetRouteTableAssociation",
    "AWS::EC2::RouteTable",
    "AWS::KMS::Alias",
    "AWS::ApiGateway::Deployment",
    "AWS::ApiGateway::Model",
    "AWS::ApiGateway::RequestValidator",
    "AWS::ApiGateway::Resource",
}
"""Plumbing: drawn, every one of them would hide the architecture."""
SANDBOX_EXPORT = re.compile(r"genaiSandbox([A-Za-z]+)-")
MARKERS = ("<!-- diagrams:begin -->", "<!-- diagrams:end -->")


def mermaid(template: dict[str, Any]) -> str:
    """The template as a Mermaid flowchart."""
    resources = {k: r for k, r in template["Resources"].items() if r["Type"] not in HIDDEN_TYPES}
    lines = ["flowchart LR", "  classDef conditional stroke-dasharray: 5 5"]
    for logical_id, resource in resources.items():
        kind = resource["Type"].split("::", 1)[1].replace("::", " ")
        style = ":::conditional" if "Condition" in resource else ""
        lines.append(f'  {logical_id}["{kind}<br/>{_short(logical_id)}"]{style}')
    imports = sorted({name for resource in resources.values() for name in _imports(resource)})
    lines += [f'  import{name}(["genai-sandbox: {name}"])' for name in imports]
    edges = set()
    for logical_id, resource in resources.items():
        edges |= {
            (target, logical_id) for target in _references(resource) if target in resources and target != logical_id
        }
        edges |= {(f"import{name}", logical_id) for name in _imports(resource)}
    lines += [f"  {source} --> {target}" for source, target in sorted(edges)]
    return "\n".join(lines) + "\n"


def _short(logical_id: str) -> str:
    """A logical id without CDK's 8-character hash."""
    return re.sub(r"[0-9A-F]{8}$", "", logical_id)


def _references(node: Any) -> Iterator[str]:
    """Logical ids ``node`` refers to."""
    if isinstance(node, list):
        for item in node:
            yield from _references(item)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref" and isinstance(value, str):
                yield value
            elif key == "Fn::GetAtt":
                yield value[0] if isinstance(value, list) else str(value).split(".")[0]
            elif key == "Fn::Sub" and isinstance(value, str):
                yield from (name.split(".")[0] for name in re.findall(r"\$\{([^}!]+)\}", value))
            else:
                yield from _references(value)


def _imports(node: Any) -> Iterator[str]:
    """Names of the genai-sandbox exports ``node`` imports."""
    text = json.dumps(node)
    if "Fn::ImportValue" in text:
        yield from SANDBOX_EXPORT.findall(text)


def write_docs(dist: Path) -> list[Path]:
    """Rewrite ``docs/diagrams/<name>.mmd`` for every blueprint of ``dist`` and the README's diagram section."""
    manifest = json.loads((dist / "manifest.json").read_text())
    DIAGRAMS.mkdir(parents=True, exist_ok=True)
    written, sections = [], []
    for entry in manifest["blueprints"]:
        chart = mermaid(json.loads((dist / entry["templateFile"]).read_text()))
        target = DIAGRAMS / f"{entry['name']}.mmd"
        target.write_text(chart)
        written.append(target)
        sections.append(f"#### {entry['name']}\n\n```mermaid\n{chart}```\n")
    readme = ROOT / "README.md"
    begin, end = MARKERS
    text = readme.read_text()
    before, rest = text.split(begin, 1)
    readme.write_text(f"{before}{begin}\n" + "\n".join(sections) + f"{end}{rest.split(end, 1)[1]}")
    return written


if __name__ == "__main__":
    for path in write_docs(ROOT / "dist"):
        print(f"wrote {path.relative_to(ROOT)}")
