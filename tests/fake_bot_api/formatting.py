"""Telegram's ``parse_mode`` dialects: HTML, MarkdownV2 and legacy Markdown.

Each parser turns the marked-up text into what Telegram would store: the plain text and a list
of MessageEntity dicts (offsets and lengths in UTF-16 code units, as the Bot API defines them).
Markup Telegram rejects raises :class:`FormattingError` with a message modelled on Telegram's
``Bad Request: can't parse entities: ...`` answers.

The HTML parser is deliberately a little stricter than Telegram's own (tdlib) parser where the
documentation is stricter than the implementation: the docs say every ``<``, ``>`` and ``&``
that is not markup *must* be escaped, tdlib quietly tolerates a bare ``&`` or ``>``.  A bot that
relies on that tolerance is one unlucky message away from a 400, so the fake rejects it.
Nesting that Telegram silently "fixes" by dropping entities (for example ``<b>`` inside
``<code>``) is rejected as well, because the result would not look like what the bot meant.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "FormattingError",
    "ParsedText",
    "parse_formatted_text",
    "parse_html",
    "parse_markdown",
    "parse_markdown_v2",
    "utf16_len",
]


class FormattingError(ValueError):
    """Markup Telegram would refuse; the message follows ``can't parse entities:``."""


@dataclass(frozen=True, slots=True)
class ParsedText:
    """Plain text plus MessageEntity dicts, as Telegram would return them in a Message."""

    text: str
    entities: list[dict[str, Any]]


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of MessageEntity.offset/length."""
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(text: str, index: int) -> int:
    # Telegram reports positions in UTF-8 bytes of the original text.
    return len(text[:index].encode("utf-8"))


class _Output:
    """Accumulates plain text while tracking the UTF-16 position for entity offsets."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.pos16 = 0

    def append(self, chunk: str) -> None:
        self.parts.append(chunk)
        self.pos16 += utf16_len(chunk)

    def text(self) -> str:
        return "".join(self.parts)


def _entity(type_: str, start16: int, end16: int, **extra: Any) -> dict[str, Any] | None:
    if end16 <= start16:
        # Telegram drops empty entities instead of failing.
        return None
    entity: dict[str, Any] = {"type": type_, "offset": start16, "length": end16 - start16}
    entity.update({key: value for key, value in extra.items() if value is not None})
    return entity


def _sorted(entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # Telegram returns entities ordered by offset, outer entities before inner ones.
    return sorted(entities, key=lambda e: (e["offset"], -e["length"]))


# --------------------------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------------------------

_SIMPLE_HTML_TAGS: dict[str, str] = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
}
_COMPLEX_HTML_TAGS = frozenset({"span", "a", "tg-emoji", "tg-time", "code", "pre", "blockquote"})
SUPPORTED_HTML_TAGS = frozenset(_SIMPLE_HTML_TAGS) | _COMPLEX_HTML_TAGS

_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_HTML_ENTITY_RE = re.compile(r"&(#[0-9]{1,8}|#[xX][0-9a-fA-F]{1,7}|[A-Za-z][A-Za-z0-9]{0,31});")
_START_TAG_RE = re.compile(r"<([A-Za-z][A-Za-z0-9-]*)")
_END_TAG_RE = re.compile(r"</([A-Za-z][A-Za-z0-9-]*)\s*>")
_ATTR_NAME_RE = re.compile(r"[A-Za-z_:][-A-Za-z0-9_:.]*")
_DATE_TIME_FORMAT_RE = re.compile(r"r|w?[dD]?[tT]?")
# Entities that may contain nothing but text and bold/italic/underline/strikethrough/spoiler.
_LEAF_ENTITY_TYPES = frozenset({"text_link", "custom_emoji", "date_time"})
_CODE_TYPES = frozenset({"code", "pre"})


@dataclass(slots=True)
class _OpenTag:
    name: str
    entity_type: str
    start16: int
    source_index: int
    extra: dict[str, Any] = field(default_factory=dict)


def _decode_entity(match: re.Match[str], text: str, index: int) -> str:
    body = match.group(1)
    if body.startswith("#"):
        code = int(body[2:], 16) if body[1:2] in ("x", "X") else int(body[1:])
        if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            raise FormattingError(
                f"Invalid numeric HTML entity {match.group(0)!r} at byte offset "
                f"{_byte_offset(text, index)}"
            )
        return chr(code)
    if body in _NAMED_ENTITIES:
        return _NAMED_ENTITIES[body]
    raise FormattingError(
        f"Unsupported HTML entity {match.group(0)!r} at byte offset {_byte_offset(text, index)}; "
        "only &lt; &gt; &amp; &quot; and numeric entities are supported"
    )


