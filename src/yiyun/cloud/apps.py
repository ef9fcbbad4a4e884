from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CloudConfig(AppConfig):
    name = "yiyun.cloud"
    label = "cloud"
    verbose_name = _("云资源")
    menu = [("cloud:overview", _("云资源"), 30)]
    dashboard_panels = ["yiyun.cloud.views.dashboard_panel"]
    # yiyun worker: read every server's use from its host; 2.7.4 is judged on the samples.
    # The interval the job runs at is the sample interval (conf.SAMPLE_SECONDS).
    periodic_jobs = [("yiyun.cloud.services.usage_collect_all", 300)]
    metrics = ["yiyun.cloud.selectors.metrics"]

    def ready(self):
        from yiyun.cloud import rules  # noqa: F401  (registers 2.7.4's response clock)
