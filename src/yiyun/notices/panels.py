"""The dashboard panel: maintenance windows running or coming, and unread inbox messages."""

from django.template.loader import render_to_string

from yiyun.core import clock
from yiyun.notices.selectors import inbox_unread_count, maintenance_windows


def maintenance_panel(request) -> str:
    now = clock.now()
    return render_to_string(
        "notices/_panel.html",
        {
            "windows": list(maintenance_windows(request.user, now=now)[:8]),
            "unread": inbox_unread_count(request.user),
            "now": now,
        },
        request=request,
    )
