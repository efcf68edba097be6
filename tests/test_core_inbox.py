"""The inbox use cases with recording fakes: what is stored and what is queued to say."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from fakes import FakeUnit

from bot.core.callbacks import Kind, decode
from bot.core.dates import WARSAW
from bot.core.inbox import Inbox, Learned, PersonInfo, TicketState
from bot.core.matching import Alternative
from bot.core.messages import CloseTopic, MessageRef, Relay, StaffMessage, ToChat, ToTopic
from bot.core.translation import IdentityTranslator

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=WARSAW)
STAFF_CHAT = -1001


@pytest.fixture
def unit() -> FakeUnit:
    return FakeUnit()


@pytest.fixture
def inbox() -> Inbox:
    return Inbox(translator=IdentityTranslator, staff_chat_id=STAFF_CHAT)


def anna(unit: FakeUnit, *, thread: int | None = None):  # type: ignore[no-untyped-def]
    person = unit.inbox.save_person(PersonInfo(7, "Anna <3"), "pl", NOW)
    if thread is not None:
        unit.inbox.set_staff_thread(person.id, thread)
    return unit.inbox.people[person.id]


def test_a_question_is_one_post_with_its_context_and_text(unit: FakeUnit, inbox: Inbox) -> None:
    person = anna(unit)
    question = MessageRef(7, 100, "Dziura w jezdni <duża>")
    submitted = inbox.submit(
        unit, person, question, NOW, guesses=[Alternative("office.contact", 0.31)]
    )
    assert submitted.created and submitted.ticket.state is TicketState.OPEN
    [post] = unit.outbox.queued
    assert isinstance(post, ToTopic) and post.person_id == person.id
    text = post.message.text_html
    assert "New question #" in text and "Anna &lt;3" in text
    assert "office.contact (31%)" in text
    assert "<blockquote>Dziura w jezdni &lt;duża&gt;</blockquote>" in text
    # The post carries the person's message: the sender links the two.
    assert post.source == question and not post.batch


def test_media_is_copied_after_its_context(unit: FakeUnit, inbox: Inbox) -> None:
    person = anna(unit)
    photo = MessageRef(7, 101, "zdjęcie dziury", media=True)
    inbox.submit(unit, person, photo, NOW)
    context, copy = unit.outbox.to_topic(person.id)
    assert "zdjęcie dziury" in context.message.text_html and context.source is None
    assert copy.source == photo


def test_a_closed_ticket_is_reopened_by_the_next_question(unit: FakeUnit, inbox: Inbox) -> None:
    person = anna(unit, thread=55)
    first = inbox.submit(unit, person, MessageRef(7, 1, "pierwsze"), NOW).ticket
    inbox.close(unit, 55, NOW)
    unit.outbox.clear()
    again = inbox.submit(unit, unit.inbox.people[person.id], MessageRef(7, 2, "drugie"), NOW)
    assert again.reopened and again.ticket.id == first.id
    assert again.ticket.state is TicketState.OPEN
    [post] = unit.outbox.to_topic(person.id)
    assert "reopened" in post.message.text_html and "drugie" in post.message.text_html


def test_follow_ups_are_batched(unit: FakeUnit, inbox: Inbox) -> None:
    person = anna(unit)
    ticket = inbox.submit(unit, person, MessageRef(7, 1, "pytanie"), NOW).ticket
    unit.outbox.clear()
    inbox.add_to_ticket(unit, person, ticket, MessageRef(7, 2, "i jeszcze to"), NOW)
    [post] = unit.outbox.to_topic(person.id)
    assert post.batch and "i jeszcze to" in post.message.text_html


def test_a_staff_reply_is_relayed_and_confirmed_only_when_delivered(
    unit: FakeUnit, inbox: Inbox
) -> None:
    person = anna(unit, thread=55)
    inbox.submit(unit, person, MessageRef(7, 1, "pytanie"), NOW)
    unit.outbox.clear()
    reply = StaffMessage(STAFF_CHAT, 900, 55, "Joanna Nowak", 5001, "Tak.")
    assert inbox.staff_reply(unit, reply, NOW) is not None

    [relay] = unit.outbox.queued
    assert isinstance(relay, Relay) and relay.chat_id == 7 and relay.staff == reply
    assert relay.signature == "Biuro Dialogu i Innowacji Miejskich"
    # "Sent to Anna" waits for Telegram's acceptance; a failure is reported instead.
    [sent] = relay.then
    assert isinstance(sent, ToTopic) and sent.message.text_html.startswith("Sent to")
    learn = decode(sent.message.keyboard[0][0].callback)
    assert learn is not None and learn.kind is Kind.LEARN
    [failed] = relay.on_failed
    assert "Not delivered" in failed.message.text_html  # type: ignore[union-attr]
    [ticket] = unit.inbox.tickets.values()
    assert ticket.state is TicketState.ANSWERED and ticket.last_staff_name == "Joanna Nowak"


def test_a_reply_in_a_topic_of_no_question(unit: FakeUnit, inbox: Inbox) -> None:
    reply = StaffMessage(STAFF_CHAT, 900, 99, "Joanna")
    assert inbox.staff_reply(unit, reply, NOW) is None
    assert unit.outbox.queued == []


def test_closing_tells_the_person_then_staff_then_closes_the_topic(
    unit: FakeUnit, inbox: Inbox
) -> None:
    person = anna(unit, thread=55)
    inbox.submit(unit, person, MessageRef(7, 1, "pytanie"), NOW)
    unit.outbox.clear()
    inbox.close(unit, 55, NOW)
    [notice] = unit.outbox.queued
    assert isinstance(notice, ToChat) and notice.chat_id == 7
    told, close = notice.then
    assert "has been told" in told.message.text_html  # type: ignore[union-attr]
    assert isinstance(close, CloseTopic)
    untold, _close = notice.on_failed
    assert "has been told" not in untold.message.text_html  # type: ignore[union-attr]
    # Closing twice says nothing more.
    unit.outbox.clear()
    inbox.close(unit, 55, NOW)
    assert unit.outbox.queued == []


def test_one_reminder_per_waiting_question(unit: FakeUnit, inbox: Inbox) -> None:
    person = anna(unit, thread=55)
    inbox.submit(unit, person, MessageRef(7, 1, "pytanie"), NOW)
    unit.outbox.clear()
    assert inbox.remind(unit, NOW + timedelta(hours=3), timedelta(hours=4)) == []
    assert len(inbox.remind(unit, NOW + timedelta(hours=5), timedelta(hours=4))) == 1
    assert inbox.remind(unit, NOW + timedelta(hours=6), timedelta(hours=4)) == []
    [reminder] = unit.outbox.to_topic(person.id)
    assert "waiting for 5 hours" in reminder.message.text_html


@pytest.mark.parametrize(("hours", "closed"), [(71, False), (72, True), (200, True)])
def test_an_answered_ticket_closes_after_the_quiet_period(
    unit: FakeUnit, inbox: Inbox, hours: int, closed: bool
) -> None:
    person = anna(unit, thread=55)
    inbox.submit(unit, person, MessageRef(7, 1, "pytanie"), NOW)
    inbox.staff_reply(unit, StaffMessage(STAFF_CHAT, 900, 55, "Joanna", text_html="Tak"), NOW)
    unit.outbox.clear()
    result = inbox.close_quiet(unit, NOW + timedelta(hours=hours), timedelta(hours=72))
    assert bool(result) is closed
    if closed:
        [notice] = unit.outbox.to_chat(7)
        assert "nobody wrote for a while" in notice.message.text_html


def test_quiet_period_waits_for_staff_when_the_person_wrote_last(
    unit: FakeUnit, inbox: Inbox
) -> None:
    person = anna(unit, thread=55)
    ticket = inbox.submit(unit, person, MessageRef(7, 1, "pytanie"), NOW).ticket
    inbox.staff_reply(unit, StaffMessage(STAFF_CHAT, 900, 55, "Joanna", text_html="Tak"), NOW)
    later = NOW + timedelta(hours=1)
    inbox.add_to_ticket(unit, unit.inbox.people[person.id], ticket, MessageRef(7, 2, "ale"), later)
    assert inbox.close_quiet(unit, NOW + timedelta(days=30), timedelta(hours=72)) == []


def test_an_edit_is_shown_as_a_reply_to_its_post(unit: FakeUnit, inbox: Inbox) -> None:
    person = anna(unit, thread=55)
    inbox.submit(unit, person, MessageRef(7, 1, "pytanie"), NOW)
    unit.inbox.links[(7, 1)] = MessageRef(STAFF_CHAT, 321)
    unit.outbox.clear()
    assert inbox.edited(unit, person, MessageRef(7, 1, "poprawione pytanie"), NOW)
    [note] = unit.outbox.to_topic(person.id)
    assert note.reply_to == MessageRef(STAFF_CHAT, 321)
    assert "poprawione pytanie" in note.message.text_html


def test_an_edit_without_an_open_ticket_goes_nowhere(unit: FakeUnit, inbox: Inbox) -> None:
    person = anna(unit)
    assert not inbox.edited(unit, person, MessageRef(7, 1, "poprawka"), NOW)
    assert unit.outbox.queued == []


def test_learning_an_example(unit: FakeUnit, inbox: Inbox) -> None:
    person = anna(unit)
    ticket = inbox.submit(unit, person, MessageRef(7, 1, "x"), NOW).ticket
    assert inbox.learn_example(unit, ticket.id, "ngo.premises", "Jan", NOW) is Learned.NO_TEXT
    unit.inbox.remember_question(person.id, 1, "sala dla NGO?")
    assert inbox.learn_example(unit, ticket.id, "ngo.premises", "Jan", NOW) is Learned.ADDED
    assert inbox.learn_example(unit, ticket.id, "ngo.premises", "Ewa", NOW) is Learned.KNOWN
    assert inbox.learn_example(unit, 999, "ngo.premises", "Ewa", NOW) is Learned.GONE
