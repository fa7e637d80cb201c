"""The course's JupyterHub (deploy/jupyterhub/jupyterhub_config.py) on loopback, driven through
its REST API as a learner's browser would: log in, start the learner's server, run code in a
kernel over its websocket. Started once per test session; stopped by its own pid."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import requests
import websocket

REPO = Path(__file__).resolve().parent.parent
CONFIG = REPO / "deploy" / "jupyterhub" / "jupyterhub_config.py"
PROXY = REPO / "deploy" / "jupyterhub" / "node_modules" / ".bin" / "configurable-http-proxy"
PASSWORD = "course-e2e-password"
ADMIN_PASSWORD = "course-e2e-instructors-password-0123"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait(what: str, ready, timeout: float, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with suppress(requests.RequestException):
            if ready():
                return
        time.sleep(0.2)
    tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
    raise TimeoutError(f"{what} not ready after {timeout:.0f} s\n{tail}")


@dataclass
class Learner:
    """A logged-in hub user with a running server and an API token for it."""

    hub: Hub
    name: str
    http: requests.Session
    token: str

    @property
    def server(self) -> str:
        return f"{self.hub.url}/user/{quote(self.name, safe='@~')}"  # as JupyterHub escapes it

    def run(self, code: str, timeout: float = 60) -> str:
        """Execute ``code`` in a new kernel on the learner's server; return its stdout."""
        auth = {"Authorization": f"token {self.token}"}
        kernel = requests.post(f"{self.server}/api/kernels", json={"name": "python3"},
                               headers=auth, timeout=30)
        kernel.raise_for_status()
        kernel_id = kernel.json()["id"]
        ws_url = self.server.replace("http://", "ws://") + f"/api/kernels/{kernel_id}/channels"
        conn = websocket.create_connection(ws_url, header=[f"Authorization: token {self.token}"],
                                           timeout=timeout)
        try:
            msg_id = uuid.uuid4().hex
            conn.send(json.dumps({
                "header": {"msg_id": msg_id, "msg_type": "execute_request", "username": self.name,
                           "session": uuid.uuid4().hex, "version": "5.3"},
                "parent_header": {}, "metadata": {}, "channel": "shell",
                "content": {"code": code, "silent": False, "store_history": False,
                            "user_expressions": {}, "allow_stdin": False}}))
            out: list[str] = []
            while True:
                msg = json.loads(conn.recv())
                if msg.get("parent_header", {}).get("msg_id") != msg_id:
                    continue
                kind, content = msg["msg_type"], msg["content"]
                if kind == "stream":
                    out.append(content["text"])
                elif kind == "error":
                    raise RuntimeError("\n".join(content["traceback"]))
                elif kind == "status" and content["execution_state"] == "idle":
                    return "".join(out)
        finally:
            conn.close()
            requests.delete(f"{self.server}/api/kernels/{kernel_id}", headers=auth, timeout=30)


@dataclass
class Hub:
    url: str
    api: str
    state: Path
    log: Path

    def login(self, name: str, password: str = PASSWORD) -> Learner:
        """Log in through the login form, start the user's server, get a token for it."""
        http = requests.Session()
        http.get(f"{self.url}/hub/login", timeout=30).raise_for_status()
        xsrf = http.cookies.get("_xsrf", "")
        reply = http.post(f"{self.url}/hub/login", allow_redirects=False, timeout=30,
                          data={"username": name, "password": password, "_xsrf": xsrf})
        if reply.status_code != 302:
            raise PermissionError(f"{name}: login refused ({reply.status_code})")
        return self.start(name, http)

    def start(self, name: str, http: requests.Session) -> Learner:
        """Start the logged-in user's server (``http`` holds their hub cookies) and get a
        token for it."""
        http.get(f"{self.url}/hub/home", timeout=30).raise_for_status()
        xsrf = [c.value for c in http.cookies if c.name == "_xsrf"][-1]  # renewed at login
        http.headers["X-XSRFToken"] = xsrf
        user = f"{self.api}/users/{quote(name, safe='@~')}"
        started = http.post(f"{user}/server", timeout=90)
        if started.status_code not in (201, 202, 400):  # 400: already running
            raise RuntimeError(f"{name}: server start refused ({started.status_code})\n"
                               f"{started.text}")
        _wait(f"{name}'s server", lambda: http.get(user, timeout=10)
              .json()["servers"].get("", {}).get("ready"), 90, self.log)
        token = http.post(f"{user}/tokens", json={"expires_in": 900}, timeout=30).json()["token"]
        return Learner(self, name, http, token)


@contextmanager
def running_hub(state: Path, *, users: list[str], instructors: list[str],
                admin_store: str = "", config: Path = CONFIG,
                port: int | None = None, env: dict[str, str] | None = None) -> Iterator[Hub]:
    """Start the course's hub in ``state`` (``config``: a hub configuration that loads the
    course's; ``env``: its settings); stop it (and so its proxy and servers) at the end."""
    if not PROXY.exists():
        raise FileNotFoundError(f"{PROXY} is missing: run 'make hub-deps'")
    port, api_port, proxy_port = port or _free_port(), _free_port(), _free_port()
    env = {**os.environ, **(env or {}), "DYSTONIA_TEACH_HUB_STATE": str(state),
           "DYSTONIA_TEACH_HUB_PORT": str(port), "DYSTONIA_TEACH_HUB_API_PORT": str(api_port),
           "DYSTONIA_TEACH_PROXY_API_PORT": str(proxy_port),
           "DYSTONIA_TEACH_HUB_USERS": ",".join(users),
           "DYSTONIA_TEACH_HUB_INSTRUCTORS": ",".join(instructors),
           "DYSTONIA_TEACH_HUB_PASSWORD": PASSWORD,
           "DYSTONIA_TEACH_HUB_ADMIN_PASSWORD": ADMIN_PASSWORD,
           "DYSTONIA_TEACH_HUB_ADMIN_STORE": admin_store}
    env.pop("DYSTONIA_TEACH_STORE", None)
    state.mkdir(parents=True, exist_ok=True)
    log = state / "hub.log"
    hub_cmd = [str(Path(sys.executable).with_name("jupyterhub")), "-f", str(config)]
    with log.open("wb") as sink:
        process = subprocess.Popen(hub_cmd, cwd=state, env=env, stdout=sink,
                                   stderr=subprocess.STDOUT)
    hub = Hub(f"http://127.0.0.1:{port}", f"http://127.0.0.1:{port}/hub/api", state, log)
    try:
        _wait("JupyterHub", lambda: requests.get(f"{hub.api}/", timeout=5).status_code == 200,
              90, log)
        yield hub
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        _stop_leftover(state / "proxy.pid")


def _stop_leftover(pid_file: Path) -> None:
    """The proxy normally exits with the hub; kill it by its pid if it did not."""
    with suppress(FileNotFoundError, ValueError, ProcessLookupError):
        os.kill(int(pid_file.read_text().strip()), signal.SIGTERM)
