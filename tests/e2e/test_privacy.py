"""The rights of the person and retention, end to end (GDPR art. 15 and 17; issue 11, AC1).

Two residents leave every kind of data the bot keeps: a question handed to
staff (ticket, topic, unanswered log), a staff reply (relay, message links),
an example learned from the question, a vote, a subscription, an
announcement delivered, staff listings quoting them, and a stored update set
aside with its payload. The export of one holds all of theirs and none of
the other's; after an erasure no column of any table holds their name or
text, while the other is untouched; retention removes exactly what is past
its period on fixed clocks.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fake_bot_api import TgUser
from harness import NOW, STAFF, STAFF_CHAT, BotHarness
from sqlalchemy import inspect, text
from sqlmodel import Session, SQLModel, select

from bot.core.broadcasting import BroadcastKind, BroadcastState
from bot.core.privacy import EXPORT_FORMAT, WITHHELD, Retention
from bot.storage.broadcasts import SqlBroadcastStore
from bot.storage.models import (
    BroadcastRow,
    DeliveryRow,
    FeedbackRow,
    InboundUpdateRow,
    LearnedExampleRow,
    MessageLinkRow,
    OutboxRow,
    PersonRow,
    SubscriptionRow,
    TicketRow,
    UnansweredRow,
)

ANIELA = TgUser(7301, "Aniela", last_name="Wiśniewska", username="aniela_w", language_code="pl")
BOZYDAR = TgUser(7302, "Bożydar", last_name="Zielonka", username="bozydar_z", language_code="pl")


@dataclass(frozen=True)
class Resident:
    """A test resident and every string of theirs the bot may have stored."""

    user: TgUser
    question: str
    reply: str
    set_aside: str
    update_id: int

    @property
    def strings(self) -> list[str]:
        names = [self.user.first_name, self.user.last_name, self.user.username]
        return [s for s in (*names, self.question, self.reply, self.set_aside) if s]


A = Resident(
    ANIELA,
    "Czy ulica Żwirki dostanie nową latarnię przed zimą?",
    "Latarnię na Żwirki zgłosiliśmy do MZD w listopadzie.",
    "Piszę jeszcze raz w sprawie latarni na Żwirki.",
    9_000_001,
)
B = Resident(
    BOZYDAR,
    "Gdzie oddać zużyty tapczan z piwnicy na Rubinkowie?",
    "Tapczan przyjmuje PSZOK przy ulicy Kociewskiej.",
    "Czy PSZOK na Kociewskiej jest czynny w sobotę?",
    9_000_002,
)
ANNOUNCEMENT = "Nabór na mikrogranty rusza w poniedziałek."


def buttons(call: Any) -> list[str]:
    markup = call.params.get("reply_markup") or {}
    return [b.get("callback_data", "") for row in markup.get("inline_keyboard", []) for b in row]


def utc(value: Any) -> Any:
    return value.astimezone(UTC).isoformat() if isinstance(value, datetime) else value


def as_exported(row: SQLModel) -> dict[str, Any]:
    return {k: utc(v) for k, v in row.model_dump().items()}


# ------------------------------------------------------------------ building the data
async def wait_for(condition: Any, timeout: float = 10.0) -> None:  # noqa: ASYNC109
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.05)


async def populate(bot: BotHarness, who: Resident) -> int:
    """Every kind of data for one resident; returns their staff topic."""
    user, api = who.user, bot.api
    # A question handed over: ticket, topic, post, unanswered log.
    await bot.send(api.updates.text_message(user, who.question))
    thread = int(bot.staff_calls("createForumTopic")[-1].result["message_thread_id"])
    # A staff reply: relay, message links, "sent" confirmation with the learn button.
    await bot.send(api.updates.topic_message(STAFF, STAFF_CHAT, thread, who.reply))
    confirmation = [
        c for c in bot.staff_calls("sendMessage") if c.params.get("message_thread_id") == thread
    ][-1]
    [learn, *_] = buttons(confirmation)
    await bot.send(api.updates.callback_query(STAFF, confirmation.result, learn))
    markup = api.calls("editMessageReplyMarkup", ok=True)[-1].params["reply_markup"]
    contact = next(
        b["callback_data"]
        for row in markup["inline_keyboard"]
        for b in row
        if b["callback_data"].endswith(":office.contact")
    )
    await bot.send(api.updates.callback_query(STAFF, confirmation.result, contact))
    # An answered question and a vote on it.
    await bot.send(api.updates.text_message(user, "godziny otwarcia biura dialogu"))
    answer = bot.sent_to(user.id)[-1]
    helpful = next(d for d in buttons(answer) if d.startswith("f:1:"))
    await bot.send(api.updates.callback_query(user, answer.result, helpful))
    # A subscription.
    await bot.send(api.updates.command(user, "powiadomienia"))
    menu = bot.sent_to(user.id)[-1]
    await bot.send(api.updates.callback_query(user, menu.result, "s:grants:1"))
    return thread


def set_aside(bot: BotHarness, who: Resident) -> None:
    """A stored update that failed three times: kept, with its payload, for the operators."""
    payload = bot.api.updates.text_message(who.user, who.set_aside)
    payload["update_id"] = who.update_id
    assert bot.db is not None
    with bot.db.session() as session:
        session.add(
            InboundUpdateRow(
                update_id=who.update_id,
                payload=json.dumps(payload),
                received_at=datetime.now(UTC),
                processed_at=datetime.now(UTC),
                attempts=3,
                failed=True,
                error="RuntimeError: boom",
            )
        )


async def two_residents(bot: BotHarness) -> dict[int, int]:
    """A and B with all their data; returns telegram id -> staff topic."""
    threads = {A.user.id: await populate(bot, A), B.user.id: await populate(bot, B)}
    # An announcement to grants subscribers: one delivery each.
    assert bot.db is not None and bot.runtime is not None

    def announce(session: Session) -> int:
        store = SqlBroadcastStore(session)
        broadcast, _ = store.create_broadcast(
            kind=BroadcastKind.ANNOUNCEMENT,
            now=NOW,
            theme="grants",
            text_html=ANNOUNCEMENT,
            state=BroadcastState.READY,
            created_by="Joanna Nowak",
        )
        store.start_sending(broadcast.id, NOW)
        return broadcast.id

    bot.runtime.broadcaster.enqueue(bot.db.call(announce))
    await wait_for(
        lambda: (
            {
                c.params["chat_id"]
                for c in bot.api.calls("sendMessage", ok=True)
                if c.params["text"].startswith(ANNOUNCEMENT)
            }
            == {A.user.id, B.user.id}
        )
    )
    await wait_for(lambda: all(d.state == "sent" for d in table(bot, DeliveryRow)))
    # Staff listings that quote both of them.
    await bot.send(bot.api.updates.command(STAFF, "inbox", chat=STAFF_CHAT))
    await bot.send(bot.api.updates.topic_command(STAFF, STAFF_CHAT, 0, "nierozpoznane"))
    set_aside(bot, A)
    set_aside(bot, B)
    return threads


# ------------------------------------------------------------------ reading the database
def table(bot: BotHarness, model: Any) -> list[Any]:
    assert bot.db is not None
    with bot.db.session() as session:
        return list(session.exec(select(model)).all())


def person_row(bot: BotHarness, who: Resident) -> PersonRow | None:
    return next((p for p in table(bot, PersonRow) if p.telegram_id == who.user.id), None)


def rows_about(bot: BotHarness, who: Resident) -> dict[str, list[SQLModel]]:
    """The rows about a resident, found by the test on its own, per table."""
    person = person_row(bot, who)
    assert person is not None
    tickets = [t for t in table(bot, TicketRow) if t.person_id == person.id]
    ticket_ids = {t.id for t in tickets}

    def outbox_about(row: OutboxRow) -> bool:
        message = json.loads(row.payload)
        return message.get("chat_id") == who.user.id or message.get("person_id") == person.id

    def update_about(row: InboundUpdateRow) -> bool:
        if row.payload is None:
            return False
        message = json.loads(row.payload).get("message") or {}
        return (message.get("from") or {}).get("id") == who.user.id

    return {
        "person": [person],
        "ticket": tickets,
        "message_link": [m for m in table(bot, MessageLinkRow) if m.ticket_id in ticket_ids],
        "unanswered": [u for u in table(bot, UnansweredRow) if u.person_id == person.id],
        "feedback": [f for f in table(bot, FeedbackRow) if f.person_id == person.id],
        "subscription": [s for s in table(bot, SubscriptionRow) if s.person_id == person.id],
        "delivery": [d for d in table(bot, DeliveryRow) if d.person_id == person.id],
        "learned_example": [e for e in table(bot, LearnedExampleRow) if e.ticket_id in ticket_ids],
        "outbox": [o for o in table(bot, OutboxRow) if outbox_about(o)],
        "inbound_update": [u for u in table(bot, InboundUpdateRow) if update_about(u)],
    }


def strings_in(value: Any) -> Iterator[str]:
    """A stored value and, when it is JSON, every string inside it."""
    if not isinstance(value, str):
        return
    yield value
    try:
        decoded = json.loads(value)
    except ValueError:
        return
    stack = [decoded]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def every_cell(bot: BotHarness) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(table, column, row) of every column of every row of every table in the database."""
    assert bot.db is not None
    engine = bot.db.engine
    with engine.connect() as connection:
        for name in inspect(engine).get_table_names():
            for row in connection.execute(text(f'SELECT * FROM "{name}"')).mappings():
                for column in row:
                    yield name, column, dict(row)


