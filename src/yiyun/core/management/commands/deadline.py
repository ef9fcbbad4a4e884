from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from yiyun.core.choices import Clock
from yiyun.core.clock import parse_moment
from yiyun.core.errors import PeriodError
from yiyun.core.periods import deadline, parse_close_time


class Command(BaseCommand):
    # A quick tool: it must answer even while another part of the configuration is being
    # fixed, and without repeating the calendar coverage warning on every call.
    requires_system_checks = []
    help = _(
        "计算期限（民法典第二百条至第二百零四条）：输出截止时刻（北京时间 ISO 格式，"
        "即期间最后一日 24:00 = 次日 00:00），依赖尚无官方安排的年份时后跟“ unconfirmed”。"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--from",
            dest="trigger",
            required=True,
            help=_("起算时刻（事件发生时刻），ISO 8601；不带时区时按北京时间"),
        )
        parser.add_argument("--clock", required=True, choices=Clock.values)
        parser.add_argument("--n", required=True, type=int, help=_("期间长度（正整数）"))
        parser.add_argument(
            "--before",
            action="store_true",
            help=_("在事件之前至少 N 个单位（例如到期前一个月通知）"),
        )
        parser.add_argument(
            "--close-time",
            help=_("期间在最后一日的这一时刻（北京时间 HH:MM）结束，而不是 24:00"),
        )
        parser.add_argument("--explain", action="store_true", help=_("再输出一行计算说明"))

    def handle(self, *args, trigger, clock, n, before, close_time, explain, **options):
        try:
            result = deadline(
                parse_moment(trigger),
                clock=clock,
                n=n,
                before=before,
                close_time=parse_close_time(close_time) if close_time else None,
            )
        except (ValueError, PeriodError) as exc:
            raise CommandError(getattr(exc, "message", str(exc))) from None
        line = result.due_at.isoformat()
        if result.unconfirmed:
            line += " unconfirmed"
        self.stdout.write(line)
        if explain:
            self.stdout.write(result.explain())
