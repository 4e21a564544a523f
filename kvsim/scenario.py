"""Scenarios: JSON timelines of calls and clock steps (the public home of
:mod:`kvsim.scenarios`)."""

from .scenarios import *  # noqa: F403
from .scenarios import __all__ as __all__
