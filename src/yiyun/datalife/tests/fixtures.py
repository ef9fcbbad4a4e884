"""Fixtures for the data lifecycle tests: every path under the test's own tmp_path."""

import pytest


@pytest.fixture
def datalife_dirs(settings, tmp_path):
    """Repositories, customer data and work space of this test only (a real restic runs)."""
    settings.DATALIFE_RESTIC_REPOSITORY = str(tmp_path / "backups")
    settings.DATALIFE_DATA_ROOT = str(tmp_path / "customer-data")
    settings.DATALIFE_WORK_DIR = str(tmp_path / "work")
    return tmp_path
