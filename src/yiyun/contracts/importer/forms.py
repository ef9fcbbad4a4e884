from django import forms
from django.utils.translation import gettext_lazy as _

from yiyun.contracts.importer.readers import MAX_BYTES


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("合同文件"),
        help_text=_("纯文本（UTF-8 或 GB18030）、Word（.docx）或带文字层的 PDF"),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(
                _("文件过大（超过 %(mb)s MB）") % {"mb": MAX_BYTES // (1024 * 1024)}
            )
        return upload


class ApproveForm(forms.Form):
    acknowledged = forms.BooleanField(label=_("已逐项核对标记的字段"), required=False)


class RejectForm(forms.Form):
    reason = forms.CharField(label=_("驳回原因"), required=False, max_length=2000)
