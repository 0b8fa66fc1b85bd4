#!/usr/bin/env python3
"""Synthesize every blueprint in the catalogue (or ``-c blueprint=<name>``) and write them to dist/."""

from pathlib import Path

from blueprints.dist import synthesize_to
from blueprints.synthesis import build, create_app, select_blueprints

app = create_app()
selected = select_blueprints(app.node.try_get_context("blueprint"))
build(app, selected)
synthesize_to(app, selected, Path(__file__).resolve().parent / "dist")
