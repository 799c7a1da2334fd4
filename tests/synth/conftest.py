"""Fixtures for the synthetic-data tests: the shipped programmes and the system user."""

import pytest

from turnpoint.journeys.management.commands.synth import synth_system_user


@pytest.fixture
def synth_user(programmes):
    """The `synth` system user, a coordinator in every loaded programme team."""
    return synth_system_user()
