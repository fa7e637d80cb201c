"""`dystonia-teach lti passback|roster|key`: the course inside an LMS (LTI 1.3).

Passback is a command, not a long-running hub service: scores may only leave once
`dystonia-teach grade` has re-graded them, so an instructor (or a timer) runs the two one after
the other; it is idempotent, and its exit status and per-learner errors are there to read. It
reads the launches through the hub's ``lti-grades`` service token, which may read auth_state and
nothing else, and keeps the tool's private key out of every learner's server.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from pathlib import Path

import click

from dystonia_teach.cli._common import EXIT_PROBLEMS, echo, examples
from dystonia_teach.cli._frames import read_frame, store_option
from dystonia_teach.core.errors import DystoniaTeachError

DEFAULT_HUB_API = "http://127.0.0.1:8000/hub/api"
DEFAULT_KEY_ID = "dystonia-teach-1"

hub_api_option = click.option(
    "--hub-api", envvar="DYSTONIA_TEACH_HUB_API_URL", default=DEFAULT_HUB_API,
    show_default=True, metavar="URL", help="The hub's REST API (or $DYSTONIA_TEACH_HUB_API_URL).")
hub_token_option = click.option(
    "--hub-token", envvar="DYSTONIA_TEACH_LTI_SERVICE_TOKEN", required=True, metavar="TOKEN",
    help="The lti-grades service's token (better: $DYSTONIA_TEACH_LTI_SERVICE_TOKEN).")
key_id_option = click.option(
    "--key-id", envvar="DYSTONIA_TEACH_LTI_KEY_ID", default=DEFAULT_KEY_ID, show_default=True,
    help="The key id (kid) registered with the tool's public key at the LMS.")


@click.group(epilog=examples(
    "dystonia-teach lti key tool-key.pem",
    "dystonia-teach grade --store postgresql://instructor@db/course && "
    "dystonia-teach lti passback --store postgresql://instructor@db/course",
    "dystonia-teach lti roster -o roster.csv",
))
def lti() -> None:
    """The course inside an LMS: grade passback, the LMS id map, the tool's key.

    Settings come from the environment of the LTI hub (docs/deploy.md): the tool's client id,
    token URL and key, and the lti-grades service token. Needs the hub extra
    (pip install 'dystonia-teach[hub]').
    """
    if importlib.util.find_spec("jwt") is None:
        echo("error: the lti commands need the hub extra: pip install 'dystonia-teach[hub]'",
             err=True)
        sys.exit(EXIT_PROBLEMS)


@lti.command("passback", epilog=examples(
    "dystonia-teach lti passback --store postgresql://instructor@db/course --dry-run",
    "dystonia-teach lti passback --store postgresql://instructor@db/course "
    "--assignments assignments.yaml",
))
@store_option
@click.option("--assignments", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="YAML file of assignments (groups of cases graded as one LMS column); links "
                   "with ?assignment=ID grade them. Links to a case grade that case.")
@hub_api_option
@hub_token_option
@click.option("--client-id", envvar="DYSTONIA_TEACH_LTI_CLIENT_ID", required=True,
              help="The tool's client id at the LMS ($DYSTONIA_TEACH_LTI_CLIENT_ID).")
@click.option("--token-url", envvar="DYSTONIA_TEACH_LTI_TOKEN_URL", required=True, metavar="URL",
              help="The LMS's access token URL ($DYSTONIA_TEACH_LTI_TOKEN_URL).")
@click.option("--key", "key_file", envvar="DYSTONIA_TEACH_LTI_KEY", required=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The tool's private key, PEM ($DYSTONIA_TEACH_LTI_KEY).")
@key_id_option
@click.option("--ledger", envvar="DYSTONIA_TEACH_PASSBACK_LEDGER", metavar="FILE",
              type=click.Path(dir_okay=False, path_type=Path),
              help="Where the scores sent are remembered (default "
                   "~/.dystonia_teach/passback.sqlite3); keep it: without it every score is "
                   "sent again.")
@click.option("--dry-run", is_flag=True, help="Say what would be sent; send nothing.")
def passback_command(store_url: str | None, assignments: Path | None, hub_api: str, hub_token: str,
             client_id: str, token_url: str, key_file: Path, key_id: str,
             ledger: Path | None, dry_run: bool) -> None:
    """Send each learner's re-graded scores to the LMS gradebook (LTI Assignment and Grade
    Services): per case, or per assignment of cases, to every LMS link of the learner's
    course that grades it.

    Only scores re-graded by this release count: run `dystonia-teach grade` first (scores
    waiting for it are counted, not sent). Re-running sends only what changed. Exit 1 if a
    score could not be sent (each learner is named with the reason).
    """
    from dystonia_teach.course.assignments import load_assignments
    from dystonia_teach.course.hub_launches import hub_users
    from dystonia_teach.course.passback import (
        DEFAULT_LEDGER,
        AgsClient,
        Ledger,
        ToolKey,
        passback,
        plan_scores,
    )

    frame = read_frame(store_url)
    try:
        groups = load_assignments(assignments) if assignments else []
        plan = plan_scores(frame, hub_users(hub_api, hub_token), groups)
        tool = ToolKey(client_id, token_url, key_file.read_bytes(), key_id)
        remembered = Ledger(ledger or DEFAULT_LEDGER)
        try:
            report = passback(plan, AgsClient(tool), remembered, dry_run=dry_run)
        finally:
            remembered.close()
    except (DystoniaTeachError, OSError) as exc:
        echo(f"error: {exc}", err=True)
        sys.exit(EXIT_PROBLEMS)
    for line in report.lines():
        echo(line, err=line.startswith("error:"))
    if report.failures:
        sys.exit(EXIT_PROBLEMS)


@lti.command(epilog=examples("dystonia-teach lti roster -o roster.csv"))
@hub_api_option
@hub_token_option
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The roster CSV to write.")
def roster(hub_api: str, hub_token: str, output: Path) -> None:
    """Write the id map of the LMS launches: each learner's hub user (the id their attempts are
    stored under) beside their name, e-mail and LMS ids, for `export gradebook --format
    canvas|moodle --roster FILE`."""
    from dystonia_teach.course.hub_launches import hub_users
    from dystonia_teach.course.lms_gradebook import write_roster
    from dystonia_teach.course.lti_claims import lms_identity

    try:
        users = [u for u in hub_users(hub_api, hub_token) if u.auth_state and not u.admin]
        id_map = {user.name: lms_identity(user.auth_state) for user in users}
        write_roster(id_map, output)
    except (DystoniaTeachError, OSError) as exc:
        echo(f"error: {exc}", err=True)
        sys.exit(EXIT_PROBLEMS)
    bare = [name for name, ids in id_map.items()
            if not any(ids[k] for k in ("lms_user_id", "sis_user_id", "login_id", "email"))]
    echo(f"wrote {output}: {len(id_map)} learners who launched from the LMS")
    if bare:
        echo(f"note: {len(bare)} of them have no LMS id or e-mail in their launch: add the "
             "custom parameters of docs/deploy.md at the LMS, or fill them in by hand")


@lti.command(epilog=examples("dystonia-teach lti key tool-key.pem > tool-jwk.json"))
@click.argument("key_file", type=click.Path(dir_okay=False, path_type=Path))
@key_id_option
def key(key_file: Path, key_id: str) -> None:
    """Print the tool's public key (a JWK) to register at the LMS; KEY_FILE is the tool's
    private key (PEM), created (RSA 2048, readable by its owner only) if it does not exist."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from jwt.algorithms import RSAAlgorithm

    try:
        if not key_file.exists():
            pem = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption())
            with os.fdopen(os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600),
                           "wb") as sink:
                sink.write(pem)
            echo(f"created {key_file} (keep it secret; it signs the tool's grade requests)",
                 err=True)
        private = serialization.load_pem_private_key(key_file.read_bytes(), None)
        jwk = json.loads(RSAAlgorithm.to_jwk(private.public_key()))
    except (OSError, ValueError, TypeError) as exc:
        echo(f"error: {key_file}: not an RSA private key in PEM ({exc})", err=True)
        sys.exit(EXIT_PROBLEMS)
    public = {k: jwk[k] for k in ("kty", "e", "n")}
    click.echo(json.dumps({**public, "kid": key_id, "alg": "RS256", "use": "sig"}, indent=2))
