"""Civil Code arts. 200–204 on the official schedule.

Expected values are worked out by hand from the State Council's 2026 notice (as in the
`chinese-calendar` package: National Day 10-01..10-07, make-up working days Sunday 09-20
and Saturday 10-10, Spring Festival 02-15..02-23, make-up Saturday 02-28), never from
the implementation. These tests use the package's data directly (no database); the
database-backed path is tested in test_calendar_import.py.
"""

from datetime import UTC, date, datetime, time, timedelta, timezone

import chinese_calendar
import pytest

from yiyun.core.clock import SHANGHAI
from yiyun.core.errors import PeriodError
from yiyun.core.periods import Clock, add_months, deadline, working_days_between
from yiyun.core.workcalendar import CalendarIndex


@pytest.fixture(scope="module")
def cal():
    return CalendarIndex.from_package()


def at(text: str) -> datetime:
    """A Shanghai wall-clock time, aware."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def due(trigger: datetime, cal, **kwargs) -> str:
    return deadline(trigger, calendar=cal, **kwargs).due_at.isoformat()


# -- working days (art. 201 + the official schedule) -------------------------------------


def test_clause_2_3_contact_change_friday_before_makeup_sunday(cal):
    # Friday 09-18: counting starts Saturday 09-19 (off); Sunday 09-20 is a make-up
    # working day (WD 1), Monday 09-21 is WD 2: confirm by 24:00 of 09-21.
    result = deadline(at("2026-09-18T16:00"), clock=Clock.WORKDAYS, n=2, calendar=cal)
    assert result.due_at.isoformat() == "2026-09-22T00:00:00+08:00"
    assert result.last_day == date(2026, 9, 21)
    assert not result.unconfirmed
    assert result.unconfirmed_years == frozenset()


def test_clause_2_3_contact_change_day_before_national_day(cal):
    # Wednesday 09-30; 10-01..10-07 are off; Thursday 10-08 is WD 1, Friday 10-09 WD 2.
    assert due(at("2026-09-30T11:00"), cal, clock="workdays", n=2) == "2026-10-10T00:00:00+08:00"
    # and Saturday 10-10, a make-up working day, is WD 3.
    assert due(at("2026-09-30T11:00"), cal, clock="workdays", n=3) == "2026-10-11T00:00:00+08:00"


def test_clause_2_3_with_business_close_time(cal):
    result = deadline(
        at("2026-09-18T16:00"), clock=Clock.WORKDAYS, n=2, close_time=time(18), calendar=cal
    )
    assert result.due_at.isoformat() == "2026-09-21T18:00:00+08:00"


def test_working_days_count_in_shanghai_whatever_the_input_zone(cal):
    # 2026-09-17T20:00Z is Friday 09-18 04:00 in Shanghai: same answer as the Friday case.
    # (Counted from the UTC date, Thursday, it would end a day earlier.)
    trigger = datetime(2026, 9, 17, 20, 0, tzinfo=UTC)
    assert due(trigger, cal, clock="workdays", n=2) == "2026-09-22T00:00:00+08:00"
    new_york = timezone(timedelta(hours=-4))
    assert due(trigger.astimezone(new_york), cal, clock="workdays", n=2) == (
        "2026-09-22T00:00:00+08:00"
    )


def test_trigger_on_a_rest_day_counts_from_the_next_working_day(cal):
    # Saturday 2026-02-21, inside Spring Festival (02-15..02-23): WD 1 is Tuesday 02-24.
    assert due(at("2026-02-21T09:00"), cal, clock="workdays", n=1) == "2026-02-25T00:00:00+08:00"


def test_working_days_agree_with_the_package_for_every_date(cal):
    day = date(2004, 1, 1)
    while day <= date(2026, 12, 31):
        assert cal.is_working_day(day) == chinese_calendar.is_workday(day), day
        day += timedelta(days=1)


@pytest.mark.parametrize("n", [1, 2, 10, 30])
def test_adding_working_days_agrees_with_the_package(cal, n):
    # find_workday(n, d) from a working day d is the n-th working day after d.
    day = date(2005, 1, 3)
    while day <= date(2025, 12, 1):
        if chinese_calendar.is_workday(day):
            assert cal.working_day_after(day, n) == chinese_calendar.find_workday(n, day), day
        day += timedelta(days=29)


def test_working_days_between(cal):
    # After Wednesday 09-30 up to Friday 10-09: only 10-08 and 10-09 are working days.
    result = working_days_between(date(2026, 9, 30), date(2026, 10, 9), calendar=cal)
    assert (result.count, result.unconfirmed) == (2, False)
    spill = working_days_between(date(2026, 12, 30), date(2027, 1, 4), calendar=cal)
    assert spill.unconfirmed_years == frozenset({2027})


# -- calendar days (arts. 201, 203) ------------------------------------------------------


def test_days_period_ending_in_a_holiday_moves_past_it(cal):
    # 09-24 + 10 days = 10-04, inside National Day: the period ends on 10-08, the first
    # day after the holiday (Civil Code art. 203).
    result = deadline(at("2026-09-24T10:00"), clock=Clock.DAYS, n=10, calendar=cal)
    assert result.nominal_last_day == date(2026, 10, 4)
    assert result.last_day == date(2026, 10, 8)
    assert result.moved_to_working_day
    assert result.due_at.isoformat() == "2026-10-09T00:00:00+08:00"
    assert "2026-10-08" in result.explain()


def test_days_period_ending_in_spring_festival(cal):
    # 02-10 + 10 = 02-20 (holiday until Monday 02-23): ends on Tuesday 02-24.
    assert due(at("2026-02-10T10:00"), cal, clock="days", n=10) == "2026-02-25T00:00:00+08:00"


def test_days_period_ending_on_a_weekend_moves_to_monday(cal):
    # Weekends are statutory rest days too (法定休假日 includes 公休日): 11-20 + 8 days is
    # Saturday 11-28; the period ends on Monday 11-30.
    assert due(at("2026-11-20T10:00"), cal, clock="days", n=8) == "2026-12-01T00:00:00+08:00"


def test_days_period_ending_on_a_makeup_working_day_stays(cal):
    # Saturday 10-10 is a working day by the schedule: nothing to move.
    result = deadline(at("2026-09-30T10:00"), clock=Clock.DAYS, n=10, calendar=cal)
    assert result.due_at.isoformat() == "2026-10-11T00:00:00+08:00"
    assert not result.moved_to_working_day


def test_clause_8_1_1_fifteen_days_notice(cal):
    # Written notice on 2026-06-01: 15 days from 06-02 end on Tuesday 06-16.
    assert due(at("2026-06-01T15:00"), cal, clock="days", n=15) == "2026-06-17T00:00:00+08:00"


# -- hours -------------------------------------------------------------------------------


def test_clause_2_2_24_hours_across_midnight(cal):
    # A fault reported Friday 22:30 must be handled by Saturday 22:30: hours ignore
    # weekends, holidays and midnight.
    result = deadline(at("2026-09-18T22:30"), clock=Clock.HOURS, n=24, calendar=cal)
    assert result.due_at.isoformat() == "2026-09-19T22:30:00+08:00"
    assert result.last_day is None and not result.unconfirmed


def test_clause_2_2_hours_from_utc_input_shown_in_shanghai():
    result = deadline(datetime(2026, 9, 30, 15, 0, tzinfo=UTC), clock="hours", n=24)
    assert result.due_at.isoformat() == "2026-10-01T23:00:00+08:00"


def test_clause_4_2_48_hours_over_a_holiday():
    result = deadline(at("2026-09-30T09:15"), clock="hours", n=48)
    assert result.due_at.isoformat() == "2026-10-02T09:15:00+08:00"


def test_clause_4_4_maintenance_notice_24_hours_before():
    result = deadline(at("2026-10-10T02:00"), clock="hours", n=24, before=True)
    assert result.due_at.isoformat() == "2026-10-09T02:00:00+08:00"


# -- months (art. 202) -------------------------------------------------------------------


def test_clause_11_1_expiry_on_the_31st_after_a_30_day_month(cal):
    # The contract ends 2026-12-31; notice of non-renewal at least one month before:
    # by 2026-11-30 (24:00), whether the end is given as the day or as its 24:00.
    for end in (at("2026-12-31T00:00"), at("2027-01-01T00:00")):
        result = deadline(end, clock=Clock.MONTHS, n=1, before=True, calendar=cal)
        assert result.due_at.isoformat() == "2026-12-01T00:00:00+08:00", end
        assert result.last_day == date(2026, 11, 30)
        assert not result.unconfirmed


def test_months_before_a_month_start(cal):
    # Event on 03-01: D + 1 month must end by 02-28; 01-31 + 1 month is 02-28 (art. 202).
    result = deadline(at("2026-03-01T00:00"), clock="months", n=1, before=True, calendar=cal)
    assert result.last_day == date(2026, 1, 31)


def test_months_without_a_corresponding_day_end_on_the_months_last_day(cal):
    # 01-31 + 1 month: February has no 31st, so 02-28, a make-up working Saturday.
    assert due(at("2026-01-31T10:00"), cal, clock="months", n=1) == "2026-03-01T00:00:00+08:00"
    # 03-31 + 1 month = 04-30 (Thursday).
    assert due(at("2026-03-31T10:00"), cal, clock="months", n=1) == "2026-05-01T00:00:00+08:00"


def test_add_months():
    assert add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)
    assert add_months(date(2026, 3, 31), -1) == date(2026, 2, 28)
    assert add_months(date(2026, 11, 15), 14) == date(2028, 1, 15)


# -- before: days and working days -------------------------------------------------------


def test_days_before_leave_the_whole_days_free(cal):
    # Event 12-31: 12-28, 12-29 and 12-30 must be free, so the act is due by 24:00 12-27.
    result = deadline(at("2026-12-31T10:00"), clock="days", n=3, before=True, calendar=cal)
    assert result.due_at.isoformat() == "2026-12-28T00:00:00+08:00"


def test_working_days_before(cal):
    # Event Monday 10-12: 2 working days before it are Saturday 10-10 (make-up) and
    # Friday 10-09, so the act is due by 24:00 of Thursday 10-08.
    result = deadline(at("2026-10-12T09:00"), clock="workdays", n=2, before=True, calendar=cal)
    assert result.due_at.isoformat() == "2026-10-09T00:00:00+08:00"


# -- years without an official schedule --------------------------------------------------


def test_year_without_schedule_is_counted_on_weekends_and_flagged(cal):
    # 12-31 (Thursday) is WD 1; 2027 has no schedule: Friday 01-01 counts as WD 2 and
    # Monday 01-04 as WD 3 — flagged.
    result = deadline(at("2026-12-30T10:00"), clock="workdays", n=3, calendar=cal)
    assert result.due_at.isoformat() == "2027-01-05T00:00:00+08:00"
    assert result.unconfirmed
    assert result.unconfirmed_years == frozenset({2027})
    assert "2027" in result.explain()


def test_days_period_ending_in_a_year_without_schedule_is_flagged(cal):
    result = deadline(at("2026-12-25T10:00"), clock="days", n=10, calendar=cal)
    assert result.due_at.isoformat() == "2027-01-05T00:00:00+08:00"
    assert result.unconfirmed_years == frozenset({2027})


def test_period_within_official_years_is_not_flagged(cal):
    result = deadline(at("2026-12-20T10:00"), clock="days", n=3, calendar=cal)
    assert not result.unconfirmed


# -- input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"clock": "weeks", "n": 1}, "clock"),
        ({"clock": "days", "n": 0}, "n"),
        ({"clock": "days", "n": -3}, "n"),
        ({"clock": "days", "n": True}, "n"),
        ({"clock": "days", "n": 10**7}, "n"),
        ({"clock": "hours", "n": 24, "close_time": time(18)}, "close_time"),
    ],
)
def test_bad_input_is_refused_by_name(cal, kwargs, field):
    with pytest.raises(PeriodError) as caught:
        deadline(at("2026-09-18T10:00"), calendar=cal, **kwargs)
    assert caught.value.field == field


def test_naive_trigger_is_refused(cal):
    with pytest.raises(PeriodError, match="时区"):
        deadline(datetime(2026, 9, 18, 10), clock="days", n=1, calendar=cal)


def test_result_outside_the_calendar_range_is_refused(cal):
    with pytest.raises(PeriodError) as caught:
        deadline(at("2199-12-30T10:00"), clock="workdays", n=30, calendar=cal)
    assert caught.value.code == "out_of_range"
