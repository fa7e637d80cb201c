"""environment.yml (conda is not on this machine) must name the same packages and pins as
pyproject.toml and uv.lock, so conda users get the versions the course was tested with."""

from __future__ import annotations

import re
import tomllib

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from ruamel.yaml import YAML

from .conftest import REPO


def conda_specs() -> tuple[dict, dict[str, str], list]:
    env = YAML(typ="safe").load((REPO / "environment.yml").read_text())
    pins: dict[str, str] = {}
    pip_lists = []
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            pip_lists.append(dep["pip"])
            continue
        spec = dep.split("::")[-1]
        name = re.split(r"[\s<>=!~\[]", spec, maxsplit=1)[0]
        pins[canonicalize_name(name)] = spec[len(name):].lstrip("=").strip()
    return env, pins, pip_lists


def test_environment_shape() -> None:
    env, pins, pip_lists = conda_specs()
    assert set(env) == {"name", "channels", "dependencies"}
    assert env["channels"] == ["conda-forge"]
    assert pins["python"] == "3.11" and "pip" in pins
    assert len(pip_lists) == 1 and "-e ." in pip_lists[0]


def test_environment_lists_every_dependency_with_the_locked_version() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    lock = tomllib.loads((REPO / "uv.lock").read_text())
    locked = {canonicalize_name(p["name"]): p["version"] for p in lock["package"]}
    extras = project["optional-dependencies"].values()
    required = [Requirement(r) for r in
                [*project["dependencies"], *(r for extra in extras for r in extra)]]
    _, pins, _ = conda_specs()
    for req in required:
        name = canonicalize_name(req.name)
        assert name in pins, f"environment.yml lacks {name}"
        assert pins[name] == locked[name], f"{name}: {pins[name]} (environment.yml) != uv.lock"
        assert req.specifier.contains(pins[name]), f"{name} {pins[name]} outside {req.specifier}"
