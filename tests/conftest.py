"""Shared fixtures: the whole app is synthesized once per session, exactly as ``make synth`` does it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Template

from blueprints.catalogue import CATALOGUE
from blueprints.dist import MANIFEST, template_file, write_dist
from blueprints.synthesis import build, create_app

BLUEPRINT_NAMES = [blueprint.name for blueprint in CATALOGUE]


@dataclass(frozen=True)
class Synthesized:
    """The templates of one full synthesis, and the dist/ folder written from it.

    Built without the nag packs (they add no template content): a careless change then fails the tests that name
    it, among them the one nag gate (``test_nag.py``), instead of erroring every test that reads a template.
    """

    dist: Path
    templates: dict[str, dict[str, Any]]
    manifest: dict[str, Any]


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    app = create_app(outdir=str(tmp_path_factory.mktemp("cdk.out")))
    build(app, CATALOGUE, with_nag=False)
    dist = write_dist(app, CATALOGUE, tmp_path_factory.mktemp("dist")).parent
    templates = {name: json.loads((dist / template_file(name)).read_text()) for name in BLUEPRINT_NAMES}
    return Synthesized(dist, templates, json.loads((dist / MANIFEST).read_text()))


@pytest.fixture(scope="session")
def sandbox_template(synthesized: Synthesized) -> Template:
    return Template.from_json(synthesized.templates["genai-sandbox"])
