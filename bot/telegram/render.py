"""Turning core results into Telegram messages: texts and inline keyboards.

Every label goes through the translator; callback data through
:mod:`bot.telegram.callbacks` (at most 64 bytes).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from telegram import BotCommand, InlineKeyboardButton, InlineKeyboardMarkup

from bot.core.answering import Reply
from bot.core.html import escape
from bot.core.inbox import Person, Ticket, TicketState, describe_age
from bot.core.knowledge import MenuGroup, Navigation, Theme
from bot.core.menu import RESIDENT_COMMANDS, STAFF_COMMANDS, Command
from bot.core.translation import Translator
from bot.telegram.callbacks import Callback, Kind

if TYPE_CHECKING:
    from bot.storage.repository import UnansweredSummary

MESSAGE_LIMIT = 4096

LANGUAGE_NAMES: dict[str, str] = {"pl": "Polski", "uk": "Українська", "en": "English"}


@dataclass(frozen=True)
class Rendered:
    """A message ready to send."""

    text: str
    keyboard: InlineKeyboardMarkup | None = None


def _button(label: str, callback: Callback) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=callback.encode())


def split_message(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Split a long HTML text at paragraph or line breaks.

    Answers are built from paragraphs, and tags never span a blank line in
    our content, so splitting at line breaks keeps every part well-formed.
    """
    if len(text) <= limit:
        return [text]
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) <= limit:
            current = candidate
            continue
        if current:
            parts.append(current)
        while len(line) > limit:
            parts.append(line[:limit])
            line = line[limit:]
        current = line
    if current:
        parts.append(current)
    return parts


def answer(
    reply: Reply,
    t: Translator,
    *,
    extra: Sequence[InlineKeyboardButton] = (),
    navigation: Navigation | None = None,
) -> Rendered:
    """An answer with feedback, "more", "ask an official" and related topics."""
    topic = reply.intent or ""
    rows: list[list[InlineKeyboardButton]] = []
    if topic.startswith("bot."):
        if topic in {"bot.greeting", "bot.help"} and navigation is not None:
            return menu(t, navigation, text=reply.html)
        return Rendered(reply.html)
    if reply.options and reply.group is not None:
        return clarify(reply, t)
    rows.append(
        [
            _button(t.gettext("Helpful"), Callback(Kind.FEEDBACK, ("1", topic))),
            _button(t.gettext("Not helpful"), Callback(Kind.FEEDBACK, ("0", topic))),
        ]
    )
    if reply.more:
        rows.append([_button(t.gettext("More"), Callback(Kind.MORE, (topic,)))])
    if extra:
        rows.append(list(extra))
    for option in reply.related[:2]:
        rows.append([_button(option.title, Callback(Kind.TOPIC, (option.topic,)))])
    rows.append([_button(t.gettext("Ask an official"), Callback(Kind.ASK))])
    return Rendered(reply.html, InlineKeyboardMarkup(rows))


def clarify(reply: Reply, t: Translator) -> Rendered:
    """The offered topics (two, or a menu group's), and "Other – pass it to the Biuro"."""
    rows = [[_button(o.title, Callback(Kind.TOPIC, (o.topic,)))] for o in reply.options]
    rows.append([_button(t.gettext("Other – pass it to the Biuro"), Callback(Kind.ASK))])
    return Rendered(reply.html, InlineKeyboardMarkup(rows))


def menu(t: Translator, navigation: Navigation, *, text: str | None = None) -> Rendered:
    """The main menu: topic groups (from knowledge/menu.yaml), "ask an official", language."""
    rows = [
        [_button(g.label.get(t.lang), Callback(Kind.GROUP, (g.id,)))] for g in navigation.groups
    ]
    rows.append([_button(t.gettext("Ask an official"), Callback(Kind.ASK))])
    rows.append([_button(t.gettext("Language / Мова"), Callback(Kind.LANGUAGE))])
    body = text or t.gettext("Choose a topic, or simply write your question.")
    return Rendered(body, InlineKeyboardMarkup(rows))


def group_menu(group: MenuGroup, t: Translator, title: Callable[[str], str]) -> Rendered:
    """The topics of one menu group."""
    rows = [[_button(title(topic), Callback(Kind.TOPIC, (topic,)))] for topic in group.topics]
    rows.append([_button(t.gettext("« Menu"), Callback(Kind.MENU))])
    return Rendered(f"<b>{escape(group.label.get(t.lang))}</b>", InlineKeyboardMarkup(rows))


