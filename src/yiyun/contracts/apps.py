from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContractsConfig(AppConfig):
    name = "yiyun.contracts"
    label = "contracts"
    verbose_name = _("合同")
    menu = [
        ("contracts:list", _("合同"), 10),
        ("contracts:import_list", _("合同导入"), 11),
        # Issue 10: acceptance (1.3) and billing.
        ("contracts:billing_index", _("账务与验收"), 12),
    ]
    # Issue 10: payment obligations (二.2) opened and met, reminders to finance contacts.
    periodic_jobs = [("yiyun.contracts.billing.billing_sync", 60)]

    def ready(self):
        # Issue 10: register the clauses 1.3 (rectification) and 二.2 (payment).
        from yiyun.contracts import acceptance, billing  # noqa: F401
