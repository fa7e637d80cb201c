"""One small notebook per case, so that a link (from the LMS, or a bookmark) opens a given case.

The course hub writes them into each learner's working copy (``~/course/cases/<case id>.ipynb``)
before the learner's server starts; an LMS link then opens one of them:

- in the app, with no code on screen:
  ``https://<hub>/hub/user-redirect/voila/render/course/cases/<case id>.ipynb``;
- in JupyterLab: ``https://<hub>/hub/user-redirect/lab/tree/course/cases/<case id>.ipynb``.

The notebook opens the case's workbench, saving the learner's attempts to the course's store as
the hub user. A learner's own copy is never overwritten.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import nbformat

from dystonia_teach.casefiles.loader import list_cases

FOLDER = "cases"
_INTRO = ("# Your case\n\nRun the cell below (Shift + Enter) if the case does not show. Work it "
          "as a clinician would, then submit your plan: your attempts are saved as you.")
_CODE = ("from dystonia_teach.store import current_learner, open_store\n"
         "from dystonia_teach.widgets import Workbench\n\n"
         "workbench = Workbench({case_id!r}, store=open_store(), learner_id=current_learner())\n"
         "workbench")


def case_notebook(case_id: str) -> nbformat.NotebookNode:
    """The notebook that opens ``case_id`` in a workbench."""
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_markdown_cell(_INTRO),
                      nbformat.v4.new_code_cell(_CODE.format(case_id=case_id))]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    return notebook


def write_case_notebooks(folder: Path, case_ids: Iterable[str] | None = None) -> list[str]:
    """Write the notebook of each case (default: every case available) missing from
    ``folder``; returns the case ids written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for case_id in list_cases() if case_ids is None else case_ids:
        target = folder / f"{case_id}.ipynb"
        if not target.exists():
            nbformat.write(case_notebook(case_id), target)
            written.append(case_id)
    return written
