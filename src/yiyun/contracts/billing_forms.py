"""Forms of the acceptance (1.3) and billing pages: they check input, services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from yiyun.contracts.forms import PARTIES, DateInput, LocalDateTimeInput
from yiyun.tenancy.models import Person


class AcceptanceForm(forms.Form):
    """A new acceptance record (1.3); times are Beijing time."""

    held_at = forms.DateTimeField(label=_("验收时间"), widget=LocalDateTimeInput())
    place = forms.CharField(label=_("验收地点"), max_length=200)
    customer_participants = forms.CharField(
        label=_("甲方参与验收人员"), widget=forms.Textarea(attrs={"rows": 2})
    )
    provider_participants = forms.CharField(
        label=_("乙方参与验收人员"), widget=forms.Textarea(attrs={"rows": 2})
    )
    customer_representative = forms.ModelChoiceField(
        label=_("甲方授权代表（不指定时由甲方管理员签字）"),
        queryset=Person.objects.none(),
        required=False,
    )
    provider_representative = forms.ModelChoiceField(
        label=_("乙方授权代表（不指定时由乙方管理员签字）"),
        queryset=Person.objects.none(),
        required=False,
    )

    def __init__(self, *args, contract=None, **kwargs):
        super().__init__(*args, **kwargs)
        if contract is not None:
            people = Person.objects.filter(user__isnull=False).exclude(role="auditor")
            self.fields["customer_representative"].queryset = people.filter(
                organisation_id=contract.customer_id
            )
            self.fields["provider_representative"].queryset = people.filter(
                organisation_id=contract.provider_id
            )


class CriterionAddForm(forms.Form):
    item = forms.CharField(label=_("验收项目"), max_length=200)
    standard = forms.CharField(label=_("验收标准"), max_length=300)


class CriterionRecordForm(forms.Form):
    RESULTS = [("yes", _("合格")), ("no", _("不合格"))]
    measured = forms.CharField(label=_("验收情况"), max_length=300)
    passed = forms.ChoiceField(label=_("结论"), choices=RESULTS)
    problems = forms.CharField(
        label=_("发现的问题"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ConcludeForm(forms.Form):
    conclusion = forms.CharField(
        label=_("结论说明"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class SignForm(forms.Form):
    party = forms.ChoiceField(label=_("签字方"), choices=PARTIES)


class RectificationForm(forms.Form):
    due_at = forms.DateTimeField(label=_("整改期限"), widget=LocalDateTimeInput())


class RectificationDoneForm(forms.Form):
    at = forms.DateTimeField(label=_("整改完毕时间"), required=False, widget=LocalDateTimeInput())
    note = forms.CharField(label=_("说明"), required=False, max_length=2000)


class ScanForm(forms.Form):
    scan = forms.FileField(label=_("纸质记录单扫描件"))


class VerifyForm(forms.Form):
    file = forms.FileField(label=_("要核对的 PDF"))


class BillingPaymentForm(forms.Form):
    amount = forms.DecimalField(label=_("金额"), max_digits=14, decimal_places=2, min_value=0)
    paid_on = forms.DateField(label=_("付款日期"), widget=DateInput())
    reference = forms.CharField(label=_("凭证号"), required=False, max_length=100)
    invoice_number = forms.CharField(label=_("发票号码"), required=False, max_length=60)


class PeriodForm(forms.Form):
    start = forms.DateField(label=_("计费期起"), widget=DateInput())
    end = forms.DateField(label=_("计费期止"), widget=DateInput())

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            raise forms.ValidationError(_("计费期止不能早于计费期起"))
        return data


class FinanceContactForm(forms.Form):
    person = forms.ModelChoiceField(label=_("财务联系人"), queryset=Person.objects.none())

    def __init__(self, *args, contract=None, **kwargs):
        super().__init__(*args, **kwargs)
        if contract is not None:
            self.fields["person"].queryset = Person.objects.filter(
                organisation_id=contract.customer_id
            )
