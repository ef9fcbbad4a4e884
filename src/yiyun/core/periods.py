"""Legal periods under the Civil Code (民法典) arts. 200–204: when a period ends.

One function, `deadline()`, answers every "by when?" of a contract:

- `Clock.HOURS`: from the exact moment of the trigger (2.2: 24 h; 4.2: 48 h).
- `Clock.DAYS` and `Clock.WORKDAYS`: the trigger day is not counted; counting starts on
  the next day (art. 201). Working days follow the State Council schedule (holidays off,
  make-up working days on).
- `Clock.MONTHS`: the corresponding day of the final month, or that month's last day
  when it has none (art. 202): 2026-01-31 + 1 month ends on 2026-02-28.
- A day-based period ends at 24:00 of its last day (art. 203), or at the business close
  time where one is configured (`close_time`). 24:00 is written as 00:00 of the next day
  in Asia/Shanghai: `due_at` is the first moment that is too late. A duty is met when
  done strictly before `due_at`.
- When the last day of a days or months period is a statutory rest day (法定休假日), the
  period ends on the first working day after it (art. 203). Rest days are the weekends
  and holidays of the official schedule; a make-up working day is not one (the rule the
  Supreme People's Court applied since 民通意见 art. 198: "以实际休假日的次日为期间的最后一天").
  So 10 days from 2026-09-24 end not on 10-04 (National Day) but at 24:00 of 10-08.

"Before" periods (`before=True`) answer "at least N before the event": the latest moment
an act may happen so that a period of N, counted forward from the act by the same rules,
is over no later than the event (`trigger_at`). So:

- hours: `trigger_at - N h` ("at least 24 h before maintenance");
- days: the event day is not counted, nor is the act's day: with the event on 12-31,
  "at least 3 days before" leaves 12-28, 12-29 and 12-30 free, so the act is due by
  24:00 of 12-27;
- months: the last day D from which D + N months (art. 202) ends before the event day:
  "at least one month before 2026-12-31" → by 24:00 of 2026-11-30; "before 2026-03-01"
  → by 24:00 of 2026-01-31 (01-31 + 1 month ends 02-28);
- working days: N working days must lie between the act's day and the event day, both
  excluded.

An event given as 00:00 of a date (24:00 of the day before) leaves that whole day to the
period: "1 month before 2027-01-01T00:00" is also 2026-11-30. The art. 203 move to the
next working day is not applied to "before" periods: it would shorten the notice the
other party is owed. Where `close_time` is set, a "before" deadline falls at that time of
the last day on which the act may happen.

Every result that looked at a date in a year without an official schedule is computed on
weekends alone for that year and flagged `unconfirmed`, naming the years.
"""

from __future__ import annotations

import calendar as stdlib_calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.utils.translation import gettext as _

from yiyun.core.choices import Clock
from yiyun.core.clock import SHANGHAI
from yiyun.core.errors import PeriodError
from yiyun.core.workcalendar import CalendarIndex

__all__ = [
    "Clock",
    "Deadline",
    "WorkingDays",
    "add_months",
    "deadline",
    "parse_close_time",
    "working_days_between",
]

ONE_DAY = timedelta(days=1)
# A century of each unit: more than any contract needs, and the answer stays in range.
MAX_N = {
    Clock.HOURS: 24 * 366 * 100,
    Clock.DAYS: 366 * 100,
    Clock.WORKDAYS: 250 * 100,
    Clock.MONTHS: 12 * 100,
}


@dataclass(frozen=True)
class Deadline:
    """When a period ends, and how that was worked out.

    `due_at` is aware, in Asia/Shanghai: the first moment that is too late (24:00 of the
    last day is 00:00 of the next). `last_day` is the period's last day after any art. 203
    move (for "before": the last day on which the act may happen); `nominal_last_day` the
    day the count itself gave. Both are None for hours. `unconfirmed_years` are the years
    the computation looked at that have no official schedule; `unconfirmed` is whether
    there are any.
    """

    due_at: datetime
    unconfirmed: bool
    unconfirmed_years: frozenset[int]
    trigger_at: datetime
    clock: Clock
    n: int
    before: bool
    close_time: time | None
    last_day: date | None
    nominal_last_day: date | None

    @property
    def moved_to_working_day(self) -> bool:
        """Whether art. 203 moved the end off a rest day."""
        return self.last_day != self.nominal_last_day

    def explain(self) -> str:
        """One line, in the user's language, saying how `due_at` was reached."""
        parts = [
            _("自 %(trigger)s 起") % {"trigger": self.trigger_at.isoformat()}
            if not self.before
            else _("在 %(trigger)s 之前至少") % {"trigger": self.trigger_at.isoformat()},
            f"{self.n} {self.clock.label}",
        ]
        if self.moved_to_working_day:
            parts.append(
                _("期间最后一日 %(day)s 为法定休假日，顺延至 %(moved)s（民法典第二百零三条）")
                % {"day": self.nominal_last_day, "moved": self.last_day}
            )
        parts.append(_("截止 %(due)s") % {"due": self.due_at.isoformat()})
        if self.unconfirmed:
            parts.append(
                _("%(years)s 年尚无官方节假日安排，按周末计算，结果待确认")
                % {"years": "、".join(str(year) for year in sorted(self.unconfirmed_years))}
            )
        return "；".join(str(part) for part in parts)


