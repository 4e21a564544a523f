"""Shared test settings: bounded hypothesis profiles and small world factories."""

from __future__ import annotations

import importlib
import os
import pkgutil

import pytest
from hypothesis import HealthCheck, settings

import kvsim

# Hypothesis mixes constants from every loaded local module into what it
# draws, so a derandomized test would draw differently depending on which
# other test files were collected. Loading every kvsim module up front gives
# each test the same draws whether it runs alone or in the whole suite.
for _module in pkgutil.walk_packages(kvsim.__path__, "kvsim."):
    if _module.name != "kvsim.__main__":  # that one runs the command line
        importlib.import_module(_module.name)

# "default" keeps the whole suite within a few minutes on 2 cores; CI's slow
# job and local deep runs pick "ci-slow" with HYPOTHESIS_PROFILE=ci-slow.
settings.register_profile(
    "default",
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,
)
settings.register_profile(
    "ci-slow",
    max_examples=600,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture
def sim() -> kvsim.Simulator:
    """A fresh world with AWS defaults and seed 0."""
    return kvsim.Simulator(seed=0)


@pytest.fixture
def kv(sim: kvsim.Simulator) -> kvsim.engine.client.KinesisVideoClient:
    """The default account's us-east-1 client of ``sim``."""
    return sim.client("kinesisvideo", region_name="us-east-1", account_id="123456789012")
