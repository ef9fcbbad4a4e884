from datetime import timedelta

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebsitesConfig(AppConfig):
    name = "yiyun.websites"
    label = "websites"
    verbose_name = _("网站与日志")
    menu = [("websites:list", _("网站与日志"), 40)]
    dashboard_panels = ["yiyun.websites.views.dashboard_panel"]
    metrics = ["yiyun.websites.selectors.metrics"]
    export_hooks = ["yiyun.websites.datalife.export_for"]
    purge_hooks = ["yiyun.websites.datalife.purge_for"]
    periodic_jobs = [
        ("yiyun.websites.jobs.listener", 10),
        ("yiyun.websites.jobs.compact", 30),
        ("yiyun.websites.jobs.expire", 3600),
    ]

    def ready(self):
        from yiyun.obligations.registry import ClauseRule, Reminder, register, rules
        from yiyun.websites import checks  # noqa: F401  (registers the disk-space check)

        if any(rule.key == "2.6" for rule in rules()):
            return
        # 2.6: a filing or permit renewed before it expires; reminders 30 and 7 days ahead.
        register(
            ClauseRule(
                key="2.6",
                clause="2.6",
                title=_("网站备案/许可到期前办理续期"),
                trigger=_("登记备案或许可（截止时间为有效期届满）"),
                clock="set",
                bound="customer",
                penalty="",
                consequence=_("备案或许可过期的网站不得继续提供服务"),
                reminders=(
                    Reminder("30d", before=timedelta(days=30)),
                    Reminder("7d", before=timedelta(days=7)),
                ),
            )
        )
