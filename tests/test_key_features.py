"""Key-feature questions (issue 22 item 1): derived from a case's decisions, answered from a
long menu, scored as Page & Bordage score them, in the workbench's quick check, and exported as
a printable item set. Every test name carries "key_feature"."""

from __future__ import annotations

import hashlib
import html
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from dystonia_teach import evaluate, list_cases, load_case, recommended_actions
from dystonia_teach.casefiles.spoilers import spoilers
from dystonia_teach.core.decisions import case_decisions
from dystonia_teach.core.key_feature_score import mean_score, score_item
from dystonia_teach.core.key_features import Key, KeyFeatureItem, Killer, key_feature_items
from dystonia_teach.core.long_menu import menu_ids, search_menu
from dystonia_teach.core.quick_check import QuickCheck
from dystonia_teach.core.visits import case_at_visit, cases_at_visits, visit_count
from dystonia_teach.render.key_features import item_set_html, question_html, result_html
from dystonia_teach.render.student_text import student_text_problems
from dystonia_teach.widgets.workbench import Workbench

CASE_IDS = list_cases()


def _text(markup: str) -> str:
    """What a reader sees of an HTML fragment."""
    return html.unescape(re.sub(r"<[^>]+>", " ", markup))


def _item(kind: str = "plan") -> KeyFeatureItem:
    """A question with three keys (A has two acceptable answers), 4 answers allowed, one
    killer: the hand-worked examples below score it."""
    return KeyFeatureItem(
        case_id="worked", visit=0, week=3.0, kind=kind, question="What now?",  # type: ignore[arg-type]
        menu="steps", allowed=4,
        keys=(Key("A", ("a1", "a2"), "why A"), Key("B", ("b",), "why B"),
              Key("C", ("c",), "why C")),
        killers=(Killer("k", "contraindicated", "harms"),))


# Page & Bordage: score = keys given / keys; 0 for more answers than allowed or any killer.
HAND_WORKED = [
    # answers,                         keys given, arithmetic,                    score
    (["a2", "b"],                      "A B",      "2 of 3 keys: 2/3",             2 / 3),
    (["a1", "a2", "c"],                "A C",      "a1 and a2 give key A once: 2/3", 2 / 3),
    (["a1", "b", "c"],                 "A B C",    "3/3",                          1.0),
    (["a1", "b", "c", "x"],            "A B C",    "4 answers, 4 allowed: 3/3",    1.0),
    (["a1", "b", "c", "x", "y"],       "A B C",    "5 answers > 4 allowed: 0",     0.0),
    (["a1", "b", "k"],                 "A B",      "killer k: 0",                  0.0),
    (["x"],                            "",         "0/3",                          0.0),
    (["b", "b"],                       "B",        "a repeat counts once: 1/3",    1 / 3),
]


@pytest.mark.parametrize(("answers", "keys", "arithmetic", "expected"), HAND_WORKED,
                         ids=[w[2] for w in HAND_WORKED])
def test_key_feature_score_hand_worked_examples(answers: list[str], keys: str, arithmetic: str,
                                                expected: float) -> None:
    result = score_item(_item(), answers)
    assert result.score == pytest.approx(expected), arithmetic
    assert " ".join(k.label for k in result.keys_given) == keys
    assert result.too_many == (len(set(answers)) > 4)


def test_key_feature_scores_a_bundled_case_worked_by_hand() -> None:
    """A retired bus driver with stage 4 kidney disease, first visit: three questions."""
    items = [i for i in key_feature_items(load_case("nsaid_contraindicated_ckd")) if i.visit == 0]
    diagnosis, drug, plan = items
    assert [i.kind for i in items] == ["diagnosis", "drug", "plan"]
    # the plan's keys: follow-up, advice to stay active, exercise therapy; up to 4 answers
    assert [k.options for k in plan.keys] == [("clinical_followup",), ("education_stay_active",),
                                              ("physical_therapy",)]
    assert plan.allowed == 4
    two_of_three = score_item(plan, ["physical_therapy", "education_stay_active",
                                     "mri_lumbar_noncontrast"])
    assert two_of_three.score == pytest.approx(2 / 3)            # 2 keys of 3; the MRI is no key
    assert score_item(plan, ["physical_therapy", "naproxen"]).score == 0  # NSAID in CKD 4: killer
    # the drug: acetaminophen is the key; one answer allowed
    assert drug.allowed == 1 and [k.options for k in drug.keys] == [("acetaminophen",)]
    assert score_item(drug, ["acetaminophen"]).score == 1.0       # 1/1
    assert score_item(drug, ["ibuprofen"]).score == 0.0          # a killer
    assert score_item(drug, ["acetaminophen", "gastroprotection"]).score == 0.0  # 2 > 1 allowed
    radiculopathy = score_item(diagnosis, ["radiculopathy_dystonia"])
    assert radiculopathy.score == 1.0                            # its only key: 1/1
    # the case's score is the mean of its questions: (1 + 1 + 2/3) / 3 = 0.889
    case_score = mean_score([radiculopathy, score_item(drug, ["acetaminophen"]), two_of_three])
    assert case_score == pytest.approx((1 + 1 + 2 / 3) / 3)
    assert round(case_score, 3) == 0.889


