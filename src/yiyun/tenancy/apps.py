from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TenancyConfig(AppConfig):
    name = "yiyun.tenancy"
    label = "tenancy"
    verbose_name = _("单位与人员")
    menu = [
        ("portal:organisations", _("单位"), 80),
        ("portal:people", _("人员"), 81),
        ("portal:tokens", _("API 令牌"), 99),
    ]

    def ready(self):
        from yiyun.tenancy import auth_events  # noqa: F401  (connects Django's auth signals)
