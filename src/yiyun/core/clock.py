"""The one source of time. Everything that asks "what time is it" calls `now()`.

Tests move time with time-machine, which patches the clock underneath this function.
"""

from datetime import datetime
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.translation import gettext as _

SHANGHAI = ZoneInfo("Asia/Shanghai")


def now() -> datetime:
    """The current moment, aware, in UTC."""
    return timezone.now()


def local(moment: datetime) -> datetime:
    """The same moment seen in Asia/Shanghai, where every contract clock runs."""
    return moment.astimezone(SHANGHAI)


def parse_moment(text: str) -> datetime:
    """An ISO 8601 date or date-time typed by a person or sent to the API, made aware.

    With an offset (`+08:00`, `Z`) it is taken as given; without one it is Asia/Shanghai
    time, where every contract clock runs; a bare date is 00:00 of that day. Raises
    ValueError naming the text when it is not one.
    """
    value = text.strip()
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(
            _("“%(text)s”不是 ISO 8601 日期或日期时间（例如 2026-09-18T10:00+08:00）")
            % {"text": text}
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=SHANGHAI)
    return moment
