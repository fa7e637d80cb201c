"""The LRS client against a stub on loopback that redirects, trickles, answers HTML and echoes:
credentials go to the LRS's own origin only and are never printed, only an xAPI answer counts as
stored, every bad URL is a clear error, and deadlines hold however slowly a server answers."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from dystonia_teach.cli import cli
from dystonia_teach.course.demo import demo_frame, write_demo_store
from dystonia_teach.course.lrs import LrsError, lrs_target, post_statements
from dystonia_teach.course.xapi import statements

from .lrs_stub import PASSWORD, USER, LrsStub, running_stub

AUTH = (USER, PASSWORD)
TOKEN = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()


@pytest.fixture(scope="module")
def stub() -> Iterator[LrsStub]:
    with running_stub() as running:
        yield running


@pytest.fixture(scope="module")
def made() -> list[dict]:
    return statements(demo_frame(learners=3, cases=["early_uncomplicated"], seed=5))


@pytest.fixture(scope="module")
def store_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return write_demo_store(tmp_path_factory.mktemp("lrs") / "class.sqlite3", learners=2)


def _no_secret(text: str) -> None:
    assert PASSWORD not in text and TOKEN not in text and "\x1b" not in text


def test_lrs_conforming_server_stores_every_statement(stub: LrsStub, made: list[dict]) -> None:
    stub.stored.clear()
    assert post_statements(made, stub.endpoint("xapi"), auth=AUTH, batch_size=4) == len(made)
    assert list(stub.stored) == [s["id"] for s in made]


@pytest.mark.parametrize("kind", ["redirect", "same"])
def test_lrs_redirect_is_not_followed_and_credentials_go_nowhere(stub: LrsStub, made: list[dict],
                                                                 kind: str) -> None:
    stub.captured.clear()
    stub.stored.clear()
    with pytest.raises(LrsError, match="redirect") as error:
        post_statements(made, stub.endpoint(kind), auth=AUTH, backoff=0)
    said = str(error.value)
    assert ("another origin" if kind == "redirect" else "the same origin") in said
    assert "0 of" in said and "posted" not in said
    _no_secret(said)
    assert stub.captured == [] and stub.stored == {}  # nothing followed the redirect


@pytest.mark.parametrize(("kind", "shown"), [("html", "text/html"),
                                             ("empty", "application/json")])
def test_lrs_answer_that_is_not_xapi_does_not_count_as_stored(stub: LrsStub, made: list[dict],
                                                              kind: str, shown: str) -> None:
    with pytest.raises(LrsError, match="not an xAPI answer") as error:
        post_statements(made, stub.endpoint(kind), auth=AUTH)
    assert shown in str(error.value) and "0 of" in str(error.value)


@pytest.mark.parametrize(("url", "said"), [
    ("file:///etc/passwd", "not an http(s) URL"),
    ("ftp://lrs.example.edu/xapi", "not an http(s) URL"),
    ("http://[::1", "not a valid URL"),
    ("http://lrs.example.edu:port/xapi", "not a valid URL"),
    ("https:///xapi", "names no host"),
    ("lrs.example.edu/xapi", "not an http(s) URL"),
])
def test_lrs_bad_url_is_a_clear_error(made: list[dict], url: str, said: str) -> None:
    with pytest.raises(LrsError, match="LRS URL") as error:
        post_statements(made, url)
    assert said in str(error.value)


def test_lrs_credentials_in_the_url_are_used_but_never_shown(stub: LrsStub,
                                                             made: list[dict]) -> None:
    stub.stored.clear()
    url = stub.endpoint("xapi", credentials=True)
    assert lrs_target(url) == (f"{stub.url}/xapi/statements", AUTH)
    assert post_statements(made, url) == len(made) == len(stub.stored)
    with pytest.raises(LrsError) as error:
        post_statements(made, stub.endpoint("redirect", credentials=True), backoff=0)
    _no_secret(str(error.value))
    with pytest.raises(LrsError) as error:
        post_statements(made, f"ftp://{USER}:{PASSWORD}@host/x")
    _no_secret(str(error.value))


def test_lrs_echoed_body_loses_its_escapes_and_the_credentials(stub: LrsStub,
                                                               made: list[dict]) -> None:
    with pytest.raises(LrsError, match="HTTP 400") as error:
        post_statements(made, stub.endpoint("echo"), auth=AUTH, retries=0)
    said = str(error.value)
    assert "bad request from Basic ***" in said and "pwned" not in said
    _no_secret(said)


@pytest.mark.parametrize("kind", ["trickle", "silent"])
def test_lrs_timeout_per_batch_holds_against_a_slow_server(stub: LrsStub, made: list[dict],
                                                           kind: str) -> None:
    """A server that trickles a byte every 0.3 s, or never answers, is given up on once the
    batch's time is spent (it would hold a per-read timeout forever)."""
    with pytest.raises(LrsError, match=r"did not answer .* within 1\.5 s"):
        post_statements(made, stub.endpoint(kind), auth=AUTH, timeout=1.5)


def test_lrs_timeout_for_the_whole_run_holds_over_many_batches(stub: LrsStub,
                                                               made: list[dict]) -> None:
    with pytest.raises(LrsError, match="whole export's deadline"):
        post_statements(made, stub.endpoint("trickle"), auth=AUTH, batch_size=1, timeout=60,
                        deadline=1.0)


def test_lrs_cli_says_what_happened_and_leaks_nothing(stub: LrsStub, store_url: str,
                                                      tmp_path: Path) -> None:
    out = tmp_path / "s.json"
    runner = CliRunner(env={"DYSTONIA_TEACH_LRS_PASSWORD": PASSWORD})
    base = ["export", "xapi", "--store", store_url, "-o", str(out), "--salt", "s",
            "--ledger", str(tmp_path / "ledger.sqlite3")]
    posted = runner.invoke(cli, [*base, "--lrs", stub.endpoint("xapi", credentials=True)])
    assert posted.exit_code == 0 and f"to {stub.url}/xapi/statements" in posted.output
    _no_secret(posted.output)
    for kind in ("redirect", "html", "echo"):
        result = runner.invoke(cli, [*base, "--lrs", stub.endpoint(kind), "--lrs-user", USER])
        assert result.exit_code == 1 and "posted" not in result.output, result.output
        _no_secret(result.output)
    for url in ("http://[::1", f"file://{USER}:{PASSWORD}@/etc/passwd"):
        result = runner.invoke(cli, [*base, "--lrs", url])
        assert result.exit_code == 1 and "LRS URL" in result.output
        assert ("Traceback" not in result.output and result.exception is None) or isinstance(
            result.exception, SystemExit)
        _no_secret(result.output)
