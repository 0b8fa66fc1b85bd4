"""One JSON snapshot per blueprint template. Accept a reviewed change with ``pytest --snapshot-update``."""

from __future__ import annotations

import pytest
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.json import JSONSnapshotExtension

from tests.conftest import BLUEPRINT_NAMES, Synthesized


@pytest.mark.parametrize("name", BLUEPRINT_NAMES)
def test_template_matches_the_reviewed_snapshot(
    synthesized: Synthesized, name: str, snapshot: SnapshotAssertion
) -> None:
    assert synthesized.templates[name] == snapshot.use_extension(JSONSnapshotExtension)