def holders(bot: BotHarness, who: Resident) -> list[tuple[str, str, dict[str, Any]]]:
    """Cells holding any of the resident's strings (as typed or HTML-escaped) or their id."""
    needles = {s for s in who.strings} | {
        s.replace("&", "&amp;").replace("<", "&lt;") for s in who.strings
    }
    telegram_id = re.compile(rf"(?<!\d){who.user.id}(?!\d)")
    found = []
    for name, column, row in every_cell(bot):
        value = row[column]
        if value == who.user.id:
            found.append((name, column, row))
            continue
        for string in strings_in(value):
            if any(n in string for n in needles) or telegram_id.search(string):
                found.append((name, column, row))
                break
    return found


# ------------------------------------------------------------------ the export
def export_of(bot: BotHarness, who: Resident) -> tuple[str, dict[str, Any]]:
    """The JSON file the resident received last, as text and decoded."""
    call = bot.sent_to(who.user.id, "sendDocument")[-1]
    [upload] = call.files.values()
    raw = upload.content.decode("utf-8")
    return raw, json.loads(raw)


def redacted(payload: Any) -> Any:
    """An outbox payload as the export documents it: staff members withheld."""
    if isinstance(payload, list):
        return [redacted(item) for item in payload]
    if not isinstance(payload, dict):
        return payload
    out = {k: redacted(v) for k, v in payload.items()}
    if out.get("type") == "StaffMessage":
        out.update(author_name=WITHHELD, author_id=None)
    return out


