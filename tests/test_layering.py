"""The package's folders are its layers: core < casefiles < store < render < course < widgets <
cli. import-linter checks the contracts in pyproject.toml; the runtime check proves the core
loads no Jupyter or plotting code even through third-party imports."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from .conftest import REPO

CORE = ["dystonia_teach", "dystonia_teach.core.engine", "dystonia_teach.casefiles.loader",
        "dystonia_teach.core.evidence", "dystonia_teach.core.session"]
FORBIDDEN = ("ipywidgets", "IPython", "plotly", "ipykernel", "psycopg")
LAYERS = ["core", "casefiles", "store", "render", "course", "widgets", "cli"]


def test_import_contracts_are_kept() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    out = subprocess.run([str(lint), "--no-cache"], cwd=REPO, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "3 kept, 0 broken" in out.stdout


def test_the_layers_are_the_top_level_folders() -> None:
    package = REPO / "dystonia_teach"
    folders = {p.name for p in package.iterdir() if (p / "__init__.py").is_file()}
    assert folders == set(LAYERS)
    modules = [p.name for p in package.glob("*.py")]
    assert len(modules) <= 8, modules


def test_core_imports_no_jupyter_or_plotly() -> None:
    code = (
        "import sys\n"
        f"for m in {CORE!r}: __import__(m)\n"
        "import dystonia_teach; dystonia_teach.evaluate(dystonia_teach.load_case("
        "dystonia_teach.list_cases()[0]), ['neuro_exam']); dystonia_teach.evidence_table()\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
