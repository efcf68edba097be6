"""The hooks through which dated-knowledge features plug into the handlers.

Calendar files, venues, subscriptions and announcements add buttons under
answers and handle their own button presses; the resident and staff handlers
call them through this interface and know nothing else about them.
"""

from __future__ import annotations

from typing import Protocol

from telegram import CallbackQuery, InlineKeyboardButton

from bot.core.answering import Reply
from bot.core.inbox import Person
from bot.core.translation import Translator
from bot.telegram.callbacks import Callback


class Extras(Protocol):
    """Optional features wired into the handlers."""

    def answer_buttons(self, reply: Reply, t: Translator) -> list[InlineKeyboardButton]:
        """Buttons to show under an answer (e.g. "Add to calendar")."""
        ...

    async def on_button(
        self, query: CallbackQuery, callback: Callback, person: Person, t: Translator
    ) -> bool:
        """Handle a resident's button press; True when it was handled."""
        ...

    async def on_staff_button(
        self, query: CallbackQuery, callback: Callback, t: Translator
    ) -> bool:
        """Handle a staff button press; True when it was handled."""
        ...

    async def after_reload(self) -> None:
        """React to newly loaded content (e.g. tell subscribers of a new date)."""
        ...
