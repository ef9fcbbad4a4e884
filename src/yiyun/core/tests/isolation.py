"""Tenant-isolation cases for core's API: the calendar is public-law data, the same for
every organisation, so each case only checks that a login is required and that a
customer's admin gets an answer."""

from yiyun.testing.isolation import Operation

CASES = [
    Operation("core_calendar_year_list"),
    Operation(
        "core_calendar_deadline",
        query=lambda w: {"from": "2026-09-18T16:00+08:00", "clock": "workdays", "n": 2},
    ),
]
