"""The assistant's use case: a message in, a reply (answer, clarify, handoff) out.

Transport-agnostic: the console, the ``ask`` command and the Telegram handlers
all call :class:`Assistant` and only render what it returns.

An answer leads with the fact(s) of the matched topic that answer the
question asked (see :mod:`bot.core.facts`), or with the topic's overview
when no single fact stands out; the whole topic is one "more" away
(:meth:`Assistant.full_topic`). Everything is as known at the moment asked:
facts not yet public then are left out, dated items are worded in the tense
that fits, and the reply cites the sources of exactly the facts it states.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time

from bot.core.dated import (
    Phase,
    event_block,
    events_block,
    item_line,
    kongres_day,
    kongres_program,
    kongres_when,
    kongres_where,
    relevant_edition,
    visible_items,
)
from bot.core.dates import fmt_date, local_now
from bot.core.facts import FactIndex
from bot.core.hours import HolidayCalendar, PolishHolidays, render_hours
from bot.core.html import escape, visible_length
from bot.core.knowledge import (
    DEFAULT_LANGUAGE,
    LANGUAGES,
    Block,
    EventKind,
    Fact,
    FactStatus,
    KnowledgeBase,
    MenuGroup,
    Source,
    Topic,
)
from bot.core.matching import Action, Alternative, Decision, IntentMatcher
from bot.core.menu import command_target
from bot.core.text import normalise, words
from bot.core.translation import Translator

_TAG = re.compile(r"<[^<>]*>")
#: A message the matcher cannot place but whose guesses all lie in one menu
#: group, this sure together ("kongres", "ngo"), is answered with that group's
#: topics to choose from instead of a ticket for the staff.
GROUP_CLARIFY = 0.5
#: Guesses below this confidence do not count against "all in one group".
GROUP_NOISE = 0.05
#: A short answer stops adding overview facts beyond this many visible characters.
SHORT_ANSWER = 600
#: At most this many facts are stated in a short answer with what is not known.
MAX_SEE = 2

# The Kongres-day questions: "co jest teraz na kongresie", "co o 14?", "co dzisiaj".
_CLOCK = re.compile(
    r"(?:\b(?:o|ok|około|okolo|godz|godzinie|at|around|о|об)\.?\s+(\d{1,2})(?:[:.](\d{2}))?\b)"
    r"|(?:\b(\d{1,2})[:.](\d{2})\b)|(?:\b(\d{1,2})\s*(am|pm)\b)",
    re.IGNORECASE,
)
_NOW_WORDS = frozenset(
    """
    teraz obecnie aktualnie now currently зараз наразі dzisiaj dzis today сьогодні
    """.split()  # noqa: SIM905 - a word list is easier to edit as text
)
#: Words a "what is on" question is made of besides the markers (folded).
_DAY_QUERY_WORDS = frozenset(
    """
    co jest sie dzieje bedzie odbywa trwa leci mamy jaki jaka jakie ktory ktora teraz
    program programie harmonogram punkt sesja sesji panel panelu sali sala w na o ok
    kongres kongresie kongresu dialog dialogu godz godzinie godzina the a what is on
    at happening going congress programme session today now right
    що зараз сьогодні відбувається конгрес конгресі програма програмі о об на
    """.split()  # noqa: SIM905 - a word list is easier to edit as text
)


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
    #: the ids of the topic's facts this reply states
    facts: tuple[str, ...] = ()
    #: the full topic (:meth:`Assistant.full_topic`) says more than this reply
    more: bool = False
    #: the menu group whose topics ``options`` are (a group overview)
    group: str | None = None
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


@dataclass(frozen=True)
class _Part:
    """A piece of an answer with the sources and check dates of what it states."""

    html: str
    sources: tuple[str, ...] = ()
    checked: tuple[date, ...] = ()
    #: what it states is that something is not known (offer to ask a person)
    unknown: bool = False


@dataclass(repr=False)
class Assistant:
    """Answers messages from the knowledge base, relative to the current date."""

    knowledge: KnowledgeBase
    matcher: IntentMatcher
    translator: Callable[[str], Translator]
    holidays: HolidayCalendar = field(default_factory=PolishHolidays)
    clock: Callable[[], datetime] | None = None
    _facts: FactIndex | None = field(default=None, init=False)
    _group_keys: dict[str, frozenset[str]] = field(default_factory=dict, init=False)

    # ------------------------------------------------------------ entry points
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
        return self.reply_for(decision, lang=lang, now=now, message=message)

    def reply_for(
        self, decision: Decision, *, lang: str, now: datetime | None = None, message: str = ""
    ) -> Reply:
        """Build the reply for a decision already made about ``message``."""
        lang = lang if lang in LANGUAGES else DEFAULT_LANGUAGE
        t = self.translator(lang)
        moment = self.now(now)
        intent = decision.intent
        answered = (
            decision.action is Action.ANSWER
            and intent is not None
            and intent in self.knowledge.topics
        )
        generic = self._generic_group(message) if message else None
        if generic is not None and (not answered or intent in generic.topics):
            return self._with_decision(
                self.group_reply(generic.id, lang=lang, now=moment), decision
            )
        leading: list[Fact] = []
        if answered and intent is not None and message:
            topic = self.knowledge.topics[intent]
            facts = topic.visible_facts(moment.date())
            leading = self._fact_index().leading(topic, message, facts)
        # On a Kongres day "what is on now / at 14 / today" gets the day's view,
        # unless a fact answers the question better ("who is on the 15:15 panel").
        if not any(f.block is None for f in leading):
            day_view = self._kongres_day_reply(decision, message, lang, moment)
            if day_view is not None:
                return day_view
        if answered and intent is not None:
            topic = self.knowledge.topics[intent]
            if topic.answer is not None:
                reply = self.topic_reply(intent, lang=lang, now=moment)
            else:
                reply = self._facts_reply(topic, leading, lang, moment, message=message)
            return self._with_decision(reply, decision)
        options: tuple[TopicOption, ...] = ()
        if decision.action is Action.CLARIFY:
            options = tuple(
                TopicOption(a.intent, self.title(a.intent, lang), a.confidence)
                for a in decision.alternatives[:2]
                if a.intent in self.knowledge.topics
            )
        elif decision.action is Action.HANDOFF and (group := self._one_group(decision)) is not None:
            reply = self.group_reply(group.id, lang=lang, now=moment, unsure=True)
            return self._with_decision(reply, decision)
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
        """A topic's overview (menu buttons, deep links, commands, clarify choices)."""
        topic = self.knowledge.topics[topic_id]
        lang = lang if lang in LANGUAGES else DEFAULT_LANGUAGE
        moment = self.now(now)
        if topic.answer is None:
            return self._facts_reply(topic, [], lang, moment)
        t = self.translator(lang)
        translated = topic.answer.has(lang)
        parts: list[str] = []
        if not translated:
            parts.append("<i>" + t.gettext("This answer is available in Polish only.") + "</i>")
        parts.append(topic.answer.get(lang).replace("{{", "{").replace("}}", "}").strip())
        return Reply(
            action=Action.ANSWER,
            intent=topic_id,
            confidence=1.0,
            lang=lang,
            html="\n\n".join(parts),
            related=self._related(topic, lang),
            translated=translated,
        )

    def full_topic(self, topic_id: str, *, lang: str, now: datetime | None = None) -> Reply:
        """Everything the topic knows at ``now`` (the "more" button, ``/wiecej``)."""
        topic = self.knowledge.topics[topic_id]
        lang = lang if lang in LANGUAGES else DEFAULT_LANGUAGE
        moment = self.now(now)
        if topic.answer is not None:
            return self.topic_reply(topic_id, lang=lang, now=moment)
        t = self.translator(lang)
        facts = topic.visible_facts(moment.date())
        shown = [f for f in facts if f.status is not FactStatus.MISSING and not f.summary]
        missing = [f for f in facts if f.status is FactStatus.MISSING]
        parts = [f"<b>{escape(topic.title.get(lang))}</b>"]
        pieces = [self._fact_part(f, t, moment, full=True) for f in shown]
        parts.extend(p.html for p in pieces if p.html)
        if missing:
            unknown = "\n".join(f"• {escape(self._text(f, lang))}" for f in missing)
            parts.append(t.gettext("Not confirmed yet:") + "\n" + unknown)
            parts.append(_offer(t))
        if topic.links:
            links = ", ".join(
                f'<a href="{escape_attr(link.url)}">{escape(link.label.get(lang))}</a>'
                for link in topic.links
            )
            parts.append(t.gettext("Links: {links}").format(links=links))
        footer = self._footer(pieces, t, moment)
        if footer:
            parts.append(footer)
        return Reply(
            action=Action.ANSWER,
            intent=topic_id,
            confidence=1.0,
            lang=lang,
            html="\n\n".join(parts),
            sources=self._sources(pieces, moment),
            related=self._related(topic, lang),
            translated=all(f.text is None or f.text.has(lang) for f in facts),
            facts=tuple(f.id for f in facts),
            offers_handover=bool(missing),
        )

    def group_reply(
        self, group_id: str, *, lang: str, now: datetime | None = None, unsure: bool = False
    ) -> Reply:
        """A menu group's overview with its topics to choose from ("granty", /granty).

        ``unsure``: the message was not understood, only that it is about the
        group; without an overview the reply then says so.
        """
        group = self.knowledge.navigation.group(group_id)
        if group is None:
            raise KeyError(group_id)
        lang = lang if lang in LANGUAGES else DEFAULT_LANGUAGE
        t = self.translator(lang)
        moment = self.now(now)
        options = tuple(
            TopicOption(topic, self.title(topic, lang))
            for topic in group.topics
            if topic in self.knowledge.topics
        )
        pieces: list[_Part] = []
        for ref in group.overview:
            fact = self.knowledge.resolve(ref)
            if fact is not None and fact.public_on(moment.date()):
                part = self._fact_part(fact, t, moment)
                if part.html:
                    pieces.append(_Part(f"• {part.html}", part.sources, part.checked))
        lines: list[str] = []
        if pieces:
            if group.intro is not None:
                lines.append(escape(group.intro.get(lang)))
            lines.extend(p.html for p in pieces)
            lines.append("")
            lines.append(t.gettext("Choose a topic for more:"))
        elif unsure:
            lines.append(t.gettext("I am not sure what you mean. Is it about:"))
            lines += [f"• {escape(o.title)}" for o in options]
            lines.append(t.gettext("Or I can pass your question to the Biuro Dialogu staff."))
        else:
            lines.append(f"<b>{escape(group.label.get(lang))}</b>")
            lines.append(t.gettext("Choose a topic for more:"))
        text = "\n".join(lines)
        footer = self._footer(pieces, t, moment)
        return Reply(
            action=Action.CLARIFY,
            intent=None,
            confidence=1.0,
            lang=lang,
            html=f"{text}\n\n{footer}" if footer else text,
            options=options,
            sources=self._sources(pieces, moment),
            group=group.id,
        )

    def command_reply(
        self, command: str, *, lang: str, now: datetime | None = None
    ) -> Reply | None:
        """The reply to a shortcut command (/kongres, /granty, …) as the content routes it."""
        target = command_target(self.knowledge.navigation, command)
        if target is None:
            return None
        if target.group is not None and self.knowledge.navigation.group(target.group):
            return self.group_reply(target.group, lang=lang, now=now)
        if target.topic is not None and target.topic in self.knowledge.topics:
            return self.topic_reply(target.topic, lang=lang, now=now)
        return None

    # ------------------------------------------------------------ composing
    def _facts_reply(
        self, topic: Topic, leading: list[Fact], lang: str, moment: datetime, *, message: str = ""
    ) -> Reply:
        """The short answer: the leading facts (in their order), or the topic's overview."""
        t = self.translator(lang)
        facts = topic.visible_facts(moment.date())
        # A block with nothing to say at this moment ("what is on now" after the
        # Kongres) does not answer: the overview does.
        leading = [f for f in leading if f.block is None or self._fact_part(f, t, moment).html]
        chosen = leading or self._overview(topic, facts)
        parts: list[str] = []
        pieces: list[_Part] = []
        stated: list[Fact] = []
        missing: list[Fact] = []
        for fact in chosen:
            if fact.status is FactStatus.MISSING:
                missing.append(fact)
                parts.append(
                    t.gettext("I have no confirmed information on this: {what}.").format(
                        what=escape(self._text(fact, lang).rstrip("."))
                    )
                )
                continue
            part = self._fact_part(fact, t, moment, message=message if leading else "")
            if not part.html:
                continue
            if (
                not leading
                and pieces
                and visible_length("\n\n".join([*parts, part.html])) > SHORT_ANSWER
            ):
                break
            pieces.append(part)
            parts.append(part.html)
            stated.append(fact)
        if missing:
            # What is known around what is not, and the offer to ask a person.
            known = [
                f
                for fact in missing
                for ref in fact.see
                if (f := topic.fact(ref)) is not None
                and f in facts
                and f not in stated
                and f.status is not FactStatus.MISSING
            ]
            for fact in known[: max(0, MAX_SEE - len(stated))]:
                part = self._fact_part(fact, t, moment)
                if part.html:
                    pieces.append(part)
                    parts.append(part.html)
                    stated.append(fact)
        offered = bool(missing) or any(p.unknown for p in pieces) or not stated
        if missing or any(p.unknown for p in pieces):
            parts.append(_offer(t))
        if not stated and not missing:
            parts.append(t.gettext("I have no information on this yet."))
            parts.append(_offer(t))
        translated = all(f.text is None or f.text.has(lang) for f in [*stated, *missing])
        if not translated:
            parts.insert(0, "<i>" + t.gettext("This answer is available in Polish only.") + "</i>")
        footer = self._footer(pieces, t, moment)
        if footer:
            parts.append(footer)
        said = {f.id for f in [*stated, *missing]}
        return Reply(
            action=Action.ANSWER,
            intent=topic.id,
            confidence=1.0,
            lang=lang,
            html="\n\n".join(p for p in parts if p),
            sources=self._sources(pieces, moment),
            related=self._related(topic, lang),
            translated=translated,
            facts=tuple(f.id for f in [*stated, *missing]),
            more=any(f.id not in said for f in facts) or bool(topic.links),
            offers_handover=offered,
        )

    def _overview(self, topic: Topic, facts: tuple[Fact, ...]) -> list[Fact]:
        """The facts that answer a general question about the topic, as visible now."""
        visible = {f.id: f for f in facts}
        chosen = [visible[i] for i in topic.overview if i in visible]
        if not chosen:
            chosen = [f for f in facts if f.status is not FactStatus.MISSING][:2]
        return chosen or list(facts[:1])

    def _fact_part(
        self, fact: Fact, t: Translator, moment: datetime, *, full: bool = False, message: str = ""
    ) -> _Part:
        """One fact rendered for ``moment``, with its sources."""
        if fact.block is not None:
            return self._block(fact.block, moment, t, full=full, message=message)
        text = escape(self._text(fact, t.lang))
        if fact.status is FactStatus.UNCERTAIN:
            text += " <i>" + t.gettext("(not confirmed)") + "</i>"
        return _Part(text, fact.sources, (fact.checked,))

    @staticmethod
    def _text(fact: Fact, lang: str) -> str:
        return fact.text.get(lang) if fact.text is not None else ""

    def _block(
        self, block: Block, now: datetime, t: Translator, *, full: bool, message: str = ""
    ) -> _Part:
        """Render one dynamic block, with the sources of what it shows.

        A list of dated items answers a question about one of them ("the call
        on addiction prevention") with that item alone.
        """
        kb = self.knowledge
        name, arg = block.name, block.arg
        if name in {"kongres_when", "kongres_program", "kongres_where", "kongres_now"}:
            view = relevant_edition(kb, now)
            sources = view.edition.sources if view is not None else ()
            checked = (view.edition.checked,) if view and view.edition.checked else ()
            if name == "kongres_when":
                text = kongres_when(kb, now, t)
            elif name == "kongres_where":
                text = kongres_where(kb, now, t)
            elif name == "kongres_now":
                text = kongres_day(kb, now, t) or ""
                if not text:
                    return _Part("")
            else:
                text = kongres_program(kb, now, t, compact=not full)
            return _Part(text, sources if view is not None else (), checked)
        if name == "hours" and arg is not None and arg in kb.places:
            place = kb.places[arg]
            text = render_hours(place, now, t, self.holidays)
            known = place.hours.status is not FactStatus.MISSING and place.hours.public_on(
                now.date()
            )
            return _Part(
                text,
                place.hours.sources if known else (),
                (place.hours.checked,),
                unknown=place.weekly_hours_on(now.date()) is None,
            )
        if name == "events" and arg is not None:
            items = visible_items(kb, now, kind=EventKind(arg))
            focus = (
                self._fact_index().best_items(
                    str(block),
                    [
                        (
                            i.id,
                            [*i.title.texts.values(), *(i.place.texts.values() if i.place else ())],
                        )
                        for i in items
                    ],
                    message,
                )
                if message
                else []
            )
            if focus:
                chosen = [i for i in items if i.id in focus]
                return _Part(
                    "\n".join(f"• {item_line(kb, i, now, t).text}" for i in chosen),
                    _sources_of(i.sources for i in chosen),
                    tuple(i.checked for i in chosen if i.checked),
                )
            return _Part(
                events_block(kb, EventKind(arg), now, t),
                _sources_of(i.sources for i in items),
                tuple(i.checked for i in items if i.checked),
            )
        if name == "event" and arg is not None:
            items = visible_items(kb, now, item_id=arg)
            if not items:
                return _Part("")
            return _Part(
                event_block(kb, arg, now, t),
                _sources_of(i.sources for i in items),
                tuple(i.checked for i in items if i.checked),
            )
        raise ValueError(f"unknown block {block}")  # the loader refuses these

    def _footer(self, pieces: list[_Part], t: Translator, now: datetime) -> str:
        """The sources of what was stated, and when it was checked (never after ``now``)."""
        lines: list[str] = []
        sources = self._sources(pieces, now)
        if sources:
            shown = []
            for s in sources:
                if s.is_link and s.url:
                    shown.append(f'<a href="{escape_attr(s.url)}">{escape(s.title)}</a>')
                else:
                    shown.append(escape(s.title))
            lines.append(t.gettext("Sources: {sources}").format(sources="; ".join(shown)))
        checked = [d for p in pieces if p.sources for d in p.checked if d <= now.date()]
        if checked:
            lines.append(
                t.gettext("Information checked on {date}.").format(
                    date=fmt_date(max(checked), t.lang)
                )
            )
        return "<i>" + "\n".join(lines) + "</i>" if lines else ""

    def _sources(self, pieces: Iterable[_Part], now: datetime) -> tuple[Source, ...]:
        """The sources of what was stated, without any published after ``now``."""
        seen: dict[str, Source] = {}
        for piece in pieces:
            for source_id in piece.sources:
                source = self.knowledge.sources.get(source_id)
                if source is not None and source_id not in seen and source.public_on(now.date()):
                    seen[source_id] = source
        return tuple(seen.values())

    def _related(self, topic: Topic, lang: str) -> tuple[TopicOption, ...]:
        return tuple(
            TopicOption(r, self.title(r, lang)) for r in topic.related if r in self.knowledge.topics
        )

    @staticmethod
    def _with_decision(reply: Reply, decision: Decision) -> Reply:
        return replace(reply, confidence=decision.confidence, alternatives=decision.alternatives)

    # ------------------------------------------------------------ special questions
    def _fact_index(self) -> FactIndex:
        if self._facts is None:
            self._facts = FactIndex(self.matcher.lexicon)
        return self._facts

    def _generic_group(self, message: str) -> MenuGroup | None:
        """The group whose generic word the message is ("granty", "kongres dialogu")."""
        index = self._fact_index()
        message_words = index.keys(message)
        if not message_words or len(message_words) > 3:
            return None
        for group in self.knowledge.navigation.groups:
            if not group.keywords:
                continue
            keys = self._group_keys.get(group.id)
            if keys is None:
                keys = frozenset(k for kw in group.keywords for w in index.keys(kw) for k in w)
                self._group_keys[group.id] = keys
            if all(word & keys for word in message_words):
                return group
        return None

    def _one_group(self, decision: Decision) -> MenuGroup | None:
        """The menu group holding every real guess of an unplaced message, if they add up."""
        if not decision.in_vocabulary:
            return None
        guesses = {a.intent for a in decision.alternatives if a.confidence >= GROUP_NOISE}
        total = sum(a.confidence for a in decision.alternatives if a.intent in guesses)
        if len(guesses) < 2 or total < GROUP_CLARIFY:
            return None
        return next((g for g in self.knowledge.navigation.groups if guesses <= set(g.topics)), None)

    def _kongres_day_reply(
        self, decision: Decision, message: str, lang: str, moment: datetime
    ) -> Reply | None:
        """During a Kongres day: what is on now, at a given time, or today."""
        if not message:
            return None
        view = relevant_edition(self.knowledge, moment)
        if view is None or view.phase is not Phase.ONGOING or view.today is None:
            return None
        at = _clock_in(message)
        tokens = [folded for _raw, folded in words(message)]
        if at is None and not _NOW_WORDS & set(tokens):
            return None
        about_kongres = (decision.intent or "").startswith("kongres.") or all(
            a.intent.startswith("kongres.") for a in decision.alternatives[:2]
        )
        if decision.action is Action.ANSWER and not about_kongres:
            return None
        if not about_kongres and not all(
            tok in _DAY_QUERY_WORDS or tok.isdigit() or tok in _NOW_WORDS for tok in tokens
        ):
            return None
        t = self.translator(lang)
        text = kongres_day(self.knowledge, moment, t, at=at)
        if text is None:
            return None
        part = _Part(
            text, view.edition.sources, (view.edition.checked,) if view.edition.checked else ()
        )
        footer = self._footer([part], t, moment)
        return Reply(
            action=Action.ANSWER,
            intent="kongres.program",
            confidence=decision.confidence,
            lang=lang,
            html=f"{text}\n\n{footer}" if footer else text,
            alternatives=decision.alternatives,
            sources=self._sources([part], moment),
            related=self._related(self.knowledge.topics["kongres.program"], lang)
            if "kongres.program" in self.knowledge.topics
            else (),
            more="kongres.program" in self.knowledge.topics,
        )


def _clock_in(message: str) -> time | None:
    """A time of day the message asks about ("o 14", "14:30", "at 2 pm")."""
    for match in _CLOCK.finditer(message):
        hour_s, minute_s = match.group(1) or match.group(3), match.group(2) or match.group(4)
        if match.group(5):
            hour = int(match.group(5)) % 12 + (12 if match.group(6).lower() == "pm" else 0)
            return time(hour, 0) if hour < 24 else None
        if hour_s is None:
            continue
        hour, minute = int(hour_s), int(minute_s or 0)
        if 6 <= hour <= 23 and 0 <= minute < 60:
            return time(hour, minute)
    return None


def _offer(t: Translator) -> str:
    return t.gettext("If you like, I can pass your question on to the Biuro Dialogu staff.")


def _sources_of(groups: Iterable[tuple[str, ...]]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for group in groups:
        for source in group:
            seen.setdefault(source, None)
    return tuple(seen)


def escape_attr(value: str) -> str:
    """Escape a value for an HTML attribute in double quotes."""
    return html.escape(value, quote=True)
