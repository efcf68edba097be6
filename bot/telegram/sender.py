"""Delivers the outbox: every stored message reaches Telegram, in order, within its limits.

Entries arrive from committed units of work (at once) and from the database
(entries this process or a crashed one left; polled every second). Entries
with the same key (one chat, or one person's forum topic) go one at a time,
oldest first; different keys go in parallel, the staff group's in a lane of
their own so its limit of ~20 messages a minute never delays residents.

A failed request is classified (:mod:`bot.telegram.errors`): 429 waits as
long as Telegram asks, 5xx / dropped connections / timeouts are retried with
a backoff for as long as it takes, a deleted or closed forum topic is made
again or reopened, and only permanent refusals (403 blocked, 400 chat not
found) give up, queueing the message's ``on_failed`` notes for staff. Each
outcome is stored in one transaction with the message's follow-ups.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from sqlmodel import Session
from telegram import Bot, InputFile, ReplyParameters
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot.core.html import visible_length
from bot.core.inbox import Inbox
from bot.core.messages import (
    CAPTION_LIMIT,
    MESSAGE_LIMIT,
    CloseTopic,
    Keyboard,
    Outgoing,
    OutMessage,
    Relay,
    ToChat,
    ToTopic,
)
from bot.storage import outbox as store
from bot.storage.database import Database
from bot.storage.outbox import Entry, Lane
from bot.storage.repository import SqlInboxStore
from bot.storage.units import utcnow
from bot.telegram.errors import Failure, Verdict, backoff, classify
from bot.telegram.render import markup

logger = logging.getLogger(__name__)

#: Private chats go in parallel; the staff group one at a time (its limit is ~20 a minute
#: anyway, and a timed-out post can then be told from any other).
LANE_WIDTH = {Lane.PRIVATE: 32, Lane.STAFF: 1}
#: How often the database is read for entries left by others (or by a crash).
POLL_EVERY = 1.0


#: How many message ids after the last known one are probed after a timeout.
PROBE_SPAN = 4
#: ... and for a message a crashed process may have sent (more may have happened since).
RECOVERY_SPAN = 12


@dataclass
class _Queued:
    entry: Entry
    due: float = 0.0  # loop time
    attempts: int = 0


@dataclass
class Stats:
    """What the sender did (tests and benchmarks read it)."""

    sent: int = 0
    retried: int = 0
    uncertain_retries: int = 0
    #: timed-out messages found delivered, not sent again
    found_after_timeout: int = 0
    #: messages of a crashed process found delivered, not sent again
    found_after_crash: int = 0
    failed: int = 0
    waited: int = 0
    topics_created: int = 0
    merged: int = 0
    by_verdict: dict[str, int] = field(default_factory=dict)


class TopicUnavailable(Exception):
    """The person's topic was deleted (or cannot be reopened): make a new one."""


