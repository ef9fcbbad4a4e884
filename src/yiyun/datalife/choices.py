from django.db import models
from django.utils.translation import gettext_lazy as _


class DisclosureBasis(models.TextChoices):
    """Why customer data left the service (6.3)."""

    # 6.3.1: a lawful request by an authority (公安、国家安全、司法等机关依法调取)
    LAWFUL_REQUEST = "6.3.1", _("有权机关依法调取（6.3.1）")
    # 6.3.2: agreed between the parties
    AGREED = "6.3.2", _("双方约定（6.3.2）")


class DataSetKind(models.TextChoices):
    """What a backup covers."""

    PATH = "path", _("客户数据目录")
    # Only the provider's own policies may hold it: the platform database holds every
    # customer's rows, so it never goes into a customer's repository.
    PLATFORM_DATABASE = "platform_database", _("平台数据库")


class PolicyOrigin(models.TextChoices):
    """Who set a backup policy (6.4: the customer's rules, or the provider's default)."""

    CUSTOMER = "customer", _("客户设定")
    PROVIDER_DEFAULT = "provider_default", _("服务方默认")


class RunResult(models.TextChoices):
    RUNNING = "running", _("进行中")
    OK = "ok", _("成功")
    FAILED = "failed", _("失败")

    @property
    def colour(self) -> str:
        return {"running": "warn", "ok": "ok", "failed": "bad"}[self.value]


class DrillState(models.TextChoices):
    PENDING = "pending", _("待执行")
    OK = "ok", _("校验一致")
    MISMATCH = "mismatch", _("校验不一致")
    FAILED = "failed", _("失败")


class ServiceEndReason(models.TextChoices):
    """Why the service ends (6.5)."""

    EXPIRY = "expiry", _("合同期满")
    EARLY_TERMINATION = "early_termination", _("提前终止")
    ARREARS = "arrears", _("欠费")


class ServiceEndState(models.TextChoices):
    BUFFER = "buffer", _("缓冲期（可导出数据）")
    PURGED = "purged", _("已删除")
    CANCELLED = "cancelled", _("已撤销")


class ExportState(models.TextChoices):
    PENDING = "pending", _("生成中")
    READY = "ready", _("可下载")
    FAILED = "failed", _("失败")
    PURGED = "purged", _("已随数据删除")
