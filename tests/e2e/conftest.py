"""Fixtures of the end-to-end tests (defined in harness.py and processes.py)."""

from harness import engine, fake_telegram, harness
from processes import bot_processes, process_api

__all__ = ["bot_processes", "engine", "fake_telegram", "harness", "process_api"]