@dataclass(frozen=True)
class WorkingDays:
    """A count of working days, with the years it assumed (see `unconfirmed_years`)."""

    count: int
    unconfirmed_years: frozenset[int]

    @property
    def unconfirmed(self) -> bool:
        return bool(self.unconfirmed_years)


def deadline(
    trigger_at: datetime,
    *,
    clock: Clock | str,
    n: int,
    before: bool = False,
    close_time: time | None = None,
    calendar: CalendarIndex | None = None,
) -> Deadline:
    """When a period of `n` `clock` units from (or, with `before`, ending at) `trigger_at` ends.

    `trigger_at` must be aware, in any time zone; the computation runs in Asia/Shanghai.
    `close_time` (days, working days, months only) ends the period at that local time of
    the last day instead of 24:00. `calendar` defaults to the schedule in the database
    (`yiyun.core.selectors.calendar_index()`); pass one for pure computations.
    Raises `PeriodError` for bad input or a result outside the calendar's range.
    """
    clock = _clock(clock)
    _check(trigger_at=trigger_at, clock=clock, n=n, close_time=close_time)
    local = trigger_at.astimezone(SHANGHAI)
    if clock == Clock.HOURS:
        # Hours run from the exact moment; the calendar does not matter. Added in UTC so
        # the answer is elapsed time whatever the zone's rules.
        shift = timedelta(hours=-n if before else n)
        return Deadline(
            due_at=(trigger_at.astimezone(UTC) + shift).astimezone(SHANGHAI),
            unconfirmed=False,
            unconfirmed_years=frozenset(),
            trigger_at=local,
            clock=clock,
            n=n,
            before=before,
            close_time=None,
            last_day=None,
            nominal_last_day=None,
        )
    if calendar is None:
        from yiyun.core.selectors import calendar_index

        calendar = calendar_index()
    if before:
        nominal, last, looked_at = _last_day_before(calendar, local, clock, n)
    else:
        nominal, last, looked_at = _last_day_after(calendar, local.date(), clock, n)
    unconfirmed = calendar.unconfirmed_years(*looked_at) if looked_at else frozenset()
    return Deadline(
        due_at=_end_of(last, close_time),
        unconfirmed=bool(unconfirmed),
        unconfirmed_years=unconfirmed,
        trigger_at=local,
        clock=clock,
        n=n,
        before=before,
        close_time=close_time,
        last_day=last,
        nominal_last_day=nominal,
    )


def working_days_between(
    start: date, end: date, *, calendar: CalendarIndex | None = None
) -> WorkingDays:
    """The working days after `start` up to and including `end` (art. 201: `start` not counted).

    E.g. for an SLA report: a ticket opened on `start` and closed on `end` took this many
    working days. Negative when `end` is before `start`.
    """
    if calendar is None:
        from yiyun.core.selectors import calendar_index

        calendar = calendar_index()
    count = calendar.working_days_between(start, end)
    years = calendar.unconfirmed_years(start + ONE_DAY, end) if end > start else frozenset()
    return WorkingDays(count=count, unconfirmed_years=years)


# -- the rules -------------------------------------------------------------------------


def _last_day_after(
    calendar: CalendarIndex, start: date, clock: Clock, n: int
) -> tuple[date, date, tuple[date, date]]:
    """(nominal last day, last day after art. 203, the dates whose schedule mattered)."""
    if clock == Clock.WORKDAYS:
        # Art. 201: counting starts the day after the trigger; a working day is never
        # a rest day, so art. 203 has nothing to move.
        last = calendar.working_day_after(start, n)
        return last, last, (start + ONE_DAY, last)
    # Art. 201 for days; art. 202 for months (corresponding day, else month end).
    nominal = _add_days(start, n) if clock == Clock.DAYS else add_months(start, n)
    # Art. 203: a last day that is a rest day moves to the next working day.
    last = calendar.next_working_day(nominal)
    return nominal, last, (nominal, last)


