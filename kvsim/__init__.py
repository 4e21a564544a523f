"""kvsim: a deterministic, in-process simulator of Amazon Kinesis Video Streams.

>>> import kvsim
>>> sim = kvsim.Simulator(seed=0)
>>> kv = sim.client("kinesisvideo", region_name="us-east-1")
>>> kv.create_stream(StreamName="cam-1")["StreamARN"]
'arn:aws:kinesisvideo:us-east-1:123456789012:stream/cam-1/1767225600000'
"""

from . import errors
from .core.constants import DEFAULT_START, KVSIM_VERSION
from .core.kernel import ScheduledChange
from .engine.simulator import Simulator
from .errors import ClientError, ParamValidationError
from .model.catalog import SERVICE_NAMES
from .services.config import Limits, Timings
from .services.registry import DEFAULT_RATES, OPERATIONS

__all__ = [
    "DEFAULT_RATES",
    "DEFAULT_START",
    "OPERATIONS",
    "SERVICE_NAMES",
    "ClientError",
    "Limits",
    "ParamValidationError",
    "ScheduledChange",
    "Simulator",
    "Timings",
    "errors",
]

__version__ = KVSIM_VERSION
