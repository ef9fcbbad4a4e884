from django.db import models
from django.utils.translation import gettext_lazy as _


class DraftStatus(models.TextChoices):
    DRAFT = "draft", _("待审核")
    APPROVED = "approved", _("已批准")
    REJECTED = "rejected", _("已驳回")

    @property
    def colour(self) -> str:
        return {"draft": "warn", "approved": "ok", "rejected": "bad"}[self.value]


class SourceFormat(models.TextChoices):
    TEXT = "txt", _("纯文本")
    DOCX = "docx", _("Word 文档（.docx）")
    PDF = "pdf", _("PDF（文字层）")


class FieldFlag(models.TextChoices):
    """Why a proposed value needs the reviewer's eye."""

    MISSING = "missing", _("未找到")
    UNCERTAIN = "uncertain", _("不确定")
    INFERRED = "inferred", _("推断")
    DIFFERS = "differs", _("与模板通常值不同")
    INCONSISTENT = "inconsistent", _("前后不一致")

    @property
    def colour(self) -> str:
        return {
            "missing": "bad",
            "uncertain": "warn",
            "inferred": "warn",
            "differs": "bad",
            "inconsistent": "bad",
        }[self.value]
