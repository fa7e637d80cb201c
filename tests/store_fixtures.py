"""Store fixtures: ``store`` runs a test once per backend (SQLite, and PostgreSQL on a real
server that ``pg_server`` starts once per session from Debian's binaries, on 127.0.0.1 with a
free port in a temporary folder, and removes afterwards). ``-k postgres`` selects the PostgreSQL
half. Without the binaries the PostgreSQL tests are skipped, naming the package to install."""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from dystonia_teach.store import AttemptStore, open_store


@dataclass
class PgServer:
    """A running test server; ``admin_url(db)`` connects as the superuser ``postgres``."""

    bindir: str
    data: str
    folder: str
    port: int
    owner: dict[str, str]

    def admin_url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def ctl(self, *args: str) -> None:
        subprocess.run([f"{self.bindir}/pg_ctl", "-D", self.data, "-l", f"{self.folder}/log",
                        "-w", *args], check=True, cwd=self.folder, capture_output=True,
                       **self.owner)

    def start(self) -> None:
        self.ctl("-o", f"-c listen_addresses=127.0.0.1 -p {self.port} "
                       "-c unix_socket_directories='' -c fsync=off -c full_page_writes=off",
                 "start")

    def stop(self) -> None:
        self.ctl("-m", "fast", "stop")

    def create_database(self) -> str:
        import psycopg

        name = f"store_test_{next(_NUMBERS)}"
        with psycopg.connect(self.admin_url(), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")  # a generated name, no input
        return name


_NUMBERS = itertools.count(1)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """PostgreSQL for the whole session; stopped and deleted even when a test fails."""
    ctl = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
                 key=lambda p: int(p.split("/")[4]))
    if not ctl:
        pytest.skip("Debian's postgresql is missing: apt-get install postgresql (make pg-deps)")
    owner = {"user": "postgres", "group": "postgres"} if os.geteuid() == 0 else {}
    folder = tempfile.mkdtemp(prefix="dt-pg-")
    if owner:
        account = pwd.getpwnam("postgres")
        os.chown(folder, account.pw_uid, account.pw_gid)
    server = PgServer(os.path.dirname(ctl[-1]), f"{folder}/data", folder, _free_port(), owner)
    try:
        subprocess.run([f"{server.bindir}/initdb", "-D", server.data, "-U", "postgres", "-A",
                        "trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync",
                        "--no-instructions"], check=True, cwd=folder, capture_output=True, **owner)
        server.start()
        yield server
    finally:
        subprocess.run([f"{server.bindir}/pg_ctl", "-D", server.data, "-m", "immediate", "-w",
                        "stop"], cwd=folder, capture_output=True, **owner)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def pg_url(pg_server: PgServer) -> str:
    """The superuser's URL of a new, empty database."""
    return pg_server.admin_url(pg_server.create_database())


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of a fresh, empty store of each backend."""
    if request.param == "postgres":
        return str(request.getfixturevalue("pg_url"))
    return f"sqlite://{tmp_path}/progress.sqlite3"


@pytest.fixture
def store(store_url: str) -> Iterator[AttemptStore]:
    """A fresh, empty store of each backend."""
    with open_store(store_url) as opened:
        yield opened
