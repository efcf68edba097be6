"""The rights of the person (GDPR art. 15 and 17) and how long personal data are kept.

``/moje_dane`` gives a person everything stored about them: a short summary and
a JSON document with every row (:func:`export_document`; the format is
described in ``docs/privacy.md``). ``/usun_dane`` erases it after a
confirmation: the rows about the person are deleted, votes on answers lose
every link to them, an open question is ended and the staff topic gets a
note and is closed. A daily job applies :class:`Retention`: question texts,
the unanswered log, update ids, sent messages, votes, deliveries and people
who stopped writing expire after configurable periods.

Rules and use cases only, shaped like :mod:`bot.core.inbox`: they run inside
one transaction and reach the database through :class:`PrivacyStore`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from typing import Any, Protocol

from bot.core.inbox import STAFF_LANGUAGE, InboxStore, Person
from bot.core.messages import CloseTopic, Document, Outbox, OutMessage, ToTopic
from bot.core.translation import Translator

logger = logging.getLogger(__name__)

#: The export's format name and version (``docs/privacy.md``).
EXPORT_FORMAT = "torun-bot/personal-data"
EXPORT_VERSION = 1
#: Exported files are named ``<prefix><date>.json``; earlier copies are not nested in later ones.
EXPORT_PREFIX = "moje-dane-"
#: What stands in the export for a staff member's name or id (GDPR art. 15(4)).
WITHHELD = "(withheld: a member of the Biuro staff)"

#: The export's sections: one per table holding rows about a person.
PERSON = "person"
TICKETS = "ticket"
MESSAGE_LINKS = "message_link"
UNANSWERED = "unanswered"
FEEDBACK = "feedback"
SUBSCRIPTIONS = "subscription"
DELIVERIES = "delivery"
LEARNED_EXAMPLES = "learned_example"
OUTBOX = "outbox"
INBOUND_UPDATES = "inbound_update"
SECTIONS: tuple[str, ...] = (
    TICKETS,
    MESSAGE_LINKS,
    UNANSWERED,
    FEEDBACK,
    SUBSCRIPTIONS,
    DELIVERIES,
    LEARNED_EXAMPLES,
    OUTBOX,
    INBOUND_UPDATES,
)

#: A row as exported: column name -> JSON value.
Row = Mapping[str, Any]


@dataclass(frozen=True)
class Retention:
    """How long each kind of personal data is kept (the ``RETENTION_*`` settings)."""

    #: the last question of a person and the message links and staff name of a closed
    #: ticket, counted from the closing (or the last message); learned examples from their
    #: creation
    question_texts: timedelta = timedelta(days=365)
    #: questions the assistant could not answer
    unanswered: timedelta = timedelta(days=180)
    #: ids of processed updates (Telegram redelivers for up to 24 hours)
    update_ids: timedelta = timedelta(days=7)
    #: messages sent or given up, with their text (the outbox)
    outbox: timedelta = timedelta(days=7)
    #: after this a vote keeps only its topic, its value and its date
    feedback: timedelta = timedelta(days=90)
    #: who received a finished announcement
    deliveries: timedelta = timedelta(days=30)
    #: a person who stopped writing, with nothing open and no (reachable) subscription
    inactive_people: timedelta = timedelta(days=365)

    def days(self) -> dict[str, int]:
        """The periods in whole days, by name (as the export states them)."""
        return {f.name: getattr(self, f.name).days for f in fields(self)}


@dataclass(frozen=True)
class PersonalData:
    """Every stored row about one person, by section (see :data:`SECTIONS`)."""

    person: Row
    first_contact_at: datetime
    sections: Mapping[str, Sequence[Row]] = field(default_factory=dict)

    def rows(self, section: str) -> Sequence[Row]:
        """The rows of one section (none when the store has no such rows)."""
        return self.sections.get(section, ())

    def count(self, section: str) -> int:
        """How many rows a section holds."""
        return len(self.rows(section))

    @property
    def themes(self) -> list[str]:
        """The themes the person subscribed to."""
        return sorted(str(row["theme"]) for row in self.rows(SUBSCRIPTIONS))

    @property
    def open_ticket(self) -> bool:
        """Whether one of the person's questions is still with staff."""
        return any(row.get("state") != "closed" for row in self.rows(TICKETS))


