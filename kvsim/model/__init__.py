"""The model layer: botocore's service models as generated tables, typed views of
them (:mod:`kvsim.model.catalog`), validation shapes built from them
(:mod:`kvsim.model.shapes`) with kvsim's documented deviations
(:mod:`kvsim.model.deviations`), and the error classes (:mod:`kvsim.model.errors`).

The runtime never imports botocore: ``tools/gen_model.py`` writes the tables
from it at development time, and a test fails when they are stale.
"""
