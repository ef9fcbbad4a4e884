"""The schedule in the database: loaded from the package, imported, corrected, audited."""

from datetime import date, datetime

import chinese_calendar
import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import translation

from yiyun.core import selectors
from yiyun.core.audit import audit_verify
from yiyun.core.choices import CalendarDayKind, CalendarOrigin
from yiyun.core.clock import SHANGHAI
from yiyun.core.errors import CalendarImportError
from yiyun.core.models import AuditEntry, CalendarDay, CalendarYear
from yiyun.core.periods import deadline
from yiyun.core.services import calendar_package_load, calendar_year_import
from yiyun.core.tests.calendar_fixtures import (  # noqa: F401 — a fixture
    FAIL,
    RECORD,
    SOURCE_2027,
    calendar_hooks_fixture,
    schedule_2027,
)
from yiyun.core.workcalendar import package_schedules


def new_year_3_working_days():
    """From Wednesday 2026-12-30, 3 working days: crosses into 2027."""
    trigger = datetime(2026, 12, 30, 10, 0, tzinfo=SHANGHAI)
    return deadline(trigger, clock="workdays", n=3)


# -- the package's years -----------------------------------------------------------------


def test_fresh_database_has_2004_to_2026_from_the_package(db):
    years = list(CalendarYear.objects.values_list("year", "official", "origin"))
    assert years == [(year, True, CalendarOrigin.PACKAGE) for year in range(2004, 2027)]
    stored = {
        (day.date, day.kind) for day in CalendarDay.objects.filter(calendar_year__year__gte=2004)
    }
    expected = {(day, CalendarDayKind.HOLIDAY) for day in chinese_calendar.holidays} | {
        (day, CalendarDayKind.MAKEUP_WORKDAY) for day in chinese_calendar.workdays
    }
    assert stored == expected
    sunday = CalendarDay.objects.get(date=date(2026, 9, 20))
    assert (sunday.kind, sunday.name) == (CalendarDayKind.MAKEUP_WORKDAY, "国庆节")
    assert "chinese-calendar 1.11.0" in CalendarYear.objects.get(year=2026).source


def test_package_load_is_idempotent(db):
    days = CalendarDay.objects.count()
    assert calendar_package_load() == []
    assert CalendarDay.objects.count() == days
    assert not AuditEntry.objects.exists()


def test_package_load_brings_back_a_missing_year_audited(db, calendar_hooks):
    calls = calendar_hooks(RECORD)
    CalendarYear.objects.filter(year=2010).delete()
    assert calendar_package_load() == [2010]
    assert CalendarDay.objects.filter(calendar_year__year=2010).count() == len(
        package_schedules()[2010]
    )
    assert list(AuditEntry.objects.values_list("action", "data__year")) == [
        ("calendar.year_loaded", 2010)
    ]
    assert calls == [frozenset({2010})]


def test_empty_database_is_seeded_without_audit(db):
    CalendarYear.objects.all().delete()
    assert calendar_package_load() == list(range(2004, 2027))
    assert not AuditEntry.objects.exists()


# -- import ------------------------------------------------------------------------------


def test_import_of_a_new_year_confirms_its_deadlines(db, calendar_hooks):
    calls = calendar_hooks(RECORD)
    before = new_year_3_working_days()
    # Without 2027's schedule: Friday 01-01 counts as a working day.
    assert before.due_at.isoformat() == "2027-01-05T00:00:00+08:00"
    assert before.unconfirmed_years == frozenset({2027})

    row = calendar_year_import(data=schedule_2027(), by="admin")

    # 01-01..01-03 off: 12-31 is WD 1, Monday 01-04 WD 2, Tuesday 01-05 WD 3.
    after = new_year_3_working_days()
    assert after.due_at.isoformat() == "2027-01-06T00:00:00+08:00"
    assert not after.unconfirmed
    assert (row.year, row.source, row.official, row.origin) == (
        2027,
        SOURCE_2027,
        True,
        CalendarOrigin.FILE,
    )
    assert row.days.filter(kind=CalendarDayKind.HOLIDAY).count() == 11
    assert row.days.get(date=date(2027, 2, 20)).name == "春节"
    assert calls == [frozenset({2027})]
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor, entry.object_id) == (
        "calendar.year_imported",
        "admin",
        str(row.pk),
    )
    assert entry.data["holidays"] == 11 and entry.data["makeup_workdays"] == 2
    assert audit_verify().ok


