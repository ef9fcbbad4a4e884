from django import forms
from django.utils.translation import gettext_lazy as _

from yiyun.datalife.choices import ServiceEndReason
from yiyun.datalife.models import BackupPolicy
from yiyun.datalife.selectors import data_sets_visible
from yiyun.tenancy.selectors import visible_organisations


class AnnotationForm(forms.Form):
    text = forms.CharField(label=_("批注"), widget=forms.Textarea(attrs={"rows": 3}))


class DataSetForm(forms.Form):
    organisation = forms.ModelChoiceField(label=_("单位"), queryset=None)
    name = forms.CharField(label=_("名称"), max_length=100)
    path = forms.CharField(label=_("目录（单位数据目录下的相对路径）"), max_length=300)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = visible_organisations(user)


class PolicyForm(forms.Form):
    organisation = forms.ModelChoiceField(label=_("单位"), queryset=None)
    name = forms.CharField(label=_("名称"), max_length=100)
    data_sets = forms.ModelMultipleChoiceField(label=_("数据集"), queryset=None)
    interval_hours = forms.IntegerField(label=_("备份间隔（小时）"), min_value=1, initial=24)
    keep_daily = forms.IntegerField(label=_("保留每日备份（份）"), min_value=0, initial=7)
    keep_weekly = forms.IntegerField(label=_("保留每周备份（份）"), min_value=0, initial=4)
    keep_monthly = forms.IntegerField(label=_("保留每月备份（份）"), min_value=0, initial=6)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = visible_organisations(user)
        self.fields["data_sets"].queryset = data_sets_visible(user).filter(purged_at__isnull=True)


class PolicyUpdateForm(forms.ModelForm):
    class Meta:
        model = BackupPolicy
        fields = ["interval_hours", "keep_daily", "keep_weekly", "keep_monthly", "enabled"]


class ItemDeleteForm(forms.Form):
    path = forms.CharField(label=_("文件"), max_length=500)


class ServiceEndForm(forms.Form):
    contract = forms.ModelChoiceField(label=_("合同"), queryset=None)
    reason = forms.ChoiceField(label=_("终止原因"), choices=ServiceEndReason.choices)
    buffer_days = forms.IntegerField(
        label=_("缓冲期（日）；留空则按合同约定"), min_value=1, required=False
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        from yiyun.contracts.models import Contract
        from yiyun.tenancy.selectors import scoped

        self.fields["contract"].queryset = scoped(
            Contract.objects.select_related("customer"), user, via="customer"
        )


class ExportRequestForm(forms.Form):
    organisation = forms.ModelChoiceField(label=_("单位"), queryset=None)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = visible_organisations(user)
