"""Virtual time for the code under test: ``with sim.patch_time(): ...``.

While a patch is active, the clock functions that code under test reads
follow the simulator's virtual clock instead of the machine's:

==============================================  =========================================
``time.sleep(s)``                               ``sim.advance(s)`` at once: the changes
                                                due meanwhile run, no real time passes
``time.time()``, ``time.time_ns()``             virtual seconds / nanoseconds since the epoch
``time.monotonic()``, ``time.monotonic_ns()``   the same values as ``time.time()`` (the
                                                virtual clock never goes backwards)
``time.localtime()``, ``time.gmtime()``,        the virtual time when called without a time
``time.ctime()``, ``time.strftime(fmt)``        argument
``datetime.datetime.now(tz)``, ``today()``,     the virtual instant (naive results are local
``utcnow()``, ``datetime.date.today()``         time, as the real ones are)
==============================================  =========================================

``time.perf_counter()``, ``perf_counter_ns()``, ``process_time()`` and
``thread_time()`` stay real: they measure how long code takes, and pytest,
Hypothesis and benchmark tools rely on them to do so.

How it works, and what follows from it:

* The functions are replaced as attributes of the ``time`` module, so code
  that calls ``time.sleep(...)`` is affected; a name bound earlier with
  ``from time import sleep`` keeps the real function.
* ``datetime.datetime`` and ``datetime.date`` are replaced, in the
  ``datetime`` module and in every module already imported that holds them
  as a global (``from datetime import datetime``), by subclasses whose
  ``now()``/``today()``/``utcnow()`` read the virtual clock. Constructing
  one still gives a real ``datetime``/``date``, and ``isinstance`` works both
  ways. ``type(x) is datetime.datetime`` is false while patched, and
  pickling a ``datetime`` needs the patch to be off.
* Everything is restored exactly on exit, also when the block raises.
  Stray references to the replacements that outlive the patch behave like
  the real functions and classes.
* Patching is process-global: every thread sees the virtual clock, and a
  ``time.sleep`` in any thread advances it. Only one patch can be active at a
  time; entering a second raises ``RuntimeError``.
* Calls made from ``asyncio``, ``hypothesis``, ``pluggy`` and ``_pytest``
  see the real clock, so an event loop's timers and test-framework
  bookkeeping keep working (``await asyncio.sleep()`` takes real time).
* Readings taken before the patch are not comparable with readings taken
  during it: start timers and deadlines inside the block.
* The virtual clock counts whole milliseconds: a sleep is rounded to the
  nearest millisecond, and any positive sleep advances at least one.

>>> import time, kvsim
>>> sim = kvsim.Simulator(seed=0)
>>> with patch_time(sim):
...     started = time.monotonic()
...     time.sleep(90)
...     time.monotonic() - started
90.0
>>> sim.now.isoformat()
'2026-01-01T00:01:30+00:00'
"""

from __future__ import annotations

import datetime as _datetime_module
import math
import sys
import threading
import time as _time_module
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, tzinfo
from types import TracebackType
from typing import TYPE_CHECKING, Any

from ..core.constants import EPOCH

if TYPE_CHECKING:
    from ..engine.simulator import Simulator

__all__ = ["TimePatch", "VirtualDate", "VirtualDatetime", "is_active", "patch_time"]

_REAL_DATE = date
_REAL_DATETIME = datetime
_MICROSECOND = timedelta(microseconds=1)

#: The real clock functions, captured when this module was first imported.
_REAL_SLEEP = _time_module.sleep
_REAL_TIME = _time_module.time
_REAL_TIME_NS = _time_module.time_ns
_REAL_MONOTONIC = _time_module.monotonic
_REAL_MONOTONIC_NS = _time_module.monotonic_ns
_REAL_LOCALTIME = _time_module.localtime
_REAL_GMTIME = _time_module.gmtime
_REAL_CTIME = _time_module.ctime
_REAL_STRFTIME = _time_module.strftime

