"""Under JupyterHub the case picker saves as the hub user, who cannot be typed over."""

from __future__ import annotations

from pathlib import Path

import pytest

from dystonia_teach.store import learner_id_for, open_store
from dystonia_teach.widgets import case_picker


def test_the_picker_saves_as_the_hub_user(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "progress.sqlite3"
    monkeypatch.setenv("DYSTONIA_TEACH_STORE", str(path))
    monkeypatch.setenv("JUPYTERHUB_USER", "hub_owl")
    picker = case_picker(learner_id="typed_nickname")
    assert picker.learner.value == "hub_owl" and picker.learner.disabled
    picker.cases.value = "early_uncomplicated"
    picker.open_button.click()
    assert "JupyterHub user" in picker.status.value and str(path) not in picker.status.value
    workbench = picker.workbench
    assert workbench is not None
    workbench.examine.buttons["neuro_exam"].click()
    workbench.session.set_differential(["radiculopathy_dystonia"])
    workbench.differential.record_confidence.click()
    workbench.feedback.submit.click()
    with open_store(path) as store:
        assert [a.learner_id for a in store.all_attempts()] == ["hub_owl"]


def test_a_single_sign_on_username_is_the_mapped_learner_id(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUPYTERHUB_USER", "alice@uni.example")
    picker = case_picker()
    assert picker.errors.value == "" and picker.learner.disabled
    assert picker.learner.value == learner_id_for("alice@uni.example")