def _unescape_attribute(value: str) -> str:
    # Inside attribute values Telegram decodes entities but tolerates a literal '&'
    # (URLs with query strings are common), so we do the same.
    def replace(match: re.Match[str]) -> str:
        body = match.group(1)
        if body.startswith("#"):
            code = int(body[2:], 16) if body[1:2] in ("x", "X") else int(body[1:])
            return chr(code) if 0 < code <= 0x10FFFF else match.group(0)
        return _NAMED_ENTITIES.get(body, match.group(0))

    return _HTML_ENTITY_RE.sub(replace, value)


def _parse_attributes(text: str, index: int, tag_start: int) -> tuple[dict[str, str], int]:
    """Parse attributes starting at ``index``; returns them and the index after ``>``."""
    attributes: dict[str, str] = {}
    length = len(text)
    while True:
        while index < length and text[index].isspace():
            index += 1
        if index >= length:
            raise FormattingError(
                f"Unclosed start tag at byte offset {_byte_offset(text, tag_start)}"
            )
        if text[index] == ">":
            return attributes, index + 1
        if text.startswith("/>", index):
            raise FormattingError(
                f"Self-closing tags are not supported (byte offset {_byte_offset(text, tag_start)})"
            )
        match = _ATTR_NAME_RE.match(text, index)
        if not match:
            raise FormattingError(
                f"Expected an attribute name at byte offset {_byte_offset(text, index)}"
            )
        name = match.group(0).lower()
        index = match.end()
        value = ""
        while index < length and text[index].isspace():
            index += 1
        if index < length and text[index] == "=":
            index += 1
            while index < length and text[index].isspace():
                index += 1
            if index >= length:
                raise FormattingError(
                    f"Unclosed start tag at byte offset {_byte_offset(text, tag_start)}"
                )
            quote = text[index]
            if quote in "\"'":
                end = text.find(quote, index + 1)
                if end == -1:
                    raise FormattingError(
                        f"Unclosed attribute value at byte offset {_byte_offset(text, index)}"
                    )
                value = text[index + 1 : end]
                index = end + 1
            else:
                end = index
                while end < length and not text[end].isspace() and text[end] != ">":
                    end += 1
                value = text[index:end]
                index = end
        attributes[name] = _unescape_attribute(value)


def _html_tag_entity(
    name: str,
    attributes: dict[str, str],
    stack: list[_OpenTag],
    text: str,
    tag_start: int,
) -> tuple[str, dict[str, Any]]:
    """Map a start tag to (entity type, extra entity fields), enforcing Telegram's rules."""
    where = f"at byte offset {_byte_offset(text, tag_start)}"
    if name in _SIMPLE_HTML_TAGS:
        return _SIMPLE_HTML_TAGS[name], {}
    if name == "span":
        if attributes.get("class") != "tg-spoiler":
            raise FormattingError(f'Tag "span" must have class "tg-spoiler" {where}')
        return "spoiler", {}
    if name == "a":
        href = attributes.get("href", "").strip()
        if not href:
            raise FormattingError(f'Tag "a" must have a non-empty "href" attribute {where}')
        return "text_link", {"url": href}
    if name == "tg-emoji":
        emoji_id = attributes.get("emoji-id", "")
        if not emoji_id.isdigit():
            raise FormattingError(f'Tag "tg-emoji" must have a numeric "emoji-id" {where}')
        return "custom_emoji", {"custom_emoji_id": emoji_id}
    if name == "tg-time":
        unix = attributes.get("unix", "")
        if not re.fullmatch(r"-?[0-9]+", unix):
            raise FormattingError(f'Tag "tg-time" must have an integer "unix" attribute {where}')
        time_format = attributes.get("format", "")
        if not _DATE_TIME_FORMAT_RE.fullmatch(time_format):
            raise FormattingError(
                f"Invalid date-time format {time_format!r} {where}; must match r|w?[dD]?[tT]?"
            )
        return "date_time", {"unix_time": int(unix), "date_time_format": time_format or None}
    if name == "code":
        css_class = attributes.get("class")
        inside_pre = bool(stack) and stack[-1].entity_type == "pre"
        if css_class is not None:
            if not inside_pre:
                raise FormattingError(
                    f"Programming language can't be specified for standalone code tags {where}"
                )
            if not css_class.startswith("language-") or len(css_class) == len("language-"):
                raise FormattingError(f'Class of "code" must be "language-<name>" {where}')
            stack[-1].extra["language"] = css_class[len("language-") :]
        return "code", {}
    if name == "pre":
        return "pre", {}
    if name == "blockquote":
        return ("expandable_blockquote" if "expandable" in attributes else "blockquote"), {}
    raise AssertionError(name)  # pragma: no cover - guarded by SUPPORTED_HTML_TAGS


