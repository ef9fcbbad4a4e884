"""The dashboard panel: a warning while the next 12 months lack an official schedule."""

from django.template.loader import render_to_string

from yiyun.core import clock
from yiyun.core.checks import CALENDAR_HORIZON_MONTHS
from yiyun.core.periods import add_months
from yiyun.core.selectors import calendar_years_missing


def calendar_panel(request) -> str:
    """Empty when covered; else which years are computed on weekends alone, for everyone
    (their deadlines show as unconfirmed) and, for staff, where to enter the schedule."""
    today = clock.local(clock.now()).date()
    missing = calendar_years_missing(start=today, end=add_months(today, CALENDAR_HORIZON_MONTHS))
    if not missing:
        return ""
    return render_to_string(
        "core/_calendar_panel.html",
        {"years": "、".join(str(year) for year in missing), "staff": request.user.is_staff},
    )
