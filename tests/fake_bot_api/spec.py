"""Typed access to the machine-readable Bot API description in ``spec/api.json``.

The JSON file comes from github.com/PaulSonOfLars/telegram-bot-api-spec (MIT licence, see
``spec/LICENSE`` and ``spec/SOURCE_COMMIT.txt``).  Its shape is::

    {"version": "Bot API 10.1",
     "methods": {"sendMessage": {"fields": [{"name", "types", "required", "description"}],
                                 "returns": ["Message"]}},
     "types":   {"Message": {"fields": [...]},
                 "BotCommandScope": {"subtypes": ["BotCommandScopeDefault", ...]}}}

Field types are strings such as ``"Integer"``, ``"Array of MessageEntity"`` or
``"Array of Array of InlineKeyboardButton"``; a union is simply a list of several of them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

SPEC_DIR = Path(__file__).resolve().parent / "spec"
API_JSON = SPEC_DIR / "api.json"

PRIMITIVE_TYPES = frozenset({"Integer", "Float", "Boolean", "String"})
ARRAY_PREFIX = "Array of "

# Subtypes are told apart by a constant-valued field whose description ends with
# 'always "user"' or 'must be photo' (the upstream documentation is not consistent).
_DISCRIMINATOR_RE = re.compile(r'(?:always|must be) "?([A-Za-z0-9_]+)"?\s*$')


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One parameter of a method or one field of a type."""

    name: str
    types: tuple[str, ...]
    required: bool
    description: str


@dataclass(frozen=True, slots=True)
class TypeSpec:
    """A Bot API object type.

    ``has_fields`` is False for placeholder types without a field table (``CallbackGame``,
    ``ForumTopicClosed`` ...) and for abstract union types that only list ``subtypes``.
    """

    name: str
    fields: dict[str, FieldSpec]
    has_fields: bool
    subtypes: tuple[str, ...]
    discriminator: tuple[str, str] | None

    @property
    def is_union(self) -> bool:
        return bool(self.subtypes)


@dataclass(frozen=True, slots=True)
class MethodSpec:
    """A Bot API method."""

    name: str
    fields: dict[str, FieldSpec]
    returns: tuple[str, ...]


def array_item_type(type_expr: str) -> str | None:
    """Return ``X`` for ``"Array of X"`` and ``None`` for anything else."""
    if type_expr.startswith(ARRAY_PREFIX):
        return type_expr[len(ARRAY_PREFIX) :]
    return None


def _field(raw: dict[str, Any]) -> FieldSpec:
    return FieldSpec(
        name=raw["name"],
        types=tuple(raw["types"]),
        required=bool(raw["required"]),
        description=raw.get("description", ""),
    )


def _discriminator(fields: dict[str, FieldSpec]) -> tuple[str, str] | None:
    for candidate in ("type", "status", "source"):
        field = fields.get(candidate)
        if field is None:
            continue
        match = _DISCRIMINATOR_RE.search(field.description)
        if match:
            return candidate, match.group(1)
    return None


class ApiSpec:
    """The parsed api.json with case-insensitive method lookup."""

    def __init__(self, raw: dict[str, Any]) -> None:
        self.version: str = raw.get("version", "unknown")
        self.methods: dict[str, MethodSpec] = {}
        self.types: dict[str, TypeSpec] = {}
        for name, method in raw["methods"].items():
            fields = {f["name"]: _field(f) for f in method.get("fields", [])}
            self.methods[name] = MethodSpec(
                name=name, fields=fields, returns=tuple(method.get("returns", []))
            )
        for name, type_ in raw["types"].items():
            fields = {f["name"]: _field(f) for f in type_.get("fields", [])}
            self.types[name] = TypeSpec(
                name=name,
                fields=fields,
                has_fields="fields" in type_,
                subtypes=tuple(type_.get("subtypes", [])),
                discriminator=_discriminator(fields),
            )
        # Telegram treats method names case-insensitively (/bot<token>/SENDMESSAGE works).
        self._methods_lower = {name.lower(): spec for name, spec in self.methods.items()}

    def method(self, name: str) -> MethodSpec | None:
        """Look a method up the way Telegram does: ignoring case."""
        return self._methods_lower.get(name.lower())

    def type(self, name: str) -> TypeSpec | None:
        return self.types.get(name)


@cache
def load_spec(path: Path = API_JSON) -> ApiSpec:
    """Load (once per process) the bundled Bot API description."""
    with path.open(encoding="utf-8") as handle:
        return ApiSpec(json.load(handle))
