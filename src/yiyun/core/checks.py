"""System checks of core, shown by `yiyun check` (and before `serve`, `migrate`, …)."""

from django.core.checks import Warning, register
from django.db import DatabaseError, connection
from django.utils.translation import gettext as _

from yiyun.core import clock

CALENDAR_HORIZON_MONTHS = 12


@register("yiyun")
def calendar_coverage(app_configs=None, **kwargs):
    """Warn when the official holiday schedule for the next 12 months is not loaded.

    Deadlines in a year without one are computed on weekends alone and flagged
    unconfirmed; the State Council publishes each year's schedule around November.
    """
    from yiyun.core.models import CalendarYear
    from yiyun.core.periods import add_months
    from yiyun.core.selectors import calendar_years_missing

    try:
        # Before the first migrate there is no table to read: `migrate` reports that.
        if CalendarYear._meta.db_table not in connection.introspection.table_names():
            return []
        today = clock.local(clock.now()).date()
        missing = calendar_years_missing(
            start=today, end=add_months(today, CALENDAR_HORIZON_MONTHS)
        )
    except DatabaseError:
        return []
    if not missing:
        return []
    years = "、".join(str(year) for year in missing)
    return [
        Warning(
            _("%(years)s 年的官方节假日安排尚未导入：这些年份的期限只按周末计算，标记为待确认。")
            % {"years": years},
            hint=_(
                "国务院办公厅发布通知后，用 `yiyun calendar import 文件.json` 或在管理后台录入。"
            ),
            id="yiyun.core.W001",
        )
    ]
