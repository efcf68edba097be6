"""The conversation use case with recording fakes and a scripted assistant."""

from __future__ import annotations

from datetime import datetime

import pytest
from fakes import FakeUnit, ScriptedAssistant

from bot.core.conversation import Conversation, OutcomeKind, is_yes
from bot.core.dates import WARSAW
from bot.core.inbox import Inbox, PersonInfo, TicketState
from bot.core.matching import Action
from bot.core.messages import MessageRef, ToTopic
from bot.core.translation import IdentityTranslator

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=WARSAW)
ANNA = PersonInfo(7, "Anna", language_code="pl")
SCRIPT = {
    "kiedy kongres": (Action.ANSWER, "kongres.when"),
    "godziny biura": (Action.ANSWER, "office.hours"),
    "kongres": (Action.CLARIFY, None),
    "dziękuję": (Action.ANSWER, "bot.thanks"),
    "chcę rozmawiać z urzędnikiem": (Action.ANSWER, "bot.human"),
    "when is the kongres": (Action.ANSWER, "kongres.when"),
}


@pytest.fixture
def unit() -> FakeUnit:
    return FakeUnit()


def conversation(**kwargs: object) -> Conversation:
    inbox = Inbox(translator=IdentityTranslator, staff_chat_id=-1001)
    assistant = ScriptedAssistant(SCRIPT, offers={"office.hours"})
    return Conversation(
        assistant=assistant,  # type: ignore[arg-type]
        inbox=inbox,
        translator=IdentityTranslator,
        **kwargs,  # type: ignore[arg-type]
    )


def say(conv: Conversation, unit: FakeUnit, text: str, message_id: int = 1, media: bool = False):  # type: ignore[no-untyped-def]
    return conv.on_message(unit, ANNA, MessageRef(7, message_id, text, media), NOW)


def test_an_answer_is_said_and_nothing_goes_to_staff(unit: FakeUnit) -> None:
    outcome = say(conversation(), unit, "kiedy kongres")
    assert outcome.kind is OutcomeKind.ANSWER and outcome.reply is not None
    assert unit.outbox.queued == []
    assert unit.inbox.tickets == {}


def test_unclear_asks_which_topic(unit: FakeUnit) -> None:
    assert say(conversation(), unit, "kongres").kind is OutcomeKind.CLARIFY


def test_no_confident_answer_is_handed_over_and_told_so(unit: FakeUnit) -> None:
    outcome = say(conversation(), unit, "dziura w jezdni")
    assert outcome.kind is OutcomeKind.HANDED_OFF
    assert "passed your question" in outcome.text_html
    [ticket] = unit.inbox.tickets.values()
    assert outcome.ticket_id == ticket.id
    [post] = unit.outbox.queued
    assert isinstance(post, ToTopic) and "dziura w jezdni" in post.message.text_html
    [(_person, text, _lang, _best)] = unit.inbox.unanswered
    assert text == "dziura w jezdni"


def test_an_open_ticket_does_not_silence_the_assistant(unit: FakeUnit) -> None:
    conv = conversation()
    say(conv, unit, "dziura w jezdni", 1)
    unit.outbox.clear()
    outcome = say(conv, unit, "kiedy kongres", 2)
    assert outcome.kind is OutcomeKind.ANSWER
    # Staff see it in the topic.
    [note] = unit.outbox.queued
    assert isinstance(note, ToTopic) and note.batch
    assert "kiedy kongres" in note.message.text_html
    assert "Title of kongres.when" in note.message.text_html
    # What it cannot answer joins the ticket.
    unit.outbox.clear()
    outcome = say(conv, unit, "a latarnia?", 3)
    assert outcome.kind is OutcomeKind.ADDED_TO_TICKET
    [follow_up] = unit.outbox.queued
    assert isinstance(follow_up, ToTopic) and "a latarnia?" in follow_up.message.text_html
    [ticket] = unit.inbox.tickets.values()
    assert ticket.state is TicketState.OPEN


