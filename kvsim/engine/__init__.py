"""The engine: the simulator, its call pipeline and the boto3-shaped clients.

The pipeline of one call (:mod:`kvsim.engine.runtime`): validate → authorize
→ injected faults → the operation's handler (whose preamble throttles) →
trace → request id and virtual time. Clients (:mod:`kvsim.engine.client`)
are built from the operation declarations and the model tables.
"""
