"""The core never imports Jupyter or plotting code."""

from __future__ import annotations

import subprocess
import sys

CORE = ["dystonia_teach", "dystonia_teach.engine", "dystonia_teach.loader",
        "dystonia_teach.evidence", "dystonia_teach.render_text"]
FORBIDDEN = ("ipywidgets", "IPython", "plotly", "ipykernel")


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
