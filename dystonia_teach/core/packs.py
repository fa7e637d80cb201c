"""Where the knowledge packs are: the package's own, then each course's.

A knowledge pack is a folder of YAML files (:mod:`dystonia_teach.core.pack_files` reads them).
The package's own knowledge (``dystonia_teach/knowledge/``) is the first pack. A course keeps
its pack in a ``knowledge/`` folder beside its case files (``my_course/knowledge/`` next to
``my_course/*.yaml``); it is in use when its course folder is:

* listed in ``DYSTONIA_TEACH_CASES`` (folders separated by ``os.pathsep``), in that order;
* or the folder of a case file a command was given (``dystonia-teach try my_course/x.yaml``),
  which :func:`use_course_folder` adds for the rest of the process;
* or named for a while by :func:`course_folders_in_use` (``validate`` checks each folder
  with its own pack).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

CASES_VARIABLE = "DYSTONIA_TEACH_CASES"
PACK_FOLDER = "knowledge"
PACKAGE_PACK = "dystonia_teach"
PACK_SUFFIXES = (".yaml", ".yml")

_ADDED: list[Path] = []
_INSTEAD: list[tuple[Path, ...]] = []


@dataclass(frozen=True, slots=True)
class Pack:
    """A knowledge pack: its name (the package's, or its course folder as given), its folder and
    the prefix shown before its file names in messages."""

    name: str
    folder: Path
    shown: str

    @property
    def is_package(self) -> bool:
        return self.name == PACKAGE_PACK

    def files(self) -> list[Path]:
        """Its YAML files, by name (hidden files left out); [] for a folder that is not there
        or cannot be listed."""
        try:
            with os.scandir(self.folder) as entries:
                names = [e.name for e in entries if e.name.endswith(PACK_SUFFIXES)
                         and not e.name.startswith(".") and e.is_file()]
        except OSError:
            return []
        return [self.folder / name for name in sorted(names)]

    def signature(self) -> tuple[tuple[str, int, int], ...]:
        """Each file's name, modification time and size: a changed file changes it."""
        out = []
        for path in self.files():
            try:
                stat = path.stat()
            except OSError:
                continue
            out.append((path.name, stat.st_mtime_ns, stat.st_size))
        return tuple(out)


def package_pack() -> Pack:
    folder = Path(str(files("dystonia_teach").joinpath(PACK_FOLDER)))
    return Pack(PACKAGE_PACK, folder, f"dystonia_teach/{PACK_FOLDER}")


def course_pack(course_folder: Path) -> Pack:
    """The pack a course folder holds (its ``knowledge/`` folder, which may not exist)."""
    return Pack(str(course_folder), course_folder / PACK_FOLDER,
                str(course_folder / PACK_FOLDER))


def env_course_folders() -> list[Path]:
    """The folders of ``DYSTONIA_TEACH_CASES``, in order."""
    return [Path(p) for p in os.environ.get(CASES_VARIABLE, "").split(os.pathsep) if p]


def course_folders() -> tuple[Path, ...]:
    """The course folders whose packs are in use now, in loading order (each once)."""
    if _INSTEAD:
        return _INSTEAD[-1]
    return _unique([*env_course_folders(), *_ADDED])


def packs_in_use() -> tuple[Pack, ...]:
    """The package's pack, then each course folder's pack that exists."""
    courses = (course_pack(f) for f in course_folders())
    return (package_pack(), *(p for p in courses if p.folder.is_dir()))


def pack_key() -> tuple[str, tuple[Path, ...], tuple[Path, ...]]:
    """What decides the packs in use (cheap to compute: no file is touched)."""
    return (os.environ.get(CASES_VARIABLE, ""), tuple(_ADDED),
            _INSTEAD[-1] if _INSTEAD else ())


def use_course_folder(folder: Path) -> None:
    """Use ``folder``'s pack from now on (a command given a case file in that folder)."""
    folder = Path(folder)
    if _same(folder) not in {_same(f) for f in course_folders()}:
        _ADDED.append(folder)


@contextmanager
def course_folders_in_use(folders: Iterable[Path]) -> Iterator[None]:
    """Use exactly these course folders' packs inside the ``with`` block."""
    _INSTEAD.append(_unique(folders))
    try:
        yield
    finally:
        _INSTEAD.pop()


def _same(folder: Path) -> str:
    return os.path.realpath(folder)


def _unique(folders: Iterable[Path]) -> tuple[Path, ...]:
    seen: dict[str, Path] = {}
    for folder in folders:
        seen.setdefault(_same(folder), Path(folder))
    return tuple(seen.values())
