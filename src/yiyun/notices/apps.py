from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NoticesConfig(AppConfig):
    name = "yiyun.notices"
    label = "notices"
    verbose_name = _("通知")
    menu = [("notices:list", _("通知"), 60), ("notices:inbox", _("站内信"), 90)]
    dashboard_panels = ["yiyun.notices.panels.maintenance_panel"]
    # The outbox: email, SMS and robots go out from here, retried with backoff (4.5).
    periodic_jobs = [("yiyun.notices.outbox.outbox_run", 5)]
    metrics = ["yiyun.notices.selectors.metrics"]
    export_hooks = ["yiyun.notices.datalife.export_for"]
    purge_hooks = ["yiyun.notices.datalife.purge_for"]

    def ready(self):
        from yiyun.notices import checks  # noqa: F401 — registers the system checks
