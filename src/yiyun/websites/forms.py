from django import forms
from django.utils.translation import gettext_lazy as _

from yiyun.datalife.choices import DisclosureBasis
from yiyun.websites.choices import FilingKind, WebsiteStatus
from yiyun.websites.conf import DEFAULT_RETENTION_DAYS


class WebsiteForm(forms.Form):
    organisation = forms.TypedChoiceField(label=_("单位"), coerce=int)
    site = forms.TypedChoiceField(label=_("站点"), coerce=int, required=False, empty_value=None)
    domain = forms.CharField(label=_("域名"), max_length=253)
    name = forms.CharField(label=_("网站名称"), max_length=200)
    business_system = forms.CharField(label=_("业务系统"), max_length=200, required=False)
    server = forms.CharField(label=_("服务器"), max_length=200, required=False)
    retention_days = forms.IntegerField(label=_("日志保存天数"), initial=DEFAULT_RETENTION_DAYS)
    log_format = forms.CharField(
        label=_('日志格式（nginx log_format，留空为 combined 加 "$host"）'),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, organisations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].choices = [(o.pk, o.name) for o in organisations]
        self.fields["site"].choices = [("", "—")] + [
            (site.pk, f"{o.name} · {site.name}") for o in organisations for site in o.sites.all()
        ]


class WebsiteEditForm(forms.Form):
    name = forms.CharField(label=_("网站名称"), max_length=200)
    business_system = forms.CharField(label=_("业务系统"), max_length=200, required=False)
    server = forms.CharField(label=_("服务器"), max_length=200, required=False)
    status = forms.ChoiceField(label=_("状态"), choices=WebsiteStatus.choices)
    retention_days = forms.IntegerField(label=_("日志保存天数"))
    log_format = forms.CharField(
        label=_("日志格式"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class FilingForm(forms.Form):
    kind = forms.ChoiceField(label=_("类别"), choices=FilingKind.choices)
    number = forms.CharField(label=_("备案号/许可证号"), max_length=100)
    authority = forms.CharField(label=_("发证机关"), max_length=200, required=False)
    issued_on = forms.DateField(
        label=_("发证日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    valid_until = forms.DateField(
        label=_("有效期至"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class FilingRenewForm(forms.Form):
    number = forms.CharField(label=_("新证号"), max_length=100, required=False)
    valid_until = forms.DateField(
        label=_("新有效期至"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class HoldForm(forms.Form):
    reason = forms.CharField(label=_("保全原因"), max_length=300)
    starts_on = forms.DateField(
        label=_("起始日期（留空：全部）"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    ends_on = forms.DateField(
        label=_("截止日期（留空：不限）"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )


class QueryForm(forms.Form):
    ip = forms.CharField(label=_("客户端 IP 或网段"), max_length=100, required=False)
    since = forms.DateTimeField(
        label=_("起始时间"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    until = forms.DateTimeField(
        label=_("截止时间"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    domain = forms.CharField(label=_("域名"), max_length=253, required=False)
    path = forms.CharField(label=_("路径包含"), max_length=300, required=False)
    status = forms.IntegerField(label=_("状态码"), required=False, min_value=100, max_value=599)
    errors_only = forms.BooleanField(label=_("仅解析失败的行"), required=False)


class ExportForm(QueryForm):
    basis = forms.ChoiceField(label=_("依据"), choices=DisclosureBasis.choices)
    authority = forms.CharField(label=_("调取机关"), max_length=200)
    document_number = forms.CharField(label=_("文书编号"), max_length=100, required=False)
    legal_basis = forms.CharField(
        label=_("法律依据"), widget=forms.Textarea(attrs={"rows": 2}), max_length=1000
    )
    approved_by = forms.CharField(label=_("批准人"), max_length=150)
    scope_note = forms.CharField(
        label=_("调取范围说明"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=1000,
    )
