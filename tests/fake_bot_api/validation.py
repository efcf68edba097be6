"""Checks a Bot API call against ``api.json`` and Telegram's documented limits.

How values arrive
-----------------
python-telegram-bot (``RequestParameter.json_value``) sends every parameter as a *string*:
strings verbatim, everything else ``json.dumps``-ed (``True`` -> ``"true"``, an
InlineKeyboardMarkup -> its JSON text).  The request is ``application/x-www-form-urlencoded``,
or ``multipart/form-data`` when files are uploaded; a file for a top-level parameter is a part
named like the parameter, files inside JSON (InputMedia) are referenced as ``attach://<part>``.
Telegram itself parses each form value according to the parameter's declared type, and this
module does the same: top-level values are decoded leniently the way Telegram decodes form
fields, while JSON-serialised objects are checked strictly (an ``Integer`` field must be a JSON
number, a ``String`` a JSON string), because PTB always produces exact JSON types there and a
mismatch means the bot built the object by hand and got it wrong.

Every problem becomes an :class:`Issue` (parameter path + a Telegram-style description).
"""

from __future__ import annotations

import itertools
import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .formatting import PARSE_MODES, FormattingError, parse_formatted_text, utf16_len
from .spec import PRIMITIVE_TYPES, ApiSpec, FieldSpec, MethodSpec, TypeSpec, array_item_type

__all__ = [
    "DecodedCall",
    "Issue",
    "UploadedFile",
    "Validator",
    "Violation",
]


@dataclass(frozen=True, slots=True)
class UploadedFile:
    """One file part of a multipart request."""

    part_name: str
    filename: str | None
    content_type: str | None
    content: bytes

    def __repr__(self) -> str:
        return (
            f"UploadedFile(part_name={self.part_name!r}, filename={self.filename!r}, "
            f"content_type={self.content_type!r}, size={len(self.content)})"
        )


@dataclass(frozen=True, slots=True)
class Issue:
    """A problem with one parameter.

    ``path`` is dotted, e.g. ``reply_markup.inline_keyboard[0][1].callback_data``.
    """

    path: str
    description: str


@dataclass(frozen=True, slots=True)
class Violation:
    """A call the real Telegram would reject (or that breaks a documented rule)."""

    method: str
    parameter: str
    message: str

    def __str__(self) -> str:
        where = f"{self.method}.{self.parameter}" if self.parameter else self.method
        return f"{where}: {self.message}"


@dataclass(slots=True)
class DecodedCall:
    """The outcome of decoding and validating one request."""

    method: str
    known_method: MethodSpec | None
    params: dict[str, Any]
    files: dict[str, UploadedFile]
    issues: list[Issue] = field(default_factory=list)


# --- limits that are not expressed as "N-M characters" in the field descriptions ------------

# createForumTopic.icon_color: "Currently, must be one of 7322096 (0x6FB9F0), ..."
TOPIC_ICON_COLORS = frozenset({7322096, 16766590, 13338331, 9367192, 16749490, 16478047})
MAX_BOT_COMMANDS = 100
BOT_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")
LANGUAGE_CODE_RE = re.compile(r"(?:[a-z]{2})?")
CHAT_USERNAME_RE = re.compile(r"@[A-Za-z][A-Za-z0-9_]{3,31}")
# Fields of InlineKeyboardButton / KeyboardButton that do not select the button's action.
BUTTON_NON_ACTION_FIELDS = frozenset({"text", "icon_custom_emoji_id", "style"})
# Telegram-style wording for the limits bots hit most often.
LENGTH_MESSAGES: dict[tuple[str, str], tuple[str, str]] = {
    # field name -> (too short, too long)
    ("*", "text"): ("Bad Request: message text is empty", "Bad Request: message is too long"),
    ("*", "message_text"): (
        "Bad Request: message text is empty",
        "Bad Request: message is too long",
    ),
    ("*", "caption"): (
        "Bad Request: message caption is empty",
        "Bad Request: message caption is too long",
    ),
    ("InlineKeyboardButton", "callback_data"): (
        "Bad Request: BUTTON_DATA_INVALID",
        "Bad Request: BUTTON_DATA_INVALID",
    ),
    ("createForumTopic", "name"): (
        "Bad Request: TOPIC_NAME_EMPTY",
        "Bad Request: TOPIC_NAME_INVALID",
    ),
    ("editForumTopic", "name"): (
        "Bad Request: TOPIC_NAME_EMPTY",
        "Bad Request: TOPIC_NAME_INVALID",
    ),
    ("answerCallbackQuery", "text"): ("", "Bad Request: MESSAGE_TOO_LONG"),
    ("BotCommand", "description"): (
        "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID",
        "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID",
    ),
}