def _check_html_nesting(entity_type: str, stack: list[_OpenTag], text: str, tag_start: int) -> None:
    where = f"at byte offset {_byte_offset(text, tag_start)}"
    for index, outer in enumerate(stack):
        if outer.entity_type in _CODE_TYPES:
            is_pre_code = (
                entity_type == "code" and outer.entity_type == "pre" and index == len(stack) - 1
            )
            if not is_pre_code:
                raise FormattingError(
                    f"Entity {entity_type!r} can't be nested inside {outer.entity_type!r} "
                    f"(<{outer.name}>) {where}"
                )
        if outer.entity_type in _LEAF_ENTITY_TYPES and (
            entity_type in _LEAF_ENTITY_TYPES or entity_type in _CODE_TYPES
        ):
            raise FormattingError(
                f"Entity {entity_type!r} can't be nested inside {outer.entity_type!r} {where}"
            )
        if "blockquote" in outer.entity_type and "blockquote" in entity_type:
            raise FormattingError(f"Block quotations can't be nested {where}")


def parse_html(text: str) -> ParsedText:
    """Parse Telegram-flavoured HTML (``parse_mode="HTML"``)."""
    out = _Output()
    entities: list[dict[str, Any]] = []
    stack: list[_OpenTag] = []
    index = 0
    length = len(text)
    while index < length:
        char = text[index]
        if char == "&":
            match = _HTML_ENTITY_RE.match(text, index)
            if not match:
                raise FormattingError(
                    f"Unescaped '&' at byte offset {_byte_offset(text, index)}; use &amp;"
                )
            out.append(_decode_entity(match, text, index))
            index = match.end()
            continue
        if char == ">":
            raise FormattingError(
                f"Unescaped '>' at byte offset {_byte_offset(text, index)}; use &gt;"
            )
        if char != "<":
            out.append(char)
            index += 1
            continue
        if text.startswith("</", index):
            end_match = _END_TAG_RE.match(text, index)
            if not end_match:
                raise FormattingError(
                    f"Malformed end tag at byte offset {_byte_offset(text, index)}"
                )
            name = end_match.group(1).lower()
            if not stack:
                raise FormattingError(
                    f'Unexpected end tag "</{name}>" at byte offset {_byte_offset(text, index)}'
                )
            if stack[-1].name != name:
                raise FormattingError(
                    f"Unmatched end tag at byte offset {_byte_offset(text, index)}, "
                    f'expected "</{stack[-1].name}>", found "</{name}>"'
                )
            open_tag = stack.pop()
            entity = _entity(open_tag.entity_type, open_tag.start16, out.pos16, **open_tag.extra)
            if entity is not None:
                entities.append(entity)
            index = end_match.end()
            continue
        start_match = _START_TAG_RE.match(text, index)
        if not start_match:
            raise FormattingError(
                f"Unescaped '<' at byte offset {_byte_offset(text, index)}; use &lt;"
            )
        name = start_match.group(1).lower()
        if name not in SUPPORTED_HTML_TAGS:
            raise FormattingError(
                f'Unsupported start tag "{name}" at byte offset {_byte_offset(text, index)}'
            )
        attributes, after = _parse_attributes(text, start_match.end(), index)
        entity_type, extra = _html_tag_entity(name, attributes, stack, text, index)
        _check_html_nesting(entity_type, stack, text, index)
        stack.append(_OpenTag(name, entity_type, out.pos16, index, extra))
        index = after
    if stack:
        raise FormattingError(
            f'Can\'t find end tag corresponding to start tag "{stack[-1].name}" '
            f"at byte offset {_byte_offset(text, stack[-1].source_index)}"
        )
    # A <pre> that only wraps a <code class="language-x"> is one pre entity with a language.
    code_ranges = {(e["offset"], e["length"]) for e in entities if e["type"] == "pre"}
    entities = [
        e
        for e in entities
        if not (e["type"] == "code" and (e["offset"], e["length"]) in code_ranges)
    ]
    return ParsedText(out.text(), _sorted(entities))