@pytest.mark.parametrize("case_id", CASE_IDS)
def test_key_feature_items_of_every_bundled_case(case_id: str) -> None:
    """2 to 4 questions at every visit, each answerable from its menu, its keys and its
    killers apart; answering each key's first option scores 1."""
    case = load_case(case_id)
    items = key_feature_items(case)
    for visit in range(visit_count(case)):
        assert 2 <= sum(i.visit == visit for i in items) <= 4, visit
    for item in items:
        menu = set(menu_ids(item.menu))
        options = {o for k in item.keys for o in k.options}
        assert item.keys and item.allowed >= len(item.keys)
        assert options <= menu and {k.option for k in item.killers} <= menu
        assert not options & {k.option for k in item.killers}, item.kind
        assert score_item(item, [k.options[0] for k in item.keys]).score == 1.0


@pytest.mark.parametrize("case_id", CASE_IDS)
def test_key_feature_keys_and_killers_come_from_the_engine(case_id: str) -> None:
    """Step keys are the visit's required decisions; killers are its critical commissions:
    added to the recommended plan, each makes the engine call the plan unsafe."""
    case = load_case(case_id)
    items = key_feature_items(case)
    earlier: list = []
    for visit, at_visit in enumerate(cases_at_visits(case)):
        found = case_decisions(at_visit, earlier)
        required = {d.options for d in found.decisions if d.required}
        harmful = {h.step: h.code for h in found.harmful}
        plan = recommended_actions(at_visit, earlier)
        for item in (i for i in items if i.visit == visit and i.kind not in ("diagnosis",
                                                                            "drug")):
            for key in item.keys:
                assert any(set(key.options) <= set(options) for options in required), key.label
        for item in (i for i in items if i.visit == visit):
            for killer in item.killers:
                assert harmful[killer.option] == killer.code
                assert evaluate(at_visit, [*plan, killer.option],
                                earlier=earlier).safety == "unsafe", killer.option
        earlier += plan


def test_key_feature_today_question_for_red_flags() -> None:
    """Cauda equina features: the urgent MRI (with or without contrast) and the urgent surgical
    opinion are what must be done today; no separate tests question repeats the MRI."""
    items = key_feature_items(load_case("cauda_equina_red_flags"))
    assert [i.kind for i in items] == ["diagnosis", "today"]
    today = items[1]
    assert today.question == "What must be done today?"
    assert [k.options for k in today.keys] == [("mri_lumbar_noncontrast", "mri_lumbar_contrast"),
                                               ("urgent_surgical_referral",)]
    assert {"cauda_equina_syndrome", "radiculopathy_dystonia"} == {
        k.options[0] for k in items[0].keys}
    assert "tlif" in {k.option for k in today.killers}


def test_key_feature_drug_question_only_where_a_condition_bars_a_drug() -> None:
    kinds = {c: [i.kind for i in key_feature_items(load_case(c))] for c in
             ("early_uncomplicated", "cirrhosis_early_sciatica", "stent_clopidogrel_injection",
              "young_onset_dopa_responsive")}
    assert "drug" not in kinds["early_uncomplicated"]  # nothing barred: no drug question
    assert "drug" not in kinds["young_onset_dopa_responsive"]  # a child's dose slip bars nothing
    cirrhosis = next(i for i in key_feature_items(load_case("cirrhosis_early_sciatica"))
                     if i.kind == "drug")
    assert cirrhosis.keys[0].options == ("acetaminophen",)
    assert {"naproxen", "ibuprofen", "diclofenac", "duloxetine"} <= {
        k.option for k in cirrhosis.killers}
    stent = next(i for i in key_feature_items(load_case("stent_clopidogrel_injection"))
                 if i.kind == "drug")
    # on clopidogrel, an NSAID needs gastro-protection: safe on its own is acetaminophen
    assert stent.keys[0].options == ("acetaminophen",)
    assert "gastro-protection" in stent.keys[0].reason
    assert [k.option for k in stent.killers if k.code == "contraindicated"] == ["diclofenac"]


