"""The one source of time. Everything that asks "what time is it" calls `now()`.

Tests move time with time-machine, which patches the clock underneath this function.
"""

from datetime import datetime
from zoneinfo import ZoneInfo

from django.utils import timezone

SHANGHAI = ZoneInfo("Asia/Shanghai")


def now() -> datetime:
    """The current moment, aware, in UTC."""
    return timezone.now()


def local(moment: datetime) -> datetime:
    """The same moment seen in Asia/Shanghai, where every contract clock runs."""
    return moment.astimezone(SHANGHAI)