# --------------------------------------------------------------------------------------------
# MarkdownV2
# --------------------------------------------------------------------------------------------

MARKDOWN_V2_RESERVED = frozenset("_*[]()~`>#+-=|{}.!")


def _md_error(text: str, index: int, message: str) -> FormattingError:
    return FormattingError(f"{message} at byte offset {_byte_offset(text, index)}")


def _read_md_url(text: str, index: int) -> tuple[str, int]:
    """Read ``(...)`` starting at ``index`` (the '('); ')' and '\\' are escaped inside."""
    chars: list[str] = []
    position = index + 1
    while position < len(text):
        char = text[position]
        if char == "\\" and position + 1 < len(text):
            chars.append(text[position + 1])
            position += 2
            continue
        if char == ")":
            return "".join(chars), position + 1
        chars.append(char)
        position += 1
    raise _md_error(text, index, "Can't find end of a URL")


def parse_markdown_v2(text: str) -> ParsedText:
    """Parse ``parse_mode="MarkdownV2"`` text (escaping rules as documented by Telegram)."""
    out = _Output()
    entities: list[dict[str, Any]] = []
    stack: list[_OpenTag] = []
    quote: tuple[int, bool] | None = None  # (start16, expandable) of the open block quotation
    index = 0
    length = len(text)

    def close_quote() -> None:
        nonlocal quote
        if quote is not None:
            entity = _entity(
                "expandable_blockquote" if quote[1] else "blockquote", quote[0], out.pos16
            )
            if entity is not None:
                entities.append(entity)
            quote = None

    while index < length:
        char = text[index]
        in_code = bool(stack) and stack[-1].entity_type in _CODE_TYPES
        at_line_start = index == 0 or text[index - 1] == "\n"
        if at_line_start and not in_code:
            expandable = text.startswith("**>", index)
            if expandable or char == ">":
                if quote is None:
                    quote = (out.pos16, expandable)
                index += 3 if expandable else 1
                continue
            close_quote()
        if char == "\\" and index + 1 < length and 0 < ord(text[index + 1]) <= 126:
            out.append(text[index + 1])
            index += 2
            continue
        if in_code:
            top = stack[-1]
            if char == "`":
                if top.entity_type == "pre":
                    if not text.startswith("```", index):
                        raise _md_error(text, index, "Character '`' must be escaped inside pre")
                    index += 3
                else:
                    index += 1
                stack.pop()
                entity = _entity(top.entity_type, top.start16, out.pos16, **top.extra)
                if entity is not None:
                    entities.append(entity)
                continue
            out.append(char)
            index += 1
            continue
        if (
            quote is not None
            and quote[1]
            and text.startswith("||", index)
            and (index + 2 == length or text[index + 2] == "\n")
            and not (stack and stack[-1].entity_type == "spoiler")
        ):
            index += 2  # the expandability mark of an expandable block quotation
            continue
        if char not in MARKDOWN_V2_RESERVED:
            out.append(char)
            index += 1
            continue
        top_type = stack[-1].entity_type if stack else None
        next_char = text[index + 1] if index + 1 < length else ""
        closes = (
            (top_type == "bold" and char == "*")
            or (top_type == "italic" and char == "_" and next_char != "_")
            or (top_type == "underline" and char == "_" and next_char == "_")
            or (top_type == "strikethrough" and char == "~")
            or (top_type == "spoiler" and char == "|" and next_char == "|")
            or (top_type in ("text_link", "custom_emoji") and char == "]")
        )
        if closes:
            top = stack.pop()
            width = 2 if top_type in ("underline", "spoiler") else 1
            index += width
            extra = dict(top.extra)
            if top_type in ("text_link", "custom_emoji"):
                if index >= length or text[index] != "(":
                    raise _md_error(text, index, "Expected '(' with the URL after ']'")
                url, index = _read_md_url(text, index)
                if top_type == "text_link":
                    extra["url"] = url
                else:
                    emoji = re.fullmatch(r"tg://emoji\?id=([0-9]+)", url)
                    time = re.fullmatch(r"tg://time\?unix=(-?[0-9]+)(?:&format=([A-Za-z]*))?", url)
                    if emoji:
                        extra["custom_emoji_id"] = emoji.group(1)
                    elif time and _DATE_TIME_FORMAT_RE.fullmatch(time.group(2) or ""):
                        top = _OpenTag(top.name, "date_time", top.start16, top.source_index)
                        extra["unix_time"] = int(time.group(1))
                        extra["date_time_format"] = time.group(2) or None
                    else:
                        raise _md_error(
                            text, top.source_index, f"Invalid custom emoji/time URL {url!r}"
                        )
            entity = _entity(top.entity_type, top.start16, out.pos16, **extra)
            if entity is not None:
                entities.append(entity)
            continue
        # Start of an entity.
        if char == "_" and next_char == "_":
            entity_type, width = "underline", 2
        elif char == "_":
            entity_type, width = "italic", 1
        elif char == "*":
            entity_type, width = "bold", 1
        elif char == "~":
            entity_type, width = "strikethrough", 1
        elif char == "|" and next_char == "|":
            entity_type, width = "spoiler", 2
        elif char == "[":
            entity_type, width = "text_link", 1
        elif char == "!" and next_char == "[":
            entity_type, width = "custom_emoji", 2
        elif char == "`":
            if text.startswith("```", index):
                newline = text.find("\n", index + 3)
                language = text[index + 3 : newline].strip() if newline != -1 else ""
                if language and re.fullmatch(r"[^\s`]+", language):
                    stack.append(_OpenTag("```", "pre", out.pos16, index, {"language": language}))
                    index = newline + 1
                else:
                    stack.append(_OpenTag("```", "pre", out.pos16, index))
                    index += 3
                continue
            entity_type, width = "code", 1
        else:
            raise _md_error(
                text,
                index,
                f"Character '{char}' is reserved and must be escaped with the preceding '\\'",
            )
        for outer in stack:
            if outer.entity_type in _LEAF_ENTITY_TYPES and entity_type in _LEAF_ENTITY_TYPES:
                raise _md_error(text, index, f"Entity {entity_type!r} can't be nested here")
        stack.append(_OpenTag(char * width, entity_type, out.pos16, index))
        index += width
    if stack:
        top = stack[-1]
        raise _md_error(text, top.source_index, f"Can't find end of {top.entity_type} entity")
    close_quote()
    return ParsedText(out.text(), _sorted(entities))


