"""Commands and deep links: the names the bot answers to, kept in code.

Which topic or menu group a shortcut command opens, the menu groups and
their labels come from content (``knowledge/menu.yaml``, loaded into
:class:`bot.core.knowledge.Navigation`); only the command names, their
descriptions (gettext msgids) and their handlers live here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from bot.core.knowledge import CommandTarget, Navigation
from bot.core.translation import N_


@dataclass(frozen=True)
class Command:
    """A bot command with its menu description (a msgid).

    A ``shortcut`` command opens what ``knowledge/menu.yaml`` says under
    ``commands`` (a topic or a menu group).
    """

    name: str
    description: str
    shortcut: bool = False


#: Commands of private chats, in menu order.
RESIDENT_COMMANDS: tuple[Command, ...] = (
    Command("start", N_("Start and menu of topics")),
    Command("pomoc", N_("What I can help with")),
    Command("kongres", N_("When is the Kongres Dialogu"), shortcut=True),
    Command("granty", N_("Grants for NGOs"), shortcut=True),
    Command("godziny", N_("Opening hours of the Biuro"), shortcut=True),
    Command("kontakt", N_("Contact the Biuro"), shortcut=True),
    Command("pytanie", N_("Ask a person at the Biuro")),
    Command("powiadomienia", N_("Reminders and news")),
    Command("jezyk", N_("Language: Polski, Українська, English")),
    Command("moje_dane", N_("See everything I store about you")),
    Command("usun_dane", N_("Delete everything I store about you")),
)

#: The shortcut commands whose target the content must name.
SHORTCUT_COMMANDS: tuple[str, ...] = tuple(c.name for c in RESIDENT_COMMANDS if c.shortcut)

#: Commands of the staff group.
STAFF_COMMANDS: tuple[Command, ...] = (
    Command("inbox", N_("Open questions with their age")),
    Command("zamknij", N_("Close the question of this topic")),
    Command("nierozpoznane", N_("Questions the assistant did not recognise")),
    Command("ogloszenie", N_("Send an announcement to subscribers")),
    Command("przeladuj", N_("Reload the knowledge base after checking it")),
)

#: Aliases accepted besides the menu names (English and unaccented habits).
COMMAND_ALIASES: dict[str, str] = {"help": "pomoc", "language": "jezyk", "contact": "kontakt"}

STAFF_COMMAND_NAMES = frozenset(c.name for c in STAFF_COMMANDS)

_PAYLOAD = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def command_target(navigation: Navigation, name: str) -> CommandTarget | None:
    """What a shortcut command opens, as the content says (None for other commands)."""
    name = COMMAND_ALIASES.get(name, name)
    if name not in SHORTCUT_COMMANDS:
        return None
    return navigation.commands.get(name)


def topic_from_payload(payload: str, known: Iterable[str]) -> str | None:
    """The topic of a deep-link payload, or None when it is not a known topic.

    ``t.me/<bot>?start=kongres-when`` opens ``kongres.when``.
    """
    if not _PAYLOAD.match(payload):
        return None
    candidate = payload.replace("-", ".")
    known_set = set(known)
    if candidate in known_set:
        return candidate
    # "kongres_when" (an underscore typed for the dot) also works.
    for topic in known_set:
        if topic.replace(".", "_") == payload:
            return topic
    return None