async def test_export_holds_every_row_about_the_person_and_nobody_elses(
    harness: BotHarness,
) -> None:
    await two_residents(harness)
    expected = rows_about(harness, A)
    # Every kind of data exists for the person (else the comparison proves little).
    assert all(expected.values()), {k: len(v) for k, v in expected.items()}

    await harness.send(harness.api.updates.command(A.user, "moje_dane"))

    raw, export = export_of(harness, A)
    assert export["format"] == EXPORT_FORMAT and export["version"] == 1
    assert export["retention_days"] == Retention().days()
    [person] = expected.pop("person")
    assert export["person"] == as_exported(person)
    for section, rows in expected.items():
        got = {row["id" if "id" in row else "update_id"]: row for row in export[section]}
        want = {}
        for row in rows:
            dumped = as_exported(row)
            if section == "ticket" and dumped["last_staff_name"]:
                dumped["last_staff_name"] = WITHHELD
            if section == "learned_example":
                dumped["added_by"] = WITHHELD
            if section in ("outbox", "inbound_update"):
                dumped["payload"] = json.loads(dumped["payload"])
            if section == "outbox":
                dumped["payload"] = redacted(dumped["payload"])
            want[dumped.get("id", dumped.get("update_id"))] = dumped
        assert got == want, section

    # Nobody else's data: none of B's strings or ids, and no staff member's name or id.
    for string in B.strings:
        assert string not in raw, string
    assert not re.search(rf"(?<!\d){B.user.id}(?!\d)", raw)
    b = person_row(harness, B)
    assert b is not None
    for section in expected:
        assert all(row.get("person_id") != b.id for row in export[section]), section
    assert "Joanna" not in raw and "Nowak" not in raw
    assert not re.search(rf"(?<!\d){STAFF.id}(?!\d)", raw)

    # The readable message says what kinds of data, how many, and since when.
    pl = harness.t("pl")
    summary = harness.sent_to(A.user.id)[-1].params["text"]
    assert pl.gettext("What I store about you") in summary
    assert pl.gettext("Questions passed to the Biuro staff: {n}").format(n=1) in summary
    assert pl.gettext("Questions I could not answer: {n}").format(n=1) in summary
    assert pl.gettext("Votes on my answers: {n}").format(n=1) in summary
    assert pl.gettext("Announcements sent to you: {n}").format(n=1) in summary
    grants = harness.engine.assistant.knowledge.navigation.theme("grants")
    assert grants is not None and grants.label.get("pl") in summary
    assert "22 listopada 2026" in summary  # since: the first contact