#: Callers from these packages always see the real clock.
_REAL_TIME_CALLERS = ("asyncio.", "hypothesis.", "pluggy.", "_pytest.")

#: Modules never rebound: the ``datetime`` module itself (patched by name) and this one.
_NOT_REBOUND = frozenset({"datetime", "_datetime", "_pydatetime", __name__})

_lock = threading.Lock()
_active: TimePatch | None = None


def is_active() -> bool:
    """Whether a :func:`patch_time` block is active in this process."""
    return _active is not None


def _virtual_sim(depth: int) -> Simulator | None:
    """The simulator whose clock the caller ``depth`` frames up should see, or None."""
    patch = _active
    if patch is None:
        return None
    caller = sys._getframe(depth + 1).f_globals.get("__name__", "")
    if isinstance(caller, str) and caller.startswith(_REAL_TIME_CALLERS):
        return None
    return patch.sim


def _epoch_us(sim: Simulator) -> int:
    """The virtual time in whole microseconds since the Unix epoch."""
    return (sim.now - EPOCH) // _MICROSECOND


def _sleep_seconds(secs: object) -> float:
    """How far a ``time.sleep(secs)`` moves the virtual clock (whole milliseconds)."""
    if not isinstance(secs, int | float):
        raise TypeError(f"sleep length must be a number, not {type(secs).__name__}")
    if math.isnan(secs):
        raise ValueError("Invalid value NaN (not a number)")
    if secs < 0:
        raise ValueError("sleep length must be non-negative")
    if math.isinf(secs):
        raise OverflowError("sleep length is too large")
    ms = round(secs * 1000)
    if ms == 0 and secs > 0:
        ms = 1
    return ms / 1000


# -- the time module's replacements ---------------------------------------------------------


def _sleep(secs: float, /) -> None:
    """``time.sleep`` on the virtual clock: ``sim.advance(secs)``, no real waiting."""
    sim = _virtual_sim(1)
    if sim is None:
        _REAL_SLEEP(secs)
        return
    sim.advance(_sleep_seconds(secs))


def _time() -> float:
    """``time.time`` on the virtual clock."""
    sim = _virtual_sim(1)
    return _REAL_TIME() if sim is None else _epoch_us(sim) / 1_000_000


def _time_ns() -> int:
    """``time.time_ns`` on the virtual clock."""
    sim = _virtual_sim(1)
    return _REAL_TIME_NS() if sim is None else _epoch_us(sim) * 1000


def _monotonic() -> float:
    """``time.monotonic`` on the virtual clock (same values as ``time.time``)."""
    sim = _virtual_sim(1)
    return _REAL_MONOTONIC() if sim is None else _epoch_us(sim) / 1_000_000


def _monotonic_ns() -> int:
    """``time.monotonic_ns`` on the virtual clock (same values as ``time.time_ns``)."""
    sim = _virtual_sim(1)
    return _REAL_MONOTONIC_NS() if sim is None else _epoch_us(sim) * 1000


def _virtual_secs(secs: float | None) -> float | None:
    """``secs``, or the virtual time when ``secs`` is None and a patch applies."""
    if secs is not None:
        return secs
    sim = _virtual_sim(2)
    return None if sim is None else _epoch_us(sim) / 1_000_000


def _localtime(secs: float | None = None, /) -> _time_module.struct_time:
    """``time.localtime`` whose default is the virtual time."""
    return _REAL_LOCALTIME(_virtual_secs(secs))


def _gmtime(secs: float | None = None, /) -> _time_module.struct_time:
    """``time.gmtime`` whose default is the virtual time."""
    return _REAL_GMTIME(_virtual_secs(secs))


def _ctime(secs: float | None = None, /) -> str:
    """``time.ctime`` whose default is the virtual time."""
    return _REAL_CTIME(_virtual_secs(secs))


def _strftime(fmt: str, t: Any = None, /) -> str:
    """``time.strftime`` whose default is the virtual local time."""
    if t is None:
        secs = _virtual_secs(None)
        t = _REAL_LOCALTIME(secs)
    return _REAL_STRFTIME(fmt, t)


