"""YAML loading that remembers the line of every key and list item.

Staff edit the content by hand, so every problem must point at a line. PyYAML
knows the lines while composing; this loader keeps them on the values it
builds. It also keeps scalars as written where YAML 1.1 would surprise an
editor: ``10:00`` stays "10:00" (not 600) and ``no`` stays "no" (not False).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


class LinedDict(dict[str, Any]):
    """A mapping that knows the line (1-based) of itself and of each key."""

    line: int
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        """Line of ``key``, or of the mapping itself when the key is absent."""
        return self.key_lines.get(key, self.line)


class LinedList(list[Any]):
    """A list that knows the line (1-based) of itself and of each item."""

    line: int
    item_lines: list[int]

    def line_of(self, index: int) -> int:
        """Line of the item at ``index``."""
        return self.item_lines[index] if index < len(self.item_lines) else self.line


#: libyaml's parser when PyYAML was built with it (ten times faster), else the pure one;
#: both give the same nodes and marks.
_Base: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_Base):  # type: ignore[valid-type,misc]
    pass


def _build(loader: _Loader, node: yaml.Node) -> Any:
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)
        result = LinedDict()
        result.line = node.start_mark.line + 1
        result.key_lines = {}
        for key_node, value_node in node.value:
            key = _build(loader, key_node)
            key = str(key) if not isinstance(key, str) else key
            if key in result:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            result[key] = _build(loader, value_node)
            result.key_lines[key] = key_node.start_mark.line + 1
        return result
    if isinstance(node, yaml.SequenceNode):
        items = LinedList()
        items.line = node.start_mark.line + 1
        items.item_lines = []
        for item in node.value:
            items.append(_build(loader, item))
            items.item_lines.append(item.start_mark.line + 1)
        return items
    assert isinstance(node, yaml.ScalarNode)
    value = loader.construct_scalar(node) if node.tag == "tag:yaml.org,2002:str" else None
    if value is not None:
        return value
    constructed = loader.construct_object(node, deep=True)
    # Keep "10:00" (sexagesimal int in YAML 1.1) and yes/no/on/off as text.
    if isinstance(constructed, bool | int | float) and not node.style:
        raw = str(node.value)
        if ":" in raw or raw.lower() in {"yes", "no", "on", "off", "y", "n"}:
            return raw
    return constructed


class YamlError(Exception):
    """A YAML file that cannot be parsed, with the line of the problem."""

    def __init__(self, path: Path, line: int, message: str) -> None:
        super().__init__(f"{path}:{line}: {message}")
        self.path = path
        self.line = line
        self.message = message


def load_yaml(path: Path) -> Any:
    """Load one YAML document keeping line numbers; raise :class:`YamlError`."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise YamlError(path, 1, f"not valid UTF-8 ({exc.reason})") from exc
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        return _build(loader, node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        raise YamlError(path, line, f"{exc.problem or exc.context}") from exc
    except yaml.YAMLError as exc:
        raise YamlError(path, 1, str(exc)) from exc
    finally:
        loader.dispose()
