from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ObligationsConfig(AppConfig):
    name = "yiyun.obligations"
    label = "obligations"
    verbose_name = _("履约义务")
    menu = [("obligations:list", _("履约期限"), 11)]
    dashboard_panels = ["yiyun.obligations.views.dashboard_panel"]
    # yiyun worker: the heartbeat, every minute.
    periodic_jobs = [("yiyun.obligations.services.tick_now", 60)]
    # After a holiday schedule is imported or corrected: move the due times it changes.
    calendar_changed_hooks = ["yiyun.obligations.services.obligations_recompute_for_years"]

    def ready(self):
        from yiyun.obligations import registry  # noqa: F401  (registers the contract's clauses)
