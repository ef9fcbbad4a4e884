from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServicedeskConfig(AppConfig):
    name = "yiyun.servicedesk"
    label = "servicedesk"
    verbose_name = _("服务台")
    menu = [("servicedesk:ticket_list", _("服务台"), 20)]
    dashboard_panels = ["yiyun.servicedesk.views.dashboard_panel"]
    # Right after the obligations tick (same interval): pass its reminders and breaches
    # on to the assignee / the people on duty.
    metrics = ["yiyun.servicedesk.selectors.metrics"]
    export_hooks = ["yiyun.servicedesk.datalife.export_for"]
    purge_hooks = ["yiyun.servicedesk.datalife.purge_for"]
    periodic_jobs = [("yiyun.servicedesk.escalation.escalations_dispatch_now", 60)]
