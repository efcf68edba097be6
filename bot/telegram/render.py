"""Turning core results into messages: texts and inline buttons.

Every label goes through the translator; callback data through
:mod:`bot.core.callbacks` (at most 64 bytes). The results are core values
(:class:`~bot.core.messages.OutMessage`), stored in the outbox and turned into
Telegram's types by the sender; only the command menus are Telegram's own.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date, datetime

from telegram import BotCommand, InlineKeyboardButton, InlineKeyboardMarkup

from bot.core.answering import Reply
from bot.core.callbacks import Callback, Kind
from bot.core.conversation import Outcome, OutcomeKind
from bot.core.dated import Phase, relevant_edition
from bot.core.dates import fmt_date, local_now
from bot.core.html import escape
from bot.core.inbox import Person, Ticket, TicketState, Unrecognised, describe_age
from bot.core.knowledge import KnowledgeBase, KongresEdition, MenuGroup, Navigation, Theme
from bot.core.menu import RESIDENT_COMMANDS, STAFF_COMMANDS, Command
from bot.core.messages import Button, Document, Keyboard, OutMessage
from bot.core.privacy import (
    DELIVERIES,
    FEEDBACK,
    INBOUND_UPDATES,
    LEARNED_EXAMPLES,
    OUTBOX,
    TICKETS,
    UNANSWERED,
    Export,
    Retention,
)
from bot.core.translation import Translator

LANGUAGE_NAMES: dict[str, str] = {"pl": "Polski", "uk": "Українська", "en": "English"}


#: What a renderer returns: a text with its buttons.
Rendered = OutMessage


def _button(label: str, callback: Callback) -> Button:
    return Button(label, callback=callback.encode())


def _rows(rows: Sequence[Sequence[Button]]) -> Keyboard:
    return tuple(tuple(row) for row in rows if row)


def answer(
    reply: Reply,
    t: Translator,
    *,
    extra: Sequence[Button] = (),
    navigation: Navigation | None = None,
) -> Rendered:
    """An answer with feedback, "more", "ask an official" and related topics."""
    topic = reply.intent or ""
    rows: list[list[Button]] = []
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
    return Rendered(reply.html, _rows(rows))


def clarify(reply: Reply, t: Translator) -> Rendered:
    """The offered topics (two, or a menu group's), and "Other – pass it to the Biuro"."""
    rows = [[_button(o.title, Callback(Kind.TOPIC, (o.topic,)))] for o in reply.options]
    rows.append([_button(t.gettext("Other – pass it to the Biuro"), Callback(Kind.ASK))])
    return Rendered(reply.html, _rows(rows))


def menu(t: Translator, navigation: Navigation, *, text: str | None = None) -> Rendered:
    """The main menu: topic groups (from knowledge/menu.yaml), "ask an official", language."""
    rows = [
        [_button(g.label.get(t.lang), Callback(Kind.GROUP, (g.id,)))] for g in navigation.groups
    ]
    rows.append([_button(t.gettext("Ask an official"), Callback(Kind.ASK))])
    rows.append([_button(t.gettext("Language / Мова"), Callback(Kind.LANGUAGE))])
    body = text or t.gettext("Choose a topic, or simply write your question.")
    return Rendered(body, _rows(rows))


def group_menu(group: MenuGroup, t: Translator, title: Callable[[str], str]) -> Rendered:
    """The topics of one menu group."""
    rows = [[_button(title(topic), Callback(Kind.TOPIC, (topic,)))] for topic in group.topics]
    rows.append([_button(t.gettext("« Menu"), Callback(Kind.MENU))])
    return Rendered(f"<b>{escape(group.label.get(t.lang))}</b>", _rows(rows))


def welcome(
    t: Translator, first_name: str, navigation: Navigation, retention: Retention | None = None
) -> Rendered:
    """/start: greeting, privacy notice, language choice and the menu."""
    text = "\n\n".join(
        [
            t.gettext(
                "Hello {name}! I am the assistant of the Biuro Dialogu i Innowacji Miejskich "
                "in Toruń. I answer questions about the Kongres Dialogu, grants and support "
                "for NGOs, consultations and other ways to take part in city life."
            ).format(name=escape(first_name)),
            "<i>" + privacy_notice(t, retention or Retention()) + "</i>",
            t.gettext("Choose a topic, or simply write your question."),
        ]
    )
    rows = [list(row) for row in menu(t, navigation, text=text).keyboard]
    rows.insert(0, languages_row())
    # The language row replaces the menu's own language button (the last row).
    return Rendered(text, _rows(rows[:-1]))


def privacy_notice(t: Translator, retention: Retention) -> str:
    """What is stored, for how long, and the two commands (part of /start)."""
    return t.gettext(
        "Privacy: I store your Telegram name, language and questions only to answer you; "
        "questions I cannot answer are read by the Biuro staff. Question texts are deleted "
        "{questions} days after the question is closed, unrecognised questions after "
        "{unanswered} days. /moje_dane shows everything I store about you, /usun_dane "
        "deletes it."
    ).format(questions=retention.question_texts.days, unanswered=retention.unanswered.days)


def nothing_stored(t: Translator) -> Rendered:
    """/moje_dane or /usun_dane from someone the bot knows nothing about."""
    return Rendered(
        t.gettext("I do not store anything about you: there is nothing to show or delete.")
    )


def personal_data(
    export: Export, t: Translator, retention: Retention, navigation: Navigation
) -> Rendered:
    """/moje_dane: what kinds of data, how many, since when (the file has every row)."""
    data = export.data
    since = fmt_date(local_now(data.first_contact_at).date(), t.lang)
    themes = ", ".join(th.label.get(t.lang) for th in navigation.themes if th.id in data.themes)
    lines = [
        "<b>" + t.gettext("What I store about you") + "</b>",
        t.gettext(
            "Since {date}: your Telegram id, first name, username (if you have one) and language."
        ).format(date=since),
        t.gettext("Questions passed to the Biuro staff: {n}").format(n=data.count(TICKETS)),
    ]
    if data.open_ticket:
        lines.append(t.gettext("One of them is still with the staff."))
    lines += [
        t.gettext("Questions I could not answer: {n}").format(n=data.count(UNANSWERED)),
        t.gettext("Votes on my answers: {n}").format(n=data.count(FEEDBACK)),
        t.gettext("Subscriptions: {themes}").format(themes=themes or t.gettext("none")),
        t.gettext("Announcements sent to you: {n}").format(n=data.count(DELIVERIES)),
        t.gettext("Your questions added to the knowledge base as examples: {n}").format(
            n=data.count(LEARNED_EXAMPLES)
        ),
        t.gettext("Messages to you or about you, kept for {days} days after sending: {n}").format(
            n=data.count(OUTBOX), days=retention.outbox.days
        ),
    ]
    if data.count(INBOUND_UPDATES):
        lines.append(
            t.gettext("Your messages not handled yet: {n}").format(n=data.count(INBOUND_UPDATES))
        )
    lines += [
        "",
        t.gettext(
            "The attached file holds every record (JSON), with how long each kind is kept. "
            "/usun_dane deletes all of it."
        ),
    ]
    return Rendered("\n".join(lines))


def personal_data_file(export: Export, t: Translator) -> Document:
    """The JSON file of /moje_dane, with its caption."""
    return replace(export.document, caption=t.gettext("Everything I store about you (JSON)"))


def erase_prompt(t: Translator, *, open_question: bool) -> Rendered:
    """/usun_dane: what goes, and yes / no."""
    lines = [
        "<b>" + t.gettext("Delete everything I store about you?") + "</b>",
        t.gettext(
            "Your name, your questions and the replies to them, your votes and your "
            "subscriptions will be deleted. This cannot be undone; if you write again later, "
            "I start from scratch."
        ),
    ]
    if open_question:
        lines.append(t.gettext("Your open question to the Biuro staff will be closed."))
    lines.append(
        t.gettext(
            "What you wrote to the Biuro staff stays in their Telegram group, as the office's "
            "correspondence."
        )
    )
    keyboard = _rows(
        [
            [_button(t.gettext("Yes, delete everything"), Callback(Kind.ERASE, ("1",)))],
            [_button(t.gettext("No, keep my data"), Callback(Kind.ERASE, ("0",)))],
        ]
    )
    return Rendered("\n\n".join(lines), keyboard)


def erased(t: Translator) -> Rendered:
    """The confirmation of an erasure (it names nothing: nothing is left)."""
    return Rendered(
        t.gettext(
            "Done: everything I stored about you has been deleted and your subscriptions have "
            "ended. If you write again, I start from scratch. The messages in this chat stay "
            "in your Telegram app until you delete the chat."
        )
    )


def languages_row() -> list[Button]:
    """One button per product language, each in its own language."""
    return [
        _button(name, Callback(Kind.LANGUAGE, (code,))) for code, name in LANGUAGE_NAMES.items()
    ]


def language_choice(t: Translator) -> Rendered:
    """/jezyk: pick a language."""
    return Rendered(t.gettext("Choose your language:"), _rows([languages_row()]))


def learn_topics(ticket_id: int, topics: Sequence[str], title: Callable[[str], str]) -> Keyboard:
    """Staff pick the topic a question belongs to."""
    buttons = [
        _button(title(topic), Callback(Kind.LEARN_TOPIC, (str(ticket_id), topic)))
        for topic in topics
    ]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    return _rows(rows)


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
    rows: Sequence[Unrecognised], t: Translator, title: Callable[[str], str]
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
    return Rendered(text, _rows(rows))


def calendar_button(edition: int, t: Translator) -> Button:
    """Get the edition as an .ics file."""
    return _button(t.gettext("Add to calendar"), Callback(Kind.CALENDAR, (str(edition),)))


def session_calendar_button(
    edition: int, day_index: int, session_index: int, t: Translator
) -> Button:
    """Get one session as an .ics file."""
    return _button(
        t.gettext("Next session to calendar"),
        Callback(Kind.CALENDAR, (str(edition), str(day_index), str(session_index))),
    )


def venue_button(place_id: str, t: Translator) -> Button:
    """Show the venue on a map."""
    return _button(t.gettext("Show on the map"), Callback(Kind.VENUE, (place_id,)))


def subscribe_button(theme: str, t: Translator) -> Button:
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
        _rows(rows),
    )


