from django.db import models
from django.utils.translation import gettext_lazy as _


class Resource(models.TextChoices):
    """1.2: the resources of the medical community's entitlement, as the contract data names
    them (`entitlements[].resource`). Counted here in cores and GiB."""

    VCPU = "vcpu", _("vCPU")
    MEMORY = "memory", _("内存")
    STORAGE = "storage", _("存储")
    SYSTEM_DISK = "system_disk", _("系统盘")

    @property
    def base_unit(self) -> str:
        return "core" if self.value == "vcpu" else "GiB"


class BusinessSystemKind(models.TextChoices):
    HIS = "his", _("HIS 医院信息系统")
    EMR = "emr", _("EMR 电子病历")
    LIS = "lis", _("LIS 检验信息系统")
    PACS = "pacs", _("PACS 影像系统")
    PUBLIC_HEALTH = "public_health", _("公共卫生")
    OFFICE = "office", _("办公")
    OTHER = "other", _("其他")


class ServerState(models.TextChoices):
    RUNNING = "running", _("运行中")
    STOPPED = "stopped", _("已关机")
    PAUSED = "paused", _("已暂停")
    MISSING = "missing", _("宿主机上未找到")
    DELETED = "deleted", _("已删除")

    @property
    def colour(self) -> str:
        return {
            "running": "ok",
            "stopped": "",
            "paused": "warn",
            "missing": "bad",
            "deleted": "",
        }[self.value]


# States whose resources count as allocated.
ALLOCATED_STATES = (
    ServerState.RUNNING,
    ServerState.STOPPED,
    ServerState.PAUSED,
    ServerState.MISSING,
)


class DriverKind(models.TextChoices):
    LIBVIRT = "libvirt", _("libvirt")


class ChangeKind(models.TextChoices):
    # 1.3: upgrades, changes and added resources, priced from the government price list.
    CUSTOMER_1_3 = "customer_1_3", _("甲方申请升级或增加资源（1.3）")
    # 3.7: the provider changes service content, functions or operation, with consent.
    PROVIDER_3_7 = "provider_3_7", _("乙方调整服务内容（3.7）")


class ChangeState(models.TextChoices):
    SUBMITTED = "submitted", _("待审批")
    APPROVED = "approved", _("已批准")
    REJECTED = "rejected", _("已拒绝")
    WITHDRAWN = "withdrawn", _("已撤回")
    APPLIED = "applied", _("已实施")

    @property
    def colour(self) -> str:
        return {
            "submitted": "warn",
            "approved": "ok",
            "rejected": "bad",
            "withdrawn": "",
            "applied": "ok",
        }[self.value]


class OveruseMetric(models.TextChoices):
    """2.7.4: what the tenant may not occupy excessively (each as a share of what it has)."""

    CPU = "cpu", _("CPU")
    MEMORY = "memory", _("内存")
    STORAGE = "storage", _("存储")


class FindingState(models.TextChoices):
    AWAITING_RESPONSE = "awaiting_response", _("待甲方回应")
    RESPONDED = "responded", _("甲方已回应")
    RESPONSE_OVERDUE = "response_overdue", _("回应逾期")
    MEASURE_RECORDED = "measure_recorded", _("已记录处置措施")
    CLOSED = "closed", _("已关闭")

    @property
    def colour(self) -> str:
        return {
            "awaiting_response": "warn",
            "responded": "ok",
            "response_overdue": "bad",
            "measure_recorded": "bad",
            "closed": "",
        }[self.value]
