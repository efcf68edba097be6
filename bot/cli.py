"""``torun-bot``: the command line (console chat, ask, check, eval, run).

This is the composition root for everything that is not Telegram: it reads
arguments, configures logging, loads content and calls the core.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from bot.content import ContentError
from bot.content.loader import check_content, max_age_from
from bot.core.answering import Reply
from bot.core.dates import local_now
from bot.core.knowledge import LANGUAGES
from bot.core.matching import Action, IntentMatcher
from bot.core.morphology import make_analyzer
from bot.evaluation import (
    DatasetError,
    evaluate,
    format_report,
    is_valid_unicode,
    read_labelled,
)
from bot.i18n import CatalogError
from bot.model_cache import load_or_build
from bot.services import PROJECT_ROOT, Engine, build_engine

if TYPE_CHECKING:
    from bot.telegram.runtime import Runtime

logger = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_USAGE = 2


class CliError(Exception):
    """A problem to report to the user in one line, with an exit code."""

    def __init__(self, message: str, code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.code = code


def _parse_now(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return local_now(datetime.fromisoformat(value))
    except ValueError as exc:
        raise CliError(
            f"--now: {value!r} is not an ISO 8601 date-time (e.g. 2025-09-29T10:15)"
        ) from exc


def _parse_today(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CliError(f"--today: {value!r} is not a date (YYYY-MM-DD, e.g. 2025-09-29)") from exc


def _content_dir(args: argparse.Namespace) -> Path:
    if args.content_dir:
        root, origin = Path(args.content_dir), "--content-dir"
    elif os.environ.get("CONTENT_DIR"):
        root, origin = Path(os.environ["CONTENT_DIR"]), "CONTENT_DIR"
    else:
        return PROJECT_ROOT
    # A mistyped folder is a usage error, not three "directory missing" problems.
    if not root.is_dir():
        what = "is not a folder" if root.exists() else "does not exist"
        raise CliError(f"{origin}: {root} {what} (expected a folder with intents/ and knowledge/)")
    return root


def _max_age(args: argparse.Namespace) -> int:
    from_flag = args.max_age_days is not None
    try:
        if from_flag:
            return max_age_from(str(args.max_age_days))
        return max_age_from(os.environ.get("CONTENT_MAX_AGE_DAYS"))
    except ValueError as exc:
        origin = "--max-age-days" if from_flag else "CONTENT_MAX_AGE_DAYS"
        raise CliError(f"max age of facts ({origin}): {exc}") from exc


def _input_lines(stream: TextIO, warn: TextIO) -> Iterator[str]:
    """The lines of ``stream`` without their line ends, read as UTF-8.

    A line that is not valid UTF-8 is still answered, with its undecodable
    bytes replaced by U+FFFD, and named on ``warn``: one bad line must not cost
    the answers to the lines after it.
    """
    # The bytes underneath, when there are any: a text stream decodes ahead in
    # chunks and would fail on a line it has not handed out yet.
    binary = getattr(stream, "buffer", None)
    lines: Iterator[bytes | str] = iter(binary if binary is not None else stream)
    for number, line in enumerate(lines, start=1):
        # Under a C/POSIX locale Python turns bytes that are not UTF-8 into
        # lone surrogates in text; get the bytes back to decode them.
        raw = line if isinstance(line, bytes) else line.encode("utf-8", "surrogateescape")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            text = raw.decode("utf-8", "replace")
            warn.write(
                f"torun-bot: standard input line {number} is not valid UTF-8 ({exc.reason}); "
                "undecodable bytes replaced with U+FFFD\n"
            )
        if not is_valid_unicode(text):  # lone surrogates written as such in the input
            text = text.encode("utf-8", "replace").decode("utf-8")
            warn.write(f"torun-bot: standard input line {number} is not valid UTF-8\n")
        if number == 1:
            text = text.removeprefix("\ufeff")  # a byte-order mark is not part of the message
        yield text.rstrip("\r\n")


def _engine(args: argparse.Namespace, now: datetime | None = None) -> Engine:
    root = _content_dir(args)
    try:
        # --now moves the conversation in time, not the staleness check of
        # the content, which always uses the real date.
        return build_engine(
            root,
            max_age_days=_max_age(args),
            clock=(lambda: now) if now else None,
        )
    except ContentError as exc:
        raise CliError(f"{exc}\nRun `torun-bot check` for details.", EXIT_PROBLEMS) from exc
    except CatalogError as exc:
        raise CliError(str(exc), EXIT_PROBLEMS) from exc


# ---------------------------------------------------------------- commands
def cmd_check(args: argparse.Namespace, out: TextIO) -> int:
    """Validate intents/ and knowledge/; print every problem as file:line."""
    root = _content_dir(args)
    today = _parse_today(args.today)
    content, problems = check_content(root, today=today, max_age_days=_max_age(args))
    if content is not None and not [p for p in problems if not p.stale]:
        problems += _render_problems(root, content, today)
    for problem in problems:
        out.write(f"{problem}\n")
    if problems:
        out.write(f"content check failed: {len(problems)} problem(s)\n")
        return EXIT_PROBLEMS
    n_topics = len(content.knowledge.topics) if content else 0
    n_examples = len(content.labelled_examples()) if content else 0
    out.write(f"content OK: {n_topics} topics, {n_examples} examples\n")
    return EXIT_OK


def _render_problems(root: Path, content: object, today: date | None) -> list:  # type: ignore[type-arg]
    """Render every answer in every language at several dates; check the limits."""
    from bot.content.rendercheck import render_problems

    return render_problems(root, content, today)  # type: ignore[arg-type]


def _reply_json(text: str, reply: Reply) -> dict[str, object]:
    return {
        "text": text,
        "intent": reply.intent,
        "confidence": round(reply.confidence, 4),
        "action": reply.action.value,
        "alternatives": [
            {"intent": a.intent, "confidence": round(a.confidence, 4)} for a in reply.alternatives
        ],
        "answer": reply.text,
    }


def cmd_ask(args: argparse.Namespace, out: TextIO) -> int:
    """Answer one message, or one message per stdin line with --jsonl."""
    now = _parse_now(args.now)
    # Usage errors first: they need no content loaded.
    if args.jsonl:
        if args.text:
            raise CliError("ask --jsonl reads messages from standard input; give no TEXT")
    elif args.text is None:
        raise CliError("give the message as TEXT, or use --jsonl to read standard input")
    elif not is_valid_unicode(args.text):
        raise CliError("TEXT is not valid UTF-8")
    engine = _engine(args, now)
    assistant = engine.assistant
    if args.jsonl:
        for text in _input_lines(sys.stdin, sys.stderr):
            reply = assistant.respond(text, lang=args.lang, now=now)
            out.write(json.dumps(_reply_json(text, reply), ensure_ascii=False) + "\n")
            out.flush()
        return EXIT_OK
    reply = assistant.respond(args.text, lang=args.lang, now=now)
    if args.json:
        out.write(json.dumps(_reply_json(args.text, reply), ensure_ascii=False) + "\n")
    else:
        out.write(_console_reply(reply) + "\n")
    return EXIT_OK


def _console_reply(reply: Reply, *, numbered_options: bool = False) -> str:
    lines = [reply.text]
    if reply.action is Action.CLARIFY and numbered_options:
        lines.append("")
        for i, option in enumerate(reply.options, start=1):
            lines.append(f"  [{i}] {option.title}")
        lines.append("  [0] " + _label(reply.lang, "other"))
    if reply.more and reply.intent:
        lines.append(f"[/wiecej: {_label(reply.lang, 'more')}]")
    tail = f"[{reply.action.value}"
    if reply.intent:
        tail += f": {reply.intent}"
    tail += f", confidence {reply.confidence:.2f}]"
    lines.append(tail)
    return "\n".join(lines)


_LABELS = {
    "other": {
        "pl": "Inne – przekaż do Biura",
        "en": "Other – pass it to the Biuro",
        "uk": "Інше – передати до Бюро",
    },
    "more": {
        "pl": "cały temat",
        "en": "the whole topic",
        "uk": "уся тема",
    },
    "no_more": {
        "pl": "nie ma nic więcej do pokazania – zadaj pytanie",
        "en": "nothing more to show – ask a question",
        "uk": "більше нічого показати – поставте запитання",
    },
    "handed": {
        "pl": "→ do skrzynki Biura Dialogu trafiłoby",
        "en": "→ this would go to the Biuro Dialogu inbox",
        "uk": "→ це потрапило б до скриньки Бюро діалогу",
    },
}


def _label(lang: str, key: str) -> str:
    return _LABELS[key].get(lang, _LABELS[key]["pl"])


def cmd_chat(
    args: argparse.Namespace,
    out: TextIO,
    read: Callable[[str], str] = input,
) -> int:
    """An interactive console conversation with the same engine."""
    now = _parse_now(args.now)
    engine = _engine(args, now)
    assistant = engine.assistant
    lang = args.lang
    out.write(
        "Asystent Biura Dialogu i Innowacji Miejskich – rozmowa w konsoli.\n"
        "Napisz pytanie. Komendy: /wiecej (cały temat ostatniej odpowiedzi), "
        "/jezyk pl|uk|en, /teraz 2025-09-29T10:00, /koniec.\n\n"
    )
    pending: Reply | None = None
    pending_text = ""
    last: Reply | None = None
    while True:
        try:
            line = read("> ")
        except (EOFError, KeyboardInterrupt):
            out.write("\n")
            return EXIT_OK
        except UnicodeDecodeError as exc:
            raise CliError(f"standard input is not valid UTF-8 ({exc.reason})") from exc
        text = line.strip()
        if not is_valid_unicode(text):
            out.write("[to nie jest poprawny tekst UTF-8 – pomijam tę linię]\n\n")
            continue
        if text in {"/koniec", "/quit", "/exit"}:
            return EXIT_OK
        if text.startswith(("/jezyk", "/lang")):
            choice = text.split(maxsplit=1)[1].strip() if " " in text else ""
            if choice in LANGUAGES:
                lang = choice
                out.write(f"[język: {lang}]\n")
            else:
                out.write("[użyj: /jezyk pl, /jezyk uk albo /jezyk en]\n")
            continue
        if text in {"/wiecej", "/więcej", "/more"}:
            if last is not None and last.intent and last.more:
                full = assistant.full_topic(last.intent, lang=lang, now=now)
                out.write(_console_reply(full) + "\n\n")
            else:
                out.write(f"[{_label(lang, 'no_more')}]\n\n")
            continue
        if text.startswith(("/teraz", "/now")):
            try:
                now = _parse_now(text.split(maxsplit=1)[1]) if " " in text else None
            except CliError as exc:
                out.write(f"[{exc}]\n")
                continue
            out.write(f"[teraz: {now.isoformat() if now else 'bieżący czas'}]\n")
            continue
        if pending is not None and text.isdigit() and int(text) <= len(pending.options):
            choice_n = int(text)
            if choice_n == 0 or choice_n > len(pending.options):
                out.write(f"{_label(lang, 'handed')}: {pending_text!r}\n\n")
            else:
                topic = pending.options[choice_n - 1].topic
                last = assistant.topic_reply(topic, lang=lang, now=now)
                out.write(_console_reply(last) + "\n\n")
            pending = None
            continue
        reply = assistant.respond(text, lang=lang, now=now)
        out.write(_console_reply(reply, numbered_options=True) + "\n")
        if reply.is_handoff and text:
            guesses = ", ".join(f"{a.intent} {a.confidence:.2f}" for a in reply.alternatives[:2])
            out.write(
                f"{_label(lang, 'handed')}: {text!r} (lang {lang}"
                + (f"; guesses: {guesses}" if guesses else "")
                + ")\n"
            )
        out.write("\n")
        pending = reply if reply.action is Action.CLARIFY else None
        pending_text = text
        last = reply


def cmd_eval(args: argparse.Namespace, out: TextIO) -> int:
    """Measure the matcher on a labelled JSONL file."""
    try:
        test = read_labelled(Path(args.file))
        analyzer = make_analyzer(args.analyzer)
        if args.train:
            train = read_labelled(Path(args.train))
            try:
                matcher = IntentMatcher.build(train, analyzer=analyzer)
            except ValueError as exc:
                # e.g. only emoji or punctuation: nothing the matcher can learn.
                raise CliError(f"--train {args.train}: {exc}") from exc
        else:
            root = _content_dir(args)
            try:
                from bot.content import load_content

                content = load_content(root, max_age_days=_max_age(args))
            except ContentError as exc:
                raise CliError(f"{exc}\nRun `torun-bot check`.", EXIT_PROBLEMS) from exc
            # The same model the assistant runs (from the model cache when built before).
            matcher = load_or_build(content.labelled_examples(), analyzer)
    except (DatasetError, OSError) as exc:
        raise CliError(str(exc), EXIT_USAGE) from exc
    report = evaluate(matcher, test, build_seconds=matcher.build_seconds)
    if args.json:
        out.write(json.dumps({**report.as_json(), "calibration": matcher.calibration}) + "\n")
    else:
        out.write(format_report(report, show_errors=args.errors) + "\n")
        out.write(f"gates: {_calibration_line(matcher.calibration)}\n")
    return EXIT_OK


def _calibration_line(calibration: dict[str, object]) -> str:
    """How the matcher's gates were chosen, in one line."""
    how = str(calibration.get("thresholds", "?"))
    figures = ", ".join(f"{k} {v}" for k, v in calibration.items() if k != "thresholds")
    return f"{how} ({figures})" if figures else how


