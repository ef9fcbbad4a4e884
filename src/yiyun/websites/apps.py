from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebsitesConfig(AppConfig):
    name = "yiyun.websites"
    label = "websites"
    verbose_name = _("网站与日志")
