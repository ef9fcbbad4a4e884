import getpass
import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext as _

from yiyun.core.choices import CalendarDayKind, CalendarOrigin
from yiyun.core.clock import local
from yiyun.core.errors import CalendarImportError
from yiyun.core.models import CalendarYear
from yiyun.core.selectors import calendar_year_get
from yiyun.core.services import calendar_year_import


class Command(BaseCommand):
    # A quick tool: it must answer even while another part of the configuration is being
    # fixed, and without repeating the calendar coverage warning on every call.
    requires_system_checks = []
    help = _(
        "节假日安排：`import 文件.json` 导入或更正一年（格式见 README“Calendar files”），"
        "`show 年份` 显示一年，`list` 列出已有年份。"
    )

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        importer = actions.add_parser("import", help=_("导入或更正一年的安排"))
        importer.add_argument("file", help=_("JSON 文件"))
        shower = actions.add_parser("show", help=_("显示一年的安排"))
        shower.add_argument("year", type=int)
        actions.add_parser("list", help=_("列出已有年份"))

    def handle(self, *args, action, **options):
        if action == "import":
            self._import(Path(options["file"]))
        elif action == "show":
            self._show(options["year"])
        else:
            self._list()

    def _import(self, path: Path) -> None:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise CommandError(
                _("无法读取 %(path)s：%(error)s") % {"path": path, "error": exc}
            ) from None
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise CommandError(
                _("%(path)s 不是有效的 JSON：%(error)s") % {"path": path, "error": exc}
            ) from None
        existed = (
            isinstance(data, dict)
            and CalendarYear.objects.filter(
                year=data.get("year") if isinstance(data.get("year"), int) else None
            ).exists()
        )
        try:
            row = calendar_year_import(data=data, by=_cli_actor(), origin=CalendarOrigin.FILE)
        except CalendarImportError as exc:
            raise CommandError(
                _("%(path)s 未导入：\n") % {"path": path}
                + "\n".join(f"  - {error}" for error in exc.errors)
            ) from None
        days = list(row.days.all())
        holidays = sum(1 for day in days if day.kind == CalendarDayKind.HOLIDAY)
        message = (
            _("已更正 %(year)s 年节假日安排") if existed else _("已导入 %(year)s 年节假日安排")
        )
        self.stdout.write(
            (message + _("：放假 %(holidays)s 天，调休上班 %(makeups)s 天"))
            % {"year": row.year, "holidays": holidays, "makeups": len(days) - holidays}
        )

    def _show(self, year: int) -> None:
        row = calendar_year_get(year=year)
        if row is None:
            raise CommandError(
                _("%(year)s 年没有节假日安排：期限按周末计算，结果标记为待确认") % {"year": year}
            )
        out = self.stdout
        out.write(_("%(year)s 年节假日安排") % {"year": row.year})
        out.write(_("来源：%(source)s") % {"source": row.source})
        out.write(
            _("官方安排：%(official)s")
            % {"official": _("是") if row.official else _("否（待确认）")}
        )
        out.write(
            _("录入：%(origin)s，%(by)s，%(at)s")
            % {
                "origin": row.get_origin_display(),
                "by": row.imported_by or "-",
                "at": local(row.imported_at).isoformat(timespec="seconds"),
            }
        )
        days = list(row.days.all())
        out.write(_("放假："))
        names: dict[str, list] = {}
        for day in days:
            if day.kind == CalendarDayKind.HOLIDAY:
                names.setdefault(day.name, []).append(day.date)
        for name, dates in names.items():
            out.write(f"  {name}：{_ranges(dates)}（{len(dates)} 天）")
        out.write(_("调休上班："))
        makeups = [day for day in days if day.kind == CalendarDayKind.MAKEUP_WORKDAY]
        if not makeups:
            out.write(_("  （无）"))
        for day in makeups:
            # Django's own names: 星期一 … 星期日 in Chinese, Monday … Sunday in English.
            weekday = WEEKDAYS[day.date.weekday()]
            out.write(f"  {day.date.isoformat()} {weekday} {day.name}".rstrip())

    def _list(self) -> None:
        for row in CalendarYear.objects.order_by("year"):
            official = _("官方") if row.official else _("待确认")
            self.stdout.write(f"{row.year}  {official}  {row.source}")


def _ranges(dates) -> str:
    """2027-02-05..2027-02-11, 2027-04-05 — consecutive dates as one range."""
    dates = sorted(dates)
    parts, start, previous = [], dates[0], dates[0]
    for day in dates[1:] + [None]:
        if day is not None and (day - previous).days == 1:
            previous = day
            continue
        parts.append(start.isoformat() if start == previous else f"{start}..{previous}")
        if day is not None:
            start = previous = day
    return ", ".join(parts)


def _cli_actor() -> str:
    # The audit names who ran the command; a container may have no name for its user.
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"