async def test_an_earlier_export_is_not_copied_into_the_next(harness: BotHarness) -> None:
    await harness.send(harness.api.updates.text_message(A.user, A.question))
    await harness.send(harness.api.updates.command(A.user, "mydata"))
    first, _ = export_of(harness, A)
    await harness.send(harness.api.updates.command(A.user, "moje_dane"))
    second, export = export_of(harness, A)

    documents = [
        entry["payload"]["document"]
        for entry in export["outbox"]
        if entry["payload"].get("document")
    ]
    assert [d["content"] for d in documents] == ["(an earlier copy of this export)"]
    assert len(second) < 2 * len(first)


async def test_someone_unknown_is_told_nothing_is_stored_and_stays_unknown(
    harness: BotHarness,
) -> None:
    stranger = TgUser(7399, "Ktoś", language_code="en")
    await harness.send(harness.api.updates.command(stranger, "moje_dane"))
    await harness.send(harness.api.updates.command(stranger, "deletedata"))
    told = [c.params["text"] for c in harness.sent_to(stranger.id)]
    nothing = harness.t("en").gettext(
        "I do not store anything about you: there is nothing to show or delete."
    )
    assert told == [nothing, nothing]
    assert table(harness, PersonRow) == []
    assert harness.sent_to(stranger.id, "sendDocument") == []


# ------------------------------------------------------------------ the erasure
async def test_after_deletion_no_table_holds_the_persons_text_or_name(
    harness: BotHarness,
) -> None:
    threads = await two_residents(harness)
    a = person_row(harness, A)
    assert a is not None
    [ticket_id] = [t.id for t in rows_about(harness, A)["ticket"]]
    others_before = {k: [as_exported(r) for r in v] for k, v in rows_about(harness, B).items()}
    assert holders(harness, A), "the scan finds the person before the deletion"

    await harness.send(harness.api.updates.command(A.user, "usun_dane"))
    prompt = harness.sent_to(A.user.id)[-1]
    pl = harness.t("pl")
    assert pl.gettext("Delete everything I store about you?") in prompt.params["text"]
    assert (
        pl.gettext("Your open question to the Biuro staff will be closed.")
        in (prompt.params["text"])
    )
    assert buttons(prompt) == ["e:1", "e:0"]
    await harness.send(harness.api.updates.callback_query(A.user, prompt.result, "e:1"))

    # The person is told; staff get a note in the topic, which is then closed.
    assert harness.sent_to(A.user.id)[-1].params["text"] == pl.gettext(
        "Done: everything I stored about you has been deleted and your subscriptions have "
        "ended. If you write again, I start from scratch. The messages in this chat stay "
        "in your Telegram app until you delete the chat."
    )
    thread = threads[A.user.id]
    note = harness.staff_calls("sendMessage")[-1]
    assert note.params["message_thread_id"] == thread
    assert note.params["text"].startswith(
        pl.gettext(
            "<b>Question #{n} is closed</b>: the person asked for their data to be deleted."
        ).format(n=ticket_id)
    )
    assert "Aniela" not in note.params["text"]
    [closed] = harness.staff_calls("closeForumTopic")
    assert closed.params["message_thread_id"] == thread
    assert harness.api.calls("deleteMyCommands", ok=True)

    # No column of any table holds the person's name, texts or id, except the outbox
    # entry of the confirmation just sent (their chat id), which expires with the outbox.
    left = holders(harness, A)
    assert {(name, column) for name, column, _row in left} <= {
        ("outbox", "key"),
        ("outbox", "payload"),
    }
    [confirmation] = {row["id"]: row for _name, _column, row in left}.values()
    assert (
        json.loads(confirmation["payload"])["message"]["text_html"]
        == (harness.sent_to(A.user.id)[-1].params["text"])
    )
    # The other resident is untouched.
    others_after = {k: [as_exported(r) for r in v] for k, v in rows_about(harness, B).items()}
    assert others_after == others_before
    # Votes stay only as anonymous counts.
    votes = sorted(
        ((f.topic, f.helpful, f.person_id, f.chat_id) for f in table(harness, FeedbackRow)),
        key=lambda vote: vote[2] is not None,
    )
    assert votes == [
        ("office.hours", True, None, None),
        ("office.hours", True, others_before["person"][0]["id"], B.user.id),
    ]

    # The next retention run removes the placeholder and, once sent messages expire,
    # the confirmation: then nothing at all refers to the person.
    assert harness.runtime is not None
    await harness.runtime.retention(wall_now=datetime.now(UTC) + timedelta(days=8))
    assert holders(harness, A) == []
    assert all(p.id != a.id for p in table(harness, PersonRow))
    assert person_row(harness, B) is not None


