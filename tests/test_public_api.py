"""The curated public API: what __all__ promises exists and behaves."""

from __future__ import annotations

import pandas as pd

import dystonia_teach


def test_all_names_exist() -> None:
    for name in dystonia_teach.__all__:
        assert hasattr(dystonia_teach, name), name
    required = {"load_case", "list_cases", "evaluate", "step_catalogue", "evidence_table"}
    assert required <= set(dystonia_teach.__all__)


def test_public_functions_work_together() -> None:
    case = dystonia_teach.load_case(dystonia_teach.list_cases()[0])
    assessment = dystonia_teach.evaluate(case, ["history_red_flags"])
    assert 0 <= assessment.score < 1
    assert isinstance(dystonia_teach.evidence_table(), pd.DataFrame)
    catalogue = dystonia_teach.step_catalogue()
    assert set(catalogue["step"]) >= {"naproxen", "tlif", "rigid_splinting"}


def test_widget_entry_points_are_exported_from_the_widgets_package() -> None:
    import dystonia_teach.widgets as widgets

    for name in widgets.__all__:
        assert hasattr(widgets, name), name
    assert {"case_picker", "case_builder", "EvidenceExplorer"} <= set(widgets.__all__)
    assert widgets.case_picker.__module__ == "dystonia_teach.widgets.picker"