def _last_day_before(
    calendar: CalendarIndex, event: datetime, clock: Clock, n: int
) -> tuple[date, date, tuple[date, date] | None]:
    """The last day on which the act may happen, so that the period ends before the event."""
    # The period must be over at the start of the event day: its last day is at latest
    # the day before. An event at 00:00 leaves the whole previous day to the period.
    latest_end = event.date() - ONE_DAY
    if clock == Clock.DAYS:
        day = _add_days(latest_end, -n)
        return day, day, None
    if clock == Clock.MONTHS:
        day = _months_before(latest_end, n)
        return day, day, None
    # n working days must lie between the act's day and the event day.
    nth_back = calendar.working_day_back(latest_end, n)
    day = nth_back - ONE_DAY
    return day, day, (nth_back, latest_end)


def _add_days(start: date, n: int) -> date:
    try:
        return start + timedelta(days=n)
    except OverflowError as exc:
        raise _out_of_range() from exc


def add_months(start: date, n: int) -> date:
    """Civil Code art. 202: the corresponding day n months on, or that month's last day.

    2026-01-31 + 1 → 2026-02-28; 2026-03-31 - 1 → 2026-02-28 (n may be negative).
    """
    months = start.year * 12 + start.month - 1 + n
    year, month = divmod(months, 12)
    if not 1 <= year <= 9999:
        raise _out_of_range()
    last = stdlib_calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(start.day, last))


def _months_before(latest_end: date, n: int) -> date:
    """The last day D with D + n months (art. 202) on or before `latest_end`.

    n months before `latest_end`, in the month M: when `latest_end` is its month's last
    day, every day of M maps onto or before it, so D is M's last day; otherwise the days
    of M up to `latest_end.day` do, so D is that day, or M's last day when M is shorter.
    """
    months = latest_end.year * 12 + latest_end.month - 1 - n
    year, month = divmod(months, 12)
    if not 1 <= year <= 9999:
        raise _out_of_range()
    month_length = stdlib_calendar.monthrange(year, month + 1)[1]
    end_is_month_end = latest_end.day == stdlib_calendar.monthrange(*_ym(latest_end))[1]
    day = month_length if end_is_month_end else min(latest_end.day, month_length)
    return date(year, month + 1, day)


def _ym(day: date) -> tuple[int, int]:
    return day.year, day.month


def _end_of(last: date, close_time: time | None) -> datetime:
    """Art. 203: 24:00 of the last day (00:00 of the next), or the business close time."""
    if close_time is not None:
        return datetime.combine(last, close_time, tzinfo=SHANGHAI)
    return datetime.combine(last + ONE_DAY, time(0), tzinfo=SHANGHAI)


# -- input -----------------------------------------------------------------------------


def _clock(clock: Clock | str) -> Clock:
    try:
        return Clock(clock)
    except ValueError as exc:
        raise PeriodError(
            _("未知的计时方式“%(clock)s”，可选：%(choices)s")
            % {"clock": clock, "choices": ", ".join(Clock.values)},
            field="clock",
        ) from exc


def _check(*, trigger_at: datetime, clock: Clock, n: int, close_time: time | None) -> None:
    if not isinstance(trigger_at, datetime):
        raise PeriodError(_("起算时间必须是日期时间"), field="from")
    if trigger_at.tzinfo is None or trigger_at.utcoffset() is None:
        raise PeriodError(_("起算时间必须带时区"), field="from")
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise PeriodError(_("期间长度必须是正整数"), field="n")
    if n > MAX_N[clock]:
        raise PeriodError(
            _("期间长度不能超过 %(max)s %(unit)s") % {"max": MAX_N[clock], "unit": clock.label},
            field="n",
        )
    if close_time is not None:
        if clock == Clock.HOURS:
            raise PeriodError(_("按小时计算的期间没有下班时间"), field="close_time")
        if close_time.tzinfo is not None:
            raise PeriodError(_("下班时间是北京时间的钟点，不带时区"), field="close_time")


def parse_close_time(text: str) -> time:
    """A business close time typed as `HH:MM` (Asia/Shanghai wall clock)."""
    try:
        value = time.fromisoformat(text.strip())
    except ValueError:
        value = None
    if value is None or value.tzinfo is not None:
        raise PeriodError(
            _("下班时间“%(text)s”应写作 HH:MM，例如 17:30") % {"text": text}, field="close_time"
        )
    return value


def _out_of_range() -> PeriodError:
    return PeriodError(_("结果超出可计算的日期范围"), code="out_of_range")