@dataclass(frozen=True)
class Erased:
    """What an erasure did."""

    person_id: int
    #: the person's forum topic in the staff group, if they had one
    staff_thread_id: int | None
    #: the question that was still with staff, if any
    open_ticket_id: int | None
    #: rows deleted or anonymised, per table
    removed: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Swept:
    """What one retention run deleted or anonymised, per rule."""

    counts: Mapping[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        """Rows changed in all."""
        return sum(self.counts.values())


class PrivacyStore(Protocol):
    """Personal data as a whole, inside the current transaction."""

    def personal_data(self, person_id: int, *, request: int | None = None) -> PersonalData:
        """Every row about the person and nobody else, staff names withheld.

        ``request`` is the id of the update asking (left out of the stored
        updates: its payload goes once it is answered).
        """
        ...

    def erase(self, person_id: int, now: datetime) -> Erased:
        """Delete or anonymise every row about the person.

        When the person has a staff topic, a placeholder without any of their
        data stays until the topic's note and closing are delivered (the next
        retention run removes it); a later message starts a new person.
        """
        ...

    def apply_retention(self, policy: Retention, now: datetime, wall_now: datetime) -> Swept:
        """Delete or anonymise what is past its period; idempotent.

        ``now`` is the bot's clock (people, tickets, logs, votes); ``wall_now``
        the clock of delivery (stored updates, the outbox). They are the same
        in production.
        """
        ...


class PrivacyUnit(Protocol):
    """What the privacy use cases reach inside one transaction."""

    @property
    def inbox(self) -> InboxStore:
        """People (found by their Telegram id)."""
        ...

    @property
    def privacy(self) -> PrivacyStore:
        """Personal data as a whole."""
        ...

    @property
    def outbox(self) -> Outbox:
        """Messages to deliver after the transaction."""
        ...


@dataclass(frozen=True)
class Export:
    """A person's data, ready to send."""

    person: Person
    data: PersonalData
    document: Document


def export_document(data: PersonalData, now: datetime, retention: Retention) -> Document:
    """The JSON file of a person's data (format ``torun-bot/personal-data`` version 1)."""
    body: dict[str, Any] = {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "created_at": now.isoformat(),
        "retention_days": retention.days(),
        "withheld": WITHHELD,
        PERSON: dict(data.person),
    }
    for section in SECTIONS:
        body[section] = [dict(row) for row in data.rows(section)]
    content = json.dumps(body, ensure_ascii=False, indent=2, sort_keys=False, default=str)
    return Document(f"{EXPORT_PREFIX}{now:%Y-%m-%d}.json", content + "\n")


@dataclass(repr=False)
class Privacy:
    """Use cases of a person's rights over their data, and of retention."""

    translator: Callable[[str], Translator]
    retention: Retention = field(default_factory=Retention)

    def staff(self) -> Translator:
        """The translator of the staff group."""
        return self.translator(STAFF_LANGUAGE)

    def export(
        self, unit: PrivacyUnit, telegram_id: int, now: datetime, *, request: int | None = None
    ) -> Export | None:
        """``/moje_dane``: everything stored about the person; None when nothing is.

        Asking does not store the person: someone unknown stays unknown.
        ``request`` is the update asking.
        """
        person = unit.inbox.person_by_telegram_id(telegram_id)
        if person is None:
            return None
        data = unit.privacy.personal_data(person.id, request=request)
        return Export(person, data, export_document(data, now, self.retention))

    def known(self, unit: PrivacyUnit, telegram_id: int) -> Person | None:
        """The stored person, if any (``/usun_dane`` asks only someone known)."""
        return unit.inbox.person_by_telegram_id(telegram_id)

    def erase(self, unit: PrivacyUnit, telegram_id: int, now: datetime) -> Erased | None:
        """The person confirmed: erase them, tell staff in their topic and close it.

        Returns None when nothing is stored (a second tap on "yes").
        """
        person = unit.inbox.person_by_telegram_id(telegram_id)
        if person is None:
            return None
        erased = unit.privacy.erase(person.id, now)
        if erased.staff_thread_id is not None:
            close = CloseTopic(person.id)
            unit.outbox.put(
                ToTopic(
                    person.id,
                    OutMessage(self.staff_note(erased)),
                    then=(close,),
                    on_failed=(close,),
                )
            )
        logger.info("erased person %s on request: %s", person.id, dict(erased.removed))
        return erased

    def staff_note(self, erased: Erased) -> str:
        """The note in the person's topic (it names no one: nothing about them is left)."""
        t = self.staff()
        head = (
            t.gettext(
                "<b>Question #{n} is closed</b>: the person asked for their data to be deleted."
            ).format(n=erased.open_ticket_id)
            if erased.open_ticket_id is not None
            else t.gettext("The person asked for their data to be deleted.")
        )
        return (
            head
            + "\n"
            + t.gettext(
                "The bot's database no longer holds anything about them, and a new message "
                "from them starts a new question. The messages in this topic stay in the "
                "group until you delete the topic."
            )
        )

    def sweep(self, unit: PrivacyUnit, now: datetime, wall_now: datetime) -> Swept:
        """The daily retention run."""
        swept = unit.privacy.apply_retention(self.retention, now, wall_now)
        if swept.total:
            logger.info(
                "retention: %s", ", ".join(f"{k} {v}" for k, v in swept.counts.items() if v)
            )
        return swept
