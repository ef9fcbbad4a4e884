"""Reads of the working-day calendar: the cached index, a year's schedule, coverage."""

import threading
import time
from datetime import date

from django.db import connection

from yiyun.core.models import CalendarDay, CalendarYear
from yiyun.core.workcalendar import CalendarIndex, ScheduledDay

# How stale another process's import may leave this process's index, at most. Every
# process rereads the revisions this often; the importing process is up to date at once.
RECHECK_SECONDS = 5.0


class _Cache:
    """The process's index and what is needed to know when it is out of date."""

    def __init__(self):
        self.lock = threading.Lock()
        self.index: CalendarIndex | None = None
        self.checked_at = 0.0
        # The atomic blocks that were open when this process last wrote the schedule.
        # Until they have all closed, the write may still be rolled back (a test's
        # transaction, a failed import), so the index is rebuilt whenever one closes.
        self.pending: tuple = ()


_cache = _Cache()


def calendar_index() -> CalendarIndex:
    """The working-day index of the schedule in the database, built once and cached.

    It is rebuilt when this process changes the schedule (`calendar_invalidate`), when
    the transaction of such a change ends (committed or rolled back), and when another
    process's change shows in the revisions (checked every RECHECK_SECONDS).
    """
    cache = _cache
    if cache.pending:
        _drop_if_transaction_ended(cache)
    index = cache.index
    # Monotonic, not clock.now(): this measures how old the cache is, not contract time
    # (and tests that move contract time must not make the cache look fresh or stale).
    moment = time.monotonic()
    if index is not None and moment - cache.checked_at > RECHECK_SECONDS:
        cache.checked_at = moment
        if _revisions() != index.revision:
            index = None
    if index is None:
        index = _build()
        with cache.lock:
            cache.index, cache.checked_at = index, moment
    return index


def calendar_invalidate() -> None:
    """Forget the index: the schedule was just written in this process (services call it)."""
    with _cache.lock:
        _cache.index = None
        _cache.pending = tuple(connection.atomic_blocks)


def _drop_if_transaction_ended(cache: _Cache) -> None:
    blocks = connection.atomic_blocks
    still_open = 0
    for ours, current in zip(cache.pending, blocks, strict=False):
        if ours is not current:
            break
        still_open += 1
    if still_open < len(cache.pending):
        with cache.lock:
            cache.index = None
            # The outer blocks still open may yet roll the write back: keep watching them.
            cache.pending = cache.pending[:still_open]


def _revisions() -> tuple:
    return tuple(CalendarYear.objects.order_by("year").values_list("year", "revision"))


def _build() -> CalendarIndex:
    # Revisions first, days second: a change landing in between leaves the index with
    # the old revision and the new days, so the next check rebuilds it; the other order
    # could label old days with the new revision for good.
    years = list(CalendarYear.objects.order_by("year").values_list("year", "revision", "official"))
    days = [
        ScheduledDay(date=day, kind=kind)
        for day, kind in CalendarDay.objects.values_list("date", "kind").iterator()
    ]
    return CalendarIndex(
        days=days,
        scheduled_years=[year for year, _revision, _official in years],
        official_years=[year for year, _revision, official in years if official],
        revision=tuple((year, revision) for year, revision, _official in years),
    )


def calendar_year_get(*, year: int) -> CalendarYear | None:
    """The stored schedule of `year` with its days, or None when there is none."""
    return CalendarYear.objects.prefetch_related("days").filter(year=year).first()


def calendar_years(*, year: int | None = None):
    """The stored schedules, oldest first, with their days; only `year`'s when given."""
    rows = CalendarYear.objects.prefetch_related("days").order_by("year")
    return rows.filter(year=year) if year is not None else rows


def calendar_years_missing(*, start: date, end: date) -> list[int]:
    """The years from `start` to `end` that have no official schedule in the database."""
    wanted = range(start.year, end.year + 1)
    official = set(
        CalendarYear.objects.filter(year__in=list(wanted), official=True).values_list(
            "year", flat=True
        )
    )
    return [year for year in wanted if year not in official]
