"""Hypothesis strategies for Kinesis Video inputs (the public home of
:mod:`kvsim.testing.strategies`, :mod:`kvsim.testing.channel_strategies`,
:mod:`kvsim.testing.config_strategies`, :mod:`kvsim.testing.signaling_strategies` and
:mod:`kvsim.testing.media_strategies`;
importing it imports hypothesis)."""

from .testing.channel_strategies import *  # noqa: F403
from .testing.channel_strategies import __all__ as _channel_names
from .testing.config_strategies import *  # noqa: F403
from .testing.config_strategies import __all__ as _config_names
from .testing.media_strategies import *  # noqa: F403
from .testing.media_strategies import __all__ as _media_names
from .testing.signaling_strategies import *  # noqa: F403
from .testing.signaling_strategies import __all__ as _signaling_names
from .testing.strategies import *  # noqa: F403
from .testing.strategies import __all__ as _names

__all__ = [*_names, *_channel_names, *_config_names, *_signaling_names, *_media_names]
