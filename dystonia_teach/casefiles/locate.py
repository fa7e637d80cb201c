"""Where case files live: a checkout's top-level ``cases/``, or the copy bundled in the wheel.

``DYSTONIA_TEACH_CASES`` (folders separated by ``os.pathsep``) adds an instructor's own folders,
searched first.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from dystonia_teach.core.packs import env_course_folders

CASE_SUFFIXES = (".yaml", ".yml")


def bundled_cases_dir() -> Path:
    """The top-level ``cases/`` of a checkout (editable install), else the wheel's copy."""
    checkout = Path(__file__).resolve().parents[2] / "cases"
    if checkout.is_dir() and (checkout.parent / "pyproject.toml").is_file():
        return checkout
    return Path(str(files("dystonia_teach").joinpath("bundled_cases")))


def case_dirs() -> list[Path]:
    """Folders searched for cases, in order."""
    return [*env_course_folders(), bundled_cases_dir()]


def case_files(folder: Path) -> list[Path]:
    """Every entry named like a case file directly inside ``folder``, sorted by name: also the
    ones that cannot be read (a broken link, a folder named ``x.yaml``), so that validating
    reports them; hidden entries (an editor's ``.#x.yaml`` lock) are left out. Raises OSError
    when ``folder`` cannot be listed."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir()
                  if p.suffix in CASE_SUFFIXES and not p.name.startswith("."))
