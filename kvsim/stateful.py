"""A hypothesis state machine of the stream operations (the public home of
:mod:`kvsim.testing.stateful`; importing it imports hypothesis)."""

from .testing.stateful import *  # noqa: F403
from .testing.stateful import __all__ as __all__
