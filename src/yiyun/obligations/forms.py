from django import forms
from django.utils.translation import gettext_lazy as _

from yiyun.contracts.choices import Party
from yiyun.obligations.choices import ObligationState


class ObligationActionForm(forms.Form):
    ACTIONS = [
        ("meet", _("登记已履行")),
        ("waive", _("豁免")),
        ("pause", _("暂停计时")),
        ("resume", _("恢复计时")),
    ]
    action = forms.ChoiceField(label=_("操作"), choices=ACTIONS)
    text = forms.CharField(label=_("证明/理由"), required=False, max_length=2000)


class ObligationFilterForm(forms.Form):
    state = forms.ChoiceField(
        label=_("状态"), required=False, choices=[("", _("全部"))] + ObligationState.choices
    )
    clause = forms.CharField(label=_("条款"), required=False, max_length=20)
    bound_party = forms.ChoiceField(
        label=_("义务方"), required=False, choices=[("", _("全部"))] + Party.choices
    )
    contract = forms.IntegerField(label=_("合同"), required=False, min_value=1)
