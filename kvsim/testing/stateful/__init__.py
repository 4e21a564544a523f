"""The hypothesis state machine of the stream operations (public home: :mod:`kvsim.stateful`)."""

from .machine import *  # noqa: F403
from .machine import __all__ as __all__