class OutboxSender:
    """The background worker that delivers outbox entries."""

    def __init__(
        self,
        bot: Bot,
        db: Database,
        inbox: Inbox,
        *,
        owner: str,
        staff_chat_id: int,
        skip_locked: bool = False,
        clock: Callable[[], datetime] = utcnow,
        poll_every: float = POLL_EVERY,
    ) -> None:
        self.bot = bot
        self.db = db
        self.inbox = inbox
        self.owner = owner
        self.staff_chat_id = staff_chat_id
        self.skip_locked = skip_locked
        self.clock = clock
        self.poll_every = poll_every
        self.stats = Stats()
        self._queues: dict[str, deque[_Queued]] = {}
        self._known: set[int] = set()
        self._busy: set[str] = set()
        self._lanes = {lane: asyncio.Semaphore(width) for lane, width in LANE_WIDTH.items()}
        self._wake = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._loop_task: asyncio.Task[None] | None = None
        self._poll_task: asyncio.Task[None] | None = None
        self._stopping = False
        self._idle = asyncio.Event()
        self._idle.set()
        #: the last message id known in each chat (sent, or received in an update)
        self._last_id: dict[int, int] = {}
        #: entries finished lately (id -> loop time): a read of the database that
        #: raced with their sending must not bring them back
        self._finished: dict[int, float] = {}
        #: the first retry waits this long, doubling up to ``retry_cap``
        self.retry_first = 1.0
        self.retry_cap = 300.0
        #: after a timeout, how long to let Telegram finish before looking for the message
        self.probe_wait = 1.0

    def observe(self, chat_id: int, message_id: int) -> None:
        """A message id seen in a chat (ids grow: the anchor of timeout probes)."""
        if message_id > self._last_id.get(chat_id, 0):
            self._last_id[chat_id] = message_id

    # ------------------------------------------------------------ intake
    def accept(self, entries: list[Entry]) -> None:
        """New entries (stored and claimed by this process): send them now."""
        for entry in entries:
            if entry.id in self._known:
                continue
            self._known.add(entry.id)
            queued = _Queued(entry, attempts=entry.attempts)
            self._queues.setdefault(entry.key, deque()).append(queued)
        if entries:
            self._idle.clear()
            self._wake.set()

    async def poll(self, *, take_over: bool = False) -> int:
        """Take due entries nobody holds from the database; returns how many were new.

        ``take_over``: also entries other processes hold (a single process starting).
        """
        now = self.clock()
        claimed = await self.db.run(
            store.claim_due,
            self.owner,
            now,
            500,
            skip_locked=self.skip_locked,
            take_over=take_over,
        )
        self._forget_finished()
        fresh = [e for e in claimed if e.id not in self._known and e.id not in self._finished]
        # Keep holding what waits here (a long queue in the staff lane).
        waiting = [q.entry.id for queue in self._queues.values() for q in queue]
        if waiting:
            await self.db.run(store.extend_claims, waiting, self.owner, now)
        resolved = await self._recover(fresh)
        self.accept([e for e in fresh if e.id not in resolved])
        return len(fresh)

    def _forget_finished(self, keep: float = 600.0) -> None:
        now = asyncio.get_running_loop().time()
        for entry_id, at in list(self._finished.items()):
            if now - at > keep:
                del self._finished[entry_id]

    def _finish(self, ids: list[int]) -> None:
        now = asyncio.get_running_loop().time()
        self._known.difference_update(ids)
        self._finished.update(dict.fromkeys(ids, now))

    async def _recover(self, fresh: list[Entry]) -> set[int]:
        """Look for the messages a dead process may have sent just before dying.

        Per chat at most one request was in flight: in a private chat the
        oldest entry of its key; in the staff group (one request at a time)
        the entry marked as attempted. Each is looked for after the chat's
        newest known message before anything else is sent there; the ones
        found are stored as sent (returned), the rest are sent as usual.
        """
        orphans = [e for e in fresh if e.previous_owner not in (None, self.owner)]
        suspects: list[Entry] = []
        heads: set[str] = set()
        for entry in orphans:
            if entry.lane is Lane.PRIVATE and entry.key not in heads:
                heads.add(entry.key)
                suspects.append(entry)
        # The staff group had one request in flight: the one attempted last.
        attempted = [e for e in orphans if e.lane is Lane.STAFF and e.attempted_at is not None]
        if attempted:
            suspects.append(max(attempted, key=lambda e: (e.attempted_at, e.id)))
        suspects = [e for e in suspects if _probeable(e.message)]
        if not suspects:
            return set()
        # Everything recorded as sent lies before the message in flight.
        anchors = await self.db.run(
            store.last_message_ids, [e.key for e in suspects], self.staff_chat_id
        )
        resolved: set[int] = set()
        for entry in suspects:
            chat = self._chat(entry.message)
            anchor = max(entry.attempt_anchor or 0, anchors.get(entry.key, 0))
            found = await self._probe(chat, anchor or 0, _keyboard_of(entry.message), RECOVERY_SPAN)
            if found is None:
                continue
            self.stats.found_after_crash += 1
            self.accept(await self._store_sent([entry], chat, found))
            resolved.add(entry.id)
        return resolved

    # ------------------------------------------------------------ life cycle
    def start(self) -> None:
        """Start delivering in the running loop."""
        self._stopping = False
        loop = asyncio.get_running_loop()
        if self._loop_task is None or self._loop_task.done():
            self._loop_task = loop.create_task(self._run(), name="outbox-sender")
        if self._poll_task is None or self._poll_task.done():
            self._poll_task = loop.create_task(self._poll_forever(), name="outbox-poll")

    async def stop(self, grace: float = 10.0) -> None:
        """Stop after the requests in flight (the rest stays stored for the next start)."""
        self._stopping = True
        self._wake.set()
        for task in (self._poll_task, self._loop_task):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._poll_task = self._loop_task = None
        if self._tasks:
            _done, pending = await asyncio.wait(set(self._tasks), timeout=grace)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

    async def settle(self, timeout: float = 10.0) -> bool:  # noqa: ASYNC109
        """Wait until nothing is queued or in flight; False on timeout."""
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except TimeoutError:
            return False
        return True

    def backlog(self) -> int:
        """Entries waiting or in flight in this process."""
        return sum(len(q) for q in self._queues.values())

    async def _poll_forever(self) -> None:
        while not self._stopping:
            try:
                await self.poll()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database may be briefly unavailable
                logger.warning("outbox poll failed: %s", exc)
            await asyncio.sleep(self.poll_every)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while not self._stopping:
            self._wake.clear()
            next_due: float | None = None
            now = loop.time()
            for key, queue in list(self._queues.items()):
                if not queue:
                    del self._queues[key]
                    continue
                if key in self._busy:
                    continue
                head = queue[0]
                if head.due > now:
                    next_due = head.due if next_due is None else min(next_due, head.due)
                    continue
                self._busy.add(key)
                task = loop.create_task(self._serve(key), name=f"outbox:{key}")
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
            if not self._queues and not self._busy:
                self._idle.set()
            timeout = None if next_due is None else max(next_due - loop.time(), 0.0)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout)

    # ------------------------------------------------------------ one key
    async def _serve(self, key: str) -> None:
        queue = self._queues.get(key)
        try:
            if not queue:
                return
            batch = self._take_batch(queue)
            lane = batch[0].entry.lane
            async with self._lanes[lane]:
                await self._deliver(queue, batch)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("outbox key %s: unexpected error; retrying later", key)
            if queue:
                queue[0].due = asyncio.get_running_loop().time() + 5.0
        finally:
            self._busy.discard(key)
            self._wake.set()

    def _take_batch(self, queue: deque[_Queued]) -> list[_Queued]:
        """The head entry, with the batchable posts queued right behind it."""
        head = queue[0]
        batch = [head]
        message = head.entry.message
        if not (isinstance(message, ToTopic) and _batchable(message)):
            return batch
        length = visible_length(message.message.text_html)
        for queued in list(queue)[1:]:
            other = queued.entry.message
            if not (isinstance(other, ToTopic) and _batchable(other)):
                break
            length += 1 + visible_length(other.message.text_html)
            if length > MESSAGE_LIMIT:
                break
            batch.append(queued)
        return batch

    def _chat(self, message: Outgoing) -> int:
        return message.chat_id if isinstance(message, ToChat | Relay) else self.staff_chat_id

    async def _deliver(self, queue: deque[_Queued], batch: list[_Queued]) -> None:
        head = batch[0]
        message = head.entry.message
        chat = self._chat(message)
        posts = [q.entry.message for q in batch if isinstance(q.entry.message, ToTopic)]
        merged = _merged(posts) if len(posts) > 1 else None
        # The chat's last known message before this request, and the buttons sent.
        anchor = self._last_id.get(chat)
        keyboard = _keyboard_of(merged or message)
        message_id: int | None = None
        if head.entry.lane is Lane.STAFF:
            # The staff group's topics share one chat: note which request is leaving.
            ids = [q.entry.id for q in batch]
            await self.db.run(store.mark_attempts, ids, anchor, self.clock())
        try:
            if merged is not None:
                message_id = await self._post(merged)
                self.stats.merged += len(posts) - 1
            else:
                message_id = await self._send(message)
        except Exception as exc:
            failure = classify(exc)
            found = None
            if failure.uncertain and anchor is not None and _probeable(message):
                # Still holding this chat (and the staff lane): nothing else was sent
                # to it since, so a bot message after the anchor is this one.
                await asyncio.sleep(self.probe_wait)
                found = await self._probe(chat, anchor, keyboard)
            if found is None:
                await self._failed(queue, batch, failure)
                return
            self.stats.found_after_timeout += 1
            message_id = found
        await self._completed(queue, batch, chat, message_id)

    async def _completed(
        self, queue: deque[_Queued], batch: list[_Queued], chat: int, message_id: int | None
    ) -> None:
        """Telegram has the message: store it with its follow-ups, move on."""
        new = await self._store_sent([q.entry for q in batch], chat, message_id)
        for _ in batch:
            queue.popleft()
        self.accept(new)

    async def _store_sent(
        self, entries: list[Entry], chat: int, message_id: int | None
    ) -> list[Entry]:
        """Mark entries sent as ``message_id``, link them, queue their follow-ups."""
        if message_id is not None:
            self.observe(chat, message_id)
        now = self.clock()
        follow_ups = [f for e in entries for f in e.message.then]
        ids = [e.id for e in entries]

        def done(session: Session) -> list[Entry]:
            for entry in entries:
                self._link(session, entry.message, message_id, now)
            return store.complete(
                session, ids, now, message_id, follow_ups, self.owner, self.staff_chat_id
            )

        new = await self.db.run(done)
        self._finish(ids)
        self.stats.sent += len(entries)
        return new

    async def _probe(
        self, chat_id: int, anchor: int, keyboard: Keyboard, span: int = PROBE_SPAN
    ) -> int | None:
        """The id of a timed-out message that Telegram did create, or None.

        Message ids in a chat only grow, and one message of a key is in flight
        at a time, so the message, if it exists, is among the first ids after
        the chat's last known one. Setting a bot message's buttons to the ones
        it already has is refused as "not modified": that answer identifies the
        message without changing anything; the person's own messages "can't be
        edited", and "not found" means nothing came after them.
        """
        for candidate in range(anchor + 1, anchor + 1 + span):
            try:
                await self.bot.edit_message_reply_markup(
                    chat_id=chat_id, message_id=candidate, reply_markup=markup(keyboard)
                )
            except BadRequest as exc:
                text = exc.message.lower()
                if "not modified" in text:
                    logger.info("a timed-out message to %s did arrive (id %s)", chat_id, candidate)
                    return candidate
                if "not found" in text:
                    return None
                continue  # somebody else's message
            except Exception as exc:  # cannot tell now: send again
                logger.info("could not check a timed-out message to %s: %s", chat_id, exc)
                return None
            else:
                # A bot message with other buttons: not the one that timed out.
                logger.warning("probe changed the buttons of message %s in %s", candidate, chat_id)
        return None

    async def _failed(self, queue: deque[_Queued], batch: list[_Queued], failure: Failure) -> None:
        head = batch[0]
        loop = asyncio.get_running_loop()
        self.stats.by_verdict[failure.verdict.value] = (
            self.stats.by_verdict.get(failure.verdict.value, 0) + 1
        )
        now = self.clock()
        ids = [q.entry.id for q in batch]
        if failure.verdict in (Verdict.WAIT, Verdict.RETRY):
            counts = failure.verdict is Verdict.RETRY
            if counts:
                head.attempts += 1
                self.stats.retried += 1
                if failure.uncertain:
                    self.stats.uncertain_retries += 1
                delay = backoff(head.attempts, first=self.retry_first, cap=self.retry_cap)
            else:
                self.stats.waited += 1
                delay = failure.wait + 0.1
            at = now + timedelta(seconds=delay)
            await self.db.run(
                store.retry, ids, now, at, failure.detail, count=counts, owner=self.owner
            )
            head.due = loop.time() + delay
            if failure.verdict is Verdict.RETRY:
                logger.info("outbox %s: %s; retry in %.0f s", head.entry.key, failure.detail, delay)
            return
        # Permanent: tell whoever needs to know, and move on.
        if failure.verdict is Verdict.BLOCKED:
            logger.warning(
                "outbox %s: the person blocked the bot (%s)", head.entry.key, failure.detail
            )
        else:
            logger.warning("outbox %s: not delivered: %s", head.entry.key, failure.detail)
        follow_ups = [f for q in batch for f in q.entry.message.on_failed]
        blocked_chat = _chat_of(head.entry.message) if failure.verdict is Verdict.BLOCKED else None

        def give_up(session: Session) -> list[Entry]:
            if blocked_chat is not None:
                SqlInboxStore(session).mark_blocked(blocked_chat, now)
            return store.fail(
                session, ids, now, failure.detail, follow_ups, self.owner, self.staff_chat_id
            )

        new = await self.db.run(give_up)
        for _ in batch:
            queue.popleft()
        self._finish(ids)
        self.stats.failed += len(batch)
        self.accept(new)

    def _link(
        self, session: Session, sent: Outgoing, message_id: int | None, now: datetime
    ) -> None:
        if message_id is None:
            return
        repo = SqlInboxStore(session)
        if isinstance(sent, ToTopic) and sent.source is not None and sent.ticket_id is not None:
            repo.link_messages(
                sent.ticket_id,
                to_staff=True,
                person_chat_id=sent.source.chat_id,
                person_message_id=sent.source.message_id,
                staff_chat_id=self.staff_chat_id,
                staff_message_id=message_id,
                now=now,
            )
        elif isinstance(sent, Relay) and sent.ticket_id is not None:
            repo.link_messages(
                sent.ticket_id,
                to_staff=False,
                person_chat_id=sent.chat_id,
                person_message_id=message_id,
                staff_chat_id=sent.staff.chat_id,
                staff_message_id=sent.staff.message_id,
                now=now,
            )

    # ------------------------------------------------------------ requests
    async def _send(self, message: Outgoing) -> int | None:
        if isinstance(message, ToChat):
            return await self._to_chat(message)
        if isinstance(message, ToTopic):
            return await self._post(message)
        if isinstance(message, Relay):
            return await self._relay(message)
        return await self._close_topic(message)

    async def _to_chat(self, message: ToChat) -> int:
        keyboard = markup(message.message.keyboard)
        thread = message.thread_id
        if message.document is not None:
            sent = await self.bot.send_document(
                chat_id=message.chat_id,
                document=InputFile(
                    message.document.content.encode("utf-8"), filename=message.document.filename
                ),
                caption=message.document.caption or None,
                message_thread_id=thread,
            )
            return sent.message_id
        if message.venue is not None:
            venue = message.venue
            sent = await self.bot.send_venue(
                chat_id=message.chat_id,
                latitude=venue.latitude,
                longitude=venue.longitude,
                title=venue.title,
                address=venue.address,
                message_thread_id=thread,
            )
            return sent.message_id
        try:
            sent = await self.bot.send_message(
                chat_id=message.chat_id,
                text=message.message.text_html,
                parse_mode=ParseMode.HTML,
                reply_markup=keyboard,
                message_thread_id=thread,
            )
        except BadRequest as exc:
            if thread is None or classify(exc).verdict not in (
                Verdict.TOPIC_GONE,
                Verdict.TOPIC_CLOSED,
            ):
                raise
            # The topic of a staff command is gone: answer in the General topic.
            sent = await self.bot.send_message(
                chat_id=message.chat_id,
                text=message.message.text_html,
                parse_mode=ParseMode.HTML,
                reply_markup=keyboard,
            )
        return sent.message_id

    async def _thread_of(self, post: ToTopic | CloseTopic, *, create: bool) -> int | None:
        """The person's topic, made when they have none."""

        def read(session: Session) -> tuple[int | None, str, str, int]:
            repo = SqlInboxStore(session)
            person = repo.person(post.person_id)
            ticket = repo.latest_ticket(post.person_id)
            ticket_id = ticket.id if ticket else 0
            return person.staff_thread_id, person.first_name, person.language, ticket_id

        thread, name, language, ticket_id = await self.db.run(read)
        if thread is not None or not create:
            return thread
        return await self._new_topic(post.person_id, name, language, ticket_id, recreated=False)

    async def _new_topic(
        self, person_id: int, name: str, language: str, ticket_id: int, *, recreated: bool
    ) -> int:
        topic = await self.bot.create_forum_topic(
            chat_id=self.staff_chat_id, name=self.inbox.topic_names(ticket_id, name, language)
        )
        thread = topic.message_thread_id
        self.stats.topics_created += 1

        def remember(session: Session) -> tuple[str | None]:
            repo = SqlInboxStore(session)
            repo.set_staff_thread(person_id, thread)
            if not recreated:
                return (None,)
            person = repo.person(person_id)
            ticket = repo.latest_ticket(person_id)
            return (self.inbox.topic_recreated_note(person, ticket) if ticket else None,)

        (note,) = await self.db.run(remember)
        if note:
            await self.bot.send_message(
                chat_id=self.staff_chat_id,
                message_thread_id=thread,
                text=note,
                parse_mode=ParseMode.HTML,
            )
        return thread

    async def _post(self, post: ToTopic) -> int:
        thread = await self._thread_of(post, create=True)
        assert thread is not None
        for _ in range(3):
            try:
                return await self._post_in(thread, post)
            except BadRequest as exc:
                verdict = classify(exc).verdict
                if verdict is Verdict.TOPIC_CLOSED:
                    if await self._reopen(thread):
                        continue
                    verdict = Verdict.TOPIC_GONE
                if verdict is not Verdict.TOPIC_GONE:
                    raise
                logger.info(
                    "topic %s of person %s is gone; making a new one", thread, post.person_id
                )
                thread = await self._recreate(post.person_id)
        return await self._post_in(thread, post)

    async def _recreate(self, person_id: int) -> int:
        def read(session: Session) -> tuple[str, str, int]:
            repo = SqlInboxStore(session)
            repo.set_staff_thread(person_id, None)
            person = repo.person(person_id)
            ticket = repo.latest_ticket(person_id)
            return person.first_name, person.language, ticket.id if ticket else 0

        name, language, ticket_id = await self.db.run(read)
        return await self._new_topic(person_id, name, language, ticket_id, recreated=True)

    async def _reopen(self, thread: int) -> bool:
        try:
            await self.bot.reopen_forum_topic(chat_id=self.staff_chat_id, message_thread_id=thread)
        except BadRequest as exc:
            if "not_modified" in exc.message.lower():
                return True  # it was open already
            logger.info("cannot reopen topic %s: %s", thread, exc.message)
            return False
        return True

    async def _post_in(self, thread: int, post: ToTopic) -> int:
        source = post.source
        if source is not None and source.media:
            copied = await self.bot.copy_message(
                chat_id=self.staff_chat_id,
                from_chat_id=source.chat_id,
                message_id=source.message_id,
                message_thread_id=thread,
            )
            return copied.message_id
        reply = (
            ReplyParameters(message_id=post.reply_to.message_id, allow_sending_without_reply=True)
            if post.reply_to is not None
            else None
        )
        sent = await self.bot.send_message(
            chat_id=self.staff_chat_id,
            message_thread_id=thread,
            text=post.message.text_html,
            parse_mode=ParseMode.HTML,
            reply_markup=markup(post.message.keyboard),
            reply_parameters=reply,
        )
        return sent.message_id

    async def _close_topic(self, message: CloseTopic) -> int | None:
        thread = await self._thread_of(message, create=False)
        if thread is None:
            return None
        try:
            await self.bot.close_forum_topic(chat_id=self.staff_chat_id, message_thread_id=thread)
        except BadRequest as exc:
            # Closed or deleted by staff already: nothing left to do.
            logger.info("cannot close topic %s: %s", thread, exc.message)
        return None

    async def _relay(self, relay: Relay) -> int:
        staff = relay.staff
        head = f"<b>{relay.signature}</b>"
        if not staff.has_media and staff.text_html is not None:
            text = f"{head}\n{staff.text_html}"
            if visible_length(text) <= MESSAGE_LIMIT:
                sent = await self.bot.send_message(
                    chat_id=relay.chat_id, text=text, parse_mode=ParseMode.HTML
                )
                return sent.message_id
            # Too long with the signature: sign first, then copy it whole.
            await self.bot.send_message(chat_id=relay.chat_id, text=head, parse_mode=ParseMode.HTML)
            copied = await self.bot.copy_message(
                chat_id=relay.chat_id, from_chat_id=staff.chat_id, message_id=staff.message_id
            )
            return copied.message_id
        caption = head + (f"\n{staff.caption_html}" if staff.caption_html else "")
        if staff.can_caption and visible_length(caption) <= CAPTION_LIMIT:
            copied = await self.bot.copy_message(
                chat_id=relay.chat_id,
                from_chat_id=staff.chat_id,
                message_id=staff.message_id,
                caption=caption,
                parse_mode=ParseMode.HTML,
            )
            return copied.message_id
        await self.bot.send_message(chat_id=relay.chat_id, text=head, parse_mode=ParseMode.HTML)
        copied = await self.bot.copy_message(
            chat_id=relay.chat_id, from_chat_id=staff.chat_id, message_id=staff.message_id
        )
        return copied.message_id


