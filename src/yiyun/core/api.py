"""The working-day calendar and legal periods, read-only: `/api/calendar/…`."""

from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from pydantic import Field

from yiyun.core.choices import Clock
from yiyun.core.clock import local, parse_moment
from yiyun.core.errors import PeriodError
from yiyun.core.periods import Deadline, deadline, parse_close_time
from yiyun.core.schemas import CalendarYearOut, DeadlineOut
from yiyun.core.selectors import calendar_years

PREFIX = "/calendar"
router = Router(tags=["calendar"])


class DeadlineQuery(Schema):
    # Strings, parsed here: a bad value then gets the same message as on the command line.
    trigger: str = Field(alias="from", description="起算（事件）时刻，ISO 8601；不带时区按北京时间")
    clock: str = Field(description="hours、days、workdays 或 months")
    n: str = Field(description="期间长度，正整数")
    before: bool = Field(default=False, description="在事件之前至少 N 个单位")
    close_time: str | None = Field(
        default=None, description="期间在最后一日的这一时刻（HH:MM）结束，而不是 24:00"
    )


@router.get("/deadline", response=DeadlineOut)
def calendar_deadline(request, query: Query[DeadlineQuery]):
    """When a period ends under the Civil Code arts. 200–204 and the official schedule."""
    text = query.trigger
    if " " in text.strip() and "T" in text:
        # An unencoded "+08:00" in a query string arrives as " 08:00".
        text = text.strip().replace(" ", "+")
    try:
        trigger_at = parse_moment(text)
    except ValueError as exc:
        raise PeriodError(str(exc), field="from") from None
    try:
        n = int(query.n)
    except ValueError:
        raise PeriodError(_("期间长度必须是正整数"), field="n") from None
    close_time = parse_close_time(query.close_time) if query.close_time else None
    return _deadline_out(
        deadline(trigger_at, clock=query.clock, n=n, before=query.before, close_time=close_time)
    )


@router.get("/years", response=list[CalendarYearOut])
def calendar_year_list(request, year: int | None = None):
    """The stored holiday schedules with their sources (`?year=2027` for one)."""
    return [_year_out(row) for row in calendar_years(year=year)]


def _deadline_out(result: Deadline) -> dict:
    return {
        "due_at": result.due_at.isoformat(),
        "unconfirmed": result.unconfirmed,
        "unconfirmed_years": sorted(result.unconfirmed_years),
        "trigger_at": result.trigger_at.isoformat(),
        "clock": Clock(result.clock).value,
        "n": result.n,
        "before": result.before,
        "close_time": result.close_time.isoformat("minutes") if result.close_time else None,
        "last_day": result.last_day.isoformat() if result.last_day else None,
        "nominal_last_day": (
            result.nominal_last_day.isoformat() if result.nominal_last_day else None
        ),
        "moved_to_working_day": result.moved_to_working_day,
        "explanation": result.explain(),
    }


def _year_out(row) -> dict:
    return {
        "year": row.year,
        "source": row.source,
        "official": row.official,
        "origin": row.origin,
        "imported_at": local(row.imported_at).isoformat(),
        "revision": str(row.revision),
        "days": [
            {"date": day.date.isoformat(), "kind": day.kind, "name": day.name}
            for day in row.days.all()
        ],
    }
