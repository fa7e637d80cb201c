"""The learner app: the course's case picker served by Voilà, with no code on screen.

The app is one notebook (``learner_app.ipynb`` beside this module) whose single code cell calls
:func:`dystonia_teach.widgets.case_picker`, so the app and the notebooks share one set of
widgets. ``python -m dystonia_teach.widgets.app`` (``make app``) serves it on 127.0.0.1;
attempts are saved to the configured store as in the notebooks. Voilà is the ``[app]`` extra.

Every page opens a kernel of its own; a learner who closes the tab leaves it behind. Voilà
culls a kernel once no page is connected to it and it has been idle for
:data:`CULL_IDLE_SECONDS` (checked every :data:`CULL_INTERVAL_SECONDS`); a learner whose tab
is open is never cut off, and their submitted work and drafts are in the store.
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
#: A kernel with no page connected is shut down after this long idle (a closed tab).
CULL_IDLE_SECONDS = 600
CULL_INTERVAL_SECONDS = 60


def cull_options(idle: int = CULL_IDLE_SECONDS, interval: int = CULL_INTERVAL_SECONDS
                 ) -> tuple[str, ...]:
    """Voilà's kernel culling: kernels idle ``idle`` seconds with no page connected."""
    return (f"--MappingKernelManager.cull_idle_timeout={idle}",
            f"--MappingKernelManager.cull_interval={interval}",
            "--MappingKernelManager.cull_connected=False")


def voila_command(port: int = DEFAULT_PORT, ip: str = "127.0.0.1", *,
                  cull_idle: int = CULL_IDLE_SECONDS,
                  cull_interval: int = CULL_INTERVAL_SECONDS) -> list[str]:
    """The command serving the app on ``ip:port`` with this interpreter's Voilà."""
    return [sys.executable, "-m", "voila", str(NOTEBOOK), f"--Voila.ip={ip}", f"--port={port}",
            *VOILA_OPTIONS, *cull_options(cull_idle, cull_interval)]


def voila_environment(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """``env`` (default: this process's) with the app's template folder on ``JUPYTER_PATH``."""
    env = dict(os.environ if env is None else env)
    env["JUPYTER_PATH"] = os.pathsep.join(p for p in (str(SHARE), env.get("JUPYTER_PATH")) if p)
    return env
