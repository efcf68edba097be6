"""Dated-knowledge features in Telegram: calendar files, venues, subscriptions,
Kongres reminders, news of new dates, staff announcements.

Implements :class:`bot.telegram.extras.Extras` for the handlers, and owns the
broadcaster and the reminder jobs. Reminders and news are idempotent by key in
the database, so they go out once per person whatever restarts happen.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from telegram import CallbackQuery, ForceReply, InlineKeyboardButton, InputFile, Message
from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError
from telegram.ext import Application, ContextTypes

from bot.core.answering import Reply
from bot.core.calendar import edition_calendar, find_edition, session_calendar
from bot.core.dated import Phase, relevant_edition
from bot.core.html import escape, visible_length
from bot.core.inbox import Person
from bot.core.notifications import (
    find_reminder,
    is_upcoming,
    kongres_theme,
    news_candidates,
    plan_reminders,
    render_news,
    render_reminder,
    subscription_footer,
)
from bot.core.translation import Translator
from bot.storage import notifications as store
from bot.storage.notifications import Broadcast, BroadcastKind, BroadcastState, Delivery
from bot.telegram import render
from bot.telegram.broadcast import Broadcaster
from bot.telegram.broadcast import Message as Outgoing
from bot.telegram.callbacks import Callback, Kind
from bot.telegram.context import BotServices

logger = logging.getLogger(__name__)

MESSAGE_LIMIT = 4096
STAFF_LANGUAGE = "pl"
REMINDER_JOB_PREFIX = "reminder:"
NEWS_PREFIX = "news:"


class DatedFeatures:
    """The dated-knowledge features of one running bot."""

    def __init__(
        self, services: BotServices, application: Application[Any, Any, Any, Any, Any, Any]
    ) -> None:
        self.svc = services
        self.app = application
        self.broadcaster = Broadcaster(
            application.bot,
            services.db,
            rate=services.settings.broadcast_rate,
            render=self._render,
            report=self._report,
            now=services.now,
        )

    # ------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        """At start-up: note dated items, resume broadcasts, plan reminders."""
        self.broadcaster.start()
        await self.broadcaster.resume()
        await self.announce_news()
        await self.schedule_reminders()

    async def stop(self) -> None:
        """Stop sending; unfinished broadcasts resume at the next start."""
        await self.broadcaster.stop()

    async def after_reload(self) -> None:
        """New content: tell subscribers about new dates, plan their reminders."""
        await self.announce_news()
        await self.schedule_reminders()

    # ------------------------------------------------------------ rendering
    def _t(self, lang: str) -> Translator:
        return self.svc.t(lang)

    def _render(self, broadcast: Broadcast, delivery: Delivery) -> Outgoing | None:
        """The message of one recipient, in their language."""
        t = self._t(delivery.language)
        kb = self.svc.assistant.knowledge
        theme = broadcast.theme or kongres_theme(kb) or ""
        if broadcast.kind is BroadcastKind.ANNOUNCEMENT:
            body = broadcast.text_html or ""
        elif broadcast.kind is BroadcastKind.REMINDER and broadcast.key is not None:
            reminder = find_reminder(kb, broadcast.key)
            if reminder is None:
                return None
            body = render_reminder(kb, reminder, t)
        elif broadcast.key is not None:
            news = render_news(kb, broadcast.key.removeprefix(NEWS_PREFIX), t)
            if news is None:
                return None
            body = news
        else:
            return None
        footer = subscription_footer(kb, theme, t)
        return Outgoing(f"{body}\n\n{footer}", render.unsubscribe_keyboard(theme, t))

    async def _report(self, broadcast: Broadcast, counts: dict[str, int], final: bool) -> None:
        """Progress and final counts of staff announcements in the staff group."""
        if broadcast.kind is not BroadcastKind.ANNOUNCEMENT:
            if final:
                logger.info("broadcast %s (%s) finished: %s", broadcast.id, broadcast.key, counts)
            return
        t = self._t(STAFF_LANGUAGE)
        text = render.broadcast_progress(counts, final, t)
        chat_id = self.svc.settings.staff_chat_id
        if broadcast.progress_message_id is not None and not final:
            try:
                await self.app.bot.edit_message_text(
                    text,
                    chat_id=chat_id,
                    message_id=broadcast.progress_message_id,
                    parse_mode=ParseMode.HTML,
                )
                return
            except BadRequest as exc:
                if "not modified" in exc.message.lower():
                    return
        sent = await self.app.bot.send_message(
            chat_id, text, parse_mode=ParseMode.HTML, message_thread_id=broadcast.staff_thread_id
        )
        if not final:
            await self.svc.db.run(
                store.update_broadcast, broadcast.id, progress_message_id=sent.message_id
            )

    # ------------------------------------------------------------ answers
    def answer_buttons(self, reply: Reply, t: Translator) -> list[InlineKeyboardButton]:
        """Calendar, map and "notify me" buttons under the relevant answers."""
        buttons: list[InlineKeyboardButton] = []
        kb = self.svc.assistant.knowledge
        topic = reply.intent or ""
        if topic.startswith("kongres."):
            view = relevant_edition(kb, self.svc.now())
            if view is not None and view.phase is not Phase.PAST:
                if topic in {"kongres.when", "kongres.program"}:
                    buttons.append(render.calendar_button(view.edition.edition, t))
                if topic == "kongres.program" and view.today is not None:
                    upcoming = self._next_session(view.edition.edition, view.today.date)
                    if upcoming is not None:
                        buttons.append(render.session_calendar_button(*upcoming, t))
                place = kb.places.get(view.edition.venue) if view.edition.venue else None
                if topic == "kongres.where" and place is not None and place.coordinates.known:
                    buttons.append(render.venue_button(place.id, t))
        # Which answers offer "notify me", and for what, is content (menu.yaml themes).
        theme = kb.navigation.theme_of_topic(topic)
        if theme is not None:
            buttons.append(render.subscribe_button(theme.id, t))
        return buttons

    def _next_session(self, edition_no: int, day: Any) -> tuple[int, int, int] | None:
        edition = find_edition(self.svc.assistant.knowledge, edition_no)
        if edition is None:
            return None
        clock = self.svc.now().timetz().replace(tzinfo=None)
        for day_index, kongres_day in enumerate(edition.days):
            if kongres_day.date != day:
                continue
            for index, session in enumerate(kongres_day.sessions):
                if session.start is not None and session.start > clock:
                    return edition_no, day_index, index
        return None

    # ------------------------------------------------------------ buttons
    async def on_button(
        self, query: CallbackQuery, callback: Callback, person: Person, t: Translator
    ) -> bool:
        """Calendar files, venues and subscription switches."""
        message = query.message if isinstance(query.message, Message) else None
        if message is None:
            return False
        kb = self.svc.assistant.knowledge
        if callback.kind is Kind.CALENDAR and callback.args and callback.args[0].isdigit():
            edition = find_edition(kb, int(callback.args[0]))
            if edition is None:
                return False
            args = callback.args
            if len(args) == 3 and args[1].isdigit() and args[2].isdigit():
                day_index, session_index = int(args[1]), int(args[2])
                if day_index >= len(edition.days) or session_index >= len(
                    edition.days[day_index].sessions
                ):
                    return False
                day = edition.days[day_index]
                file = session_calendar(
                    kb, edition, day, day.sessions[session_index], t, self.svc.now()
                )
            else:
                file = edition_calendar(kb, edition, t, self.svc.now())
            await query.answer()
            await self.app.bot.send_document(
                chat_id=message.chat_id,
                document=InputFile(file.content, filename=file.filename),
                caption=t.gettext("Open the file to add the Kongres to your calendar."),
            )
            return True
        if callback.kind is Kind.VENUE and callback.args:
            place = kb.places.get(callback.args[0])
            if place is None or not place.coordinates.known:
                return False
            coordinates = place.coordinates.value
            assert isinstance(coordinates, tuple)
            latitude, longitude = float(coordinates[0]), float(coordinates[1])
            address = str(place.address.value) if place.address.known else place.name.get(t.lang)
            await query.answer()
            await self.app.bot.send_venue(
                chat_id=message.chat_id,
                latitude=latitude,
                longitude=longitude,
                title=place.name.get(t.lang),
                address=address,
            )
            return True
        if callback.kind is Kind.SUBSCRIBE:
            if len(callback.args) == 2 and kb.navigation.theme(callback.args[0]) is not None:
                theme, on = callback.args[0], callback.args[1] == "1"
                await self.svc.db.run(store.set_subscription, person.id, theme, on, self.svc.now())
                await query.answer(
                    t.gettext("Notifications switched on.")
                    if on
                    else t.gettext("Notifications switched off.")
                )
                subscribed = await self.svc.db.run(store.subscriptions, person.id)
                menu = render.subscriptions_menu(kb.navigation.themes, subscribed, t)
                if message.text and message.text.startswith(menu.text[:20]):
                    await query.edit_message_reply_markup(menu.keyboard)
                return True
            await query.answer()
            subscribed = await self.svc.db.run(store.subscriptions, person.id)
            menu = render.subscriptions_menu(kb.navigation.themes, subscribed, t)
            await self.app.bot.send_message(
                message.chat_id, menu.text, parse_mode=ParseMode.HTML, reply_markup=menu.keyboard
            )
            return True
        return False

    async def subscriptions_menu(self, person: Person) -> render.Rendered:
        """/powiadomienia: the person's switches."""
        subscribed = await self.svc.db.run(store.subscriptions, person.id)
        themes = self.svc.assistant.knowledge.navigation.themes
        return render.subscriptions_menu(themes, subscribed, self._t(person.language))

    # ------------------------------------------------------------ announcements
    async def new_announcement(self, author: str, thread_id: int | None) -> render.Rendered:
        """/ogloszenie: start a draft and ask who should receive it."""
        broadcast, _created = await self.svc.db.run(
            store.create_broadcast,
            kind=BroadcastKind.ANNOUNCEMENT,
            now=self.svc.now(),
            created_by=author,
            staff_thread_id=thread_id,
        )
        themes = self.svc.assistant.knowledge.navigation.themes
        counts = {
            theme.id: await self.svc.db.run(store.subscriber_count, theme.id) for theme in themes
        }
        return render.announcement_themes(themes, broadcast.id, counts, self._t(STAFF_LANGUAGE))

    async def on_staff_button(
        self, query: CallbackQuery, callback: Callback, t: Translator
    ) -> bool:
        """Theme choice, confirmation and cancelling of announcements."""
        if (
            callback.kind is not Kind.ANNOUNCE
            or not callback.args
            or not callback.args[0].isdigit()
        ):
            return False
        message = query.message if isinstance(query.message, Message) else None
        broadcast = await self.svc.db.run(store.get_broadcast, int(callback.args[0]))
        if broadcast is None or message is None:
            return False
        action = callback.args[1] if len(callback.args) > 1 else ""
        if action == "no":
            if broadcast.state in (BroadcastState.DRAFT, BroadcastState.READY):
                await self.svc.db.run(
                    store.update_broadcast, broadcast.id, state=BroadcastState.CANCELLED
                )
                await query.answer(t.gettext("Announcement cancelled."))
                await query.edit_message_reply_markup(None)
            else:
                await query.answer(t.gettext("This announcement can no longer be cancelled."))
            return True
        if action == "t" and len(callback.args) == 3 and broadcast.state is BroadcastState.DRAFT:
            theme = callback.args[2]
            if self.svc.assistant.knowledge.navigation.theme(theme) is None:
                return False
            await query.answer()
            await query.edit_message_reply_markup(None)
            prompt = await self.app.bot.send_message(
                message.chat_id,
                t.gettext("Write the text of the announcement as a reply to this message."),
                message_thread_id=message.message_thread_id if message.is_topic_message else None,
                reply_markup=ForceReply(selective=True),
            )
            await self.svc.db.run(
                store.update_broadcast,
                broadcast.id,
                theme=theme,
                prompt_message_id=prompt.message_id,
            )
            return True
        if action == "ok":
            if broadcast.state is not BroadcastState.READY:
                await query.answer(
                    t.gettext("This announcement is already being sent or was cancelled.")
                )
                return True
            _started, total = await self.svc.db.run(
                store.start_sending, broadcast.id, self.svc.now()
            )
            try:
                await query.answer(t.gettext("Sending started."))
                await query.edit_message_reply_markup(None)
                progress = await self.app.bot.send_message(
                    message.chat_id,
                    render.broadcast_progress({"pending": total}, False, t),
                    parse_mode=ParseMode.HTML,
                    message_thread_id=(
                        message.message_thread_id if message.is_topic_message else None
                    ),
                )
                await self.svc.db.run(
                    store.update_broadcast, broadcast.id, progress_message_id=progress.message_id
                )
            except TelegramError as exc:
                logger.warning("announcement %s: no progress message: %s", broadcast.id, exc)
            finally:
                # Whatever happened to the progress message, the recipients are
                # frozen: the announcement must go out now, not at the next restart.
                self.broadcaster.enqueue(broadcast.id)
            return True
        return False

    async def announcement_text(self, message: Message) -> render.Rendered | None:
        """A staff reply to a "write the text" prompt: keep it and show the preview.

        Returns None when the message is not such a reply.
        """
        reply_to = message.reply_to_message
        if (
            reply_to is None
            or reply_to.from_user is None
            or reply_to.from_user.id != self.app.bot.id
        ):
            return None
        broadcast = await self.svc.db.run(store.broadcast_by_prompt, reply_to.message_id)
        if broadcast is None or broadcast.theme is None:
            return None
        t = self._t(STAFF_LANGUAGE)
        if not message.text:
            return render.Rendered(
                t.gettext("An announcement can only be text. Reply to the prompt again.")
            )
        text_html = message.text_html
        footer = subscription_footer(self.svc.assistant.knowledge, broadcast.theme, t)
        total = visible_length(f"{text_html}\n\n{footer}")
        if total > MESSAGE_LIMIT:
            return render.Rendered(
                t.gettext(
                    "The announcement is {n} characters too long. Reply to the prompt again."
                ).format(n=total - MESSAGE_LIMIT)
            )
        await self.svc.db.run(
            store.update_broadcast, broadcast.id, text_html=text_html, state=BroadcastState.READY
        )
        recipients = await self.svc.db.run(store.subscriber_count, broadcast.theme)
        return render.announcement_preview(broadcast.id, f"{text_html}\n\n{footer}", recipients, t)

    # ------------------------------------------------------------ news and reminders
    async def announce_news(self) -> list[str]:
        """Tell subscribers once about dates that appeared in knowledge/.

        On the very first start every current item is only noted: subscribers
        are not told about what was already known before they could subscribe.
        """
        kb = self.svc.assistant.knowledge
        now = self.svc.now()
        known = await self.svc.db.run(store.known_item_keys)
        candidates = news_candidates(kb)
        new = [item for item in candidates if item.key not in known]
        if not new:
            return []
        if not known:
            await self.svc.db.run(store.remember_items, [i.key for i in new], False, now)
            return []
        announced: list[str] = []
        for item in new:
            if is_upcoming(kb, item.key, now):
                broadcast, created = await self.svc.db.run(
                    store.create_broadcast,
                    kind=BroadcastKind.NEWS,
                    now=now,
                    key=NEWS_PREFIX + item.key,
                    theme=item.theme,
                    state=BroadcastState.READY,
                )
                await self._launch(broadcast, now)
                if created:
                    announced.append(item.key)
        await self.svc.db.run(store.remember_items, [i.key for i in new], True, now)
        return announced

    async def schedule_reminders(self) -> list[str]:
        """Plan the reminder jobs from knowledge/; send at once what is due now."""
        queue = self.app.job_queue
        now = self.svc.now()
        if queue is not None:
            for job in queue.jobs():
                if job.name and job.name.startswith(REMINDER_JOB_PREFIX):
                    job.schedule_removal()
        due_now: list[str] = []
        for reminder in plan_reminders(self.svc.assistant.knowledge):
            if reminder.until <= now:
                continue
            if reminder.due(now):
                due_now.append(reminder.key)
            elif queue is not None:
                queue.run_once(
                    self._reminder_job,
                    when=(reminder.at - now).total_seconds(),
                    name=REMINDER_JOB_PREFIX + reminder.key,
                    data=reminder.key,
                )
        for key in due_now:
            await self.fire_reminder(key)
        return due_now

    async def _reminder_job(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        job = context.job
        if job is not None and isinstance(job.data, str):
            await self.fire_reminder(job.data)

    async def fire_reminder(self, key: str) -> bool:
        """Send a reminder to Kongres subscribers, once per person, if it is due."""
        reminder = find_reminder(self.svc.assistant.knowledge, key)
        theme = kongres_theme(self.svc.assistant.knowledge)
        now = self.svc.now()
        if reminder is None or theme is None or not reminder.due(now):
            return False
        broadcast, created = await self.svc.db.run(
            store.create_broadcast,
            kind=BroadcastKind.REMINDER,
            now=now,
            key=key,
            theme=theme,
            state=BroadcastState.READY,
        )
        await self._launch(broadcast, now)
        return created

    async def _launch(self, broadcast: Broadcast, now: datetime) -> None:
        """Freeze recipients (if not yet done) and queue the sending; idempotent."""
        if broadcast.state in (BroadcastState.DRAFT, BroadcastState.READY):
            broadcast, _total = await self.svc.db.run(store.start_sending, broadcast.id, now)
        if broadcast.state is BroadcastState.SENDING:
            self.broadcaster.enqueue(broadcast.id)

    def now(self) -> datetime:
        """The bot's clock."""
        return self.svc.now()


def escape_problems(problems: tuple[str, ...], limit: int = 15) -> str:
    """Content problems for the staff group (escaped, the first few)."""
    shown = [f"• {escape(p)}" for p in problems[:limit]]
    if len(problems) > limit:
        shown.append(f"… (+{len(problems) - limit})")
    return "\n".join(shown)
