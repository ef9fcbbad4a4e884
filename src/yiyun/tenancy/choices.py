from django.db import models
from django.utils.translation import gettext_lazy as _


class OrganisationKind(models.TextChoices):
    PROVIDER = "provider", _("服务单位（乙方）")
    CUSTOMER = "customer", _("采购单位（甲方）")


class SiteKind(models.TextChoices):
    HOSPITAL = "hospital", _("医院")
    HEALTH_CENTRE = "health_centre", _("乡镇卫生院")
    OFFICE = "office", _("办公地点")
    DATA_CENTRE = "data_centre", _("机房")


class Role(models.TextChoices):
    PROVIDER_ADMIN = "provider_admin", _("服务方管理员")
    PROVIDER_ENGINEER = "provider_engineer", _("服务方工程师")
    CUSTOMER_ADMIN = "customer_admin", _("客户管理员")
    CUSTOMER_MEMBER = "customer_member", _("客户成员")
    AUDITOR = "auditor", _("审计员（只读）")


PROVIDER_ROLES = {Role.PROVIDER_ADMIN, Role.PROVIDER_ENGINEER}
ADMIN_ROLES = {Role.PROVIDER_ADMIN, Role.CUSTOMER_ADMIN}
