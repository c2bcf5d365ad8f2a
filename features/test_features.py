"""Bind every feature file in this folder; the steps live in conftest.py."""

from pytest_bdd import scenarios

scenarios(".")
