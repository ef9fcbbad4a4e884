from django import forms
from django.utils.translation import gettext_lazy as _

from yiyun.contracts.choices import NoticeKind, Party


class LocalDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class DateInput(forms.DateInput):
    input_type = "date"


PARTIES = [(Party.CUSTOMER, Party.CUSTOMER.label), (Party.PROVIDER, Party.PROVIDER.label)]


class NoticeForm(forms.Form):
    """A written notice (11.1, 11.2, 5.3, 8.1.1); times are Beijing time."""

    kind = forms.ChoiceField(label=_("类型"), choices=NoticeKind.choices)
    from_party = forms.ChoiceField(label=_("发出方"), choices=PARTIES)
    sender = forms.CharField(label=_("发出人"), max_length=150)
    recipient = forms.CharField(label=_("接收人"), max_length=150)
    delivered_at = forms.DateTimeField(label=_("送达时间"), widget=LocalDateTimeInput())
    document = forms.FileField(label=_("书面文件"), required=False)
    reason = forms.CharField(
        label=_("理由"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    force_majeure_since = forms.DateField(
        label=_("不可抗力开始日期（8.1.1）"), required=False, widget=DateInput()
    )
    consent_at = forms.DateTimeField(
        label=_("对方书面同意时间（11.2）"), required=False, widget=LocalDateTimeInput()
    )
    consent_by = forms.CharField(label=_("同意人（11.2）"), required=False, max_length=150)


class ConsentForm(forms.Form):
    consent_at = forms.DateTimeField(label=_("对方书面同意时间"), widget=LocalDateTimeInput())
    consent_by = forms.CharField(label=_("同意人"), max_length=150)
    document = forms.FileField(label=_("同意文件"), required=False)


class PaymentForm(forms.Form):
    amount = forms.DecimalField(label=_("金额"), max_digits=14, decimal_places=2, min_value=0)
    paid_on = forms.DateField(label=_("付款日期"), widget=DateInput())
    reference = forms.CharField(label=_("凭证号"), required=False, max_length=100)


class ParameterForm(forms.Form):
    value = forms.CharField(label=_("约定值"), max_length=2000)


class ShiftForm(forms.Form):
    days = forms.IntegerField(label=_("顺延天数"), min_value=1, max_value=3660)
    reason = forms.CharField(label=_("原因（整改期等）"), max_length=300)


class PenaltyForm(forms.Form):
    RULES = [
        ("5.2", _("5.2 无故终止合同（20%）")),
        ("3.5", _("3.5 转让合同权利义务（10%）")),
        ("5.1", _("5.1 其他违约（5%）")),
    ]
    rule = forms.ChoiceField(label=_("违约金条款"), choices=RULES)
    liable_party = forms.ChoiceField(label=_("违约方"), choices=PARTIES)
    clause = forms.CharField(label=_("违反的条款"), required=False, max_length=30)
    note = forms.CharField(label=_("说明"), required=False, max_length=2000)
