"""Telegram assistant of the Biuro Dialogu i Innowacji Miejskich in Toruń."""

__version__ = "0.1.0"