_TIME_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "sleep": _sleep,
    "time": _time,
    "time_ns": _time_ns,
    "monotonic": _monotonic,
    "monotonic_ns": _monotonic_ns,
    "localtime": _localtime,
    "gmtime": _gmtime,
    "ctime": _ctime,
    "strftime": _strftime,
}


# -- the datetime module's replacements -----------------------------------------------------


class _VirtualDateMeta(type):
    """Makes ``isinstance``/``issubclass`` against the replacement mean the real class."""

    _real: type

    def __instancecheck__(cls, obj: object) -> bool:
        return isinstance(obj, cls._real)

    def __subclasscheck__(cls, sub: type) -> bool:
        return issubclass(sub, cls._real)


class VirtualDate(date, metaclass=_VirtualDateMeta):
    """``datetime.date`` while time is patched: ``today()`` reads the virtual clock.

    ``VirtualDate(2026, 1, 1)`` makes a real ``date``.
    """

    _real = _REAL_DATE

    def __new__(cls, *args: Any, **kwargs: Any) -> VirtualDate:
        if cls is VirtualDate:
            return _REAL_DATE(*args, **kwargs)  # type: ignore[return-value]
        return _REAL_DATE.__new__(cls, *args, **kwargs)

    @classmethod
    def today(cls) -> VirtualDate:
        """The virtual local date (the real one when no patch applies)."""
        sim = _virtual_sim(1)
        moment = _REAL_DATETIME.now() if sim is None else _local(sim.now, None)
        return cls(moment.year, moment.month, moment.day)


class VirtualDatetime(datetime, metaclass=_VirtualDateMeta):
    """``datetime.datetime`` while time is patched: ``now()``, ``today()`` and
    ``utcnow()`` read the virtual clock.

    ``VirtualDatetime(2026, 1, 1)`` makes a real ``datetime``.
    """

    _real = _REAL_DATETIME

    def __new__(cls, *args: Any, **kwargs: Any) -> VirtualDatetime:
        if cls is VirtualDatetime:
            return _REAL_DATETIME(*args, **kwargs)  # type: ignore[return-value]
        return _REAL_DATETIME.__new__(cls, *args, **kwargs)

    @classmethod
    def now(cls, tz: tzinfo | None = None) -> VirtualDatetime:
        """The virtual time in ``tz`` (naive local time when ``tz`` is None)."""
        sim = _virtual_sim(1)
        moment = _REAL_DATETIME.now(tz) if sim is None else _local(sim.now, tz)
        return cls._of(moment)

    @classmethod
    def today(cls) -> VirtualDatetime:
        """The virtual time as naive local time."""
        sim = _virtual_sim(1)
        moment = _REAL_DATETIME.now() if sim is None else _local(sim.now, None)
        return cls._of(moment)

    @classmethod
    def utcnow(cls) -> VirtualDatetime:
        """The virtual time as naive UTC."""
        sim = _virtual_sim(1)
        if sim is None:
            moment = _REAL_DATETIME.now(UTC).replace(tzinfo=None)
        else:
            moment = sim.now.replace(tzinfo=None)
        return cls._of(moment)

    @classmethod
    def _of(cls, moment: datetime) -> VirtualDatetime:
        """``moment`` as an instance of ``cls``: real for this class, else the subclass."""
        if cls is VirtualDatetime:
            return moment  # type: ignore[return-value]
        return cls.combine(moment.date(), moment.timetz(), moment.tzinfo)


def _local(moment: datetime, tz: tzinfo | None) -> datetime:
    """``moment`` (aware) in ``tz``, or as naive local time when ``tz`` is None."""
    if tz is None:
        return moment.astimezone().replace(tzinfo=None)
    return moment.astimezone(tz)


_CLASS_SWAPS: dict[int, tuple[type, type]] = {
    id(_REAL_DATETIME): (_REAL_DATETIME, VirtualDatetime),
    id(_REAL_DATE): (_REAL_DATE, VirtualDate),
}
_UNDO_SWAPS: dict[int, tuple[type, type]] = {
    id(fake): (fake, real) for real, fake in _CLASS_SWAPS.values()
}


