"""Writes of the working-day calendar: import or correct a year, load the package's years.

Every change of a year's schedule goes through `_calendar_year_changed`: a new revision,
an audit entry, the in-process index forgotten, and every app's `calendar_changed_hooks`
called with the years affected — inside the same transaction, so a hook that fails (say,
recomputing open obligations) leaves the schedule as it was.
"""

import re
import uuid
from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.utils.translation import gettext as _

from yiyun.core import clock
from yiyun.core.apps_registry import calendar_changed_hooks
from yiyun.core.audit import audit_record
from yiyun.core.choices import CalendarDayKind, CalendarOrigin
from yiyun.core.errors import CalendarImportError
from yiyun.core.models import CalendarDay, CalendarYear
from yiyun.core.selectors import calendar_invalidate
from yiyun.core.workcalendar import (
    FIRST_YEAR,
    LAST_YEAR,
    ScheduledDay,
    package_schedules,
    package_version,
    schedule_problems,
)

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TOP_LEVEL_KEYS = {"year", "source", "official", "holidays", "makeup_workdays"}


@dataclass(frozen=True)
class Schedule:
    """One year's schedule, checked: what `calendar_year_store` writes."""

    year: int
    source: str
    official: bool
    days: tuple[ScheduledDay, ...]


def calendar_schedule_parse(*, data) -> Schedule:
    """Check an import document (README "Calendar files") and return its schedule.

    Raises `CalendarImportError` listing every problem found, each naming the field or
    date at fault, so an administrator fixes the file in one go.
    """
    if not isinstance(data, dict):
        raise CalendarImportError([_("文件顶层必须是一个 JSON 对象")])
    errors: list[str] = []
    unknown = sorted(set(data) - _TOP_LEVEL_KEYS)
    if unknown:
        errors.append(_("未知字段：%(keys)s") % {"keys": "、".join(unknown)})

    year = data.get("year")
    if isinstance(year, bool) or not isinstance(year, int) or not FIRST_YEAR <= year <= LAST_YEAR:
        errors.append(
            _("“year”必须是 %(first)s 至 %(last)s 之间的整数，而不是 %(value)s")
            % {"first": FIRST_YEAR, "last": LAST_YEAR, "value": _shown(year)}
        )
        year = None

    source = data.get("source")
    if not isinstance(source, str) or not source.strip():
        errors.append(_("“source”必须写明通知的标题（例如“国务院办公厅关于……的通知”）"))
        source = ""

    official = data.get("official", True)
    if not isinstance(official, bool):
        errors.append(_("“official”必须是 true 或 false"))

    days: list[ScheduledDay] = []
    holidays = data.get("holidays")
    if not isinstance(holidays, list) or not holidays:
        errors.append(_('“holidays”必须是非空列表，每项形如 {"name": …, "dates": […]}'))
        holidays = []
    for position, holiday in enumerate(holidays):
        where = f"holidays[{position}]"
        if not isinstance(holiday, dict):
            errors.append(_("%(where)s 必须是一个对象") % {"where": where})
            continue
        name = holiday.get("name")
        if not isinstance(name, str) or not name.strip():
            errors.append(_("%(where)s 缺少节日名称“name”") % {"where": where})
            name = ""
        else:
            name = name.strip()
            where = f"{where}（{name}）"
        extra = sorted(set(holiday) - {"name", "dates"})
        if extra:
            errors.append(
                _("%(where)s 有未知字段：%(keys)s") % {"where": where, "keys": "、".join(extra)}
            )
        dates = holiday.get("dates")
        if not isinstance(dates, list) or not dates:
            errors.append(_("%(where)s 的“dates”必须是非空的日期列表") % {"where": where})
            continue
        for value in dates:
            day = _date(value, where=where, errors=errors)
            if day is not None:
                days.append(ScheduledDay(date=day, kind=CalendarDayKind.HOLIDAY, name=name))

    makeups = data.get("makeup_workdays", [])
    if not isinstance(makeups, list):
        errors.append(_("“makeup_workdays”必须是日期列表"))
        makeups = []
    for position, item in enumerate(makeups):
        where = f"makeup_workdays[{position}]"
        name = ""
        value = item
        if isinstance(item, dict):
            # Optional long form {"date": …, "name": "春节"}: which holiday it makes up for.
            value, name = item.get("date"), item.get("name", "")
            if not isinstance(name, str):
                errors.append(_("%(where)s 的“name”必须是文字") % {"where": where})
                name = ""
        day = _date(value, where=where, errors=errors)
        if day is not None:
            days.append(ScheduledDay(date=day, kind=CalendarDayKind.MAKEUP_WORKDAY, name=name))

    if year is not None:
        errors.extend(schedule_problems(year=year, days=days))
    if errors:
        raise CalendarImportError(errors)
    return Schedule(
        year=year,
        source=source.strip(),
        official=official,
        days=tuple(sorted(days, key=lambda day: day.date)),
    )


def calendar_year_import(*, data, by, origin: str = CalendarOrigin.FILE) -> CalendarYear:
    """Check an import document and store it, replacing (correcting) that year's schedule."""
    return calendar_year_store(schedule=calendar_schedule_parse(data=data), by=by, origin=origin)


