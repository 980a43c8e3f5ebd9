"""Meeting scheduler for matchmaking events: solve, re-solve after changes, check hand moves."""

from .model import (
    Assignment,
    InputError,
    Instance,
    Meeting,
    Participant,
    Schedule,
    parse_instance,
)
from .moves import apply_move, check_move
from .resolve import apply_changes, resolve
from .solver import DEFAULT_TIME_LIMIT, solve

__all__ = [
    "DEFAULT_TIME_LIMIT",
    "Assignment",
    "InputError",
    "Instance",
    "Meeting",
    "Participant",
    "Schedule",
    "apply_changes",
    "apply_move",
    "check_move",
    "parse_instance",
    "resolve",
    "solve",
]