async def test_a_closed_topic_is_reopened_for_the_note_and_closed_again(
    harness: BotHarness,
) -> None:
    await harness.send(harness.api.updates.text_message(A.user, A.question))
    thread = int(harness.staff_calls("createForumTopic")[-1].result["message_thread_id"])
    await harness.send(harness.api.updates.topic_command(STAFF, STAFF_CHAT, thread, "zamknij"))
    assert len(harness.staff_calls("closeForumTopic")) == 1

    await harness.send(harness.api.updates.command(A.user, "usun_dane"))
    prompt = harness.sent_to(A.user.id)[-1]
    # No open question: the prompt does not promise to close one.
    assert (
        harness.t("pl").gettext("Your open question to the Biuro staff will be closed.")
        not in (prompt.params["text"])
    )
    await harness.send(harness.api.updates.callback_query(A.user, prompt.result, "e:1"))

    assert [c.params["message_thread_id"] for c in harness.staff_calls("reopenForumTopic")] == [
        thread
    ]
    note = harness.staff_calls("sendMessage")[-1]
    assert note.params["message_thread_id"] == thread
    assert note.params["text"].startswith(
        harness.t("pl").gettext("The person asked for their data to be deleted.")
    )
    assert len(harness.staff_calls("closeForumTopic")) == 2
    # Left: only the confirmation in the outbox, as after any erasure.
    assert {name for name, _column, _row in holders(harness, A)} == {"outbox"}


async def test_writing_again_after_deletion_starts_from_scratch(harness: BotHarness) -> None:
    await harness.send(harness.api.updates.text_message(A.user, A.question))
    before = person_row(harness, A)
    assert before is not None
    await harness.send(harness.api.updates.command(A.user, "deletedata"))
    prompt = harness.sent_to(A.user.id)[-1]
    await harness.send(harness.api.updates.callback_query(A.user, prompt.result, "e:1"))
    # A second tap on the old button finds nothing to delete.
    await harness.send(harness.api.updates.callback_query(A.user, prompt.result, "e:1"))
    assert harness.sent_to(A.user.id)[-1].params["text"] == harness.t("pl").gettext(
        "I do not store anything about you: there is nothing to show or delete."
    )

    harness.moment = NOW + timedelta(hours=2)
    await harness.send(harness.api.updates.text_message(A.user, "Kto skosi trawnik za blokiem?"))
    after = person_row(harness, A)
    assert after is not None and after.id != before.id
    assert after.first_contact_at == harness.moment
    assert after.last_question_text == "Kto skosi trawnik za blokiem?"
    # A new question, in a new topic (the old one is closed and names nobody).
    topics = harness.staff_calls("createForumTopic")
    assert len(topics) == 2
    [ticket] = table(harness, TicketRow)
    assert ticket.person_id == after.id
    assert "Czy ulica Żwirki" not in json.dumps([c.params for c in topics[1:]])


