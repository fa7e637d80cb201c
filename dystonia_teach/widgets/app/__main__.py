"""``python -m dystonia_teach.widgets.app [--port N] [--ip ADDRESS]``: serve the learner app."""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys

from dystonia_teach.widgets.app import DEFAULT_PORT, voila_command, voila_environment


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m dystonia_teach.widgets.app",
                                     description="Serve the learner app with Voilà.")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--ip", default="127.0.0.1",
                        help="address to listen on (default: this machine only)")
    args = parser.parse_args()
    if importlib.util.find_spec("voila") is None:
        sys.exit("Voilà is not installed: pip install 'dystonia-teach[app]'")
    command = voila_command(args.port, args.ip)
    os.execve(command[0], command, voila_environment())


if __name__ == "__main__":
    main()