def test_import_of_a_corrected_year_replaces_it_and_is_audited(db, calendar_hooks):
    calls = calendar_hooks(RECORD)
    # A provisional entry first: used, but still flagged.
    provisional = calendar_year_import(data=schedule_2027(official=False), by="admin")
    first_revision = provisional.revision
    result = new_year_3_working_days()
    assert result.due_at.isoformat() == "2027-01-06T00:00:00+08:00"
    assert result.unconfirmed_years == frozenset({2027})

    # The official notice adds Monday 01-04 as a holiday.
    corrected = schedule_2027()
    corrected["holidays"][0]["dates"].append("2027-01-04")
    row = calendar_year_import(data=corrected, by="admin")

    # 12-31 WD 1, Tuesday 01-05 WD 2, Wednesday 01-06 WD 3.
    result = new_year_3_working_days()
    assert result.due_at.isoformat() == "2027-01-07T00:00:00+08:00"
    assert not result.unconfirmed
    assert row.pk == provisional.pk and row.revision != first_revision
    assert CalendarYear.objects.filter(year=2027).count() == 1
    assert row.days.count() == 14
    entry = AuditEntry.objects.order_by("-seq").first()
    assert entry.action == "calendar.year_corrected"
    assert entry.data["added"] == ["2027-01-04 holiday"]
    assert entry.data["removed"] == []
    assert entry.data["previous_official"] is False
    assert calls == [frozenset({2027}), frozenset({2027})]


def test_correcting_an_official_year_changes_its_deadlines(db, calendar_hooks):
    calls = calendar_hooks(RECORD)
    # Should 2026's make-up Sunday 09-20 be withdrawn, Friday 09-18 + 2 WD would end on
    # Tuesday 09-22 instead of Monday 09-21.
    days = package_schedules()[2026]
    holidays = [d for d in days if d.kind == CalendarDayKind.HOLIDAY]
    document = {
        "year": 2026,
        "source": "国务院办公厅关于2026年部分节假日安排的通知（更正，测试数据）",
        "holidays": [
            {"name": name, "dates": [d.date.isoformat() for d in holidays if d.name == name]}
            for name in dict.fromkeys(d.name for d in holidays)
        ],
        "makeup_workdays": [
            d.date.isoformat()
            for d in days
            if d.kind == CalendarDayKind.MAKEUP_WORKDAY and d.date != date(2026, 9, 20)
        ],
    }
    friday = datetime(2026, 9, 18, 16, 0, tzinfo=SHANGHAI)
    assert deadline(friday, clock="workdays", n=2).due_at.isoformat() == (
        "2026-09-22T00:00:00+08:00"
    )
    calendar_year_import(data=document, by="admin")
    assert deadline(friday, clock="workdays", n=2).due_at.isoformat() == (
        "2026-09-23T00:00:00+08:00"
    )
    entry = AuditEntry.objects.get()
    assert entry.data["removed"] == ["2026-09-20 makeup_workday"]
    assert calls == [frozenset({2026})]


def test_reimporting_the_same_schedule_runs_no_hooks(db, calendar_hooks):
    calls = calendar_hooks(RECORD)
    calendar_year_import(data=schedule_2027(), by="admin")
    calendar_year_import(data=schedule_2027(), by="admin")
    assert calls == [frozenset({2027})]
    assert [e.action for e in AuditEntry.objects.all()] == [
        "calendar.year_imported",
        "calendar.year_corrected",
    ]


def test_a_failing_hook_rolls_the_import_back(db, calendar_hooks):
    calendar_hooks(FAIL)
    with pytest.raises(RuntimeError, match="recompute failed"):
        calendar_year_import(data=schedule_2027(), by="admin")
    assert not CalendarYear.objects.filter(year=2027).exists()
    assert not AuditEntry.objects.exists()
    assert new_year_3_working_days().unconfirmed


# -- the cached index --------------------------------------------------------------------


def test_index_is_rebuilt_after_an_import(db):
    index = selectors.calendar_index()
    assert selectors.calendar_index() is index
    calendar_year_import(data=schedule_2027(), by="admin")
    assert selectors.calendar_index() is not index
    assert 2027 in selectors.calendar_index().official_years


