"""The testing toolkit: hypothesis strategies, the state machine and virtual time for
the code under test. Adapters of the public API only.

Their public homes are :mod:`kvsim.strategies` and :mod:`kvsim.stateful`; the
pytest plugin, an adapter too, is :mod:`kvsim.pytest_plugin` (the ``pytest11``
entry point). This package imports hypothesis only through those modules.
"""