async def test_no_keeps_everything(harness: BotHarness) -> None:
    await harness.send(harness.api.updates.text_message(A.user, A.question))
    await harness.send(harness.api.updates.command(A.user, "usun_dane"))
    prompt = harness.sent_to(A.user.id)[-1]
    await harness.send(harness.api.updates.callback_query(A.user, prompt.result, "e:0"))

    [toast] = harness.api.calls("answerCallbackQuery", ok=True)
    assert toast.params["text"] == harness.t("pl").gettext("Nothing has been deleted.")
    assert person_row(harness, A) is not None
    assert len(table(harness, TicketRow)) == 1
    assert harness.staff_calls("closeForumTopic") == []
    # The question's buttons are gone either way.
    edit = harness.api.calls("editMessageReplyMarkup", ok=True)[-1]
    assert edit.params["message_id"] == prompt.result["message_id"]


@pytest.mark.parametrize(("lang", "user"), [("uk", 7311), ("en", 7312)])
async def test_the_commands_speak_the_persons_language(
    harness: BotHarness, lang: str, user: int
) -> None:
    person = TgUser(user, "Olena", language_code=lang)
    await harness.send(harness.api.updates.command(person, "start"))
    t = harness.t(lang)
    welcome = harness.sent_to(user)[-1].params["text"]
    assert "/moje_dane" in welcome and "/usun_dane" in welcome
    assert "365" in welcome and "180" in welcome

    await harness.send(harness.api.updates.command(person, "mydata"))
    assert t.gettext("What I store about you") in harness.sent_to(user)[-1].params["text"]
    await harness.send(harness.api.updates.command(person, "deletedata"))
    prompt = harness.sent_to(user)[-1]
    assert t.gettext("Delete everything I store about you?") in prompt.params["text"]
    await harness.send(harness.api.updates.callback_query(person, prompt.result, "e:1"))
    assert harness.sent_to(user)[-1].params["text"] == t.gettext(
        "Done: everything I stored about you has been deleted and your subscriptions have "
        "ended. If you write again, I start from scratch. The messages in this chat stay "
        "in your Telegram app until you delete the chat."
    )
    # Nobody had a topic: the row is gone at once, no note, no placeholder.
    assert table(harness, PersonRow) == []
    assert harness.staff_calls("sendMessage") == []


# ------------------------------------------------------------------ retention
#: The delivery clock of the retention test (the bot's clock is NOW).
WALL = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
JUST = timedelta(minutes=1)


def held_by_another_replica() -> dict[str, Any]:
    """A claim this process's sender and intake leave alone (the rows are not real)."""
    return {
        "claimed_by": "another-replica",
        "claimed_until": datetime.now(UTC) + timedelta(hours=1),
    }


@dataclass
class Aged:
    """Rows dated just inside and just outside each period, by label."""

    ids: dict[str, Any]