def test_thanks_with_an_open_ticket_reaches_staff(unit: FakeUnit) -> None:
    conv = conversation()
    say(conv, unit, "dziura w jezdni", 1)
    unit.outbox.clear()
    outcome = say(conv, unit, "dziękuję", 2)
    assert outcome.kind is OutcomeKind.ADDED_TO_TICKET
    assert "dziękuję" in unit.outbox.texts()[0]


def test_yes_after_an_offer_hands_the_previous_question_over(unit: FakeUnit) -> None:
    conv = conversation()
    outcome = say(conv, unit, "godziny biura", 1)  # the answer offers to pass it on
    assert outcome.kind is OutcomeKind.ANSWER
    [person] = unit.inbox.people.values()
    assert person.handover_offered
    outcome = say(conv, unit, "Tak!", 2)
    assert outcome.kind is OutcomeKind.HANDED_OFF
    [post] = unit.outbox.queued
    assert isinstance(post, ToTopic) and "godziny biura" in post.message.text_html
    assert not unit.inbox.people[person.id].handover_offered


def test_yes_without_an_offer_is_just_a_message(unit: FakeUnit) -> None:
    conv = conversation()
    say(conv, unit, "kiedy kongres", 1)
    outcome = say(conv, unit, "tak", 2)
    assert outcome.kind is OutcomeKind.HANDED_OFF  # "tak" alone is not a question it knows
    [post] = unit.outbox.queued
    assert "tak" in post.message.text_html and "kiedy kongres" not in post.message.text_html  # type: ignore[union-attr]


@pytest.mark.parametrize("text", ["tak", "Tak!", "tak, proszę", "yes please", "так", "ok"])
def test_short_yes(text: str) -> None:
    assert is_yes(text)


@pytest.mark.parametrize("text", ["tak, ale kiedy jest kongres?", "nie", "taki sobie"])
def test_not_a_short_yes(text: str) -> None:
    assert not is_yes(text)


def test_asking_for_a_person_waits_for_the_question(unit: FakeUnit) -> None:
    conv = conversation()
    outcome = say(conv, unit, "chcę rozmawiać z urzędnikiem", 1)
    assert outcome.kind is OutcomeKind.ASK_FOR_QUESTION
    outcome = say(conv, unit, "kiedy kongres", 2)  # now even this goes to a person
    assert outcome.kind is OutcomeKind.HANDED_OFF


def test_a_photo_without_a_caption_goes_to_staff(unit: FakeUnit) -> None:
    outcome = say(conversation(), unit, "", media=True)
    assert outcome.kind is OutcomeKind.HANDED_OFF
    assert [p.source for p in unit.outbox.queued if isinstance(p, ToTopic)][-1] is not None


def test_the_message_language_is_answered_in_and_offered(unit: FakeUnit) -> None:
    conv = conversation(detect_language=lambda text: "en" if "when" in text else None)
    outcome = say(conv, unit, "when is the kongres")
    assert outcome.language == "en" and outcome.suggest_language == "en"
    assert outcome.reply is not None and outcome.reply.lang == "en"
    # The setting is not changed by one message.
    [person] = unit.inbox.people.values()
    assert person.language == "pl"
    # An unrecognised language keeps the setting.
    outcome = say(conv, unit, "kiedy kongres", 2)
    assert outcome.language == "pl" and outcome.suggest_language is None


def test_a_chosen_language_wins_over_the_message(unit: FakeUnit) -> None:
    conv = conversation(detect_language=lambda text: "en" if "when" in text else None)
    person = conv.person(unit, ANNA, NOW)
    conv.choose_language(unit, person, "uk")
    outcome = say(conv, unit, "when is the kongres")
    assert outcome.language == "uk" and outcome.suggest_language is None


def test_an_unchanged_person_is_not_rewritten(unit: FakeUnit) -> None:
    conv = conversation()
    say(conv, unit, "kiedy kongres", 1)
    writes = unit.inbox.writes
    conv.person(unit, ANNA, NOW)
    assert unit.inbox.writes == writes
