"""The Chinese working-day calendar as a precomputed index.

A date is a working day when the State Council's schedule makes it a make-up working day
(调休上班), or when it is a Monday to Friday that the schedule does not make a holiday.
A year with no schedule in the database is computed on weekends alone; every answer that
looks at such a year (or at a year whose schedule is not marked official) reports it, so
the caller can flag the result as unconfirmed — never silently.

`CalendarIndex` holds, for every date from FIRST_YEAR to LAST_YEAR, whether it is a
working day and how many working days came before it. Adding N working days, counting
working days between two dates, or finding the next working day is then two array
look-ups: O(1), whatever N. The index is pure (no database); `yiyun.core.selectors.
calendar_index()` builds it from the database rows and caches it.
"""

from __future__ import annotations

from array import array
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext as _

from yiyun.core.choices import CalendarDayKind
from yiyun.core.errors import PeriodError

# The range the index covers: wide enough for any contract, small enough to build in
# a few tens of milliseconds (about 73,000 days).
FIRST_YEAR = 2000
LAST_YEAR = 2199
_FIRST = date(FIRST_YEAR, 1, 1)
_LAST = date(LAST_YEAR, 12, 31)
_FIRST_ORD = _FIRST.toordinal()
_LAST_ORD = _LAST.toordinal()


@dataclass(frozen=True)
class ScheduledDay:
    """One date of a published schedule: a holiday or a make-up working day."""

    date: date
    kind: str  # CalendarDayKind
    name: str = ""


class CalendarIndex:
    """Working days from FIRST_YEAR to LAST_YEAR, precomputed; immutable once built.

    `days` are the scheduled dates of every year that has a schedule; `scheduled_years`
    the years that have one (a year may have a schedule with no dates in a given range);
    `official_years` those whose schedule is the State Council's published one. Dates in
    other years follow the weekend alone. `revision` identifies the data the index was
    built from (used by the cache to notice changes).
    """

    __slots__ = ("official_years", "scheduled_years", "revision", "_work", "_before", "_days")

    def __init__(
        self,
        *,
        days: Iterable[ScheduledDay],
        scheduled_years: Iterable[int],
        official_years: Iterable[int],
        revision: Hashable = None,
    ):
        self.official_years = frozenset(official_years)
        self.scheduled_years = frozenset(scheduled_years) | self.official_years
        self.revision = revision
        holidays, makeups = set(), set()
        for day in days:
            (holidays if day.kind == CalendarDayKind.HOLIDAY else makeups).add(day.date.toordinal())
        size = _LAST_ORD - _FIRST_ORD + 1
        # _work[i]: 1 when FIRST + i is a working day.
        # _before[i]: how many working days lie in [FIRST, FIRST + i) — so the working days
        #   in (a, b] number _before[b+1] - _before[a+1], and the k-th working day of the
        #   whole range (0-based) is _days[k].
        work = bytearray(size)
        before = array("l", bytes(array("l").itemsize * (size + 1)))
        workdays = array("l")
        count = 0
        for i in range(size):
            ordinal = _FIRST_ORD + i
            # date.fromordinal(1) is a Monday: weekday = (ordinal - 1) % 7.
            if ordinal in makeups or ((ordinal - 1) % 7 < 5 and ordinal not in holidays):
                work[i] = 1
                workdays.append(ordinal)
                count += 1
            before[i + 1] = count
        self._work = bytes(work)
        self._before = before
        self._days = workdays

    @classmethod
    def from_package(cls) -> CalendarIndex:
        """The index of the `chinese-calendar` package's data alone (no database).

        For pure tests and benchmarks; the application reads the database, where these
        years are loaded on migrate and later years are added by an administrator.
        """
        years = package_schedules()
        return cls(
            days=[day for days in years.values() for day in days],
            scheduled_years=years,
            official_years=years,
            revision="package",
        )

    # -- queries -----------------------------------------------------------------------

    def _offset(self, day: date) -> int:
        if not _FIRST <= day <= _LAST:
            raise PeriodError(
                _("日期 %(date)s 超出日历范围（%(first)s 至 %(last)s）")
                % {"date": day.isoformat(), "first": FIRST_YEAR, "last": LAST_YEAR},
                code="out_of_range",
            )
        return day.toordinal() - _FIRST_ORD

    def is_working_day(self, day: date) -> bool:
        """Whether `day` is a working day (make-up days are; holidays and weekends are not)."""
        return bool(self._work[self._offset(day)])

    def working_day_after(self, day: date, n: int) -> date:
        """The n-th working day after `day`, `day` itself not counted (n >= 1)."""
        index = self._before[self._offset(day) + 1] + n - 1
        if n < 1 or index >= len(self._days):
            raise self._past_range(n)
        return date.fromordinal(self._days[index])

    def working_day_back(self, day: date, n: int) -> date:
        """The n-th working day counting back from `day`, `day` itself counted when it is one."""
        index = self._before[self._offset(day) + 1] - n
        if n < 1 or index < 0:
            raise self._past_range(n)
        return date.fromordinal(self._days[index])

    def next_working_day(self, day: date) -> date:
        """`day` when it is a working day, else the first working day after it."""
        index = self._before[self._offset(day)]
        if index >= len(self._days):
            raise self._past_range(1)
        return date.fromordinal(self._days[index])

    def working_days_between(self, start: date, end: date) -> int:
        """How many working days lie after `start` up to and including `end` (art. 201 style).

        Negative when `end` is before `start`.
        """
        return self._before[self._offset(end) + 1] - self._before[self._offset(start) + 1]

    def unconfirmed_years(self, first: date, last: date) -> frozenset[int]:
        """The years from `first` to `last` (either order) without an official schedule."""
        low, high = sorted((first.year, last.year))
        return frozenset(year for year in range(low, high + 1) if year not in self.official_years)

    def _past_range(self, n: int) -> PeriodError:
        if n < 1:
            return PeriodError(_("工作日数必须至少为 1"), field="n")
        return PeriodError(
            _("结果超出日历范围（%(first)s 至 %(last)s）")
            % {"first": FIRST_YEAR, "last": LAST_YEAR},
            code="out_of_range",
        )


