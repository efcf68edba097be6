"""The privacy use cases with recording fakes; retention settings; the notice; update matching."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.config import SettingsError, load_settings
from bot.core.inbox import Person
from bot.core.knowledge import Navigation
from bot.core.messages import CloseTopic, Outgoing, ToTopic
from bot.core.privacy import (
    EXPORT_FORMAT,
    EXPORT_PREFIX,
    SECTIONS,
    SUBSCRIPTIONS,
    TICKETS,
    Erased,
    PersonalData,
    Privacy,
    Retention,
    Swept,
)
from bot.core.translation import IdentityTranslator
from bot.storage.privacy import concerns
from bot.telegram import render

NOW = datetime(2026, 11, 22, 11, 0, tzinfo=UTC)
ANNA = Person(id=3, telegram_id=7001, first_name="Anna", language="pl")
VALID = {
    "TELEGRAM_TOKEN": "123456789:AAHq0vD5sVbBqGm1Jd3vQWkFz8qf2E0n_Lw",
    "STAFF_CHAT_ID": "-100123",
}


@dataclass
class FakeInbox:
    people: dict[int, Person] = field(default_factory=dict)

    def person_by_telegram_id(self, telegram_id: int) -> Person | None:
        return self.people.get(telegram_id)


@dataclass
class RecordingPrivacy:
    """Records what the use cases ask of the store and answers with canned values."""

    data: PersonalData | None = None
    erased: Erased | None = None
    calls: list[tuple[Any, ...]] = field(default_factory=list)

    def personal_data(self, person_id: int, *, request: int | None = None) -> PersonalData:
        self.calls.append(("personal_data", person_id, request))
        assert self.data is not None
        return self.data

    def erase(self, person_id: int, now: datetime) -> Erased:
        self.calls.append(("erase", person_id, now))
        assert self.erased is not None
        return self.erased

    def apply_retention(self, policy: Retention, now: datetime, wall_now: datetime) -> Swept:
        self.calls.append(("retention", policy, now, wall_now))
        return Swept({"unanswered": 2, "outbox": 0})


@dataclass
class RecordingOutbox:
    sent: list[Outgoing] = field(default_factory=list)

    def put(self, *messages: Outgoing) -> None:
        self.sent.extend(messages)


@dataclass
class FakeUnit:
    inbox: FakeInbox = field(default_factory=FakeInbox)
    privacy: RecordingPrivacy = field(default_factory=RecordingPrivacy)
    outbox: RecordingOutbox = field(default_factory=RecordingOutbox)


def privacy(retention: Retention | None = None) -> Privacy:
    return Privacy(translator=IdentityTranslator, retention=retention or Retention())


def known(**store: Any) -> FakeUnit:
    return FakeUnit(FakeInbox({ANNA.telegram_id: ANNA}), RecordingPrivacy(**store))


def data() -> PersonalData:
    return PersonalData(
        person={"id": ANNA.id, "first_name": "Anna"},
        first_contact_at=NOW,
        sections={
            TICKETS: [{"id": 12, "state": "answered"}],
            SUBSCRIPTIONS: [{"id": 1, "theme": "grants"}, {"id": 2, "theme": "kongres"}],
        },
    )


# ------------------------------------------------------------------ export
def test_someone_unknown_gets_no_export_and_nothing_is_asked_or_sent() -> None:
    unit = FakeUnit()
    assert privacy().export(unit, 7001, NOW) is None
    assert unit.privacy.calls == [] and unit.outbox.sent == []


def test_export_is_a_json_document_of_every_section() -> None:
    unit = known(data=data())
    export = privacy(Retention(unanswered=timedelta(days=30))).export(unit, 7001, NOW, request=99)
    assert export is not None
    assert unit.privacy.calls == [("personal_data", ANNA.id, 99)]
    assert export.document.filename == f"{EXPORT_PREFIX}2026-11-22.json"
    body = json.loads(export.document.content)
    assert body["format"] == EXPORT_FORMAT and body["version"] == 1
    assert body["created_at"] == NOW.isoformat()
    assert body["retention_days"]["unanswered"] == 30
    assert body["retention_days"]["question_texts"] == 365
    assert body["person"] == {"id": ANNA.id, "first_name": "Anna"}
    # Every section is present, empty ones too, so a reader sees what was looked at.
    assert [k for k in body if k in SECTIONS] == list(SECTIONS)
    assert body["ticket"] == [{"id": 12, "state": "answered"}]
    assert body["outbox"] == []
    assert export.data.open_ticket and export.data.themes == ["grants", "kongres"]


# ------------------------------------------------------------------ erasure
def test_erasure_with_an_open_question_notes_it_in_the_topic_then_closes_it() -> None:
    unit = known(erased=Erased(ANNA.id, staff_thread_id=55, open_ticket_id=12))
    assert privacy().erase(unit, 7001, NOW) is not None

    assert unit.privacy.calls == [("erase", ANNA.id, NOW)]
    [note] = unit.outbox.sent
    assert isinstance(note, ToTopic) and note.person_id == ANNA.id
    assert note.message.text_html.startswith(
        "<b>Question #12 is closed</b>: the person asked for their data to be deleted."
    )
    assert "Anna" not in note.message.text_html  # nothing about them is left to name
    assert note.then == (CloseTopic(ANNA.id),) and note.on_failed == (CloseTopic(ANNA.id),)


def test_erasure_after_the_question_was_closed_still_tells_the_topic() -> None:
    unit = known(erased=Erased(ANNA.id, staff_thread_id=55, open_ticket_id=None))
    privacy().erase(unit, 7001, NOW)
    [note] = unit.outbox.sent
    assert isinstance(note, ToTopic)
    assert note.message.text_html.startswith("The person asked for their data to be deleted.")


def test_erasure_without_a_topic_tells_staff_nothing() -> None:
    unit = known(erased=Erased(ANNA.id, staff_thread_id=None, open_ticket_id=None))
    assert privacy().erase(unit, 7001, NOW) is not None
    assert unit.outbox.sent == []


def test_erasure_of_someone_unknown_touches_nothing() -> None:
    unit = FakeUnit()
    assert privacy().erase(unit, 7001, NOW) is None
    assert unit.privacy.calls == [] and unit.outbox.sent == []


def test_sweep_applies_the_configured_policy_on_both_clocks() -> None:
    policy = Retention(outbox=timedelta(days=3))
    unit = known()
    wall = NOW + timedelta(seconds=5)
    assert privacy(policy).sweep(unit, NOW, wall).total == 2
    assert unit.privacy.calls == [("retention", policy, NOW, wall)]


# ------------------------------------------------------------------ settings
def test_retention_defaults() -> None:
    assert load_settings(VALID).retention == Retention()
    assert Retention().days() == {
        "question_texts": 365,
        "unanswered": 180,
        "update_ids": 7,
        "outbox": 7,
        "feedback": 90,
        "deliveries": 30,
        "inactive_people": 365,
    }


def test_retention_periods_are_configurable() -> None:
    settings = load_settings(
        {**VALID, "RETENTION_UNANSWERED_DAYS": "30", "RETENTION_OUTBOX_DAYS": "2"}
    )
    assert settings.retention.unanswered == timedelta(days=30)
    assert settings.retention.outbox == timedelta(days=2)
    assert settings.retention.question_texts == timedelta(days=365)


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("RETENTION_QUESTION_DAYS", "a year", "whole number"),
        ("RETENTION_UNANSWERED_DAYS", "0", "at least 1"),
        ("RETENTION_UPDATE_DAYS", "1", "redelivers an update for up to 24 hours"),
        ("RETENTION_OUTBOX_DAYS", "-3", "at least 1"),
        ("RETENTION_FEEDBACK_DAYS", "7.5", "whole number"),
        ("RETENTION_DELIVERY_DAYS", "0", "at least 1"),
        ("RETENTION_INACTIVE_DAYS", "never", "whole number"),
    ],
)
def test_a_bad_period_names_its_variable(variable: str, value: str, says: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings({**VALID, variable: value})
    assert caught.value.variable == variable
    assert says in str(caught.value)


# ------------------------------------------------------------------ the notice
def test_the_welcome_states_the_periods_and_both_commands() -> None:
    policy = Retention(question_texts=timedelta(days=200), unanswered=timedelta(days=90))
    text = render.welcome(IdentityTranslator(), "Anna", Navigation(), policy).text_html
    assert "200 days after the question is closed" in text
    assert "after 90 days" in text
    assert "/moje_dane" in text and "/usun_dane" in text


# ------------------------------------------------------------------ stored updates
USER = {"id": 7001, "is_bot": False, "first_name": "Anna"}
CHAT = {"id": 7001, "type": "private", "first_name": "Anna"}
OTHER = {"id": 7002, "is_bot": False, "first_name": "Olena"}


@pytest.mark.parametrize(
    ("payload", "about"),
    [
        ({"update_id": 1, "message": {"message_id": 5, "from": USER, "chat": CHAT}}, True),
        ({"update_id": 1, "edited_message": {"from": USER, "chat": CHAT}}, True),
        ({"update_id": 1, "callback_query": {"id": "1", "from": USER, "data": "e:1"}}, True),
        ({"update_id": 1, "my_chat_member": {"chat": CHAT, "from": USER}}, True),
        ({"update_id": 1, "message": {"from": OTHER, "chat": {**CHAT, "id": 7002}}}, False),
        # A number equal to the id is not the person (a message id, a count...).
        ({"update_id": 7001, "message": {"message_id": 7001, "from": OTHER}}, False),
    ],
)
def test_stored_updates_about_a_person(payload: dict[str, Any], about: bool) -> None:
    assert concerns(payload, 7001) is about
