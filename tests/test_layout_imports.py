"""The constructs/ folder must never shadow the ``constructs`` library, and must install on its own."""

from __future__ import annotations

import shutil
import sys
import zipfile
from pathlib import Path

import genai_sandbox_constructs
from blueprints.synthesis import REPO_ROOT
from tests.helpers.processes import run


def test_aws_cdk_and_our_constructs_import_from_the_repository_root() -> None:
    probe = (
        "import constructs, aws_cdk, genai_sandbox_constructs, pathlib;"
        "assert pathlib.Path(constructs.__file__).parent.name == 'constructs';"
        "assert 'site-packages' in constructs.__file__, constructs.__file__;"
        "print(genai_sandbox_constructs.__version__)"
    )
    result = run([sys.executable, "-c", probe], REPO_ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == genai_sandbox_constructs.__version__


def test_constructs_folder_has_no_init_that_could_shadow_the_library() -> None:
    assert not (REPO_ROOT / "constructs" / "__init__.py").exists()


def test_construct_library_builds_as_a_wheel_with_its_own_name_and_version(tmp_path: Path) -> None:
    source = shutil.copytree(REPO_ROOT / "constructs", tmp_path / "source")  # setuptools builds in the tree
    wheel = ["-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(tmp_path), str(source)]
    result = run([sys.executable, *wheel], REPO_ROOT)
    assert result.returncode == 0, result.stderr
    (built,) = tmp_path.glob("*.whl")
    assert built.name.startswith(f"genai_sandbox_constructs-{genai_sandbox_constructs.__version__}-")
    names = zipfile.ZipFile(built).namelist()
    assert "genai_sandbox_constructs/py.typed" in names
    assert "genai_sandbox_constructs/storage/bucket.py" in names
    assert "genai_sandbox_constructs/inference/handlers/inference_api.py" in names  # inline code read at synth
    assert not any(name.startswith("constructs/") for name in names)
