"""Architecture diagrams generated from the templates: current in docs/ and the README, and drawing what matters."""

from __future__ import annotations

from pathlib import Path

import pytest

from blueprints.diagrams import DIAGRAMS, HIDDEN_TYPES, MARKERS, mermaid
from tests.conftest import BLUEPRINT_NAMES, Synthesized

README = Path(__file__).parent.parent / "README.md"


@pytest.mark.parametrize("name", BLUEPRINT_NAMES)
def test_committed_diagrams_are_current(synthesized: Synthesized, name: str) -> None:
    chart = mermaid(synthesized.templates[name])
    assert (DIAGRAMS / f"{name}.mmd").read_text() == chart, "stale: run `make docs`"
    section = README.read_text().split(MARKERS[0], 1)[1].split(MARKERS[1], 1)[0]
    assert f"#### {name}\n\n```mermaid\n{chart}```\n" in section, "stale README diagrams: run `make docs`"


def test_the_async_diagram_draws_the_request_path(synthesized: Synthesized) -> None:
    chart = mermaid(synthesized.templates["async-inference"])
    edges = {line.strip() for line in chart.splitlines() if "-->" in line}
    assert "RequestsQueue28E22866 --> RequestsMappingB03D4AD5" in edges  # queue feeds the invoker
    assert "RequestsInvokerFunction56373EEF --> RequestsMappingB03D4AD5" in edges
    assert "RequestsSuccessTopicDEEA4376 --> RequestsCompletionFunctionSuccessTopic1FD9304A" in edges
    assert "RequestsQueue28E22866 --> RequestsObjectCreatedA7C1D1D3" in edges  # the rule targets the queue
    assert "importBucketName --> RequestsObjectCreatedA7C1D1D3" in edges  # the sandbox bucket's events
    assert 'Endpoint8024A810["SageMaker Endpoint<br/>Endpoint"]:::conditional' in chart


def test_plumbing_is_left_out(synthesized: Synthesized) -> None:
    for template in synthesized.templates.values():
        chart = mermaid(template)
        hidden = [k for k, r in template["Resources"].items() if r["Type"] in HIDDEN_TYPES]
        assert hidden
        assert not [k for k in hidden if f"  {k}[" in chart]
