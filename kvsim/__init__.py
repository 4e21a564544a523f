"""kvsim: a deterministic, in-process simulator of Amazon Kinesis Video Streams.

>>> import kvsim
>>> sim = kvsim.Simulator(seed=0)
>>> kv = sim.client("kinesisvideo", region_name="us-east-1")
>>> kv.create_stream(StreamName="cam-1")["StreamARN"]
'arn:aws:kinesisvideo:us-east-1:123456789012:stream/cam-1/1767225600000'
"""

from . import errors
from .config import DEFAULT_RATES, DEFAULT_START, OPERATIONS, Limits, Timings
from .errors import ClientError, ParamValidationError
from .simulator import Simulator
from .world import ScheduledChange

__all__ = [
    "DEFAULT_RATES",
    "DEFAULT_START",
    "OPERATIONS",
    "ClientError",
    "Limits",
    "ParamValidationError",
    "ScheduledChange",
    "Simulator",
    "Timings",
    "errors",
]

__version__ = "0.1.0"