def welcome(t: Translator, first_name: str, navigation: Navigation) -> Rendered:
    """/start: greeting, privacy notice, language choice and the menu."""
    text = "\n\n".join(
        [
            t.gettext(
                "Hello {name}! I am the assistant of the Biuro Dialogu i Innowacji Miejskich "
                "in Toruń. I answer questions about the Kongres Dialogu, grants and support "
                "for NGOs, consultations and other ways to take part in city life."
            ).format(name=escape(first_name)),
            "<i>"
            + t.gettext(
                "Privacy: I store your messages and Telegram name only to answer you; "
                "questions I cannot answer are read by the Biuro staff."
            )
            + "</i>",
            t.gettext("Choose a topic, or simply write your question."),
        ]
    )
    rendered = menu(t, navigation, text=text)
    assert rendered.keyboard is not None
    rows = [list(row) for row in rendered.keyboard.inline_keyboard]
    rows.insert(0, languages_row())
    return Rendered(text, InlineKeyboardMarkup(rows[:-1]))


def languages_row() -> list[InlineKeyboardButton]:
    """One button per product language, each in its own language."""
    return [
        _button(name, Callback(Kind.LANGUAGE, (code,))) for code, name in LANGUAGE_NAMES.items()
    ]


def language_choice(t: Translator) -> Rendered:
    """/jezyk: pick a language."""
    return Rendered(t.gettext("Choose your language:"), InlineKeyboardMarkup([languages_row()]))


def learn_button(ticket_id: int, t: Translator) -> InlineKeyboardMarkup:
    """Under a relayed staff answer: attach the question to the knowledge base."""
    return InlineKeyboardMarkup(
        [[_button(t.gettext("Add to the knowledge base"), Callback(Kind.LEARN, (str(ticket_id),)))]]
    )


def learn_topics(
    ticket_id: int, topics: Sequence[str], title: Callable[[str], str]
) -> InlineKeyboardMarkup:
    """Staff pick the topic a question belongs to."""
    buttons = [
        _button(title(topic), Callback(Kind.LEARN_TOPIC, (str(ticket_id), topic)))
        for topic in topics
    ]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    return InlineKeyboardMarkup(rows)


def bot_commands(commands: Sequence[Command], t: Translator) -> list[BotCommand]:
    """The command menu of one scope in one language."""
    return [BotCommand(c.name, t.gettext(c.description)) for c in commands]


def resident_commands(t: Translator) -> list[BotCommand]:
    """Commands shown in private chats."""
    return bot_commands(RESIDENT_COMMANDS, t)


def staff_commands(t: Translator) -> list[BotCommand]:
    """Commands shown in the staff group."""
    return bot_commands(STAFF_COMMANDS, t)


def inbox(tickets: Sequence[tuple[Ticket, Person]], now: datetime, t: Translator) -> Rendered:
    """/inbox: open questions with their age and who answered last."""
    if not tickets:
        return Rendered(t.gettext("No open questions."))
    count = len(tickets)
    lines = [
        "<b>"
        + t.ngettext("{n} open question", "{n} open questions", count).format(n=count)
        + "</b>"
    ]
    for ticket, person in tickets:
        state = (
            t.gettext("waiting for staff")
            if ticket.state is TicketState.OPEN
            else t.gettext("answered")
        )
        age = describe_age(ticket.last_person_at or ticket.created_at, now, t)
        last = (
            t.gettext("last answer: {name}").format(name=escape(ticket.last_staff_name))
            if ticket.last_staff_name
            else t.gettext("no answer yet")
        )
        lines.append(
            f"#{ticket.id} · {escape(person.first_name)} · {person.language} · {state} · "
            f"{age} · {last}"
        )
    return Rendered("\n".join(lines))


def unrecognised(
    rows: Sequence[UnansweredSummary], t: Translator, title: Callable[[str], str]
) -> Rendered:
    """/nierozpoznane: unanswered questions, most frequent first."""
    if not rows:
        return Rendered(t.gettext("No unrecognised questions so far."))
    lines = ["<b>" + t.gettext("Unrecognised questions, most frequent first:") + "</b>"]
    for row in rows:
        guess = f" · {escape(title(row.best_guess))}?" if row.best_guess else ""
        text = row.text if len(row.text) <= 200 else row.text[:199] + "…"
        lines.append(f"{row.count}× {escape(text)}{guess}")
    return Rendered("\n".join(lines))