def schedule_problems(*, year: int, days: Iterable[ScheduledDay]) -> list[str]:
    """What is wrong with one year's scheduled days, one message each (empty: nothing).

    Every date must lie in `year` and appear once; a make-up working day must be a
    Saturday or Sunday (a weekday is a working day already); a holiday needs a name.
    """
    problems: list[str] = []
    seen: dict[date, ScheduledDay] = {}
    for day in days:
        label = f"{day.date.isoformat()}（{day.name}）" if day.name else day.date.isoformat()
        if day.date.year != year:
            problems.append(_("%(day)s 不在 %(year)s 年内") % {"day": label, "year": year})
        if day.date in seen:
            other = seen[day.date]
            if other.kind == day.kind:
                problems.append(_("%(day)s 重复出现") % {"day": label})
            else:
                problems.append(
                    _("%(day)s 既是放假日又是调休上班日") % {"day": day.date.isoformat()}
                )
            continue
        seen[day.date] = day
        if day.kind == CalendarDayKind.MAKEUP_WORKDAY and day.date.weekday() < 5:
            problems.append(
                _("调休上班日 %(day)s 是%(weekday)s，不是周末")
                % {"day": day.date.isoformat(), "weekday": WEEKDAYS[day.date.weekday()]}
            )
        if day.kind == CalendarDayKind.HOLIDAY and not day.name.strip():
            problems.append(_("放假日 %(day)s 缺少节日名称") % {"day": day.date.isoformat()})
    return problems


def package_schedules() -> dict[int, list[ScheduledDay]]:
    """Every year the `chinese-calendar` package knows, as scheduled days with Chinese names."""
    from chinese_calendar import constants

    names = {holiday.value: holiday.chinese for holiday in constants.Holiday}
    years: dict[int, list[ScheduledDay]] = {}
    for kind, table in (
        (CalendarDayKind.HOLIDAY, constants.holidays),
        (CalendarDayKind.MAKEUP_WORKDAY, constants.workdays),
    ):
        for day, holiday in table.items():
            years.setdefault(day.year, []).append(
                ScheduledDay(date=day, kind=kind, name=names.get(holiday, holiday))
            )
    for days in years.values():
        days.sort(key=lambda day: day.date)
    return years


def package_version() -> str:
    """The installed `chinese-calendar` version, for the `source` of the years it supplies."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("chinesecalendar")
    except PackageNotFoundError:  # pragma: no cover — an install without metadata
        return "?"


ONE_DAY = timedelta(days=1)
