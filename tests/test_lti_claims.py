"""What the course hub reads from an LTI 1.3 launch (course/lti_claims.py) and the case notebooks
its links open (course/case_notebooks.py), without a hub: roles, the links kept across launches,
what a link grades, replayed tokens, the LMS ids of the id map."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from dystonia_teach.casefiles.loader import list_cases
from dystonia_teach.course.case_notebooks import write_case_notebooks
from dystonia_teach.course.lti_claims import (
    AGS_CLAIM,
    LINKS_KEY,
    LTI,
    ReplayGuard,
    graded_item,
    is_instructor,
    launch_links,
    lms_identity,
    remember_launch,
)

MEMBERSHIP = "http://purl.imsglobal.org/vocab/lis/v2/membership"


def claims(resource: str, target: str, **extra: object) -> dict:
    """The claims of one launch from course-1 of a platform."""
    return {"iss": "https://lms.example", "sub": "u-1", "nonce": "n", "iat": 1000, "exp": 1300,
            LTI + "resource_link": {"id": resource, "title": f"Link {resource}"},
            LTI + "context": {"id": "course-1"}, LTI + "target_link_uri": target,
            AGS_CLAIM: {"scope": ["s"], "lineitem": f"https://lms.example/items/{resource}"},
            **extra}


@pytest.mark.parametrize(("roles", "instructor"), [
    ([f"{MEMBERSHIP}#Instructor"], True),
    ([f"{MEMBERSHIP}#Learner", f"{MEMBERSHIP}/Instructor#TeachingAssistant"], True),
    ([f"{MEMBERSHIP}#Learner"], False),
    ([f"{MEMBERSHIP}#Mentor"], False),
    (["http://purl.imsglobal.org/vocab/lis/v2/institution/person#Instructor"], False),
    ([], False),
])
def test_lti_instructor_is_the_course_role_instructor(roles: list[str], instructor: bool) -> None:
    assert is_instructor({LTI + "roles": roles}) is instructor


def test_lti_every_launched_link_is_kept_though_auth_state_holds_the_last_launch() -> None:
    kept = remember_launch(claims("link-1", "https://hub/a"))
    kept = remember_launch(claims("link-2", "https://hub/b"), kept)
    links = launch_links({LINKS_KEY: kept})
    assert [(x.resource_link, x.context, x.lineitem) for x in links] == [
        ("link-1", "course-1", "https://lms.example/items/link-1"),
        ("link-2", "course-1", "https://lms.example/items/link-2")]
    assert launch_links({}) == [] and launch_links(None) == []


@pytest.mark.parametrize(("target", "custom", "graded"), [
    ("https://hub/hub/user-redirect/voila/render/course/cases/early_uncomplicated.ipynb", {},
     ("case", "early_uncomplicated")),
    ("https://hub/hub/user-redirect/lab/tree/course/cases/progressive_foot_drop.ipynb", {},
     ("case", "progressive_foot_drop")),
    ("https://hub/hub/user-redirect/lab/tree/course/02_work_the_cases.ipynb?assignment=week_1",
     {}, ("assignment", "week_1")),
    ("https://hub/hub/user-redirect/lab?case=early_uncomplicated", {},
     ("case", "early_uncomplicated")),
    ("https://hub/hub/user-redirect/lab", {"assignment": "week_2"}, ("assignment", "week_2")),
    ("https://hub/hub/user-redirect/lab", {}, None),
])
def test_lti_link_grades_what_its_target_names(target: str, custom: dict,
                                               graded: tuple[str, str] | None) -> None:
    [link] = launch_links({LINKS_KEY: remember_launch(
        claims("l", target, **{LTI + "custom": custom}))})
    assert graded_item(link) == graded


def test_lti_replayed_token_is_refused_until_it_could_no_longer_be_accepted() -> None:
    guard = ReplayGuard(max_age=600, leeway=60)
    token = claims("l", "t")
    assert guard.first_use(token, now=1000) is True
    assert guard.first_use(token, now=1001) is False
    assert guard.first_use({**token, "nonce": "other"}, now=1001) is True
    assert guard.first_use({**token, "nonce": ""}, now=1001) is False  # no nonce: refused
    assert guard.first_use(token, now=1000 + 600 + 61) is True  # past iat + max_age + leeway


def test_lti_identity_from_canvas_and_moodle_launches() -> None:
    canvas = {"name": "Ana Example", "email": "ana@uni.example",
              LTI + "custom": {"lms_user_id": 101, "sis_user_id": "S-1", "login_id": "ana1",
                               "section": "A"}}
    assert lms_identity(canvas) == {"name": "Ana Example", "email": "ana@uni.example",
                                    "lms_user_id": "101", "sis_user_id": "S-1",
                                    "login_id": "ana1", "section": "A"}
    moodle = {"given_name": "Ben", "family_name": "Example", "email": "ben@uni.example",
              LTI + "lis": {"person_sourcedid": "S-2"}, LTI + "ext": {"user_username": "ben2"}}
    assert lms_identity(moodle) == {"name": "Ben Example", "email": "ben@uni.example",
                                    "lms_user_id": "", "sis_user_id": "S-2",
                                    "login_id": "ben2", "section": ""}


def test_lti_case_notebooks_open_each_case_and_keep_a_learners_copy(tmp_path: Path) -> None:
    folder = tmp_path / "course" / "cases"
    written = write_case_notebooks(folder)
    assert written == list_cases() and len(written) >= 12
    notebook = nbformat.read(folder / "early_uncomplicated.ipynb", as_version=4)
    nbformat.validate(notebook)
    [code] = [cell.source for cell in notebook.cells if cell.cell_type == "code"]
    assert "Workbench('early_uncomplicated', store=open_store(), learner_id=current_learner())" \
        in code
    mine = folder / "early_uncomplicated.ipynb"
    mine.write_text(json.dumps({**json.loads(mine.read_text()), "metadata": {"mine": True}}))
    assert write_case_notebooks(folder) == []
    assert json.loads(mine.read_text())["metadata"] == {"mine": True}


def test_lti_hub_without_a_setting_names_it_and_does_not_start(monkeypatch) -> None:
    import runpy

    for name in ("DYSTONIA_TEACH_LTI_AUTHORIZE_URL", "DYSTONIA_TEACH_LTI_JWKS_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DYSTONIA_TEACH_LTI_ISSUER", "https://lms.example")
    monkeypatch.setenv("DYSTONIA_TEACH_LTI_CLIENT_ID", "tool")
    config = Path(__file__).resolve().parent.parent / "deploy" / "jupyterhub" / "lti_config.py"
    with pytest.raises(SystemExit) as stopped:  # before the hub reads any other setting
        runpy.run_path(str(config))
    assert str(stopped.value.code).startswith(f"{config}: set DYSTONIA_TEACH_LTI_AUTHORIZE_URL")