def _probeable(message: Outgoing) -> bool:
    """One request makes one message: a timed-out one can be looked for."""
    if isinstance(message, ToChat):
        return message.document is None and message.venue is None
    if isinstance(message, ToTopic):
        return True
    if isinstance(message, Relay):
        staff = message.staff
        if not staff.has_media and staff.text_html is not None:
            text = f"<b>{message.signature}</b>\n{staff.text_html}"
            return visible_length(text) <= MESSAGE_LIMIT
        caption = f"<b>{message.signature}</b>" + (
            f"\n{staff.caption_html}" if staff.caption_html else ""
        )
        return staff.can_caption and visible_length(caption) <= CAPTION_LIMIT
    return False


def _keyboard_of(message: Outgoing) -> Keyboard:
    return message.message.keyboard if isinstance(message, ToChat | ToTopic) else ()


def _batchable(post: ToTopic) -> bool:
    return post.batch and post.reply_to is None and (post.source is None or not post.source.media)


def _merged(posts: list[ToTopic]) -> ToTopic:
    """One post for several batched ones: their texts (repeats once), the last keyboard."""
    lines: list[str] = []
    for post in posts:
        if post.message.text_html not in lines:
            lines.append(post.message.text_html)
    keyboards = [p.message.keyboard for p in posts if p.message.keyboard]
    first = posts[0]
    return replace(
        first,
        message=OutMessage("\n".join(lines), keyboards[-1] if keyboards else ()),
        source=None,
    )


def _chat_of(message: Outgoing) -> int | None:
    return message.chat_id if isinstance(message, ToChat | Relay) else None
