"""Menus, commands and deep links: which topics a person can reach how.

Kept in the core so that the Telegram handlers hold no tables of their own.
Labels are gettext msgids translated at rendering time.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from bot.core.translation import N_


@dataclass(frozen=True)
class MenuGroup:
    """A group of topics shown as one button of the main menu."""

    id: str
    label: str
    topics: tuple[str, ...]


MENU: tuple[MenuGroup, ...] = (
    MenuGroup(
        "kongres",
        N_("Kongres Dialogu"),
        ("kongres.when", "kongres.where", "kongres.program", "kongres.join", "kongres.about"),
    ),
    MenuGroup(
        "grants",
        N_("Grants for NGOs"),
        ("grants.microgrants", "grants.open_calls", "grants.witkac", "ngo.cooperation_programme"),
    ),
    MenuGroup(
        "ngo",
        N_("Support for NGOs"),
        ("ngo.training", "ngo.premises", "ngo.forum", "ngo.council"),
    ),
    MenuGroup(
        "participation",
        N_("Taking part in city life"),
        (
            "participation.consultations",
            "participation.civic_budget",
            "participation.urban_lab",
            "participation.district_councils",
            "participation.strategy",
            "participation.volunteering",
            "participation.metropolis",
        ),
    ),
    MenuGroup("office", N_("The Biuro: hours and contact"), ("office.hours", "office.contact")),
)


@dataclass(frozen=True)
class Command:
    """A bot command with its menu description (a msgid)."""

    name: str
    description: str
    topic: str | None = None


#: Commands of private chats, in menu order.
RESIDENT_COMMANDS: tuple[Command, ...] = (
    Command("start", N_("Start and menu of topics")),
    Command("pomoc", N_("What I can help with")),
    Command("kongres", N_("When is the Kongres Dialogu"), "kongres.when"),
    Command("granty", N_("Grants for NGOs"), "grants.microgrants"),
    Command("godziny", N_("Opening hours of the Biuro"), "office.hours"),
    Command("kontakt", N_("Contact the Biuro"), "office.contact"),
    Command("pytanie", N_("Ask a person at the Biuro")),
    Command("powiadomienia", N_("Reminders and news")),
    Command("jezyk", N_("Language: Polski, Українська, English")),
    Command("moje_dane", N_("See everything I store about you")),
    Command("usun_dane", N_("Delete everything I store about you")),
)

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


def command_topic(name: str) -> str | None:
    """The topic a command answers directly, if any."""
    name = COMMAND_ALIASES.get(name, name)
    for command in RESIDENT_COMMANDS:
        if command.name == name:
            return command.topic
    return None


def deep_link_payload(topic: str) -> str:
    """The ``start`` payload of a topic: ``t.me/<bot>?start=kongres-when``."""
    return topic.replace(".", "-")


def topic_from_payload(payload: str, known: Iterable[str]) -> str | None:
    """The topic of a deep-link payload, or None when it is not a known topic."""
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


def group(group_id: str) -> MenuGroup | None:
    """A menu group by id."""
    return next((g for g in MENU if g.id == group_id), None)
