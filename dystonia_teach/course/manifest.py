"""The release manifest: what a release shipped, and a check of a tree against it.

A release records the git commit it was cut from, the package code, each knowledge pack, each
case and each notebook: every file by path (relative to the project root), sha256 and size,
like a wheel's RECORD, and each group with one digest over its files. The libraries are the
exact versions of ``uv.lock``. :func:`check_manifest` names every difference: an edited
``engine.py``, a changed knowledge file, a case added, a new commit.

The package's own knowledge (``dystonia_teach/knowledge/``) is the first knowledge pack;
:func:`knowledge_packs` lists the packs a release ships: that one, then the ``knowledge/``
folder of each course folder in use (``cases/`` of the tree, and those of
``DYSTONIA_TEACH_CASES``), each with its own digest, so that ``release --check`` names a changed
course pack as it names a changed case.
"""

from __future__ import annotations

import hashlib
import json
import platform
import subprocess
import tomllib
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dystonia_teach.casefiles.locate import bundled_cases_dir, case_dirs
from dystonia_teach.core.packs import PACK_FOLDER, Pack, env_course_folders

MANIFEST_FORMAT = 2
MANIFEST_NAME = "manifest.json"
PACKAGE = "dystonia_teach"
#: Folders inside the package that are not its code: its knowledge pack, and the copy of the
#: cases a wheel carries.
NOT_CODE = frozenset({"knowledge", "bundled_cases", "__pycache__"})
Record = dict[str, Any]


class ManifestError(ValueError):
    """A manifest that cannot be read; the message names the file and the problem."""


def knowledge_packs(package: Path, course_folders: Iterable[Path] = (),
                    root: Path | None = None) -> list[Pack]:
    """The knowledge packs a release of the package at ``package`` (its folder) ships, in the
    order they load: the package's own, then the ``knowledge/`` folder of each of
    ``course_folders`` that has one, named by the course folder (relative to ``root`` when it
    lies inside it)."""
    packs = [Pack(PACKAGE, package / PACK_FOLDER, f"{PACKAGE}/{PACK_FOLDER}")]
    for folder in course_folders:
        if (folder / PACK_FOLDER).is_dir():
            name = _shown(root, folder) if root is not None else str(folder)
            packs.append(Pack(name, folder / PACK_FOLDER, f"{name}/{PACK_FOLDER}"))
    return packs


def _shown(root: Path, path: Path) -> str:
    """``path`` relative to ``root`` when it lies inside it, else absolute (POSIX form)."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.absolute().as_posix()


def file_record(root: Path, path: Path) -> Record:
    data = path.read_bytes()
    return {"path": _shown(root, path), "sha256": hashlib.sha256(data).hexdigest(),
            "size": len(data)}


def group_digest(folder: Path, records: Iterable[Record], root: Path) -> str:
    """One sha256 over a group's files (their paths taken relative to ``folder``), so that the
    same files give the same digest wherever the folder lies."""
    base = _shown(root, folder) + "/" if folder != root else ""
    lines = sorted(f"{r['path'].removeprefix(base)} {r['sha256']}\n" for r in records)
    return hashlib.sha256("".join(lines).encode()).hexdigest()


def _visible(paths: Iterable[Path]) -> list[Path]:
    return sorted(p for p in paths if p.is_file() and not p.name.startswith(".")
                  and p.suffix != ".pyc")


def code_files(package: Path) -> list[Path]:
    """The package's code: every file under ``package`` but its knowledge, bundled cases and
    caches."""
    return _visible(p for p in package.rglob("*")
                    if not NOT_CODE.intersection(p.relative_to(package).parts))


def case_files_of(folder: Path) -> list[Path]:
    return _visible(folder.glob("*.yaml"))


def notebook_files(root: Path) -> list[Path]:
    return _visible((root / "notebooks").glob("*.ipynb"))


def _group(root: Path, folder: Path, files: list[Path]) -> dict[str, Any]:
    records = [file_record(root, p) for p in files]
    return {"path": _shown(root, folder),
            "sha256": group_digest(folder, records, root), "files": records}


def shipped(root: Path) -> dict[str, Any]:
    """What a release of the tree at ``root`` ships: package code, knowledge packs, cases and
    notebooks, each file recorded and each group digested."""
    package = root / PACKAGE
    return {
        "package_code": _group(root, package, code_files(package)),
        "knowledge_packs": [{"name": pack.name, **_group(root, pack.folder, pack.files())}
                            for pack in knowledge_packs(package, [root / "cases",
                                                                  *env_course_folders()], root)],
        "cases": _group(root, root / "cases", case_files_of(root / "cases")),
        "notebooks": _group(root, root / "notebooks", notebook_files(root)),
    }


def notebook_inputs() -> dict[str, str]:
    """The digests of what a notebook's outputs are made from, as the kernel finds them: the
    installed package's code and knowledge packs, its cases and those of the folders in
    ``$DYSTONIA_TEACH_CASES``. Recorded in each executed notebook, so that a release knows
    which notebooks are stale."""
    package = Path(__file__).resolve().parents[1]
    groups = {"package code": (package, code_files(package))}
    groups.update({f"knowledge pack {pack.name}": (pack.folder, pack.files())
                   for pack in knowledge_packs(package, case_dirs())})
    bundled = bundled_cases_dir()
    for folder in case_dirs():
        name = "cases" if folder == bundled else f"cases in {folder}"
        groups[name] = (folder, case_files_of(folder))
    return {name: group_digest(folder, [file_record(folder, p) for p in files], folder)
            for name, (folder, files) in sorted(groups.items())}


def project_version(root: Path) -> str:
    with (root / "pyproject.toml").open("rb") as f:
        return str(tomllib.load(f)["project"]["version"])


def locked_versions(root: Path) -> dict[str, str]:
    """Every package and its version pinned in ``uv.lock`` (the project itself excluded)."""
    with (root / "uv.lock").open("rb") as f:
        lock = tomllib.load(f)
    return {p["name"]: p["version"] for p in lock.get("package", [])
            if "version" in p and p.get("source", {}).get("editable") is None
            and p.get("source", {}).get("virtual") is None}


def git_state(root: Path) -> dict[str, Any] | None:
    """The commit checked out at ``root`` and the shipped paths changed since it, or None
    outside a git checkout."""
    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(["git", "-C", str(root), *args], capture_output=True,
                                  text=True, check=False, timeout=60)
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout if done.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    if commit is None:
        return None
    status = git("status", "--porcelain", "--untracked-files=all", "--", PACKAGE, "cases",
                 "notebooks", "pyproject.toml", "uv.lock") or ""
    return {"commit": commit.strip(),
            "uncommitted": sorted(line[3:] for line in status.splitlines() if line.strip())}


def build_manifest(root: Path, results: dict[str, Any]) -> dict[str, Any]:
    """The manifest of the tree at ``root`` with the release stages' ``results``."""
    return {
        "format": MANIFEST_FORMAT,
        "package": {"name": "dystonia-teach", "version": project_version(root)},
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "git": git_state(root),
        "python": platform.python_version(),
        "kernel": "python3",
        "libraries": locked_versions(root),
        **shipped(root),
        "results": results,
    }


