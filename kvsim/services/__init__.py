"""The services: one package per botocore service of Kinesis Video, one module per
resource family, each operation declared once with its handler
(:mod:`kvsim.services.declarations`); :mod:`kvsim.services.registry` gathers them.

Services import the core and the model, never an adapter, boto3, botocore,
pytest or hypothesis.
"""
