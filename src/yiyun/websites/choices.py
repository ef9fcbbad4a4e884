from django.db import models
from django.utils.translation import gettext_lazy as _


class WebsiteStatus(models.TextChoices):
    """Whether the site is serving: gaps in its access log count only while it is up."""

    ONLINE = "online", _("运行中")
    SUSPENDED = "suspended", _("暂停")
    RETIRED = "retired", _("已下线")


class FilingKind(models.TextChoices):
    """Filings and permits a medical website needs (2.6)."""

    ICP_FILING = "icp_filing", _("ICP 备案")
    ICP_LICENSE = "icp_license", _("ICP 经营许可证")
    # 2.6 (6): 互联网医疗保健信息服务 needs the health authority's approval.
    HEALTH_PERMIT = "health_permit", _("互联网医疗保健信息服务审核同意书")
    PUBLIC_SECURITY = "public_security", _("公安联网备案")
    OTHER = "other", _("其他许可")


class FilingState(models.TextChoices):
    VALID = "valid", _("有效")
    EXPIRING = "expiring", _("即将到期")
    EXPIRED = "expired", _("已过期")

    @property
    def colour(self) -> str:
        return {"valid": "ok", "expiring": "warn", "expired": "bad"}[self.value]


class ManifestAction(models.TextChoices):
    ADD = "add", _("写入")
    REMOVE = "remove", _("删除")


class RemoveReason(models.TextChoices):
    MERGED = "merged", _("合并")
    EXPIRED = "expired", _("超过保存期限")
    PURGED = "purged", _("服务终止后删除")


class ExportFormat(models.TextChoices):
    CSV = "csv", "CSV"
    PARQUET = "parquet", "Parquet"
