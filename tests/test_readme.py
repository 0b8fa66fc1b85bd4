"""The READMEs stay true to the code: their Python snippets compile, and their parameter tables name exactly the
parameters the templates declare."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from blueprints.synthesis import REPO_ROOT
from stacks.smus import RESERVED_PARAMETERS
from tests.conftest import Synthesized

READMES = [REPO_ROOT / "README.md", REPO_ROOT / "constructs" / "README.md"]


def _python_blocks(path: Path) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", path.read_text(), flags=re.MULTILINE | re.DOTALL)


@pytest.mark.parametrize("readme", READMES, ids=lambda path: str(path.relative_to(REPO_ROOT)))
def test_python_snippets_compile(readme: Path) -> None:
    blocks = _python_blocks(readme)
    assert blocks
    for block in blocks:
        ast.parse(block)


def _table_parameters(section: str) -> set[str]:
    """Backticked names in the first column of the tables under the README heading ``section``."""
    text = (REPO_ROOT / "README.md").read_text()
    body = text.split(f"### {section}\n", 1)[1].split("\n#", 1)[0]
    names: set[str] = set()
    for row in re.findall(r"^\| (.+?) \|", body, flags=re.MULTILINE):
        names |= set(re.findall(r"`([A-Za-z][A-Za-z0-9]*)`", row))
    return names


SECTIONS = {
    "genai-sandbox": ["Parameters (genai-sandbox)"],
    "realtime-inference": ["Parameters of both API blueprints", "realtime-inference parameters"],
    "serverless-inference": ["Parameters of both API blueprints", "serverless-inference parameters"],
    "async-inference": ["async-inference parameters"],
    "batch-inference": ["batch-inference parameters"],
}


@pytest.mark.parametrize("blueprint", list(SECTIONS))
def test_parameter_tables_list_every_parameter_and_no_other(synthesized: Synthesized, blueprint: str) -> None:
    template = synthesized.templates[blueprint]
    declared = set(template["Parameters"]) - set(RESERVED_PARAMETERS)
    settings = {column for row in template["Mappings"]["EnvironmentSettings"].values() for column in row}
    documented = set().union(*(_table_parameters(section) for section in SECTIONS[blueprint])) - settings
    common = {"ProjectName", "Environment", "PermissionsBoundaryArn"}  # "as for genai-sandbox" in the API tables
    assert declared - documented - common == set(), "parameters missing from the README"
    assert documented - declared - set(RESERVED_PARAMETERS) == set(), "README names parameters that do not exist"


def test_every_sandbox_export_is_documented(synthesized: Synthesized) -> None:
    text = (REPO_ROOT / "README.md").read_text()
    exports = [
        output["Export"]["Name"]["Fn::Sub"]
        for output in synthesized.templates["genai-sandbox"]["Outputs"].values()
        if "Export" in output
    ]
    assert exports
    for name in exports:
        stem = name.split("-${", 1)[0]  # genaiSandboxBucketName, datazone-managed-policy-genai-sandbox-s3datasource
        if stem.startswith("genaiSandboxPrefix"):
            assert "genaiSandboxPrefix<Name>" in text
            assert f"`{stem.removeprefix('genaiSandboxPrefix')}`" in text, stem
        elif stem.startswith("datazone-managed-policy-genai-sandbox-"):
            assert f"`…-{stem.rsplit('-', 1)[-1]}-…`" in text or f"-{stem.rsplit('-', 1)[-1]}-<" in text, stem
        else:
            assert f"`{stem}-" in text, stem
