"""Benchmark (not a test): grade passback of a large class to the loopback LTI platform.

500 learners x 20 cases (as in bench_course.py),
every attempt re-graded, every learner having launched the 20 LMS links of one course. The
platform of tests/lti_platform.py runs as its own process on 127.0.0.1 and checks every score
(token, media type, fields). Prints, against the 10 s target: planning the 10,000 scores from the
attempts frame and the hub users' launches, sending them (one access token, 8 connections), and
a second run, which sends nothing new. Reading the launches from the hub's REST API (one request
per user) is not part of it.

    .venv/bin/python benchmarks/bench_passback.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import urllib3
from bench_course import CASES, REPO, extra_cases
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

LEARNERS, TARGET_S = 500, 10.0
CLIENT_ID, KEY_ID = "bench-tool", "bench-1"
LTI = "https://purl.imsglobal.org/spec/lti/claim/"
AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/"


def pem() -> bytes:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption())


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_platform(folder: Path, tool_pem: bytes) -> tuple[subprocess.Popen, str]:
    base = f"http://127.0.0.1:{free_port()}"
    public = serialization.load_pem_private_key(tool_pem, None).public_key()
    config = {"base": base, "client_id": CLIENT_ID, "deployment_id": "d-1",
              "tool_login_url": "http://127.0.0.1:9/hub/lti13/oauth_login",
              "tool_redirect_uris": [], "platform_key": pem().decode(),
              "tool_jwk": {**RSAAlgorithm.to_jwk(public, as_dict=True), "kid": KEY_ID},
              "users": {}}
    (folder / "platform.json").write_text(json.dumps(config), encoding="utf-8")
    process = subprocess.Popen([sys.executable, str(REPO / "tests" / "lti_platform.py"),
                                str(folder / "platform.json")])
    http = urllib3.PoolManager()
    for _ in range(100):
        try:
            if http.request("GET", f"{base}/jwks", retries=False).status == 200:
                return process, base
        except urllib3.exceptions.HTTPError:
            time.sleep(0.1)
    process.terminate()
    raise RuntimeError("the LTI platform did not start")


def hub_users(base: str, learners: list[str], cases: list[str]):
    """Every learner as the hub keeps them after launching the 20 case links of the course."""
    from dystonia_teach.course.hub_launches import HubUser
    from dystonia_teach.course.lti_claims import LINKS_KEY, remember_launch

    users = []
    for number, learner in enumerate(learners):
        kept = None
        for case_id in cases:
            claims = {"iss": base, "sub": f"sub-{number}", LTI + "context": {"id": "course-1"},
                      LTI + "resource_link": {"id": case_id.replace("_", "-")},
                      LTI + "target_link_uri": "https://hub.example/hub/user-redirect/voila/"
                                               f"render/course/cases/{case_id}.ipynb",
                      AGS: {"scope": [SCOPE + "score"], "lineitem":
                            f"{base}/lineitems/{case_id.replace('_', '-')}/lineitem?type_id=1"}}
            kept = remember_launch(claims, kept)
        users.append(HubUser(learner, False, {**claims, LINKS_KEY: kept}))
    return users


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="bench-passback-") as tmp:
        folder = Path(tmp)
        shipped = sorted(p.stem for p in (REPO / "cases").glob("*.yaml"))
        os.environ["DYSTONIA_TEACH_CASES"] = str(folder)
        cases = (shipped + extra_cases(folder, max(0, CASES - len(shipped))))[:CASES]

        from dystonia_teach.course.demo import demo_frame
        from dystonia_teach.course.grading_status import current_label
        from dystonia_teach.course.passback import (
            AgsClient,
            Ledger,
            ToolKey,
            passback,
            plan_scores,
        )

        frame = demo_frame(learners=LEARNERS, cases=cases, seed=1, participation=1.0,
                           max_attempts=1)
        frame["graded"] = current_label()  # as after `dystonia-teach grade`
        tool_pem = pem()
        process, base = start_platform(folder, tool_pem)
        try:
            users = hub_users(base, sorted(frame["learner_id"].unique()), cases)
            tool = ToolKey(CLIENT_ID, f"{base}/token", tool_pem, KEY_ID)
            figures = []
            for run in ("first run", "second run"):
                start, start_cpu = time.perf_counter(), time.process_time()
                plan = plan_scores(frame, users)
                planned = time.perf_counter() - start
                with_ledger = Ledger(folder / "ledger.sqlite3")
                report = passback(plan, AgsClient(tool), with_ledger)
                with_ledger.close()
                total = time.perf_counter() - start
                cpu = time.process_time() - start_cpu
                figures.append((run, len(plan.scores), planned, report, total, cpu))
        finally:
            process.terminate()
            process.wait(10)
    print(f"{len(frame)} attempts by {frame['learner_id'].nunique()} learners at "
          f"{frame['case_id'].nunique()} cases; load average {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} CPUs")
    for run, planned_scores, planned, report, total, cpu in figures:
        verdict = "ok" if total <= TARGET_S and not report.failures else "OVER TARGET"
        print(f"{run:<11} {planned_scores} scores planned in {planned:5.2f} s; sent "
              f"{report.sent}, unchanged {report.unchanged}, failed {len(report.failures)}; "
              f"total {total:5.2f} s, tool's CPU {cpu:5.2f} s "
              f"(target <= {TARGET_S:.0f} s wall: {verdict})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