def calendar_year_store(*, schedule: Schedule, by, origin: str) -> CalendarYear:
    """Store a checked schedule as its year's, replacing any earlier one; audited, hooks run."""
    # A fresh atomic block on every call, not the decorator (one instance, re-entered):
    # the index cache tells transactions apart by their blocks (selectors._Cache.pending).
    with transaction.atomic():
        row = CalendarYear.objects.select_for_update().filter(year=schedule.year).first()
        previous = _snapshot(row) if row is not None else None
        if row is None:
            row = CalendarYear(year=schedule.year)
        row.source = schedule.source
        row.official = schedule.official
        row.origin = origin
        row.imported_by = _actor_label(by)
        row.imported_at = clock.now()
        row.save()
        row.days.all().delete()
        CalendarDay.objects.bulk_create(
            CalendarDay(calendar_year=row, date=day.date, kind=day.kind, name=day.name)
            for day in schedule.days
        )
        _calendar_year_changed(row=row, by=by, previous=previous)
    return row


def calendar_year_saved(*, row: CalendarYear, by, previous: dict | None) -> None:
    """After the admin saved a year and its days: the same audit, revision and hooks."""
    with transaction.atomic():
        _calendar_year_changed(row=row, by=by, previous=previous)


def calendar_year_snapshot(*, row: CalendarYear | None) -> dict | None:
    """What a year's schedule is now, to compare with after a change (None: no year)."""
    return _snapshot(row) if row is not None and row.pk else None


def calendar_package_load(*, by="system") -> list[int]:
    """Store every year the `chinese-calendar` package has and the database lacks.

    Runs after every `migrate` (and after a test database is flushed), so a fresh
    database has 2004–2026 at once and a package upgrade brings its new years. Years
    already stored — possibly corrected by an administrator — are left alone. Seeding an
    empty database is not audited (each row names its source); years added to a database
    that already had a calendar are, and the hooks run for them. Returns the years added.
    """
    package = package_schedules()
    with transaction.atomic():
        stored = set(CalendarYear.objects.values_list("year", flat=True))
        missing = sorted(set(package) - stored)
        if not missing:
            return []
        source = _(
            "chinese-calendar %(version)s 软件包（据国务院办公厅历年部分节假日安排的通知）"
        ) % {"version": package_version()}
        moment = clock.now()
        rows = CalendarYear.objects.bulk_create(
            CalendarYear(
                year=year,
                source=source,
                official=True,
                origin=CalendarOrigin.PACKAGE,
                imported_at=moment,
                imported_by=_actor_label(by),
            )
            for year in missing
        )
        by_year = {row.year: row for row in CalendarYear.objects.filter(year__in=missing)}
        CalendarDay.objects.bulk_create(
            CalendarDay(calendar_year=by_year[year], date=day.date, kind=day.kind, name=day.name)
            for year in missing
            for day in package[year]
        )
        calendar_invalidate()
        if stored:
            for row in rows:
                audit_record(
                    actor=by,
                    action="calendar.year_loaded",
                    obj=by_year[row.year],
                    data={"year": row.year, "source": source},
                )
            _run_hooks(years=frozenset(missing))
    return missing


# -- shared tail -------------------------------------------------------------------------


def _calendar_year_changed(*, row: CalendarYear, by, previous: dict | None) -> None:
    row.revision = uuid.uuid4()
    row.save(update_fields=["revision"])
    current = _snapshot(row)
    changed = previous is None or (
        previous["days"] != current["days"] or previous["official"] != current["official"]
    )
    audit_record(
        actor=by,
        action="calendar.year_imported" if previous is None else "calendar.year_corrected",
        obj=row,
        data={
            "year": row.year,
            "source": row.source,
            "official": row.official,
            "origin": row.origin,
            "holidays": sum(1 for kind in current["days"].values() if kind == "holiday"),
            "makeup_workdays": sum(1 for kind in current["days"].values() if kind != "holiday"),
            **(_difference(previous, current) if previous is not None else {}),
        },
    )
    calendar_invalidate()
    if changed:
        _run_hooks(years=frozenset({row.year}))


def _run_hooks(*, years: frozenset[int]) -> None:
    for hook in calendar_changed_hooks():
        hook(years=years)


def _snapshot(row: CalendarYear) -> dict:
    return {
        "official": row.official,
        "source": row.source,
        "days": {
            day.isoformat(): kind
            for day, kind in CalendarDay.objects.filter(calendar_year=row).values_list(
                "date", "kind"
            )
        },
    }


def _difference(previous: dict, current: dict) -> dict:
    """What a correction changed, for the audit entry."""
    before, after = previous["days"], current["days"]
    return {
        "previous_source": previous["source"],
        "previous_official": previous["official"],
        "added": sorted(f"{day} {after[day]}" for day in after.keys() - before.keys()),
        "removed": sorted(f"{day} {before[day]}" for day in before.keys() - after.keys()),
        "changed": sorted(
            f"{day} {before[day]}→{after[day]}"
            for day in after.keys() & before.keys()
            if before[day] != after[day]
        ),
    }


def _date(value, *, where: str, errors: list[str]) -> date | None:
    # Only YYYY-MM-DD: fromisoformat alone would also take 20270205 or 2027-W05-5.
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    errors.append(
        _("%(where)s：%(value)s 不是有效日期（格式 YYYY-MM-DD）")
        % {"where": where, "value": _shown(value)}
    )
    return None


def _shown(value) -> str:
    return _("（缺失）") if value is None else repr(value)


def _actor_label(by) -> str:
    if by is None:
        return "system"
    if isinstance(by, str):
        return by[:150]
    return by.get_username()[:150]
