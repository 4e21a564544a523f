"""The core: virtual time, the scheduler of timed changes, identifiers, the call trace.

Nothing here knows an AWS operation; everything above builds on it. The core
imports only the standard library.
"""
