"""Thin handlers: unpack the update, call the core, render, send."""