def subscriptions_menu(themes: Sequence[Theme], subscribed: set[str], t: Translator) -> Rendered:
    """/powiadomienia: one button per theme (knowledge/menu.yaml); a tap switches it."""
    rows = []
    for theme in themes:
        on = theme.id in subscribed
        state = t.gettext("on") if on else t.gettext("off")
        rows.append(
            [
                _button(
                    f"{theme.label.get(t.lang)}: {state}",
                    Callback(Kind.SUBSCRIBE, (theme.id, "0" if on else "1")),
                )
            ]
        )
    text = t.gettext(
        "Reminders and news: choose what you want to receive. Tap a topic to switch it on or off."
    )
    return Rendered(text, InlineKeyboardMarkup(rows))


def unsubscribe_keyboard(theme: str, t: Translator) -> InlineKeyboardMarkup:
    """Under every message to subscribers: one tap to stop them."""
    return InlineKeyboardMarkup(
        [[_button(t.gettext("Stop these notifications"), Callback(Kind.SUBSCRIBE, (theme, "0")))]]
    )


def calendar_button(edition: int, t: Translator) -> InlineKeyboardButton:
    """Get the edition as an .ics file."""
    return _button(t.gettext("Add to calendar"), Callback(Kind.CALENDAR, (str(edition),)))


def session_calendar_button(
    edition: int, day_index: int, session_index: int, t: Translator
) -> InlineKeyboardButton:
    """Get one session as an .ics file."""
    return _button(
        t.gettext("Next session to calendar"),
        Callback(Kind.CALENDAR, (str(edition), str(day_index), str(session_index))),
    )


def venue_button(place_id: str, t: Translator) -> InlineKeyboardButton:
    """Show the venue on a map."""
    return _button(t.gettext("Show on the map"), Callback(Kind.VENUE, (place_id,)))


def subscribe_button(theme: str, t: Translator) -> InlineKeyboardButton:
    """Subscribe to a theme from under an answer."""
    return _button(t.gettext("Notify me"), Callback(Kind.SUBSCRIBE, (theme, "1")))


def announcement_themes(
    themes: Sequence[Theme], broadcast_id: int, counts: dict[str, int], t: Translator
) -> Rendered:
    """/ogloszenie: who should receive it."""
    rows = [
        [
            _button(
                f"{theme.label.get(t.lang)} ({counts.get(theme.id, 0)})",
                Callback(Kind.ANNOUNCE, (str(broadcast_id), "t", theme.id)),
            )
        ]
        for theme in themes
    ]
    rows.append([_button(t.gettext("Cancel"), Callback(Kind.ANNOUNCE, (str(broadcast_id), "no")))])
    return Rendered(
        t.gettext("New announcement. Who should receive it? (number of subscribers)"),
        InlineKeyboardMarkup(rows),
    )


def announcement_preview(
    broadcast_id: int, text_html: str, recipients: int, t: Translator
) -> Rendered:
    """The announcement as residents will see it, with the number of recipients."""
    head = "<b>" + t.gettext("Preview:") + "</b>"
    tail = t.ngettext(
        "It will be sent to {n} person.", "It will be sent to {n} people.", recipients
    ).format(n=recipients)
    keyboard = InlineKeyboardMarkup(
        [
            [
                _button(
                    t.ngettext("Send to {n} person", "Send to {n} people", recipients).format(
                        n=recipients
                    ),
                    Callback(Kind.ANNOUNCE, (str(broadcast_id), "ok")),
                )
            ],
            [_button(t.gettext("Cancel"), Callback(Kind.ANNOUNCE, (str(broadcast_id), "no")))],
        ]
    )
    return Rendered(f"{head}\n\n{text_html}\n\n{tail}", keyboard)


def broadcast_progress(counts: dict[str, int], final: bool, t: Translator) -> str:
    """Progress or final counts of a broadcast, for the staff group."""
    sent = counts.get("sent", 0)
    total = sum(counts.values())
    blocked = counts.get("blocked", 0)
    failed = counts.get("failed", 0) + counts.get("uncertain", 0)
    if final:
        return t.gettext(
            "<b>Announcement sent</b>: delivered {sent} of {total}; "
            "blocked the bot: {blocked}; not delivered: {failed}."
        ).format(sent=sent, total=total, blocked=blocked, failed=failed)
    return t.gettext(
        "Sending the announcement: {done} of {total} (blocked the bot: {blocked})."
    ).format(done=total - counts.get("pending", 0), total=total, blocked=blocked)
