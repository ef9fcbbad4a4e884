"""`yiyun check` warns when the next 12 months lack an official schedule."""

import time_machine
from django.core import checks

from yiyun.core.checks import calendar_coverage
from yiyun.core.panels import calendar_panel
from yiyun.core.services import calendar_year_import
from yiyun.core.tests.calendar_fixtures import schedule_2027


def test_warns_when_the_next_year_is_missing(db):
    with time_machine.travel("2026-01-15T10:00:00+08:00", tick=False):
        warnings = calendar_coverage()
    assert [warning.id for warning in warnings] == ["yiyun.core.W001"]
    assert "2027" in warnings[0].msg
    assert "yiyun calendar import" in warnings[0].hint


def test_silent_when_the_next_12_months_are_covered(db):
    with time_machine.travel("2025-06-01T10:00:00+08:00", tick=False):
        assert calendar_coverage() == []


def test_a_provisional_year_does_not_count_an_official_one_does(db):
    with time_machine.travel("2026-11-27T10:00:00+08:00", tick=False):
        calendar_year_import(data=schedule_2027(official=False), by="admin")
        assert [warning.id for warning in calendar_coverage()] == ["yiyun.core.W001"]
        calendar_year_import(data=schedule_2027(), by="admin")
        assert calendar_coverage() == []


def test_registered_with_the_system_checks(db):
    with time_machine.travel("2026-11-27T10:00:00+08:00", tick=False):
        found = checks.run_checks(tags=["yiyun"])
    assert "yiyun.core.W001" in [message.id for message in found]


def test_dashboard_panel_warns_while_a_year_is_missing(world, rf):
    request = rf.get("/")
    request.user = world.provider_admin
    with time_machine.travel("2026-11-27T10:00:00+08:00", tick=False):
        html = calendar_panel(request)
        assert "2027 年的官方节假日安排尚未导入" in html
        calendar_year_import(data=schedule_2027(), by="admin")
        assert calendar_panel(request) == ""
