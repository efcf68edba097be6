"""Checks and helpers for the HTML subset Telegram accepts (parse_mode=HTML)."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

#: Tags Telegram understands, with the attributes each may carry.
ALLOWED_TAGS: dict[str, frozenset[str]] = {
    "b": frozenset(),
    "strong": frozenset(),
    "i": frozenset(),
    "em": frozenset(),
    "u": frozenset(),
    "ins": frozenset(),
    "s": frozenset(),
    "strike": frozenset(),
    "del": frozenset(),
    "span": frozenset({"class"}),
    "tg-spoiler": frozenset(),
    "a": frozenset({"href"}),
    "code": frozenset({"class"}),
    "pre": frozenset(),
    "blockquote": frozenset({"expandable"}),
}

_ENTITY = re.compile(r"&(?:lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")
_TAG = re.compile(r"<[^<>]*>")


class _Checker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.stack: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        allowed = ALLOWED_TAGS.get(tag)
        if allowed is None:
            self.errors.append(f"tag <{tag}> is not supported by Telegram")
            return
        for name, value in attrs:
            if name not in allowed:
                self.errors.append(f"attribute {name!r} is not allowed on <{tag}>")
            if tag == "a" and name == "href" and not value:
                self.errors.append("<a> needs a non-empty href")
        if tag == "a" and "href" not in dict(attrs):
            self.errors.append("<a> needs an href")
        self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.errors.append(f"self-closing <{tag}/> is not supported by Telegram")

    def handle_endtag(self, tag: str) -> None:
        if tag not in ALLOWED_TAGS:
            return  # already reported at the start tag
        if not self.stack or self.stack[-1] != tag:
            expected = f"</{self.stack[-1]}>" if self.stack else "no closing tag"
            self.errors.append(f"</{tag}> found where {expected} was expected")
            if tag in self.stack:
                while self.stack and self.stack.pop() != tag:
                    pass
            return
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        if "<" in data or ">" in data:
            self.errors.append("a bare '<' or '>' must be written as &lt; or &gt;")

    def handle_comment(self, data: str) -> None:
        self.errors.append("HTML comments are not supported by Telegram")


def html_problems(text: str) -> list[str]:
    """Return what makes ``text`` unacceptable to Telegram's HTML parser."""
    errors: list[str] = []
    stripped_entities = _ENTITY.sub("", text)
    if "&" in _TAG.sub("", stripped_entities):
        errors.append("a bare '&' must be written as &amp;")
    checker = _Checker()
    checker.feed(text)
    checker.close()
    errors.extend(checker.errors)
    if checker.stack:
        errors.append("unclosed tag(s): " + ", ".join(f"<{t}>" for t in checker.stack))
    return errors


def visible_length(text: str) -> int:
    """Length of the text a person sees (tags removed, entities decoded)."""
    return len(html.unescape(_TAG.sub("", text)))


def escape(text: str) -> str:
    """Escape user-provided text for parse_mode=HTML."""
    return html.escape(text, quote=False)