_STRING_LENGTH_RE = re.compile(r"(\d+)-(\d+) (characters|bytes)")
_ARRAY_LENGTH_RE = re.compile(r"(?:list of|include) (\d+)-(\d+)\b")
_NUMBER_RANGE_RE = re.compile(r"(?:between |; |, )(-?\d+)-(\d+)\b")
_REQUIRED_IF_RE = re.compile(
    r"[Rr]equired if ([a-z_]+(?: and [a-z_]+)*) (?:is|are)(?: not|n't) specified"
)
_ENUM_PHRASE_RE = re.compile(
    r"(?:[Mm]ust be one of|can be either|[Cc]urrently,? (?:it )?(?:can|must) be(?: one of)?)\s"
)
_QUOTED_RE = re.compile(r'"([^"]+)"')
_FORM_TRUE = frozenset({"true", "1"})
_FORM_FALSE = frozenset({"false", "0"})
_INTEGER_RE = re.compile(r"[+-]?[0-9]{1,20}")

# Fields whose value is a formatted text, with the sibling fields that control the parsing.
_FORMATTED_FIELDS: tuple[tuple[str, str, str], ...] = (
    # (text field, parse-mode field, entities field)
    ("text", "parse_mode", "entities"),
    ("message_text", "parse_mode", "entities"),
    ("caption", "parse_mode", "caption_entities"),
    ("quote", "quote_parse_mode", "quote_entities"),
    ("question", "question_parse_mode", "question_entities"),
    ("explanation", "explanation_parse_mode", "explanation_entities"),
    ("text", "text_parse_mode", "text_entities"),
)
_FORMATTED_TEXT_FIELD_NAMES = (
    "text",
    "message_text",
    "caption",
    "quote",
    "question",
    "explanation",
)


def _enum_values(description: str) -> frozenset[str] | None:
    """Extract the allowed values from 'Must be one of "a", "b" or "c".'-style descriptions."""
    match = _ENUM_PHRASE_RE.search(description)
    if not match:
        return None
    segment = re.split(r"\.\s", description[match.end() :], maxsplit=1)[0]
    values = _QUOTED_RE.findall(segment)
    return frozenset(values) if len(values) >= 2 else None


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, int):
        return "Integer"
    if isinstance(value, float):
        return "Float"
    if isinstance(value, str):
        return "String"
    if isinstance(value, list):
        return "Array"
    if isinstance(value, dict):
        return "Object"
    return type(value).__name__


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class _Context:
    """Per-request state shared by the recursive checks."""

    def __init__(self, files: Mapping[str, UploadedFile], semantic: bool = True) -> None:
        self.files = files
        # False when checking objects the fake itself produces: only the structure matters.
        self.semantic = semantic
        self.referenced_parts: set[str] = set()


OwnerRule = Callable[["Validator", str, dict[str, Any], str], list[Issue]]


