"""Transport-agnostic core: matching, answering, inbox rules.

Nothing here imports telegram or sqlmodel (ruff's banned-api rule enforces it).
"""
