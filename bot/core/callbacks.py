"""Callback data of inline buttons: short, typed, at most 64 bytes."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

CALLBACK_LIMIT = 64


class Kind(StrEnum):
    """What a button does."""

    TOPIC = "t"  # answer a topic: t:<topic>
    GROUP = "g"  # open a menu group: g:<group>
    MENU = "m"  # show the main menu
    FEEDBACK = "f"  # f:<1|0>:<topic>
    ASK = "a"  # pass the last question to the Biuro
    LANGUAGE = "l"  # l:<pl|uk|en>
    LEARN = "k"  # staff: k:<ticket id> -> choose a topic
    LEARN_TOPIC = "K"  # staff: K:<ticket id>:<topic>
    SUBSCRIBE = "s"  # s:<theme>:<1|0>
    ANNOUNCE = "n"  # staff: n:<announcement id>:<ok|no>
    CALENDAR = "c"  # c:<edition>[:<day>:<session>]
    VENUE = "v"  # v:<place id>
    ERASE = "e"  # e:<1|0>: delete my data (yes / no)
    MORE = "w"  # w:<topic> -> the whole topic ("Więcej")


@dataclass(frozen=True)
class Callback:
    """A decoded button press."""

    kind: Kind
    args: tuple[str, ...] = ()

    def encode(self) -> str:
        """The callback_data string; raises ValueError when over 64 bytes."""
        data = ":".join((self.kind.value, *self.args))
        if len(data.encode("utf-8")) > CALLBACK_LIMIT:
            raise ValueError(f"callback data over {CALLBACK_LIMIT} bytes: {data!r}")
        return data


def decode(data: str | None) -> Callback | None:
    """Decode callback data; None for anything this bot did not make."""
    if not data:
        return None
    head, *args = data.split(":")
    try:
        kind = Kind(head)
    except ValueError:
        return None
    return Callback(kind, tuple(args))
