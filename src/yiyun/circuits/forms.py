from django import forms
from django.utils.translation import gettext_lazy as _

from yiyun.circuits.choices import ProbeMethod


class ConfigureForm(forms.Form):
    circuit_id = forms.CharField(label=_("电路编号"), max_length=60)
    far_address = forms.GenericIPAddressField(label=_("远端探测地址"), required=False)
    probe_method = forms.ChoiceField(label=_("探测方式"), choices=ProbeMethod.choices)
    probe_port = forms.IntegerField(
        label=_("TCP 端口"), min_value=1, max_value=65535, required=False
    )
    probe_netns = forms.CharField(label=_("网络命名空间（可选）"), max_length=60, required=False)
    probe_interval = forms.IntegerField(
        label=_("探测间隔（秒，留空用默认值）"), min_value=5, required=False
    )
    failures_to_open = forms.IntegerField(
        label=_("连续失败几次判定中断（留空用默认值）"), min_value=1, required=False
    )
    probe_enabled = forms.BooleanField(label=_("启用探测"), required=False)

    def clean_far_address(self):
        return self.cleaned_data.get("far_address") or None
