"""A quick check of a case: its key-feature questions one after another, each answered from a
long menu and scored at once, with no going back (a later question's stem would cue an earlier
answer). The plain object behind the workbench's Quick check mode::

    check = QuickCheck(load_case("nsaid_contraindicated_ckd"))
    check.current.question                  # "Which diagnoses must your differential include now?"
    check.add("radiculopathy_dystonia")
    result = check.submit()                 # an ItemScore; then check.next()
"""

from __future__ import annotations

from dystonia_teach.core.case_model import Case
from dystonia_teach.core.errors import ActionError
from dystonia_teach.core.key_feature_score import ItemScore, mean_score, score_item
from dystonia_teach.core.key_features import KeyFeatureItem, key_feature_items
from dystonia_teach.core.long_menu import answer_label, menu_ids


class QuickCheck:
    """The questions of ``case`` in turn: ``add``/``remove`` answers, ``submit``, ``next``."""

    def __init__(self, case: Case) -> None:
        self.case = case
        self.items: tuple[KeyFeatureItem, ...] = key_feature_items(case)
        self.restart()

    def restart(self) -> None:
        self.index = 0
        self.answers: list[str] = []
        self.scores: list[ItemScore] = []

    @property
    def current(self) -> KeyFeatureItem | None:
        """The question being answered or just scored; None when all are done."""
        return self.items[self.index] if self.index < len(self.items) else None

    @property
    def scored(self) -> bool:
        """Whether the current question has been submitted (its score is known)."""
        return len(self.scores) > self.index

    @property
    def done(self) -> bool:
        return self.index >= len(self.items)

    @property
    def score(self) -> float | None:
        """The mean score of the questions submitted so far."""
        return mean_score(self.scores)

    def _open(self) -> KeyFeatureItem:
        item = self.current
        if item is None:
            raise ActionError("the quick check is finished: press Start again to repeat it")
        if self.scored:
            raise ActionError("this question is scored: go on to the next question")
        return item

    def add(self, answer: str) -> str:
        """Add an answer id of the question's menu; its label is returned. More answers than
        allowed may be added (the question then scores 0), as on paper."""
        item = self._open()
        if answer not in menu_ids(item.menu):
            raise ActionError(f"{answer!r} is not an answer to this question: type a few "
                              "letters and choose one of the matches")
        label = answer_label(item.menu, answer)
        if answer in self.answers:
            raise ActionError(f"{label} is already one of your answers")
        self.answers.append(answer)
        return label

    def remove(self, answer: str) -> str:
        item = self._open()
        if answer not in self.answers:
            raise ActionError("choose one of your answers to remove")
        self.answers.remove(answer)
        return answer_label(item.menu, answer)

    def submit(self) -> ItemScore:
        item = self._open()
        if not self.answers:
            raise ActionError("give at least one answer: type a few letters, choose a match "
                              "and press Add answer")
        result = score_item(item, self.answers)
        self.scores.append(result)
        return result

    def next(self) -> KeyFeatureItem | None:
        """Go on to the next question (None when the check is done)."""
        if not self.scored:
            raise ActionError("submit your answers to this question first")
        self.index += 1
        self.answers = []
        return self.current
