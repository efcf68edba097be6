"""The assistant's use case: a message in, a reply (answer, clarify, handoff) out.

Transport-agnostic: the console, the ``ask`` command and the Telegram handlers
all call :class:`Assistant` and only render what it returns.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from bot.core.dated import events_block, kongres_program, kongres_when, kongres_where
from bot.core.dates import fmt_date, local_now
from bot.core.hours import HolidayCalendar, PolishHolidays, render_hours
from bot.core.html import escape
from bot.core.knowledge import (
    CONVERSATION_TOPICS,
    DEFAULT_LANGUAGE,
    LANGUAGES,
    EventKind,
    FactStatus,
    KnowledgeBase,
    Source,
    Topic,
)
from bot.core.matching import Action, Alternative, Decision, IntentMatcher
from bot.core.menu import MENU, MenuGroup
from bot.core.text import normalise
from bot.core.translation import Translator

_PLACEHOLDER = re.compile(r"(?<!\{)\{([a-z_]+)(?::([a-z0-9_.-]+))?\}(?!\})")
_TAG = re.compile(r"<[^<>]*>")
MAX_SOURCES_SHOWN = 3
#: A message the matcher cannot place but whose guesses all lie in one menu
#: group, this sure together ("kongres", "ngo"), is answered with that group's
#: topics to choose from instead of a ticket for the staff.
GROUP_CLARIFY = 0.5
#: Guesses below this confidence do not count against "all in one group".
GROUP_NOISE = 0.05


@dataclass(frozen=True)
class TopicOption:
    """A topic offered to the person (clarify buttons, menus)."""

    topic: str
    title: str
    confidence: float = 0.0


@dataclass(frozen=True)
class Reply:
    """What the assistant says to one message."""

    action: Action
    intent: str | None
    confidence: float
    lang: str
    html: str
    alternatives: tuple[Alternative, ...] = ()
    options: tuple[TopicOption, ...] = ()
    sources: tuple[Source, ...] = ()
    related: tuple[TopicOption, ...] = ()
    translated: bool = True
    #: the message had no words to match (emoji, punctuation, empty): the
    #: person is asked to write the question in words; nothing to hand over
    no_words: bool = False
    #: the reply offers to pass the question to the Biuro (a "yes" accepts it)
    offers_handover: bool = False

    @property
    def intent_is_conversation(self) -> bool:
        """A greeting, thanks, help or "a person, please": not a question about a topic."""
        return (self.intent or "").startswith("bot.")

    @property
    def text(self) -> str:
        """The reply as plain text (tags removed, entities decoded)."""
        return to_plain_text(self.html)

    @property
    def is_handoff(self) -> bool:
        """The question is for a person at the Biuro."""
        return self.action is Action.HANDOFF or self.intent == "bot.human"


def to_plain_text(text: str) -> str:
    """Telegram HTML to plain text for consoles and JSON output."""
    text = re.sub(r'<a href="([^"]*)">([^<]*)</a>', r"\2 (\1)", text)
    return html.unescape(_TAG.sub("", text))


@dataclass(repr=False)
class Assistant:
    """Answers messages from the knowledge base, relative to the current date."""

    knowledge: KnowledgeBase
    matcher: IntentMatcher
    translator: Callable[[str], Translator]
    holidays: HolidayCalendar = field(default_factory=PolishHolidays)
    clock: Callable[[], datetime] | None = None

    def now(self, now: datetime | None = None) -> datetime:
        """The current time in Europe/Warsaw (fixed by ``clock`` in tests)."""
        if now is not None:
            return local_now(now)
        return local_now(self.clock() if self.clock is not None else None)

    def decide(self, message: str) -> Decision:
        """Only the matching decision (no rendering)."""
        return self.matcher.decide(message)

    def respond(
        self, message: str, *, lang: str = DEFAULT_LANGUAGE, now: datetime | None = None
    ) -> Reply:
        """Match ``message`` and build the reply in ``lang``."""
        lang = lang if lang in LANGUAGES else DEFAULT_LANGUAGE
        if not normalise(message):
            t = self.translator(lang)
            return Reply(
                action=Action.HANDOFF,
                intent=None,
                confidence=0.0,
                lang=lang,
                html=t.gettext(
                    "I cannot find a question in this message. Please write it in words, "
                    "or pick a topic from the menu."
                ),
                no_words=True,
            )
        decision = self.matcher.decide(message)
        return self.reply_for(decision, lang=lang, now=now)

    def reply_for(self, decision: Decision, *, lang: str, now: datetime | None = None) -> Reply:
        """Build the reply for a decision already made."""
        t = self.translator(lang)
        intent = decision.intent
        if (
            decision.action is Action.ANSWER
            and intent is not None
            and intent in self.knowledge.topics
        ):
            reply = self.topic_reply(intent, lang=lang, now=now)
            return Reply(
                action=Action.ANSWER,
                intent=decision.intent,
                confidence=decision.confidence,
                lang=lang,
                html=reply.html,
                alternatives=decision.alternatives,
                sources=reply.sources,
                related=reply.related,
                translated=reply.translated,
                offers_handover=reply.offers_handover,
            )
        options: tuple[TopicOption, ...] = ()
        if decision.action is Action.CLARIFY:
            options = tuple(
                TopicOption(a.intent, self.title(a.intent, lang), a.confidence)
                for a in decision.alternatives[:2]
                if a.intent in self.knowledge.topics
            )
        elif decision.action is Action.HANDOFF and (group := _one_group(decision)) is not None:
            confidence = {a.intent: a.confidence for a in decision.alternatives}
            options = tuple(
                TopicOption(topic, self.title(topic, lang), confidence.get(topic, 0.0))
                for topic in group.topics
                if topic in self.knowledge.topics
            )
        if len(options) >= 2:
            lines = [t.gettext("I am not sure what you mean. Is it about:")]
            lines += [f"• {escape(o.title)}" for o in options]
            lines.append(t.gettext("Or I can pass your question to the Biuro Dialogu staff."))
            return Reply(
                action=Action.CLARIFY,
                intent=None,
                confidence=decision.confidence,
                lang=lang,
                html="\n".join(lines),
                alternatives=decision.alternatives,
                options=options,
                offers_handover=True,
            )
        return Reply(
            action=Action.HANDOFF,
            intent=None,
            confidence=decision.confidence,
            lang=lang,
            html=t.gettext(
                "I do not have a confident answer to this, so I am passing your question "
                "to the staff of the Biuro Dialogu i Innowacji Miejskich. "
                "Their reply will arrive in this chat."
            ),
            alternatives=decision.alternatives,
        )

    def title(self, topic_id: str, lang: str) -> str:
        """A topic's short title in ``lang``."""
        topic = self.knowledge.topics.get(topic_id)
        return topic.title.get(lang) if topic else topic_id

    def topic_reply(self, topic_id: str, *, lang: str, now: datetime | None = None) -> Reply:
        """Answer a topic directly (menu buttons, deep links, commands)."""
        topic = self.knowledge.topics[topic_id]
        lang = lang if lang in LANGUAGES else DEFAULT_LANGUAGE
        t = self.translator(lang)
        moment = self.now(now)
        translated = topic.answer.has(lang)
        body = self.render_answer(topic, lang, moment)
        parts: list[str] = []
        if not translated:
            parts.append("<i>" + t.gettext("This answer is available in Polish only.") + "</i>")
        parts.append(body)
        sources = tuple(self.knowledge.facts_sources(topic))
        footer = self.footer(topic, sources, t)
        if footer:
            parts.append(footer)
        related = tuple(
            TopicOption(r, self.title(r, lang)) for r in topic.related if r in self.knowledge.topics
        )
        return Reply(
            action=Action.ANSWER,
            intent=topic_id,
            confidence=1.0,
            lang=lang,
            html="\n\n".join(p for p in parts if p),
            sources=sources,
            related=related,
            translated=translated,
            # Where a fact is missing, the answer offers to pass the question on.
            offers_handover=any(f.status is FactStatus.MISSING for f in topic.facts),
        )

    def render_answer(self, topic: Topic, lang: str, now: datetime) -> str:
        """The answer text with its dynamic blocks filled in for ``now``."""
        t = self.translator(lang)
        text = topic.answer.get(lang)

        def fill(match: re.Match[str]) -> str:
            name, arg = match.group(1), match.group(2)
            return self.block(name, arg, now, t)

        text = _PLACEHOLDER.sub(fill, text)
        return text.replace("{{", "{").replace("}}", "}").strip()

    def block(self, name: str, arg: str | None, now: datetime, t: Translator) -> str:
        """Render one dynamic block."""
        kb = self.knowledge
        if name == "kongres_when":
            return kongres_when(kb, now, t)
        if name == "kongres_program":
            return kongres_program(kb, now, t)
        if name == "kongres_where":
            return kongres_where(kb, now, t)
        if name == "hours" and arg is not None and arg in kb.places:
            return render_hours(kb.places[arg], now, t, self.holidays)
        if name == "events" and arg is not None:
            return events_block(kb, EventKind(arg), now, t)
        raise ValueError(f"unknown block {name}:{arg}")  # the loader refuses these

    def footer(self, topic: Topic, sources: tuple[Source, ...], t: Translator) -> str:
        """Links and sources shown under an answer."""
        if topic.id in CONVERSATION_TOPICS:
            return ""
        lines: list[str] = []
        if topic.links:
            links = ", ".join(
                f'<a href="{escape_attr(link.url)}">{escape(link.label.get(t.lang))}</a>'
                for link in topic.links
            )
            lines.append(t.gettext("More: {links}").format(links=links))
        if sources:
            shown = []
            # Links first: a resident can open them; at most a few, to stay readable.
            ordered = sorted(sources, key=lambda s: not s.is_link)[:MAX_SOURCES_SHOWN]
            for s in ordered:
                if s.is_link and s.url:
                    shown.append(f'<a href="{escape_attr(s.url)}">{escape(s.title)}</a>')
                else:
                    shown.append(escape(s.title))
            lines.append(t.gettext("Sources: {sources}").format(sources="; ".join(shown)))
        checked = [f.checked for f in topic.facts if f.status is not FactStatus.MISSING]
        if checked:
            lines.append(
                t.gettext("Information checked on {date}.").format(
                    date=fmt_date(max(checked), t.lang)
                )
            )
        return "<i>" + "\n".join(lines) + "</i>" if lines else ""


def escape_attr(value: str) -> str:
    """Escape a value for an HTML attribute in double quotes."""
    return html.escape(value, quote=True)


def _one_group(decision: Decision) -> MenuGroup | None:
    """The menu group holding every real guess of an unplaced message, if they add up."""
    if not decision.in_vocabulary:
        return None
    guesses = {a.intent for a in decision.alternatives if a.confidence >= GROUP_NOISE}
    total = sum(a.confidence for a in decision.alternatives if a.intent in guesses)
    if len(guesses) < 2 or total < GROUP_CLARIFY:
        return None
    return next((g for g in MENU if guesses <= set(g.topics)), None)
