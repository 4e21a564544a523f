"""Scenarios: JSON timelines of calls and clock steps, the built-in demo, and saved traces replayed.

The public home of the scenario API is :mod:`kvsim.scenario`.
"""
