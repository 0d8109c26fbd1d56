"""Shared test plumbing: a place for statistics printed in pytest's final summary."""

import pytest

_SUMMARY = pytest.StashKey()


@pytest.fixture(scope="session")
def summary_lines(pytestconfig):
    """A list whose lines pytest prints in its summary at the end, not among the progress dots."""
    return pytestconfig.stash.setdefault(_SUMMARY, [])


def pytest_terminal_summary(terminalreporter, config):
    lines = config.stash.get(_SUMMARY, [])
    if lines:
        terminalreporter.write_sep("-", "statistics")
        for line in lines:
            terminalreporter.write_line(line)
