"""Loading and validating the content of intents/ and knowledge/."""

from bot.content.loader import Content, ContentError, Problem, load_content

__all__ = ["Content", "ContentError", "Problem", "load_content"]