def cmd_run(args: argparse.Namespace, out: TextIO) -> int:
    """Start the Telegram bot with long polling."""
    return _run_bot(out, webhook=False)


def cmd_webhook(args: argparse.Namespace, out: TextIO) -> int:
    """Start the Telegram bot behind a webhook."""
    return _run_bot(out, webhook=True)


def _run_bot(out: TextIO, *, webhook: bool) -> int:
    """The composition root of the bot: settings, logging, content, database, services."""
    from bot.config import SettingsError, load_settings, read_environment

    try:
        settings = load_settings(read_environment(), webhook=webhook)
    except SettingsError as exc:
        print(f"torun-bot: cannot start: {exc}", file=sys.stderr)
        return EXIT_USAGE
    logging.getLogger().setLevel(settings.log_level)
    logging.getLogger("bot").setLevel(settings.log_level)
    try:
        engine = build_engine(settings.content_dir, max_age_days=settings.content_max_age_days)
    except (ContentError, CatalogError) as exc:
        print(f"torun-bot: cannot start: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS

    from bot.storage.database import Database
    from bot.telegram.app import build_application
    from bot.telegram.runtime import Runtime, Webhook
    from bot.wiring import build_services

    try:
        db = Database.connect(settings.database_url)
    except Exception as exc:  # a wrong URL, a server that is down: one clear line
        print(
            f"torun-bot: cannot open the database ({settings.database_url.split('@')[-1]}): "
            f"{exc.__class__.__name__}: {exc}",
            file=sys.stderr,
        )
        return EXIT_PROBLEMS
    services = build_services(settings, engine, db)
    hook = None
    if webhook:
        assert settings.webhook_url is not None and settings.webhook_secret is not None
        hook = Webhook(
            url=settings.webhook_url,
            secret=settings.webhook_secret.get(),
            listen=settings.webhook_listen,
            port=settings.webhook_port,
        )
    runtime = Runtime(services, build_application(settings), webhook=hook)
    try:
        return asyncio.run(_serve(runtime, out))
    finally:
        db.close()


async def _serve(runtime: Runtime, out: TextIO) -> int:
    """Run until SIGINT/SIGTERM; SIGHUP reloads the content after checking it."""
    from telegram.error import InvalidToken, NetworkError

    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for name in ("SIGINT", "SIGTERM"):
        if hasattr(signal, name):
            loop.add_signal_handler(getattr(signal, name), stop.set)
    reloads: set[asyncio.Task[object]] = set()
    if hasattr(signal, "SIGHUP"):

        def on_sighup() -> None:
            task = loop.create_task(runtime.reload())
            reloads.add(task)
            task.add_done_callback(reloads.discard)

        loop.add_signal_handler(signal.SIGHUP, on_sighup)
    delay = 1.0
    while not stop.is_set():
        try:
            await runtime.start()
            break
        except InvalidToken:
            print("torun-bot: cannot start: Telegram refused TELEGRAM_TOKEN", file=sys.stderr)
            return EXIT_USAGE
        except NetworkError as exc:
            print(
                f"torun-bot: Telegram is not reachable ({exc}); trying again in {delay:.0f} s",
                file=sys.stderr,
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)
            delay = min(delay * 2, 60.0)
    else:
        return EXIT_OK
    mode = "webhook" if runtime.webhook is not None else "polling Telegram"
    out.write(f"torun-bot: {mode} (Ctrl+C stops)\n")
    out.flush()
    await stop.wait()
    await runtime.stop()
    return EXIT_OK


def cmd_export_learned(args: argparse.Namespace, out: TextIO) -> int:
    """Write examples staff attached in Telegram into intents/ for review."""
    from bot.learning import export_learned

    return export_learned(args, out)


def _count(value: str) -> int:
    """An argparse type: a whole number, zero or more."""
    try:
        number = int(value)
    except ValueError:
        number = -1
    if number < 0:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number (0 or more)")
    return number


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``torun-bot``."""
    parser = argparse.ArgumentParser(
        prog="torun-bot",
        description="Assistant of the Biuro Dialogu i Innowacji Miejskich in Toruń.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log more")
    parser.add_argument("--content-dir", help="folder with intents/, knowledge/ and locales/")
    parser.add_argument(
        "--max-age-days", type=int, default=None, help="facts checked longer ago are stale"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    chat = sub.add_parser("chat", help="talk to the assistant in the console")
    chat.add_argument("--lang", choices=LANGUAGES, default="pl")
    chat.add_argument("--now", help="pretend the current time is this (ISO 8601)")
    chat.set_defaults(func=cmd_chat)

    ask = sub.add_parser("ask", help="answer one message (or one per line with --jsonl)")
    ask.add_argument("text", nargs="?", help="the message")
    ask.add_argument("--json", action="store_true", help="print one JSON object")
    ask.add_argument("--jsonl", action="store_true", help="read messages from stdin, one a line")
    ask.add_argument("--lang", choices=LANGUAGES, default="pl")
    ask.add_argument("--now", help="pretend the current time is this (ISO 8601)")
    ask.set_defaults(func=cmd_ask)

    check = sub.add_parser("check", help="validate intents/ and knowledge/")
    check.add_argument("--today", help="check staleness as of this date (YYYY-MM-DD)")
    check.set_defaults(func=cmd_check)

    ev = sub.add_parser("eval", help="measure the matcher on a labelled JSONL file")
    ev.add_argument("file", help='JSONL with {"text", "intent"} per line (intent null = none)')
    ev.add_argument("--train", help="build the matcher from this labelled file, not intents/")
    ev.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    ev.add_argument("--errors", type=_count, default=0, help="list this many misses")
    ev.add_argument(
        "--analyzer",
        choices=("morfeusz2", "simplemma", "none"),
        default="morfeusz2",
        help="morphology used by the matcher",
    )
    ev.set_defaults(func=cmd_eval)

    run = sub.add_parser("run", help="run the Telegram bot (long polling)")
    run.set_defaults(func=cmd_run)
    webhook = sub.add_parser("webhook", help="run the Telegram bot behind a webhook")
    webhook.set_defaults(func=cmd_webhook)
    export = sub.add_parser("export-learned", help="write staff-approved examples to intents/")
    export.add_argument("--output-dir", help="where to write (default: intents/)")
    export.set_defaults(func=cmd_export_learned)
    return parser


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Entry point of ``torun-bot`` and ``python -m bot``."""
    out = out or sys.stdout
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # httpx logs request URLs at INFO, and Telegram URLs carry the bot token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    if args.command is None:
        parser.print_help(out)
        return EXIT_USAGE
    try:
        code: int = args.func(args, out)
        return code
    except CliError as exc:
        print(f"torun-bot {args.command}: {exc}", file=sys.stderr)
        return exc.code
    except BrokenPipeError:
        return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
