import pytest

from darkvid.engine.logging import close_logging


@pytest.fixture(autouse=True)
def _detach_run_logs():
    """A run's console handler holds this test's captured stdout; drop it before the next test."""
    yield
    close_logging()