def test_rolled_back_import_leaves_no_trace_in_the_index(db):
    with transaction.atomic():
        calendar_year_import(data=schedule_2027(), by="admin")
        assert not new_year_3_working_days().unconfirmed
        transaction.set_rollback(True)
    assert new_year_3_working_days().unconfirmed
    assert 2027 not in selectors.calendar_index().scheduled_years


def test_another_process_import_is_seen_after_the_recheck_interval(db, monkeypatch):
    assert 2027 not in selectors.calendar_index().official_years
    # Another process writes the year: this process learns of it only by rereading the
    # revisions, at most RECHECK_SECONDS later.
    CalendarYear.objects.create(year=2027, source=SOURCE_2027, imported_at=datetime.now(SHANGHAI))
    monkeypatch.setattr(selectors, "RECHECK_SECONDS", 0.0)
    assert 2027 in selectors.calendar_index().official_years


# -- refused files -----------------------------------------------------------------------


def _with_holiday_dates(*dates):
    document = schedule_2027()
    document["holidays"][0]["dates"] = list(dates)
    return document


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (_with_holiday_dates("2026-12-31", "2027-01-01"), "2026-12-31（元旦） 不在 2027 年内"),
        (_with_holiday_dates("2027-01-01", "2027-01-01"), "2027-01-01（元旦） 重复出现"),
        (_with_holiday_dates("2027-02-30"), "'2027-02-30' 不是有效日期"),
        (_with_holiday_dates("20270101"), "'20270101' 不是有效日期"),
        (schedule_2027(makeup_workdays=["2027-02-15"]), "2027-02-15 是星期一，不是周末"),
        (
            schedule_2027(makeup_workdays=["2027-01-02"]),
            "2027-01-02 既是放假日又是调休上班日",
        ),
        (schedule_2027(makeup_workdays=["2027-02-13", "2027-02-13"]), "2027-02-13 重复出现"),
        (schedule_2027(year="2027"), "“year”必须是 2000 至 2199 之间的整数"),
        (schedule_2027(year=2300), "“year”必须是 2000 至 2199 之间的整数"),
        (schedule_2027(source=" "), "“source”必须写明通知的标题"),
        (schedule_2027(holidays=[]), "“holidays”必须是非空列表"),
        (schedule_2027(official="yes"), "“official”必须是 true 或 false"),
        (schedule_2027(note="x"), "未知字段：note"),
        (schedule_2027(holidays=[{"dates": ["2027-01-01"]}]), "holidays[0] 缺少节日名称"),
        ([2027], "顶层必须是一个 JSON 对象"),
    ],
)
def test_refused_file_names_the_problem(db, document, message):
    with pytest.raises(CalendarImportError) as caught:
        calendar_year_import(data=document, by="admin")
    assert any(message in error for error in caught.value.errors), caught.value.errors
    assert not CalendarYear.objects.filter(year=2027).exists()
    assert not AuditEntry.objects.exists()


def test_weekday_names_follow_the_language(db):
    document = schedule_2027(makeup_workdays=["2027-02-15"])
    with translation.override("en"), pytest.raises(CalendarImportError) as caught:
        calendar_year_import(data=document, by="admin")
    assert any("2027-02-15 falls on a Monday" in error for error in caught.value.errors), (
        caught.value.errors
    )


def test_every_problem_is_listed_at_once(db):
    document = _with_holiday_dates("2026-12-31")
    document["makeup_workdays"] = ["2027-02-15"]
    del document["source"]
    with pytest.raises(CalendarImportError) as caught:
        calendar_year_import(data=document, by="admin")
    assert len(caught.value.errors) == 3, caught.value.errors


def test_refused_correction_keeps_the_stored_year(db):
    calendar_year_import(data=schedule_2027(), by="admin")
    with pytest.raises(CalendarImportError):
        calendar_year_import(data=schedule_2027(makeup_workdays=["2027-02-15"]), by="admin")
    assert CalendarYear.objects.get(year=2027).days.count() == 13


def test_flushed_database_gets_the_package_years_back(transactional_db):
    # A flush (as after every transactional test) empties the tables and sends
    # post_migrate: the loader puts the package's years back, and the index follows.
    calendar_year_import(data=schedule_2027(), by="admin")
    assert 2027 in selectors.calendar_index().official_years
    call_command("flush", interactive=False, verbosity=0)
    assert list(CalendarYear.objects.values_list("year", flat=True)) == list(range(2004, 2027))
    assert 2027 not in selectors.calendar_index().official_years
    assert 2026 in selectors.calendar_index().official_years
