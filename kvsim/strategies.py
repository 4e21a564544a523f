"""Hypothesis strategies for Kinesis Video inputs (the public home of
:mod:`kvsim.testing.strategies`; importing it imports hypothesis)."""

from .testing.strategies import *  # noqa: F403
from .testing.strategies import __all__ as __all__