# --------------------------------------------------------------------------------------------
# Legacy Markdown
# --------------------------------------------------------------------------------------------


def parse_markdown(text: str) -> ParsedText:
    """Parse legacy ``parse_mode="Markdown"`` (no nesting, escapes only outside entities)."""
    out = _Output()
    entities: list[dict[str, Any]] = []
    index = 0
    length = len(text)
    closers = {"*": "bold", "_": "italic", "`": "code"}
    while index < length:
        char = text[index]
        if char == "\\" and index + 1 < length and text[index + 1] in "_*`[":
            out.append(text[index + 1])
            index += 2
            continue
        if char in closers:
            if text.startswith("```", index):
                end = text.find("```", index + 3)
                if end == -1:
                    raise _md_error(text, index, "Can't find end of the entity starting")
                body = text[index + 3 : end]
                language = None
                if "\n" in body:
                    first, rest = body.split("\n", 1)
                    if first and " " not in first:
                        language, body = first, rest
                start = out.pos16
                out.append(body)
                entity = _entity("pre", start, out.pos16, language=language)
                if entity is not None:
                    entities.append(entity)
                index = end + 3
                continue
            end = text.find(char, index + 1)
            if end == -1:
                raise _md_error(text, index, "Can't find end of the entity starting")
            start = out.pos16
            out.append(text[index + 1 : end])
            entity = _entity(closers[char], start, out.pos16)
            if entity is not None:
                entities.append(entity)
            index = end + 1
            continue
        if char == "[":
            end = text.find("]", index + 1)
            if end == -1 or not text.startswith("(", end + 1):
                raise _md_error(text, index, "Can't find end of the entity starting")
            close = text.find(")", end + 2)
            if close == -1:
                raise _md_error(text, index, "Can't find end of a URL")
            start = out.pos16
            out.append(text[index + 1 : end])
            entity = _entity("text_link", start, out.pos16, url=text[end + 2 : close])
            if entity is not None:
                entities.append(entity)
            index = close + 1
            continue
        out.append(char)
        index += 1
    return ParsedText(out.text(), _sorted(entities))


PARSE_MODES = {"html": parse_html, "markdownv2": parse_markdown_v2, "markdown": parse_markdown}


def parse_formatted_text(text: str, parse_mode: str | None) -> ParsedText:
    """Parse ``text`` according to ``parse_mode`` (case-insensitive, like Telegram).

    ``None`` or an empty string means plain text.  An unknown mode raises ``KeyError``.
    """
    if not parse_mode:
        return ParsedText(text, [])
    return PARSE_MODES[parse_mode.lower()](text)
