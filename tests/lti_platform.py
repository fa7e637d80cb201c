"""A minimal LTI 1.3 platform (an LMS stand-in) for loopback tests and the passback benchmark.

It does what Canvas or Moodle does for a tool, and refuses what they refuse: the launch (OIDC
login initiation, then an authorization endpoint that answers with a signed id_token posted to
the tool), its public keys (JWKS), OAuth2 client-credentials tokens for a client assertion the
tool signs (LTI Security 1.0: audience, issuer, expiry and ``jti`` replay checked) and AGS scores
(media type, required fields and a live token with the score scope checked), kept in
``Platform.scores``. Run it in a thread (``serve_in_thread``) or alone::

    python tests/lti_platform.py CONFIG.json      # keys: see Platform
"""

from __future__ import annotations

import asyncio
import html
import json
import secrets
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlencode

import jwt
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from jwt.algorithms import RSAAlgorithm
from tornado import httpserver, ioloop, netutil, web

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/"
SCORE_TYPE = "application/vnd.ims.lis.v1.score+json"
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"


class Platform:
    """The platform's registration of one tool, its users and what it received."""

    def __init__(self, cfg: dict[str, Any]) -> None:
        self.base = cfg["base"]  # http://127.0.0.1:PORT, also the issuer
        self.client_id, self.deployment_id = cfg["client_id"], cfg["deployment_id"]
        self.login_url = cfg["tool_login_url"]  # <hub>/hub/lti13/oauth_login
        self.redirect_uris = cfg["tool_redirect_uris"]  # [<hub>/hub/lti13/oauth_callback]
        self.key = cfg["platform_key"].encode()  # RSA private key, PEM text
        self.kid = cfg.get("kid", "platform-1")
        self.tool_key = RSAAlgorithm.from_jwk(json.dumps(cfg["tool_jwk"]))  # registered JWK
        self.users: dict[str, dict[str, Any]] = cfg["users"]  # name -> {sub, roles, ...}
        self.context = cfg.get("context", {"id": "course-1", "label": "DYST101",
                                           "title": "Walking foot dystonia"})
        self.pending: dict[str, dict[str, str]] = {}  # lti_message_hint -> launch, used once
        self.jti_seen: set[str] = set()
        self.tokens: dict[str, tuple[float, set[str]]] = {}  # token -> (expires, scopes)
        self.scores: dict[str, list[dict[str, Any]]] = {}  # line item -> scores received
        self.fail_next: list[int] = []  # statuses the score endpoint answers next (tests)
        self.lock = threading.Lock()

    def jwks(self) -> dict[str, Any]:
        public = load_pem_private_key(self.key, None).public_key()
        jwk = json.loads(RSAAlgorithm.to_jwk(public))
        return {"keys": [{**jwk, "kid": self.kid, "alg": "RS256", "use": "sig"}]}

    def claims(self, launch: dict[str, str], nonce: str) -> dict[str, Any]:
        """The id_token's claims for a launch (``launch``: user, resource, target)."""
        user, now, rid = self.users[launch["user"]], int(time.time()), launch["resource"]
        return {
            "iss": self.base, "aud": self.client_id, "sub": user["sub"], "nonce": nonce,
            "iat": now, "exp": now + 300, "name": user.get("name"), "email": user.get("email"),
            LTI + "message_type": "LtiResourceLinkRequest", LTI + "version": "1.3.0",
            LTI + "deployment_id": self.deployment_id, LTI + "roles": user["roles"],
            LTI + "target_link_uri": launch["target"],
            LTI + "resource_link": {"id": rid, "title": launch.get("title", rid)},
            LTI + "context": self.context, LTI + "custom": user.get("custom", {}),
            AGS: {"scope": [SCOPE + "lineitem", SCOPE + "result.readonly", SCOPE + "score"],
                  "lineitems": f"{self.base}/lineitems",  # Moodle-like: a query string
                  "lineitem": f"{self.base}/lineitems/{rid}/lineitem?type_id=1"},
        }

    def sign(self, claims: dict[str, Any], key: bytes | None = None,
             kid: str | None = None) -> str:
        return jwt.encode(claims, key or self.key, algorithm="RS256",
                          headers={"kid": kid or self.kid})


class Handler(web.RequestHandler):
    @property
    def p(self) -> Platform:
        return self.settings["platform"]

    def fail(self, status: int, error: str, why: str) -> None:
        self.set_status(status)
        self.finish({"error": error, "error_description": why})


class Launch(Handler):
    """GET /launch?user=&resource=&target=: the learner follows the LMS link."""

    def get(self) -> None:
        hint, arg = secrets.token_urlsafe(16), self.get_argument
        launch = {"user": arg("user"), "resource": arg("resource"), "target": arg("target")}
        self.p.pending[hint] = launch
        self.redirect(self.p.login_url + "?" + urlencode({
            "iss": self.p.base, "login_hint": self.p.users[launch["user"]]["sub"],
            "target_link_uri": launch["target"], "lti_message_hint": hint,
            "client_id": self.p.client_id, "lti_deployment_id": self.p.deployment_id}))