def test_key_feature_later_visit_asks_the_diagnosis_again_only_when_it_changed() -> None:
    ckd = key_feature_items(load_case("nsaid_contraindicated_ckd"))
    second = [i for i in ckd if i.visit == 1]
    assert [i.kind for i in second] == ["diagnosis", "today", "drug"]
    assert "progressive_root_compression" in {k.options[0] for k in second[0].keys}
    early = [i.kind for i in key_feature_items(load_case("early_uncomplicated")) if i.visit == 1]
    assert early == ["tests", "plan"]
    assert [i.week for i in second] == [case_at_visit(load_case("nsaid_contraindicated_ckd"),
                                                      1).course.symptom_weeks] * 3


def test_key_feature_items_are_the_same_in_any_process() -> None:
    """Deterministic: the whole bank's printed key is byte-identical under two hash seeds."""
    script = ("import hashlib; from dystonia_teach import list_cases, load_case; "
              "from dystonia_teach.render.key_features import item_set_html; "
              "page = item_set_html([load_case(c) for c in list_cases()], key=True); "
              "print(hashlib.sha256(page.encode()).hexdigest())")
    digests = {subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                              check=True, timeout=120,
                              env={**os.environ, "PYTHONHASHSEED": seed}).stdout.strip()
               for seed in ("1", "2")}
    here = hashlib.sha256(item_set_html([load_case(c) for c in CASE_IDS], key=True)
                          .encode()).hexdigest()
    assert digests == {here}


def test_key_feature_long_menu_shows_nothing_before_typing() -> None:
    assert search_menu("steps", "") == [] and search_menu("tests", "m") == []
    mri = search_menu("tests", "mri")
    assert all(label.startswith("MRI") for label, _ in mri[:4]) and len(mri) == 4
    assert search_menu("tests", "mri lumb")[0][1] == "mri_lumbar_noncontrast"
    assert search_menu("drugs", "parac") == [("Acetaminophen (paracetamol)", "acetaminophen")]
    nsaid = [i for _, i in search_menu("drugs", "nsaid")]  # the category, then descriptions
    assert {"naproxen", "ibuprofen", "diclofenac"} == set(nsaid[:3])
    assert search_menu("diagnoses", "CES")[0][1] == "cauda_equina_syndrome"
    assert "naproxen" not in menu_ids("tests") and "levodopa_trial" not in menu_ids("drugs")
    # the stem gives the history and examination; an alias is not a second answer
    assert not {"neuro_exam", "urgent_mri"} & set(menu_ids("steps"))
    assert search_menu("steps", "flexion extens")[0][1] == "xray_flexion_extension"


@pytest.mark.parametrize("case_id", CASE_IDS)
def test_key_feature_texts_pass_the_spoiler_and_student_text_checks(case_id: str) -> None:
    """Nothing a student reads before answering names the diagnosis; nothing a student reads
    (after answering too) holds an id, an authoring note or a file path."""
    case = load_case(case_id)
    page = item_set_html([case])
    assert list(spoilers(_text(page), case.diagnosis)) == []
    assert student_text_problems(page, tuple(CASE_IDS)) == []
    assert student_text_problems(_text(page), tuple(CASE_IDS)) == []
    items = key_feature_items(case)
    for n, item in enumerate(items, 1):
        assert list(spoilers(_text(question_html(item, n, len(items))), case.diagnosis)) == []
        wrong = [o for o in menu_ids(item.menu) if o not in {p for k in item.keys
                                                             for p in k.options}][:2]
        for answers in ([k.options[0] for k in item.keys], wrong):
            shown = result_html(score_item(item, answers))
            assert student_text_problems(_text(shown), tuple(CASE_IDS)) == [], item.kind
    # the check would see a spoiler: the key names the diagnosis the facts point to
    assert list(spoilers(_text(item_set_html([case], key=True)), case.diagnosis))


def test_key_feature_item_set_is_printable_without_scripts() -> None:
    cases = [load_case("nsaid_contraindicated_ckd"), load_case("cauda_equina_red_flags")]
    student, key = item_set_html(cases), item_set_html(cases, key=True)
    for page in (student, key):
        assert page.startswith("<!DOCTYPE html>")
        assert not re.search(r"<script|<link|<iframe|\bsrc=|@import|url\(|https?://", page,
                             re.IGNORECASE)
        assert page.count("<h2>") >= 2
    assert "Key answers" not in student and "Give one answer." in student
    assert student.count('class="dt-lines"') == len(key_feature_items(cases[0])) + 2
    assert "Key answers" in key and "Answers that score this question 0" in key
    assert "OCEBM 2011 level" in key and "weak evidence" in key
    assert "nsaid_contraindicated_ckd" in key and "nsaid_contraindicated_ckd" not in student


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([sys.executable, "-m", "dystonia_teach", *map(str, args)],
                            capture_output=True, text=True, timeout=120, check=False)
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    return result


