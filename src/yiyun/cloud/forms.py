"""Forms of the cloud pages: they check input; the services decide."""

from __future__ import annotations

from datetime import datetime

from django import forms
from django.utils.translation import gettext_lazy as _

from yiyun.cloud.choices import BusinessSystemKind, ChangeKind, Resource
from yiyun.cloud.selectors import (
    catalogues_visible,
    cloud_contracts_visible,
    hosts_visible,
    servers_visible,
)
from yiyun.contracts.choices import PricePeriod
from yiyun.core.clock import SHANGHAI
from yiyun.tenancy.models import Site
from yiyun.tenancy.selectors import scoped


def _disks(text: str) -> list[int]:
    sizes = []
    for part in (text or "").replace("，", ",").split(","):
        part = part.strip()
        if not part:
            continue
        if not part.isdigit() or int(part) <= 0:
            raise forms.ValidationError(_("数据盘大小须为正整数（GiB），以逗号分隔"))
        sizes.append(int(part))
    return sizes


class ServerForm(forms.Form):
    contract = forms.ModelChoiceField(label=_("合同"), queryset=None)
    name = forms.CharField(label=_("名称"), max_length=63)
    business_system = forms.CharField(label=_("业务系统"), max_length=100, required=False)
    business_kind = forms.ChoiceField(
        label=_("业务系统类别"), choices=BusinessSystemKind.choices, initial="other"
    )
    site = forms.ModelChoiceField(label=_("站点"), queryset=None, required=False)
    vcpu = forms.IntegerField(label=_("vCPU（核）"), min_value=1)
    memory_gib = forms.IntegerField(label=_("内存（GiB）"), min_value=1)
    system_disk_gib = forms.IntegerField(label=_("系统盘（GiB）"), min_value=1)
    data_disks = forms.CharField(
        label=_("数据盘（GiB，逗号分隔）"), required=False, help_text=_("例如：500, 200")
    )
    host = forms.ModelChoiceField(
        label=_("宿主机"), queryset=None, required=False, help_text=_("不选则由平台选择")
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contract"].queryset = cloud_contracts_visible(user)
        self.fields["site"].queryset = scoped(Site.objects.all(), user)
        self.fields["host"].queryset = hosts_visible(user).filter(enabled=True)

    def clean_data_disks(self):
        return _disks(self.cleaned_data.get("data_disks", ""))


class ResizeForm(forms.Form):
    vcpu = forms.IntegerField(label=_("vCPU（核）"), min_value=1)
    memory_gib = forms.IntegerField(label=_("内存（GiB）"), min_value=1)


class PowerForm(forms.Form):
    action = forms.ChoiceField(
        choices=[("start", _("开机")), ("stop", _("关机")), ("force_stop", _("强制关机"))]
    )


class ImportForm(forms.Form):
    host = forms.ModelChoiceField(label=_("宿主机"), queryset=None)
    names = forms.CharField(label=_("虚拟机名称（逗号分隔，留空导入全部未登记的）"), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["host"].queryset = hosts_visible(user)

    def clean_names(self):
        text = self.cleaned_data.get("names", "").replace("，", ",")
        return [name.strip() for name in text.split(",") if name.strip()] or None


class HostForm(forms.Form):
    name = forms.CharField(label=_("名称"), max_length=100)
    uri = forms.CharField(
        label=_("连接地址"), max_length=300, help_text=_("例如 qemu+ssh://root@kvm1/system")
    )
    storage_pool = forms.CharField(label=_("存储池"), max_length=100, required=False)


class ChangeForm(forms.Form):
    contract = forms.ModelChoiceField(label=_("合同"), queryset=None)
    kind = forms.ChoiceField(label=_("类型"), choices=ChangeKind.choices)
    title = forms.CharField(label=_("标题"), max_length=200)
    description = forms.CharField(label=_("说明"), widget=forms.Textarea, required=False)
    vcpu = forms.IntegerField(label=_("增加 vCPU（核）"), required=False)
    memory = forms.IntegerField(label=_("增加内存（GiB）"), required=False)
    storage = forms.DecimalField(label=_("增加存储（GiB）"), required=False)
    system_disk = forms.DecimalField(label=_("增加系统盘（GiB）"), required=False)
    server = forms.ModelChoiceField(
        label=_("vCPU 和内存调整到云服务器"), queryset=None, required=False
    )
    planned_at = forms.DateTimeField(
        label=_("计划调整时间（3.7，北京时间）"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contract"].queryset = cloud_contracts_visible(user)
        self.fields["server"].queryset = servers_visible(user).exclude(state="deleted")

    def clean_planned_at(self):
        value: datetime | None = self.cleaned_data.get("planned_at")
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=SHANGHAI)
        return value

    def items(self) -> list[dict]:
        data = self.cleaned_data
        server = data.get("server")
        items = []
        for resource in Resource.values:
            quantity = data.get(resource)
            if quantity:
                items.append(
                    {
                        "resource": resource,
                        "quantity": quantity,
                        "server": server if resource in ("vcpu", "memory") else None,
                    }
                )
        return items


class NoteForm(forms.Form):
    note = forms.CharField(label=_("意见"), widget=forms.Textarea, required=False)


class PriceForm(forms.Form):
    catalogue = forms.ModelChoiceField(label=_("价格目录"), queryset=None, required=False)
    new_catalogue = forms.CharField(label=_("或新建目录"), max_length=200, required=False)
    source = forms.CharField(label=_("定价依据（文件）"), max_length=300, required=False)
    code = forms.CharField(label=_("目录编号"), max_length=40, required=False)
    resource = forms.ChoiceField(label=_("资源"), choices=Resource.choices)
    unit_price = forms.DecimalField(
        label=_("单价（元/核或元/GiB）"), min_value=0, decimal_places=4, max_digits=14
    )
    period = forms.ChoiceField(label=_("计费周期"), choices=PricePeriod.choices, initial="month")
    valid_from = forms.DateField(
        label=_("生效日期"), widget=forms.DateInput(attrs={"type": "date"})
    )
    valid_until = forms.DateField(
        label=_("失效日期（含）"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["catalogue"].queryset = catalogues_visible(user)

    def clean(self):
        data = super().clean()
        if not data.get("catalogue") and not (data.get("new_catalogue") or "").strip():
            raise forms.ValidationError(_("请选择或新建价格目录"))
        return data


class ResponseForm(forms.Form):
    response = forms.CharField(label=_("说明"), widget=forms.Textarea)


class MeasureForm(forms.Form):
    measure = forms.CharField(label=_("处置措施"), widget=forms.Textarea)
