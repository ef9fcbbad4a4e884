from datetime import timedelta

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DatalifeConfig(AppConfig):
    name = "yiyun.datalife"
    label = "datalife"
    verbose_name = _("数据生命周期")
    menu = [
        ("datalife:backups", _("备份"), 70),
        ("datalife:disclosures", _("披露登记"), 72),
        ("datalife:service_ends", _("服务终止与数据删除"), 74),
    ]
    dashboard_panels = ["yiyun.datalife.views.dashboard_panel"]
    # yiyun worker: each job claims its rows, so several workers never double up.
    periodic_jobs = [
        ("yiyun.datalife.jobs.run_backups", 60),
        ("yiyun.datalife.jobs.run_restore_drills", 60),
        ("yiyun.datalife.jobs.run_repository_checks", 600),
        ("yiyun.datalife.jobs.build_exports", 30),
        ("yiyun.datalife.jobs.run_end_of_service", 60),
    ]
    # What datalife itself contributes to a customer's export (see hooks.py).
    export_hooks = ["yiyun.datalife.endofservice.export_own_records"]
    purge_hooks: list[str] = []
    metrics = ["yiyun.datalife.selectors.metrics"]

    def ready(self):
        from yiyun.datalife import checks  # noqa: F401 — registers the system checks

        _register_clauses()


def _register_clauses() -> None:
    """The data clauses' clocks (6.5, 6.6) in the obligations registry."""
    from yiyun.contracts.choices import Party
    from yiyun.datalife.endofservice import PURGE_WITHIN_HOURS
    from yiyun.obligations.choices import ObligationClock, ObligationKind
    from yiyun.obligations.registry import ClauseRule, Reminder, register

    rules = (
        # 6.5: the buffer period the parties set, with the export service open during it.
        ClauseRule(
            key="6.5.buffer",
            clause="6.5",
            title=_("服务终止后的数据缓冲期（可导出数据）"),
            trigger=_("服务终止（期满、提前终止或欠费）"),
            clock=ObligationClock.SET,
            bound=Party.PROVIDER,
            kind=ObligationKind.TERM,
            penalty="",
            consequence=_("缓冲期届满后删除甲方全部数据"),
            reminders=(),
        ),
        # 6.5: once the buffer is over, every copy goes: data, caches, backups.
        ClauseRule(
            key="6.5",
            clause="6.5",
            title=_("缓冲期届满后删除甲方全部数据、缓存和备份"),
            trigger=_("数据缓冲期届满"),
            clock=ObligationClock.HOURS,
            n=PURGE_WITHIN_HOURS,
            bound=Party.PROVIDER,
            consequence=_("违反6.5"),
            reminders=(Reminder("2h", before=timedelta(hours=2)),),
        ),
        # 6.6: deleted data cannot be recovered; the deletion record proves it.
        ClauseRule(
            key="6.6",
            clause="6.6",
            title=_("出具数据删除记录"),
            trigger=_("数据缓冲期届满"),
            clock=ObligationClock.HOURS,
            n=PURGE_WITHIN_HOURS,
            bound=Party.PROVIDER,
            consequence=_("违反6.6"),
            reminders=(),
        ),
    )
    for rule in rules:
        register(rule, replace=True)
