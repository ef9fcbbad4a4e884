from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "yiyun.core"
    label = "core"
    verbose_name = _("核心")
    dashboard_panels = ["yiyun.core.panels.calendar_panel"]
    periodic_jobs = [("yiyun.core.audit.audit_anchor", 3600)]

    def ready(self):
        from yiyun.core import checks  # noqa: F401 — registers the system checks

        # After every migrate (and every flush of a test database): the package's
        # years must be there, whatever else was loaded or deleted.
        post_migrate.connect(
            _load_package_calendar, sender=self, dispatch_uid="yiyun.core.calendar"
        )


def _load_package_calendar(sender, *, using="default", apps=None, **kwargs):
    from django.db import DEFAULT_DB_ALIAS

    if using != DEFAULT_DB_ALIAS:
        return
    # Migrated back before the calendar tables (migrate core 0001): nothing to load into.
    # `flush` sends no migration state: the installed models are the state then.
    if apps is not None:
        try:
            apps.get_model("core", "CalendarDay")
        except LookupError:
            return
    from yiyun.core.services import calendar_package_load

    calendar_package_load()