def read_manifest(path: Path) -> dict[str, Any]:
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ManifestError(
            f"{path}: no manifest here; run `dystonia-teach release` first") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ManifestError(f"{path}: not a readable manifest ({err})") from None
    if not isinstance(manifest, dict) or "format" not in manifest:
        raise ManifestError(f"{path}: not a dystonia_teach release manifest")
    if manifest["format"] != MANIFEST_FORMAT:
        raise ManifestError(f"{path}: a manifest of format {manifest['format']} (this "
                            f"dystonia_teach reads format {MANIFEST_FORMAT}); run "
                            "`dystonia-teach release` again")
    return manifest


def check_manifest(root: Path, manifest: dict[str, Any]) -> list[str]:
    """Every difference between the tree at ``root`` and ``manifest`` (empty: it matches)."""
    problems = _commit_change(git_state(root), manifest.get("git"))
    now = shipped(root)
    for key, what in (("package_code", "package code"), ("cases", "case"),
                      ("notebooks", "notebook")):
        problems += _file_changes(what, manifest.get(key, {}).get("files", []),
                                  now[key]["files"])
    was_packs = {p["name"]: p for p in manifest.get("knowledge_packs", [])}
    now_packs = {p["name"]: p for p in now["knowledge_packs"]}
    for name in sorted(was_packs.keys() - now_packs.keys()):
        problems.append(f"knowledge pack {name}: in the release but not in the tree")
    for name in sorted(now_packs.keys() - was_packs.keys()):
        problems.append(f"knowledge pack {name}: in the tree but not in the release")
    for name in sorted(was_packs.keys() & now_packs.keys()):
        problems += _file_changes(f"knowledge pack {name} file", was_packs[name]["files"],
                                  now_packs[name]["files"])
    version = project_version(root)
    if manifest.get("package", {}).get("version") != version:
        problems.append(f"pyproject.toml: version {version}, manifest: "
                        f"{manifest.get('package', {}).get('version')}")
    locked, recorded = locked_versions(root), manifest.get("libraries", {})
    for name in sorted(locked.keys() | recorded.keys()):
        if locked.get(name) != recorded.get(name):
            problems.append(f"uv.lock: {name} {locked.get(name, 'absent')}, manifest: "
                            f"{recorded.get(name, 'absent')}")
    return problems


def _commit_change(now: dict[str, Any] | None, was: dict[str, Any] | None) -> list[str]:
    if not now or not was or now.get("commit") == was.get("commit"):
        return []
    return [f"git commit: the tree is at {str(now.get('commit'))[:12]}, the release was cut "
            f"at {str(was.get('commit'))[:12]}"]


def _file_changes(what: str, recorded: list[Record], current: list[Record]) -> list[str]:
    was = {r["path"]: r for r in recorded}
    now = {r["path"]: r for r in current}
    problems = [f"{path}: {what} in the release, missing from the tree"
                for path in sorted(was.keys() - now.keys())]
    problems += [f"{path}: {what} in the tree, not in the release"
                 for path in sorted(now.keys() - was.keys())]
    for path in sorted(was.keys() & now.keys()):
        if (was[path]["sha256"], was[path]["size"]) != (now[path]["sha256"], now[path]["size"]):
            problems.append(f"{path}: {what} changed since the release (sha256 "
                            f"{now[path]['sha256'][:12]}…, {now[path]['size']} bytes; release: "
                            f"{was[path]['sha256'][:12]}…, {was[path]['size']} bytes)")
    return problems
