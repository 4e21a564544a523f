"""Scenarios: JSON timelines of calls and clock steps (the public home of
:mod:`kvsim.scenarios.runner`)."""

from .scenarios.runner import *  # noqa: F403
from .scenarios.runner import __all__ as __all__
