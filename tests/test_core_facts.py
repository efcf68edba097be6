"""How bot.core.facts picks the fact of a topic, on a tiny in-test topic.

The shipped content's figures are in test_fact_choice.py and
test_answer_set.py; these pin the rules themselves so that they do not
depend on how knowledge/ is worded.
"""

from __future__ import annotations

import pytest

from bot.core.facts import FactIndex
from bot.core.morphology import Lexicon, MorfeuszAnalyzer
from bot.core.text import words
from tests.tiny_knowledge import fact_text, topic

# A topic where one fact says everything about the convent in its text and is
# asked "what" and "when", and another names who started it.
CONVENT = topic(
    "participation.metropolis",
    fact_text(
        "convent",
        "Konwent przewodniczących rad powiatów i gmin powołano 7.02.2025 w ratuszu.",
        "The convent of council chairs was set up on 7 Feb 2025 at the town hall.",
        questions=("konwent przewodniczących rad", "co to jest konwent", "kiedy powstał konwent"),
    ),
    fact_text(
        "initiator",
        "Inicjatorem konwentu jest przewodniczący Rady Miasta.",
        "The convent was initiated by the Chair of the City Council.",
        questions=("kto zainicjował konwent", "inicjator konwentu", "who initiated the convent"),
    ),
)


@pytest.fixture(scope="module")
def index() -> FactIndex:
    analyzer = MorfeuszAnalyzer()
    texts = [
        text
        for t in (CONVENT,)
        for f in t.facts
        for text in (*f.questions, *(f.text.texts.values() if f.text else ()))
    ]
    return FactIndex(Lexicon.build([raw for s in texts for raw, _ in words(s)], analyzer))


def lead(index: FactIndex, t: object, message: str) -> list[str]:
    assert hasattr(t, "facts")
    return [f.id for f in index.leading(t, message, t.facts)]  # type: ignore[arg-type]


def test_a_who_question_leads_with_a_fact_asked_who(index: FactIndex) -> None:
    # The convent fact covers every word but "kto" (its text names the chairs,
    # the councils, the counties); the initiator is the one asked "who".
    assert lead(index, CONVENT, "kto zainicjował konwent przewodniczących rad gmin") == [
        "initiator"
    ]
    assert lead(index, CONVENT, "czyj to był pomysł z tym konwentem przewodniczących rad")[0] == (
        "initiator"
    )


def test_without_who_the_best_covered_fact_still_leads(index: FactIndex) -> None:
    assert lead(index, CONVENT, "co to jest konwent przewodniczących rad gmin") == ["convent"]
