"""The release manifest: what a release shipped, and a check of a tree against it.

Each case, knowledge file and notebook is recorded by path (relative to the project root),
sha256 and size, like a wheel's RECORD; the libraries are the exact versions of ``uv.lock``.
"""

from __future__ import annotations

import hashlib
import json
import platform
import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

MANIFEST_FORMAT = 1
MANIFEST_NAME = "manifest.json"
#: The shipped files, by kind: glob patterns relative to the project root.
SHIPPED = {"cases": "cases/*.yaml", "knowledge": "dystonia_teach/knowledge/*.yaml",
           "notebooks": "notebooks/*.ipynb"}


class ManifestError(ValueError):
    """A manifest that cannot be read; the message names the file and the problem."""


def file_record(root: Path, path: Path) -> dict[str, Any]:
    data = path.read_bytes()
    return {"path": path.relative_to(root).as_posix(), "sha256": hashlib.sha256(data).hexdigest(),
            "size": len(data)}


def shipped_files(root: Path) -> dict[str, list[Path]]:
    """The files a release ships, by kind, sorted (hidden files and checkpoints excluded)."""
    return {kind: sorted(p for p in root.glob(pattern) if not p.name.startswith("."))
            for kind, pattern in SHIPPED.items()}


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


def build_manifest(root: Path, results: dict[str, Any]) -> dict[str, Any]:
    """The manifest of the tree at ``root`` with the release stages' ``results``."""
    return {
        "format": MANIFEST_FORMAT,
        "package": {"name": "dystonia-teach", "version": project_version(root)},
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "kernel": "python3",
        "libraries": locked_versions(root),
        "files": {kind: [file_record(root, p) for p in paths]
                  for kind, paths in shipped_files(root).items()},
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
    if not isinstance(manifest, dict) or manifest.get("format") != MANIFEST_FORMAT:
        raise ManifestError(f"{path}: not a dystonia_teach release manifest "
                            f"(format {MANIFEST_FORMAT} expected)")
    return manifest


def check_manifest(root: Path, manifest: dict[str, Any]) -> list[str]:
    """Every difference between the tree at ``root`` and ``manifest`` (empty: it matches)."""
    problems = []
    recorded = {r["path"]: r for records in manifest.get("files", {}).values() for r in records}
    current = {r["path"]: r for paths in shipped_files(root).values()
               for r in (file_record(root, p) for p in paths)}
    for path in sorted(recorded.keys() - current.keys()):
        problems.append(f"{path}: in the manifest but missing from the tree")
    for path in sorted(current.keys() - recorded.keys()):
        problems.append(f"{path}: in the tree but not in the manifest")
    for path in sorted(recorded.keys() & current.keys()):
        was, now = recorded[path], current[path]
        if (was["sha256"], was["size"]) != (now["sha256"], now["size"]):
            problems.append(f"{path}: changed since the release (sha256 {now['sha256'][:12]}…, "
                            f"{now['size']} bytes; manifest: {was['sha256'][:12]}…, "
                            f"{was['size']} bytes)")
    version = project_version(root)
    if manifest.get("package", {}).get("version") != version:
        problems.append(f"pyproject.toml: version {version}, manifest: "
                        f"{manifest.get('package', {}).get('version')}")
    locked, shipped = locked_versions(root), manifest.get("libraries", {})
    for name in sorted(locked.keys() | shipped.keys()):
        if locked.get(name) != shipped.get(name):
            problems.append(f"uv.lock: {name} {locked.get(name, 'absent')}, manifest: "
                            f"{shipped.get(name, 'absent')}")
    return problems