class Validator:
    """Validates decoded Bot API calls against :class:`ApiSpec` plus Telegram's limits."""

    def __init__(self, spec: ApiSpec) -> None:
        self.spec = spec

    # ------------------------------------------------------------------ entry point

    def validate_call(
        self,
        method_name: str,
        raw_params: Mapping[str, str],
        files: Mapping[str, UploadedFile],
    ) -> DecodedCall:
        """Decode the raw (string) parameters of one request and collect every issue."""
        method = self.spec.method(method_name)
        if method is None:
            return DecodedCall(
                method=method_name,
                known_method=None,
                params=dict(raw_params),
                files=dict(files),
                issues=[Issue("", f"Not Found: method {method_name!r} does not exist")],
            )
        ctx = _Context(files)
        call = DecodedCall(method=method.name, known_method=method, params={}, files=dict(files))
        for name, raw in raw_params.items():
            spec_field = method.fields.get(name)
            if spec_field is None:
                call.params[name] = raw
                call.issues.append(
                    Issue(name, f'Bad Request: unknown parameter "{name}" for method {method.name}')
                )
                continue
            value, issues = self._decode_top_level(spec_field, raw, ctx)
            call.params[name] = value
            call.issues.extend(issues)
        for name, upload in files.items():
            if name in raw_params:
                continue
            spec_field = method.fields.get(name)
            if spec_field is not None:
                if "InputFile" in spec_field.types:
                    call.params[name] = upload
                else:
                    call.issues.append(
                        Issue(
                            name, f'Bad Request: parameter "{name}" does not accept a file upload'
                        )
                    )
        present = set(call.params)
        for spec_field in method.fields.values():
            if spec_field.name in present:
                continue
            if spec_field.required:
                call.issues.append(
                    Issue(
                        spec_field.name, f'Bad Request: parameter "{spec_field.name}" is required'
                    )
                )
                continue
            condition = _REQUIRED_IF_RE.search(spec_field.description)
            if condition:
                others = condition.group(1).split(" and ")
                if not any(other in present for other in others):
                    call.issues.append(
                        Issue(
                            spec_field.name,
                            f'Bad Request: parameter "{spec_field.name}" is required when '
                            f"{' and '.join(others)} {'is' if len(others) == 1 else 'are'} "
                            "not specified",
                        )
                    )
        call.issues.extend(self._owner_rules(method.name, method.fields, call.params, ""))
        unreferenced = set(files) - ctx.referenced_parts - set(method.fields)
        for part in sorted(unreferenced):
            call.issues.append(
                Issue(part, f"Bad Request: uploaded file part {part!r} is not referenced anywhere")
            )
        return call

    def check_structure(
        self, value: Any, types: str | tuple[str, ...], path: str = "result"
    ) -> list[Issue]:
        """Structural check (fields and types only) of e.g. a returned Message or an Update."""
        union = (types,) if isinstance(types, str) else types
        return self._check_value(value, union, _Context({}, semantic=False), path, "")

    # ------------------------------------------------------------------ top-level decoding

    def _decode_top_level(
        self, spec_field: FieldSpec, raw: str, ctx: _Context
    ) -> tuple[Any, list[Issue]]:
        """Decode a form value the way Telegram does for the declared type(s)."""
        name = spec_field.name
        simple = [t for t in spec_field.types if t in PRIMITIVE_TYPES or t == "InputFile"]
        complex_types = tuple(t for t in spec_field.types if t not in simple)
        looks_like_json = raw[:1] in ("[", "{")
        first_failure: tuple[Any, list[Issue]] | None = None
        for type_expr in simple:
            value, issues = self._decode_form_value(name, type_expr, raw, ctx)
            if not issues:
                return value, self._field_rules(spec_field, value, name, owner="")
            first_failure = first_failure or (value, issues)
        if complex_types:
            try:
                value = json.loads(raw)
            except ValueError:
                if first_failure is None or looks_like_json:
                    return raw, [
                        Issue(name, f"Bad Request: can't parse {name} JSON object: {_short(raw)}")
                    ]
                return first_failure
            # All object/array alternatives at once, so the best-matching one is reported.
            issues = self._check_value(value, complex_types, ctx, name, owner="")
            if not issues:
                return value, self._field_rules(spec_field, value, name, owner="")
            if first_failure is None or looks_like_json:
                return value, issues
        assert first_failure is not None
        return first_failure

    def _decode_form_value(
        self, name: str, type_expr: str, raw: str, ctx: _Context
    ) -> tuple[Any, list[Issue]]:
        expected = f'Bad Request: parameter "{name}" must be of type {type_expr}, got {_short(raw)}'
        if type_expr == "String":
            return raw, []
        if type_expr == "Integer":
            if _INTEGER_RE.fullmatch(raw.strip()):
                return int(raw), []
            return raw, [Issue(name, expected)]
        if type_expr == "Float":
            try:
                number = float(raw)
            except ValueError:
                return raw, [Issue(name, expected)]
            if not math.isfinite(number):
                return raw, [Issue(name, expected)]
            return number, []
        if type_expr == "Boolean":
            lowered = raw.strip().lower()
            if lowered in _FORM_TRUE:
                return True, []
            if lowered in _FORM_FALSE:
                return False, []
            return raw, [Issue(name, expected)]
        if type_expr == "InputFile":
            # A file given as a string must be an attach:// reference to an uploaded part
            # (file_id/URL strings are covered by the "String" alternative).
            if raw.startswith("attach://"):
                return raw, self._check_attach(raw, ctx, name)
            return raw, [Issue(name, expected)]
        raise AssertionError(f"not a primitive type: {type_expr}")

    def _check_attach(self, value: str, ctx: _Context, path: str) -> list[Issue]:
        part = value[len("attach://") :]
        ctx.referenced_parts.add(part)
        if part not in ctx.files:
            return [Issue(path, f"Bad Request: file {value!r} is not among the uploaded parts")]
        return []

    # ------------------------------------------------------------------ JSON values

    def _check_value(
        self, value: Any, types: tuple[str, ...], ctx: _Context, path: str, owner: str
    ) -> list[Issue]:
        """Check a JSON value against a union of type expressions; [] if any alternative fits."""
        best: list[Issue] | None = None
        best_score = (2, 0)
        for type_expr in types:
            issues = self._check_one(value, type_expr, ctx, path)
            if not issues:
                return []
            # Prefer the alternative whose overall shape matched (only deeper issues).
            shallow = any(issue.path == path for issue in issues)
            score = (1 if shallow else 0, len(issues))
            if best is None or score < best_score:
                best, best_score = issues, score
        assert best is not None
        return best

    def _check_one(self, value: Any, type_expr: str, ctx: _Context, path: str) -> list[Issue]:
        item_type = array_item_type(type_expr)
        if item_type is not None:
            if not isinstance(value, list):
                return [
                    Issue(path, f"Bad Request: {path} must be an Array, got {_json_kind(value)}")
                ]
            issues: list[Issue] = []
            for index, item in enumerate(value):
                issues.extend(self._check_value(item, (item_type,), ctx, f"{path}[{index}]", ""))
            return issues
        if type_expr in PRIMITIVE_TYPES or type_expr == "InputFile":
            return self._check_primitive(value, type_expr, ctx, path)
        type_spec = self.spec.type(type_expr)
        if type_spec is None:
            return [Issue(path, f"Bad Request: {path} has unknown type {type_expr} (spec error)")]
        return self._check_object(value, type_spec, ctx, path)

    def _check_primitive(self, value: Any, type_expr: str, ctx: _Context, path: str) -> list[Issue]:
        kind = _json_kind(value)
        ok = (
            (type_expr == "Integer" and kind == "Integer")
            or (type_expr == "Float" and kind in ("Integer", "Float"))
            or (type_expr == "Boolean" and kind == "Boolean")
            or (type_expr in ("String", "InputFile") and kind == "String")
        )
        if not ok:
            return [
                Issue(path, f"Bad Request: {path} must be {type_expr}, got {kind} {_short(value)}")
            ]
        if isinstance(value, str) and value.startswith("attach://"):
            return self._check_attach(value, ctx, path)
        return []

    def _check_object(
        self, value: Any, type_spec: TypeSpec, ctx: _Context, path: str
    ) -> list[Issue]:
        if type_spec.is_union:
            return self._check_union_object(value, type_spec, ctx, path)
        if not isinstance(value, dict):
            return [
                Issue(
                    path,
                    f"Bad Request: {path} must be a {type_spec.name} object, "
                    f"got {_json_kind(value)}",
                )
            ]
        if not type_spec.has_fields:
            return []  # placeholder types such as CallbackGame carry no fields
        issues: list[Issue] = []
        for key in value:
            if key not in type_spec.fields:
                issues.append(
                    Issue(
                        f"{path}.{key}", f'Bad Request: unknown field "{key}" in {type_spec.name}'
                    )
                )
        for spec_field in type_spec.fields.values():
            sub_path = f"{path}.{spec_field.name}"
            if spec_field.name not in value:
                if spec_field.required:
                    issues.append(
                        Issue(
                            sub_path,
                            f'Bad Request: field "{spec_field.name}" of {type_spec.name} '
                            "is required",
                        )
                    )
                continue
            field_value = value[spec_field.name]
            field_issues = self._check_value(field_value, spec_field.types, ctx, sub_path, "")
            if not field_issues and ctx.semantic:
                field_issues = self._field_rules(spec_field, field_value, sub_path, type_spec.name)
            issues.extend(field_issues)
        if type_spec.discriminator is not None:
            key, expected = type_spec.discriminator
            if key in value and value[key] != expected:
                issues.append(
                    Issue(
                        f"{path}.{key}", f'Bad Request: {type_spec.name}.{key} must be "{expected}"'
                    )
                )
        if not issues and ctx.semantic:
            issues.extend(self._owner_rules(type_spec.name, type_spec.fields, value, path))
        return issues

    def _check_union_object(
        self, value: Any, type_spec: TypeSpec, ctx: _Context, path: str
    ) -> list[Issue]:
        candidates = list(type_spec.subtypes)
        concrete = [self.spec.type(name) for name in candidates]
        discriminators = {spec.discriminator[0] for spec in concrete if spec and spec.discriminator}
        if isinstance(value, dict) and len(discriminators) == 1:
            key = next(iter(discriminators))
            allowed = sorted(
                {spec.discriminator[1] for spec in concrete if spec and spec.discriminator}
            )
            if key not in value:
                return [
                    Issue(
                        f"{path}.{key}",
                        f'Bad Request: field "{key}" of {type_spec.name} is required',
                    )
                ]
            candidates = [
                spec.name
                for spec in concrete
                if spec and spec.discriminator and spec.discriminator[1] == value[key]
            ]
            if not candidates:
                return [
                    Issue(
                        f"{path}.{key}",
                        f"Bad Request: unsupported {type_spec.name} {key} {_short(value[key])}; "
                        f"expected one of {', '.join(allowed)}",
                    )
                ]
        return self._check_value(value, tuple(candidates), ctx, path, "")

    # ------------------------------------------------------------------ semantic rules

    def _field_rules(self, spec_field: FieldSpec, value: Any, path: str, owner: str) -> list[Issue]:
        """Rules for a single, already type-correct value."""
        issues: list[Issue] = []
        name = spec_field.name
        description = spec_field.description
        if isinstance(value, str) and "String" in spec_field.types:
            if name in ("chat_id", "from_chat_id") and not CHAT_USERNAME_RE.fullmatch(value):
                issues.append(
                    Issue(
                        path,
                        f"Bad Request: chat not found ({name} {value!r} is neither an "
                        "integer id nor an @username)",
                    )
                )
            if name.endswith("parse_mode") and value and value.lower() not in PARSE_MODES:
                issues.append(Issue(path, f"Bad Request: unsupported parse_mode {value!r}"))
            if name == "language_code" and owner == "" and not LANGUAGE_CODE_RE.fullmatch(value):
                issues.append(
                    Issue(
                        path,
                        f"Bad Request: language_code must be a two-letter ISO 639-1 code "
                        f"or empty, got {value!r}",
                    )
                )
            allowed = _enum_values(description)
            if allowed is not None and value not in allowed:
                issues.append(
                    Issue(
                        path, f"Bad Request: {path} must be one of {sorted(allowed)}, got {value!r}"
                    )
                )
        if isinstance(value, int | float) and not isinstance(value, bool):
            match = _NUMBER_RANGE_RE.search(description)
            if match and not int(match.group(1)) <= value <= int(match.group(2)):
                issues.append(
                    Issue(
                        path,
                        f"Bad Request: {path} must be between {match.group(1)} and "
                        f"{match.group(2)}, got {value}",
                    )
                )
            if name == "latitude" and not -90 <= value <= 90:
                issues.append(Issue(path, "Bad Request: wrong latitude specified"))
            if name == "longitude" and not -180 <= value <= 180:
                issues.append(Issue(path, "Bad Request: wrong longitude specified"))
        if isinstance(value, list):
            match = _ARRAY_LENGTH_RE.search(description)
            if match and not int(match.group(1)) <= len(value) <= int(match.group(2)):
                issues.append(
                    Issue(
                        path,
                        f"Bad Request: {path} must contain {match.group(1)}-"
                        f"{match.group(2)} elements, got {len(value)}",
                    )
                )
            if "strictly increasing order" in description and any(
                isinstance(a, int) and isinstance(b, int) and a >= b
                for a, b in itertools.pairwise(value)
            ):
                issues.append(
                    Issue(
                        path,
                        f"Bad Request: {path} must be specified in a strictly increasing order",
                    )
                )
        return issues

    def _owner_rules(
        self, owner: str, fields: Mapping[str, FieldSpec], obj: dict[str, Any], path: str
    ) -> list[Issue]:
        """Rules that look at several fields of one method call or one object."""
        prefix = f"{path}." if path else ""
        issues: list[Issue] = []
        issues.extend(self._formatted_text_rules(owner, fields, obj, prefix))
        if owner in ("InlineKeyboardButton", "KeyboardButton"):
            actions = sorted(k for k in obj if k not in BUTTON_NON_ACTION_FIELDS)
            if owner == "InlineKeyboardButton" and len(actions) != 1:
                issues.append(
                    Issue(
                        path,
                        "Bad Request: can't parse inline keyboard button: exactly one of "
                        f"the action fields must be used, got {actions or 'none'}",
                    )
                )
            if owner == "KeyboardButton" and len(actions) > 1:
                issues.append(
                    Issue(
                        path,
                        f"Bad Request: a keyboard button may use at most one action field, "
                        f"got {actions}",
                    )
                )
            if isinstance(obj.get("text"), str) and not obj["text"].strip():
                issues.append(
                    Issue(f"{prefix}text", "Bad Request: BUTTON_TEXT_INVALID (empty text)")
                )
            url = obj.get("url")
            if isinstance(url, str) and not re.match(r"(?i)(https?|tg)://\S+$", url):
                issues.append(Issue(f"{prefix}url", f"Bad Request: BUTTON_URL_INVALID ({url!r})"))
        if owner == "BotCommand":
            command = obj.get("command")
            # Length is reported by the generic "1-32 characters" rule; here only the alphabet.
            if (
                isinstance(command, str)
                and 0 < len(command) <= 32
                and not BOT_COMMAND_RE.fullmatch(command)
            ):
                issues.append(
                    Issue(
                        f"{prefix}command",
                        f"Bad Request: BOT_COMMAND_INVALID ({command!r}: 1-32 "
                        "characters of lowercase English letters, digits and underscores)",
                    )
                )
        if owner == "setMyCommands":
            commands = obj.get("commands")
            if isinstance(commands, list):
                if len(commands) > MAX_BOT_COMMANDS:
                    issues.append(
                        Issue("commands", f"Bad Request: too many commands ({len(commands)} > 100)")
                    )
                names = [c.get("command") for c in commands if isinstance(c, dict)]
                duplicates = sorted({n for n in names if isinstance(n, str) and names.count(n) > 1})
                if duplicates:
                    issues.append(
                        Issue("commands", f"Bad Request: duplicate commands {duplicates}")
                    )
        if owner == "createForumTopic":
            color = obj.get("icon_color")
            if isinstance(color, int) and color not in TOPIC_ICON_COLORS:
                issues.append(
                    Issue(
                        "icon_color",
                        f"Bad Request: TOPIC_ICON_COLOR_INVALID ({color}); must be "
                        f"one of {sorted(TOPIC_ICON_COLORS)}",
                    )
                )
        if owner == "getUpdates":
            timeout = obj.get("timeout")
            if isinstance(timeout, int) and timeout < 0:
                issues.append(Issue("timeout", "Bad Request: timeout must be non-negative"))
        if owner == "setWebhook":
            token = obj.get("secret_token")
            if isinstance(token, str) and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", token):
                issues.append(
                    Issue("secret_token", "Bad Request: secret token contains unallowed characters")
                )
        return issues

    def _formatted_text_rules(
        self, owner: str, fields: Mapping[str, FieldSpec], obj: dict[str, Any], prefix: str
    ) -> list[Issue]:
        issues: list[Issue] = []
        seen: set[str] = set()
        for text_field in _FORMATTED_TEXT_FIELD_NAMES:
            if text_field not in fields:
                continue
            seen.add(text_field)
            row = next(
                (r for r in _FORMATTED_FIELDS if r[0] == text_field and r[1] in fields), None
            )
            text = obj.get(text_field)
            if not isinstance(text, str):
                continue
            path = f"{prefix}{text_field}"
            plain = text
            mode = obj.get(row[1]) if row else None
            if isinstance(mode, str) and mode and mode.lower() in PARSE_MODES:
                try:
                    plain = parse_formatted_text(text, mode).text
                except FormattingError as error:
                    issues.append(Issue(path, f"Bad Request: can't parse entities: {error}"))
                    continue
            entities = obj.get(row[2]) if row and row[2] in fields else None
            if isinstance(entities, list):
                issues.extend(
                    self._entity_bounds(plain, entities, f"{prefix}{row[2] if row else ''}")
                )
            issues.extend(self._length_rule(owner, fields[text_field], plain, path))
        for spec_field in fields.values():
            value = obj.get(spec_field.name)
            if spec_field.name in seen or not isinstance(value, str):
                continue
            issues.extend(self._length_rule(owner, spec_field, value, f"{prefix}{spec_field.name}"))
        return issues

    def _length_rule(self, owner: str, spec_field: FieldSpec, value: str, path: str) -> list[Issue]:
        match = _STRING_LENGTH_RE.search(spec_field.description)
        if not match:
            return []
        low, high, unit = int(match.group(1)), int(match.group(2)), match.group(3)
        # Telegram counts characters as Unicode code points (measured against the live API);
        # MessageEntity offsets, in contrast, are UTF-16 code units.
        size = len(value.encode("utf-8")) if unit == "bytes" else len(value)
        if unit == "characters" and spec_field.name in ("text", "message_text", "caption"):
            # Telegram trims surrounding whitespace before checking for an empty message.
            is_empty = not value.strip()
        else:
            is_empty = size == 0
        too_short = size < low or (low >= 1 and is_empty)
        if not too_short and size <= high:
            return []
        messages = LENGTH_MESSAGES.get((owner, spec_field.name)) or LENGTH_MESSAGES.get(
            ("*", spec_field.name)
        )
        detail = f"({path} must be {low}-{high} {unit}, got {size})"
        if messages:
            text = messages[0] if too_short else messages[1]
            if text:
                return [Issue(path, f"{text} {detail}")]
        return [Issue(path, f"Bad Request: {detail[1:-1]}")]

    @staticmethod
    def _entity_bounds(text: str, entities: list[Any], path: str) -> list[Issue]:
        total = utf16_len(text)
        issues: list[Issue] = []
        for index, entity in enumerate(entities):
            if not isinstance(entity, dict):
                continue
            offset, length = entity.get("offset"), entity.get("length")
            if not isinstance(offset, int) or not isinstance(length, int):
                continue
            if offset < 0 or length < 1 or offset + length > total:
                issues.append(
                    Issue(
                        f"{path}[{index}]",
                        f"Bad Request: can't parse entities: entity "
                        f"{entity.get('type')!r} at offset {offset} length {length} is outside "
                        f"the text ({total} UTF-16 code units)",
                    )
                )
        return issues