def announcement_preview(
    broadcast_id: int, text_html: str, recipients: int, t: Translator
) -> Rendered:
    """The announcement as residents will see it, with the number of recipients."""
    head = "<b>" + t.gettext("Preview:") + "</b>"
    tail = t.ngettext(
        "It will be sent to {n} person.", "It will be sent to {n} people.", recipients
    ).format(n=recipients)
    keyboard = _rows(
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


def answer_extras(reply: Reply, kb: KnowledgeBase, now: datetime, t: Translator) -> list[Button]:
    """Calendar, map and "notify me" buttons under the answers they belong to."""
    buttons: list[Button] = []
    topic = reply.intent or ""
    if topic.startswith("kongres."):
        view = relevant_edition(kb, now)
        if view is not None and view.phase is not Phase.PAST:
            if topic in {"kongres.when", "kongres.program"}:
                buttons.append(calendar_button(view.edition.edition, t))
            if topic == "kongres.program" and view.today is not None:
                upcoming = next_session(view.edition, view.today.date, now)
                if upcoming is not None:
                    buttons.append(session_calendar_button(view.edition.edition, *upcoming, t))
            place = kb.places.get(view.edition.venue) if view.edition.venue else None
            if topic == "kongres.where" and place is not None and place.coordinates.known:
                buttons.append(venue_button(place.id, t))
    # Which answers offer "notify me", and for what, is content (menu.yaml themes).
    theme = kb.navigation.theme_of_topic(topic)
    if theme is not None:
        buttons.append(subscribe_button(theme.id, t))
    return buttons


def next_session(edition: KongresEdition, day: date, now: datetime) -> tuple[int, int] | None:
    """(day index, session index) of the next session starting later today."""
    clock = now.timetz().replace(tzinfo=None)
    for day_index, kongres_day in enumerate(edition.days):
        if kongres_day.date != day:
            continue
        for index, session in enumerate(kongres_day.sessions):
            if session.start is not None and session.start > clock:
                return day_index, index
    return None


def outcome(
    result: Outcome,
    kb: KnowledgeBase,
    now: datetime,
    translators: Callable[[str], Translator],
) -> Rendered:
    """What a resident is sent for the outcome of their message (in the reply's language)."""
    t = translators(result.language)
    if result.kind is OutcomeKind.ANSWER and result.reply is not None:
        extras = answer_extras(result.reply, kb, now, t)
        rendered = answer(result.reply, t, extra=extras, navigation=kb.navigation)
    elif result.kind is OutcomeKind.CLARIFY and result.reply is not None:
        rendered = clarify(result.reply, t)
    elif result.kind is OutcomeKind.NO_WORDS:
        rendered = menu(t, kb.navigation, text=result.text_html)
    else:
        rendered = Rendered(result.text_html)
    if result.suggest_language is not None:
        rendered = with_language_offer(rendered, translators(result.suggest_language))
    return rendered


def with_language_offer(rendered: Rendered, t: Translator) -> Rendered:
    """A reply in the language the person wrote in, with a button to keep that language."""
    label = t.gettext("Continue in this language")
    row = (_button(label, Callback(Kind.LANGUAGE, (t.lang,))),)
    return Rendered(rendered.text_html, (*rendered.keyboard, row))


def markup(keyboard: Keyboard) -> InlineKeyboardMarkup | None:
    """Telegram's inline keyboard for core buttons."""
    if not keyboard:
        return None
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(b.label, url=b.url)
                if b.url
                else InlineKeyboardButton(b.label, callback_data=b.callback)
                for b in row
            ]
            for row in keyboard
        ]
    )
