"""Calendar test data and fixtures: a made-up 2027 schedule, hooks that record their calls.

The 2027 schedule is invented: the real notice was not out when these tests were written.
"""

import copy

import pytest
from django.apps import apps

SOURCE_2027 = "国务院办公厅关于2027年部分节假日安排的通知（测试数据）"

_SCHEDULE_2027 = {
    "year": 2027,
    "source": SOURCE_2027,
    "holidays": [
        {"name": "元旦", "dates": ["2027-01-01", "2027-01-02", "2027-01-03"]},
        {
            "name": "春节",
            "dates": [
                "2027-02-05",
                "2027-02-06",
                "2027-02-07",
                "2027-02-08",
                "2027-02-09",
                "2027-02-10",
                "2027-02-11",
                "2027-02-12",
            ],
        },
    ],
    "makeup_workdays": ["2027-02-13", {"date": "2027-02-20", "name": "春节"}],
}


def schedule_2027(**changes) -> dict:
    """The test schedule, with top-level fields replaced by `changes`."""
    return {**copy.deepcopy(_SCHEDULE_2027), **changes}


HOOK_CALLS: list = []
RECORD = "yiyun.core.tests.calendar_fixtures.record_hook"
FAIL = "yiyun.core.tests.calendar_fixtures.failing_hook"


def record_hook(*, years):
    HOOK_CALLS.append(years)


def failing_hook(*, years):
    raise RuntimeError("recompute failed")


@pytest.fixture(name="calendar_hooks")
def calendar_hooks_fixture(monkeypatch):
    """calendar_hooks(*dotted_paths) registers them on core's AppConfig for one test; returns calls.

    Other apps' hooks (the obligations recompute) still run: the import is tested with them.
    """
    HOOK_CALLS.clear()
    config = apps.get_app_config("core")

    def register(*paths):
        monkeypatch.setattr(config, "calendar_changed_hooks", list(paths), raising=False)
        return HOOK_CALLS

    return register