class Authorize(Handler):
    """The OIDC authorization endpoint: an auto-submitted form posting the id_token."""

    def get(self) -> None:
        arg = self.get_argument
        if arg("client_id") != self.p.client_id or arg("redirect_uri") not in self.p.redirect_uris:
            return self.fail(400, "invalid_request", "unknown client_id or redirect_uri")
        if (arg("response_type"), arg("response_mode"), arg("scope"), arg("prompt")) != (
                "id_token", "form_post", "openid", "none") or not arg("nonce", ""):
            return self.fail(400, "invalid_request", "not an LTI 1.3 authentication request")
        launch = self.p.pending.pop(arg("lti_message_hint", ""), None)
        if launch is None or self.p.users[launch["user"]]["sub"] != arg("login_hint"):
            return self.fail(400, "login_required", "no such launch for this user")
        fields = {"id_token": self.p.sign(self.p.claims(launch, arg("nonce"))),
                  "state": arg("state")}
        inputs = "".join(f'<input type="hidden" name="{k}" value="{html.escape(v)}">'
                         for k, v in fields.items())
        self.finish(f'<form method="post" action="{html.escape(arg("redirect_uri"))}">{inputs}'
                    "</form><script>document.forms[0].submit()</script>")

    post = get


class Jwks(Handler):
    def get(self) -> None:
        self.finish(self.p.jwks())


class Token(Handler):
    """OAuth2 client credentials with a JWT client assertion (LTI Security 1.0)."""

    def post(self) -> None:
        arg = self.get_argument
        if (arg("grant_type", ""), arg("client_assertion_type", "")) != (
                "client_credentials", JWT_BEARER):
            return self.fail(400, "unsupported_grant_type", "client_credentials + jwt-bearer")
        try:
            claims = jwt.decode(arg("client_assertion", ""), self.p.tool_key, algorithms=["RS256"],
                                audience=f"{self.p.base}/token", issuer=self.p.client_id,
                                options={"require": ["iss", "sub", "aud", "exp", "iat", "jti"]})
        except jwt.PyJWTError as exc:
            return self.fail(401, "invalid_client", f"{type(exc).__name__}: {exc}")
        with self.p.lock:
            if claims["sub"] != self.p.client_id or claims["jti"] in self.p.jti_seen:
                return self.fail(401, "invalid_client", "wrong sub or replayed jti")
            self.p.jti_seen.add(claims["jti"])
            scopes = {s for s in arg("scope", "").split() if s.startswith(SCOPE)}
            token = secrets.token_urlsafe(32)
            self.p.tokens[token] = (time.time() + 3600, scopes)
        self.finish({"access_token": token, "token_type": "Bearer", "expires_in": 3600,
                     "scope": " ".join(sorted(scopes))})


class Scores(Handler):
    """POST <lineitem>/scores (AGS 2.0 score publish service)."""

    def post(self, item: str) -> None:
        with self.p.lock:
            if self.p.fail_next:
                status = self.p.fail_next.pop(0)
                return self.fail(status, "unavailable", f"told to answer {status}")
        auth = self.request.headers.get("Authorization", "").removeprefix("Bearer ")
        expires, scopes = self.p.tokens.get(auth, (0, set()))
        if expires < time.time() or SCOPE + "score" not in scopes:
            return self.fail(401, "invalid_token", "needs a live token with the score scope")
        if self.request.headers.get("Content-Type", "").split(";")[0] != SCORE_TYPE:
            return self.fail(415, "unsupported_media_type", f"Content-Type must be {SCORE_TYPE}")
        score = json.loads(self.request.body)
        if {"userId", "activityProgress", "gradingProgress", "timestamp"} - score.keys():
            return self.fail(400, "invalid_request", "userId, *Progress, timestamp required")
        with self.p.lock:
            self.p.scores.setdefault(item, []).append(score)
        self.set_status(204)


def make_app(platform: Platform) -> web.Application:
    return web.Application([
        ("/launch", Launch), ("/authorize", Authorize), ("/jwks", Jwks), ("/token", Token),
        (r"/lineitems/([\w-]+)/lineitem/scores", Scores)], platform=platform)


def bind_loopback() -> tuple[Any, int]:
    """A listening socket on 127.0.0.1 with a free port (bound before the platform exists,
    so its URL can go into its own configuration)."""
    sock = netutil.bind_sockets(0, address="127.0.0.1")[0]
    return sock, int(sock.getsockname()[1])


@contextmanager
def serve_in_thread(platform: Platform, sock: Any) -> Iterator[Platform]:
    """Serve ``platform`` on ``sock`` in a daemon thread; stop it at the end."""
    ready, holder = threading.Event(), {}

    def run() -> None:
        asyncio.set_event_loop(asyncio.new_event_loop())
        server = httpserver.HTTPServer(make_app(platform))
        server.add_sockets([sock])
        holder["loop"], holder["server"] = ioloop.IOLoop.current(), server
        ready.set()
        holder["loop"].start()

    thread = threading.Thread(target=run, name="lti-platform", daemon=True)
    thread.start()
    ready.wait(10)
    try:
        yield platform
    finally:
        loop = holder["loop"]
        loop.add_callback(holder["server"].stop)
        loop.add_callback(loop.stop)
        thread.join(10)


if __name__ == "__main__":
    with open(sys.argv[1]) as f:
        config = json.load(f)
    make_app(Platform(config)).listen(int(config["base"].rsplit(":", 1)[1]), address="127.0.0.1")
    ioloop.IOLoop.current().start()
