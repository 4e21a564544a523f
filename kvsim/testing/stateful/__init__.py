"""A hypothesis state machine that drives kvsim and checks it against a plain reference model.

The public home of this package is :mod:`kvsim.stateful`.

:class:`KinesisVideoStateMachine` has rules for all 32 ``kinesisvideo``
operations (called through ``sim.client``), for the hub devices of edge
configurations and for the virtual clock. Every
call goes through :class:`CheckedClient`, which predicts the outcome from a
:class:`ReferenceModel` (plain dicts: name → expected status, version,
retention, tags, device, media type, tier…) before the call, compares it with
what the simulator answered, and updates the model. After every step the
invariants compare the whole model with the simulator, run
``sim.runtime.check()``, and page through ListStreams with a small
``MaxResults``.

Run it as is, or subclass it to add rules that call your own code with
``self.kv`` (the checked client: your code's calls are predicted and checked
too) and ``self.sim`` (for ``sim.advance`` as a sleep function):

>>> from hypothesis import settings, strategies as st
>>> from hypothesis.stateful import rule, run_state_machine_as_test
>>> from kvsim.stateful import KinesisVideoStateMachine
>>> class RetentionBumper(KinesisVideoStateMachine):
...     '''My code: raise a stream's retention to a day, if it is ACTIVE.'''
...     @rule(name=KinesisVideoStateMachine.names)
...     def bump_to_a_day(self, name):
...         expected = self.model.streams.get(name)
...         if expected is None or expected.status != "ACTIVE" or expected.retention >= 24:
...             return
...         try:
...             self.kv.update_data_retention(
...                 StreamName=name, CurrentVersion=expected.version,
...                 Operation="INCREASE_DATA_RETENTION",
...                 DataRetentionChangeInHours=24 - expected.retention)
...         except self.kv.exceptions.ClientLimitExceededException:
...             return
...         assert self.model.streams[name].retention == 24
>>> run_state_machine_as_test(
...     RetentionBumper,
...     settings=settings(max_examples=5, stateful_step_count=10, database=None, deadline=None))
>>> RetentionBumper.coverage["ok:CreateStream"] > 0
True

Customise the world with :meth:`~KinesisVideoStateMachine.make_limits` and
:meth:`~KinesisVideoStateMachine.make_timings`; :attr:`~KinesisVideoStateMachine.coverage`
counts, per subclass, the outcomes and statuses reached so a test can assert
that a run was not vacuous. The model covers one account and region
(``account_id``, ``region_name``): make every call in it through ``self.kv``.
Injected faults (``sim.faults``) are tolerated: an error the model did not
predict is accepted while faults are set, provided it changed nothing.

The package has three modules, each importing only the ones before it:
:mod:`~kvsim.testing.stateful.reference` (the reference model, an oracle
independent of kvsim's tables), :mod:`~kvsim.testing.stateful.checked` (the
checked client) and :mod:`~kvsim.testing.stateful.machine` (the rules and
invariants).

This package imports hypothesis, a test dependency: ``import kvsim`` does not
import it.
"""

from .checked import CheckedClient, ModelMismatch
from .machine import DEVICE_POOL, LOW_RATES, NAME_POOL, TAG_KEY_POOL, KinesisVideoStateMachine
from .reference import METADATA_UPDATES, Expectation, ExpectedStream, ReferenceModel

__all__ = [
    "DEVICE_POOL",
    "LOW_RATES",
    "METADATA_UPDATES",
    "NAME_POOL",
    "TAG_KEY_POOL",
    "CheckedClient",
    "Expectation",
    "ExpectedStream",
    "KinesisVideoStateMachine",
    "ModelMismatch",
    "ReferenceModel",
]
