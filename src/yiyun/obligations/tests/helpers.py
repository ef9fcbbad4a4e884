"""Small helpers for the obligations tests: Beijing-time moments and a frozen clock."""

from datetime import datetime

import time_machine

from yiyun.core.clock import SHANGHAI


def bj(*args) -> datetime:
    """datetime(*args) in Asia/Shanghai."""
    return datetime(*args, tzinfo=SHANGHAI)


def at(*args):
    """Freeze the clock at a Beijing-time moment: `with at(2026, 3, 10, 22, 30): …`."""
    return time_machine.travel(bj(*args), tick=False)
