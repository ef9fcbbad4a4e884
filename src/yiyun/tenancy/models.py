import hashlib

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from yiyun.tenancy.choices import OrganisationKind, Role, SiteKind


class Organisation(models.Model):
    """A party: the provider (乙方) or a customer (甲方) it serves."""

    name = models.CharField(verbose_name=_("名称"), max_length=200, unique=True)
    short_name = models.CharField(verbose_name=_("简称"), max_length=60, blank=True)
    kind = models.CharField(verbose_name=_("类型"), max_length=20, choices=OrganisationKind.choices)
    # The providers serving this customer; a provider's staff see exactly these customers.
    served_by = models.ManyToManyField(
        "self",
        verbose_name=_("服务单位"),
        symmetrical=False,
        related_name="customers",
        blank=True,
    )
    address = models.CharField(verbose_name=_("地址"), max_length=300, blank=True)
    bank_name = models.CharField(verbose_name=_("开户银行"), max_length=200, blank=True)
    bank_account = models.CharField(verbose_name=_("银行账号"), max_length=60, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("单位")
        verbose_name_plural = _("单位")

    def __str__(self) -> str:
        return self.name


class Site(models.Model):
    """A place of a customer: the county hospital or a township health centre."""

    organisation = models.ForeignKey(
        "tenancy.Organisation",
        verbose_name=_("单位"),
        on_delete=models.CASCADE,
        related_name="sites",
    )
    name = models.CharField(verbose_name=_("名称"), max_length=200)
    kind = models.CharField(verbose_name=_("类型"), max_length=20, choices=SiteKind.choices)
    township = models.CharField(verbose_name=_("乡镇"), max_length=60, blank=True)
    address = models.CharField(verbose_name=_("地址"), max_length=300, blank=True)

    class Meta:
        ordering = ["organisation", "name"]
        verbose_name = _("站点")
        verbose_name_plural = _("站点")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="site_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class Person(models.Model):
    """Somebody of an organisation: a contact, and a user of the platform when `user` is set."""

    organisation = models.ForeignKey(
        "tenancy.Organisation",
        verbose_name=_("单位"),
        on_delete=models.CASCADE,
        related_name="people",
    )
    site = models.ForeignKey(
        "tenancy.Site",
        verbose_name=_("站点"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="people",
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登录账号"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="person",
    )
    name = models.CharField(verbose_name=_("姓名"), max_length=100)
    title = models.CharField(verbose_name=_("职务"), max_length=100, blank=True)
    phone = models.CharField(verbose_name=_("电话"), max_length=40, blank=True)
    email = models.EmailField(verbose_name=_("电子邮箱"), blank=True)
    role = models.CharField(
        verbose_name=_("角色"), max_length=30, choices=Role.choices, default=Role.CUSTOMER_MEMBER
    )
    language = models.CharField(
        verbose_name=_("界面语言"),
        max_length=10,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
    )

    class Meta:
        ordering = ["organisation", "name"]
        verbose_name = _("人员")
        verbose_name_plural = _("人员")

    def __str__(self) -> str:
        return f"{self.name}（{self.organisation}）"


class ApiToken(models.Model):
    """A personal API token. Only its SHA-256 is stored; the token is shown once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("用户"),
        on_delete=models.CASCADE,
        related_name="api_tokens",
    )
    name = models.CharField(verbose_name=_("名称"), max_length=100)
    prefix = models.CharField(verbose_name=_("前缀"), max_length=12)
    digest = models.CharField(verbose_name=_("摘要"), max_length=64, unique=True)
    created_at = models.DateTimeField(verbose_name=_("创建时间"))
    last_used_at = models.DateTimeField(verbose_name=_("最近使用"), null=True, blank=True)
    revoked_at = models.DateTimeField(verbose_name=_("撤销时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API 令牌")
        verbose_name_plural = _("API 令牌")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def digest_of(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()
