"""Writing an output file all or nothing: through a temporary file beside it, renamed into place
only when complete, removed on any failure; a missing folder or a full disk is a clear error and
leaves the earlier file (if any) as it was."""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO

from dystonia_teach.core.errors import DystoniaTeachError


class OutputFileError(DystoniaTeachError, OSError):
    """An output file could not be written; nothing was written and nothing is left behind."""


def write_file(path: Path | str, write: Callable[[IO[str]], object]) -> Path:
    """Call ``write`` with a text handle (UTF-8, newlines as written) and put what it wrote at
    ``path`` atomically; returns the path. The file is readable by its owner only (0600)."""
    target = Path(path)
    if target.is_dir():
        raise OutputFileError(f"cannot write {target}: it is a folder; give a file name")
    if not target.parent.is_dir():
        raise OutputFileError(f"cannot write {target}: the folder {target.parent} does not "
                              "exist; create it first or choose another output path")
    try:
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.",
                                             suffix=".tmp")
    except OSError as exc:
        raise _explained(target, exc) from exc
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            write(out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, target)
    except OSError as exc:
        raise _explained(target, exc) from exc
    finally:
        Path(temporary).unlink(missing_ok=True)
    return target


def write_text(path: Path | str, text: str) -> Path:
    """Write ``text`` to ``path`` atomically (see :func:`write_file`)."""
    return write_file(path, lambda out: out.write(text))


def _explained(target: Path, exc: OSError) -> OutputFileError:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        why = "the disk is full"
    elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        why = "no permission to write there"
    else:
        why = exc.strerror or str(exc)
    return OutputFileError(f"cannot write {target}: {why} ({exc.__class__.__name__}). Nothing "
                           "was written; an earlier file there is unchanged.")