def aged_rows(session: Session) -> Aged:
    """One row just inside and one just outside every period (and what never expires)."""
    policy = Retention()
    now = NOW.astimezone(UTC)
    ids: dict[str, Any] = {}

    def add(label: str, row: SQLModel) -> Any:
        session.add(row)
        session.flush()
        ids[label] = row.update_id if isinstance(row, InboundUpdateRow) else row.id  # type: ignore[attr-defined]
        return row

    def person(label: str, seen: datetime, **fields: Any) -> PersonRow:
        row = PersonRow(
            telegram_id=8_000 + len(ids),
            first_name=label,
            first_contact_at=seen,
            last_seen_at=seen,
            **fields,
        )
        return add(label, row)

    # Update ids: processed just before / after the cutoff; an unprocessed old one stays.
    cut = WALL - policy.update_ids
    for label, at in (("update.inside", cut + JUST), ("update.outside", cut - JUST)):
        add(label, InboundUpdateRow(update_id=500 + len(ids), received_at=at, processed_at=at))
    add(
        "update.pending",
        InboundUpdateRow(
            update_id=600, payload="{}", received_at=cut - JUST, **held_by_another_replica()
        ),
    )

    # Outbox: sent or failed entries past the period go; pending ones never do.
    cut = WALL - policy.outbox
    for label, state, at in (
        ("outbox.inside", "sent", cut + JUST),
        ("outbox.outside", "sent", cut - JUST),
        ("outbox.failed", "failed", cut - JUST),
        ("outbox.pending", "pending", cut - JUST),
    ):
        add(
            label,
            OutboxRow(
                lane="private",
                key="chat:1:0",
                kind="ToChat",
                payload="{}",
                state=state,
                next_attempt_at=at,
                created_at=at,
                sent_at=at if state == "sent" else None,
                **(held_by_another_replica() if state == "pending" else {}),
            ),
        )

    # Subscribed people, so that only the rule under test touches them.
    holder = person("holder", now)
    assert holder.id is not None
    session.add(SubscriptionRow(person_id=holder.id, theme="grants", created_at=now))

    cut = now - policy.unanswered
    for label, at in (("unanswered.inside", cut + JUST), ("unanswered.outside", cut - JUST)):
        add(label, UnansweredRow(person_id=holder.id, text=label, normalized=label, created_at=at))

    # Question texts: the last question of a person seen before the cutoff, with no
    # ticket open or closed since, goes; the ticket's links and staff name go too.
    cut = now - policy.question_texts
    for label, at in (("texts.inside", cut + JUST), ("texts.outside", cut - JUST)):
        someone = person(label, at, last_question_text=label, last_question_message_id=1)
        assert someone.id is not None
        session.add(SubscriptionRow(person_id=someone.id, theme="grants", created_at=at))
        ticket = add(
            f"ticket.{label}",
            TicketRow(
                person_id=someone.id,
                state="closed",
                created_at=at,
                updated_at=at,
                closed_at=at,
                last_staff_name="Joanna Nowak",
            ),
        )
        add(
            f"link.{label}",
            MessageLinkRow(
                ticket_id=ticket.id,
                to_staff=True,
                person_chat_id=someone.telegram_id,
                person_message_id=1,
                staff_chat_id=STAFF_CHAT.id,
                staff_message_id=1000 + len(ids),
                created_at=at,
            ),
        )
        add(
            f"learned.{label}",
            LearnedExampleRow(
                topic="office.contact", text=label, ticket_id=ticket.id, created_at=at
            ),
        )
    waiting = person("texts.open", cut - JUST, last_question_text="texts.open")
    assert waiting.id is not None
    add(
        "ticket.open", TicketRow(person_id=waiting.id, state="open", created_at=cut, updated_at=cut)
    )

    cut = now - policy.feedback
    for label, at in (("feedback.inside", cut + JUST), ("feedback.outside", cut - JUST)):
        add(
            label,
            FeedbackRow(
                person_id=holder.id,
                topic="office.hours",
                helpful=True,
                chat_id=holder.telegram_id,
                message_id=len(ids),
                created_at=at,
            ),
        )

    cut = now - policy.deliveries
    for label, state, at in (
        ("broadcast.inside", "done", cut + JUST),
        ("broadcast.outside", "done", cut - JUST),
        ("broadcast.sending", "sending", cut - JUST),
    ):
        broadcast = add(
            label,
            BroadcastRow(
                kind="announcement",
                theme="grants",
                state=state,
                created_at=at,
                finished_at=at if state == "done" else None,
            ),
        )
        add(
            f"delivery.{label}",
            DeliveryRow(
                broadcast_id=broadcast.id,
                person_id=holder.id,
                chat_id=holder.telegram_id,
                state="sent",
                updated_at=at,
            ),
        )

    # People who stopped writing: erased unless something keeps them.
    cut = now - policy.inactive_people
    person("inactive.inside", cut + JUST)
    person("inactive.outside", cut - JUST)
    blocked = person("inactive.blocked", cut - JUST, blocked_at=cut)
    subscribed = person("inactive.subscribed", cut - JUST)
    for row in (blocked, subscribed):
        assert row.id is not None
        session.add(SubscriptionRow(person_id=row.id, theme="kongres", created_at=cut))
    recent = person("inactive.recent_ticket", cut - JUST)
    assert recent.id is not None
    add(
        "ticket.recent",
        TicketRow(
            person_id=recent.id,
            state="closed",
            created_at=cut - JUST,
            updated_at=cut + JUST,
            closed_at=cut + JUST,
        ),
    )
    forgotten = person("inactive.outside.with_data", cut - JUST)
    assert forgotten.id is not None
    add(
        "unanswered.of_inactive",
        UnansweredRow(person_id=forgotten.id, text="stare", normalized="stare", created_at=now),
    )

    # Placeholders of erased people: gone once nothing waits to be sent for them.
    done = person("placeholder.done", now, erased_at=now)
    waits = person("placeholder.waiting", now, erased_at=now)
    add(
        "outbox.for_placeholder",
        OutboxRow(
            lane="staff",
            key=f"topic:{waits.id}",
            kind="CloseTopic",
            payload="{}",
            person_id=waits.id,
            state="pending",
            next_attempt_at=WALL,
            created_at=WALL,
            **held_by_another_replica(),
        ),
    )
    assert done.id is not None
    return Aged(ids)


