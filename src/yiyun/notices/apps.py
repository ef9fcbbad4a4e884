from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NoticesConfig(AppConfig):
    name = "yiyun.notices"
    label = "notices"
    verbose_name = _("通知")
    menu = [("notices:inbox", _("站内信"), 90)]