def test_key_feature_export_items_command(tmp_path: Path) -> None:
    student, key = tmp_path / "items.html", tmp_path / "key.html"
    done = run("export", "items", "nsaid_contraindicated_ckd", "cauda_equina_red_flags",
               "-o", student)
    assert done.returncode == 0, done.stderr
    assert "8 questions on 2 cases" in done.stdout and "no key" in done.stdout
    assert "Key answers" not in student.read_text(encoding="utf-8")
    done = run("export", "items", "--all", "--key", "-o", key)
    assert done.returncode == 0, done.stderr
    page = key.read_text(encoding="utf-8")
    assert page.count("<section><h2>Case ") == len(CASE_IDS) and "Key answers" in page
    neither = run("export", "items", "-o", student)
    assert neither.returncode == 2 and "give one or more CASE ids, or --all" in neither.stderr
    unknown = run("export", "items", "no_such_case", "-o", student)
    assert unknown.returncode == 2 and "no_such_case" in unknown.stderr
    unwritable = run("export", "items", "early_uncomplicated", "-o", tmp_path / "no" / "x.html")
    assert unwritable.returncode == 2 and "cannot write" in unwritable.stderr


def _say(panel) -> str:
    return _text(panel.message.value).strip()


def _answer(panel, typed: str, answer: str) -> None:
    panel.search.value = typed
    assert answer in [v for _, v in panel.matches.options], (typed, panel.matches.options)
    panel.matches.value = answer
    panel.add.click()


def test_key_feature_quick_check_mode_driven_headless() -> None:
    wb = Workbench("nsaid_contraindicated_ckd")
    quick = wb.quick_check
    assert quick.layout.display == "none" and wb.tracker.layout.display is None
    wb.mode.value = "quick"
    assert quick.layout.display is None
    assert all(p.layout.display == "none" for p in wb.panels)
    assert "Question 1 of 6" in _text(quick.question.value)
    assert "Give up to 3 answers." in _text(quick.question.value)
    assert "Visit 1 of 2 (week 4)" in _text(quick.stem.value)
    assert quick.matches.options == ()                     # a long menu: nothing before typing
    quick.add.click()
    assert "type a few letters" in _say(quick)             # the error, beside the buttons
    quick.submit.click()
    assert "give at least one answer" in _say(quick)
    _answer(quick, "radic", "radiculopathy_dystonia")
    assert _say(quick) == "Added: Foot dystonia caused by lumbar radiculopathy."
    quick.submit.click()
    assert _say(quick).startswith("Score 1/1 = 1.00")
    assert "Key answers" in quick.result.value and quick.next.layout.display is None
    quick.next.click()
    assert "Give one answer." in _text(quick.question.value)
    _answer(quick, "ibupro", "ibuprofen")
    quick.submit.click()
    assert _say(quick).startswith("Score 0: Ibuprofen would harm this patient")
    assert "contraindicated" in _text(quick.result.value)
    quick.next.click()
    assert "Give up to 4 answers." in _text(quick.question.value)
    for typed, answer in [("physical", "physical_therapy"), ("advice", "education_stay_active"),
                          ("follow", "clinical_followup"), ("mri lumbar",
                                                            "mri_lumbar_noncontrast"),
                          ("orthosis", "ankle_foot_orthosis")]:
        _answer(quick, typed, answer)
    assert "5 answers where up to 4 are allowed" in _say(quick)
    quick.answers.value = "ankle_foot_orthosis"
    quick.remove.click()
    assert _say(quick) == "Removed: Ankle-foot orthosis for foot drop."
    quick.submit.click()
    assert _say(quick).startswith("Score 3/3 = 1.00")       # the MRI is no key and no killer
    # (1 + 0 + 1) / 3 questions = 0.67 so far
    assert "3 of 6 answered: mean score 0.67 over 3 questions" in _text(quick.progress.value)
    assert wb.session.actions == () and wb.session.reports == ()  # the worked case untouched


def test_key_feature_quick_check_to_the_end_and_again() -> None:
    check = QuickCheck(load_case("cauda_equina_red_flags"))
    assert len(check.items) == 2
    check.add("cauda_equina_syndrome")
    assert check.submit().score == pytest.approx(1 / 2)    # 1 of its 2 keys
    check.next()
    check.add("mri_lumbar_contrast")
    check.add("urgent_surgical_referral")
    assert check.submit().score == 1.0                     # 2/2
    assert check.next() is None and check.done
    assert check.score == pytest.approx((0.5 + 1.0) / 2)   # the case: the mean, 0.75
    with pytest.raises(Exception, match="Start again"):
        check.add("neuro_exam")
    check.restart()
    assert check.index == 0 and check.scores == [] and not check.done