async def test_retention_removes_exactly_what_is_past_its_period(harness: BotHarness) -> None:
    assert harness.db is not None and harness.runtime is not None
    aged = harness.db.call(aged_rows).ids

    swept = await harness.runtime.retention(wall_now=WALL)

    assert dict(swept.counts) == {
        "update_ids": 1,
        "outbox": 2,
        "unanswered": 1,
        "question_texts": 1,
        "message_links": 1,
        "staff_names": 1,
        "learned_examples": 1,
        "feedback": 1,
        "deliveries": 1,
        "inactive_people": 3,
        "erased_placeholders": 1,
    }
    updates = {u.update_id for u in table(harness, InboundUpdateRow)}
    assert aged["update.inside"] in updates and aged["update.pending"] in updates
    assert aged["update.outside"] not in updates
    outbox = {o.id for o in table(harness, OutboxRow)}
    assert {aged["outbox.inside"], aged["outbox.pending"], aged["outbox.for_placeholder"]} <= outbox
    assert not {aged["outbox.outside"], aged["outbox.failed"]} & outbox
    unanswered = {u.id for u in table(harness, UnansweredRow)}
    assert aged["unanswered.inside"] in unanswered and aged["unanswered.outside"] not in unanswered
    assert aged["unanswered.of_inactive"] not in unanswered

    people = {p.first_name: p for p in table(harness, PersonRow)}
    assert people["texts.inside"].last_question_text == "texts.inside"
    assert people["texts.outside"].last_question_text is None
    assert people["texts.outside"].last_question_message_id is None
    assert people["texts.open"].last_question_text == "texts.open"
    tickets = {t.id: t for t in table(harness, TicketRow)}
    assert tickets[aged["ticket.texts.inside"]].last_staff_name == "Joanna Nowak"
    assert tickets[aged["ticket.texts.outside"]].last_staff_name is None  # the ticket stays
    links = {m.id for m in table(harness, MessageLinkRow)}
    assert aged["link.texts.inside"] in links and aged["link.texts.outside"] not in links
    learned = {e.id for e in table(harness, LearnedExampleRow)}
    assert aged["learned.texts.inside"] in learned and aged["learned.texts.outside"] not in learned

    votes = {f.id: f for f in table(harness, FeedbackRow)}
    assert votes[aged["feedback.inside"]].person_id is not None
    outside = votes[aged["feedback.outside"]]
    assert (outside.person_id, outside.chat_id, outside.message_id) == (None, None, None)
    assert (outside.topic, outside.helpful) == ("office.hours", True)

    deliveries = {d.broadcast_id for d in table(harness, DeliveryRow)}
    assert aged["broadcast.inside"] in deliveries and aged["broadcast.sending"] in deliveries
    assert aged["broadcast.outside"] not in deliveries

    assert {"inactive.inside", "inactive.subscribed", "inactive.recent_ticket"} <= set(people)
    assert not {"inactive.outside", "inactive.blocked", "inactive.outside.with_data"} & set(people)
    assert "placeholder.waiting" in people and "placeholder.done" not in people

    # Idempotent: a second run (a restart, another replica) changes nothing.
    again = await harness.runtime.retention(wall_now=WALL)
    assert again.total == 0


async def test_retention_runs_with_the_jobs_when_the_bot_starts(harness: BotHarness) -> None:
    assert harness.db is not None
    old = NOW - Retention().unanswered - JUST

    def add(session: Session) -> None:
        session.add(UnansweredRow(text="stare pytanie", normalized="stare pytanie", created_at=old))

    harness.db.call(add)
    await harness.stop()
    await harness.start()  # the jobs run at start-up (then daily) under the jobs lease
    assert table(harness, UnansweredRow) == []
