"""The learner app: the course's case picker served by Voilà, with no code on screen.

The app is one notebook (``learner_app.ipynb`` beside this module) whose single code cell calls
:func:`dystonia_teach.widgets.case_picker`, so the app and the notebooks share one set of
widgets. ``python -m dystonia_teach.widgets.app`` (``make app``) serves it on 127.0.0.1;
attempts are saved to the configured store as in the notebooks. Voilà is the ``[app]`` extra.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

HERE = Path(__file__).resolve().parent
NOTEBOOK = HERE / "learner_app.ipynb"
#: Holds voila/templates/dystonia_teach: Voila's lab template with a <main> landmark.
SHARE = HERE / "share"
DEFAULT_PORT = 8866
#: Sources stripped (no code cells), no tracebacks to learners, the light theme.
VOILA_OPTIONS = ("--no-browser", "--strip_sources=True", "--show_tracebacks=False",
                 "--theme=light", "--template=dystonia_teach")


def voila_command(port: int = DEFAULT_PORT, ip: str = "127.0.0.1") -> list[str]:
    """The command serving the app on ``ip:port`` with this interpreter's Voilà."""
    return [sys.executable, "-m", "voila", str(NOTEBOOK), f"--Voila.ip={ip}", f"--port={port}",
            *VOILA_OPTIONS]


def voila_environment(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """``env`` (default: this process's) with the app's template folder on ``JUPYTER_PATH``."""
    env = dict(os.environ if env is None else env)
    env["JUPYTER_PATH"] = os.pathsep.join(p for p in (str(SHARE), env.get("JUPYTER_PATH")) if p)
    return env
