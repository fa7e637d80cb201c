"""The wheel ships the package with its knowledge files and the bundled cases, and an installed
copy (no checkout beside it) finds and works its cases."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from .conftest import REPO, bundled_case_paths

UV = REPO / ".tools" / "bin" / "uv"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not UV.exists():
        pytest.skip("uv is installed by `make setup`")
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([str(UV), "build", "--wheel", "--out-dir", str(out), str(REPO)], check=True,
                   capture_output=True, timeout=300)
    (built,) = out.glob("dystonia_teach-*.whl")
    return built


def test_wheel_holds_the_cases_and_the_knowledge(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for case in bundled_case_paths():
        assert f"dystonia_teach/bundled_cases/{case.name}" in names
    for part in ("steps", "findings", "algorithm", "evidence"):
        assert f"dystonia_teach/knowledge/{part}.yaml" in names
    assert not any(name.startswith(("tests/", "notebooks/")) for name in names)


def test_installed_copy_works_its_bundled_cases(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    script = "\n".join([
        "import dystonia_teach as dt",
        f"assert dt.__file__.startswith({str(site)!r}), dt.__file__",
        "ids = dt.list_cases()",
        "print(len(ids))",
        "for i in ids:",
        "    case = dt.load_case(i)",
        "    assert dt.evaluate(case, dt.recommended_actions(case)).score == 1.0, i",
    ])
    result = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True,
                            text=True, env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"},
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(len(bundled_case_paths()))