def _swap_globals(
    module_names: list[str], swaps: dict[int, tuple[type, type]]
) -> list[tuple[dict[str, Any], str, type, type]]:
    """In each named module's globals, replace the classes keyed in ``swaps``;
    returns ``(globals, name, old, new)`` for each replacement made. One pass, O(globals)."""
    done: list[tuple[dict[str, Any], str, type, type]] = []
    wanted = swaps.keys()
    for module_name in module_names:
        if module_name in _NOT_REBOUND:
            continue
        module = sys.modules.get(module_name)
        if module is None:
            continue
        try:
            # Not getattr: lazily loaded modules must not be loaded by this.
            namespace = object.__getattribute__(module, "__dict__")
        except AttributeError:
            continue
        if not isinstance(namespace, dict) or wanted.isdisjoint(map(id, namespace.values())):
            continue  # the common case, decided at C speed
        for name, value in list(namespace.items()):
            swap = swaps.get(id(value))
            if swap is not None and value is swap[0]:
                namespace[name] = swap[1]
                done.append((namespace, name, swap[0], swap[1]))
    return done


# -- the context manager --------------------------------------------------------------------


class TimePatch:
    """The context manager :func:`patch_time` returns; ``__enter__`` gives the simulator.

    It can be entered again after it has exited, but not while any time patch
    is active in the process.
    """

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        self._time_saved: dict[str, Any] = {}
        self._module_saved: dict[str, Any] = {}
        self._rebound: list[tuple[dict[str, Any], str, type, type]] = []
        self._modules_seen: frozenset[str] = frozenset()

    def __repr__(self) -> str:
        state = "active" if _active is self else "inactive"
        return f"<kvsim.TimePatch {state} sim={self.sim!r}>"

    def __enter__(self) -> Simulator:
        global _active
        with _lock:
            if _active is not None:
                which = "this patch" if _active is self else repr(_active.sim)
                raise RuntimeError(
                    f"kvsim: time is already patched (by {which}); patch_time() cannot be nested"
                )
            try:
                self._patch()
            except BaseException:
                self._restore()
                raise
            _active = self
        return self.sim

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        global _active
        with _lock:
            if _active is not self:
                raise RuntimeError("kvsim: this time patch is not active")
            try:
                self._restore()
            finally:
                _active = None

    def _patch(self) -> None:
        for name, function in _TIME_FUNCTIONS.items():
            self._time_saved[name] = getattr(_time_module, name)
            setattr(_time_module, name, function)
        for name, fake in (("datetime", VirtualDatetime), ("date", VirtualDate)):
            self._module_saved[name] = getattr(_datetime_module, name)
            setattr(_datetime_module, name, fake)
        module_names = list(sys.modules)
        self._modules_seen = frozenset(module_names)
        self._rebound = _swap_globals(module_names, _CLASS_SWAPS)

    def _restore(self) -> None:
        """Undo everything :meth:`_patch` did (also a partial patch)."""
        for name, original in self._time_saved.items():
            setattr(_time_module, name, original)
        for name, original in self._module_saved.items():
            setattr(_datetime_module, name, original)
        for namespace, name, real, fake in reversed(self._rebound):
            if namespace.get(name) is fake:
                namespace[name] = real
        # Modules imported while patched may have bound the replacements.
        new_modules = [name for name in list(sys.modules) if name not in self._modules_seen]
        _swap_globals(new_modules, _UNDO_SWAPS)
        self._time_saved.clear()
        self._module_saved.clear()
        self._rebound = []
        self._modules_seen = frozenset()


def patch_time(sim: Simulator) -> TimePatch:
    """A context manager that puts the code under test on ``sim``'s virtual clock.

    ``with patch_time(sim) as sim: ...`` (also ``sim.patch_time()``); see the
    module documentation for what is patched and how.
    """
    return TimePatch(sim)
