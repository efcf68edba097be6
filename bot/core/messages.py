"""Outgoing messages as values: text, buttons, and where they go.

The core decides *what* is said and to whom; it writes these values to the
outbox (:class:`Outbox`) in the same transaction as the state change that
causes them, and the Telegram layer delivers them later, retrying as needed.
Nothing here knows Telegram's types: buttons carry callback strings made by
:mod:`bot.core.callbacks` or URLs, and the sender turns them into Telegram's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

#: Telegram's limits on a message text and a media caption (after entity parsing).
MESSAGE_LIMIT = 4096
CAPTION_LIMIT = 1024


@dataclass(frozen=True)
class Button:
    """An inline button: a callback (``bot.core.callbacks``) or a link."""

    label: str
    callback: str | None = None
    url: str | None = None


Keyboard = tuple[tuple[Button, ...], ...]


@dataclass(frozen=True)
class OutMessage:
    """A text (Telegram HTML) with optional inline buttons."""

    text_html: str
    keyboard: Keyboard = ()


@dataclass(frozen=True)
class Document:
    """A small text file sent as a document (e.g. an ``.ics`` calendar file)."""

    filename: str
    content: str
    caption: str = ""


@dataclass(frozen=True)
class Venue:
    """A place on the map."""

    latitude: float
    longitude: float
    title: str
    address: str


@dataclass(frozen=True)
class MessageRef:
    """A message in a chat (what is copied between the two sides).

    ``text`` is its text or caption; ``media`` says it carries a photo, a
    document, a voice message... that only a copy can pass on.
    """

    chat_id: int
    message_id: int
    text: str | None = None
    media: bool = False


@dataclass(frozen=True)
class StaffMessage:
    """A message a staff member wrote in a person's topic."""

    chat_id: int
    message_id: int
    thread_id: int
    author_name: str
    author_id: int = 0
    text_html: str | None = None
    caption_html: str | None = None
    has_media: bool = False
    #: photos, documents, videos, audio and voice take a caption; stickers do not
    can_caption: bool = True


@dataclass(frozen=True)
class ToChat:
    """A message to a chat: a person's private chat, or the staff group (``thread_id``)."""

    chat_id: int
    message: OutMessage
    thread_id: int | None = None
    document: Document | None = None
    venue: Venue | None = None
    then: tuple[Outgoing, ...] = ()
    on_failed: tuple[Outgoing, ...] = ()


@dataclass(frozen=True)
class ToTopic:
    """A post into a person's forum topic in the staff group.

    The topic is created when the person has none (or staff deleted it) and
    reopened when staff closed it. ``source`` is the person's message the post
    carries: it is linked to the post (for edits), and copied after the text
    when it holds media. Posts with ``batch`` set that wait together are sent
    as one message (follow-ups, notes), so a busy topic does not use up the
    group's limit of about 20 messages a minute.
    """

    person_id: int
    message: OutMessage
    ticket_id: int | None = None
    source: MessageRef | None = None
    batch: bool = False
    #: reply to the post that carried this earlier message of the person
    reply_to: MessageRef | None = None
    then: tuple[Outgoing, ...] = ()
    on_failed: tuple[Outgoing, ...] = ()


@dataclass(frozen=True)
class Relay:
    """A staff member's message copied to the person, signed as the Biuro."""

    chat_id: int
    staff: StaffMessage
    signature: str
    ticket_id: int | None = None
    then: tuple[Outgoing, ...] = ()
    on_failed: tuple[Outgoing, ...] = ()


@dataclass(frozen=True)
class CloseTopic:
    """Close the person's forum topic (best effort)."""

    person_id: int
    then: tuple[Outgoing, ...] = ()
    on_failed: tuple[Outgoing, ...] = field(default_factory=tuple)


Outgoing = ToChat | ToTopic | Relay | CloseTopic


class Outbox(Protocol):
    """Outgoing messages, stored in the current transaction and delivered after it."""

    def put(self, *messages: Outgoing) -> None:
        """Queue messages for delivery (in order, per chat)."""
        ...


def split_text(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Split a long HTML text at line breaks, so each part fits in one message.

    Answers and posts are built from lines whose tags never span a line
    break, so every part stays well-formed.
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


def keyboard(*rows: Sequence[Button]) -> Keyboard:
    """A keyboard from rows of buttons (empty rows dropped)."""
    return tuple(tuple(row) for row in rows if row)
