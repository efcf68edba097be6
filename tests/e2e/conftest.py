"""Fixtures of the end-to-end tests (defined in harness.py)."""

from harness import engine, fake_telegram, harness

__all__ = ["engine", "fake_telegram", "harness"]
