from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CircuitsConfig(AppConfig):
    name = "yiyun.circuits"
    label = "circuits"
    verbose_name = _("电路")
    menu = [("circuits:list", _("电路"), 31)]
    dashboard_panels = ["yiyun.circuits.views.dashboard_panel"]
    periodic_jobs = [
        # Every 5 s: probe the circuits whose interval (default 60 s) has passed.
        ("yiyun.circuits.services.probe_due", 5),
        # Hourly roll-ups of the raw results, and the purge of old raw results.
        ("yiyun.circuits.services.probes_rollup", 600),
        # A contract loaded since the last run gets its circuits (circuits_from_contract).
        ("yiyun.circuits.services.circuits_sync_all", 600),
    ]
    metrics = ["yiyun.circuits.selectors.metrics"]
