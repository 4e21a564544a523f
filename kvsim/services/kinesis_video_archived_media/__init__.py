"""``kinesis-video-archived-media``: reading a stream's stored fragments.

- :mod:`.fragments`: ListFragments and GetMediaForFragmentList.
- :mod:`.clip`: GetClip.
- :mod:`.sessions`: GetHLSStreamingSessionURL and GetDASHStreamingSessionURL
  (the rules they share with GetClip are in :mod:`.selection`).
- :mod:`.images`: GetImages.
"""

from __future__ import annotations

from ..declarations import Operation
from . import clip, fragments, images, sessions

__all__ = ["OPERATIONS"]

#: The simulated operations of ``kinesis-video-archived-media``, in declaration order.
OPERATIONS: tuple[Operation, ...] = (
    *fragments.declare.operations,
    *clip.declare.operations,
    *images.declare.operations,
    *sessions.declare.operations,
)
