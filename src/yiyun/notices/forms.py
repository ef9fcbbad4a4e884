"""Forms check input and hand it to a service; the choices offered are already scoped."""

from django import forms
from django.utils.translation import gettext_lazy as _

from yiyun.notices.choices import ChannelKind, LetterKind, NoticeKind
from yiyun.tenancy.choices import Role
from yiyun.tenancy.models import Organisation, Site

DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").replace("，", "\n").splitlines() if line.strip()]


class NoticeForm(forms.Form):
    """One form for every kind; the sections that do not apply to a kind are ignored."""

    kind = forms.ChoiceField(label=_("类型"), choices=NoticeKind.choices)
    subject = forms.CharField(label=_("标题"), max_length=200)
    body = forms.CharField(label=_("正文"), widget=forms.Textarea(attrs={"rows": 6}))
    channels = forms.MultipleChoiceField(
        label=_("发送渠道"),
        choices=ChannelKind.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=[ChannelKind.INBOX, ChannelKind.EMAIL],
    )
    audience_organisations = forms.ModelMultipleChoiceField(
        label=_("接收单位"),
        queryset=Organisation.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    audience_sites = forms.ModelMultipleChoiceField(
        label=_("接收站点"),
        queryset=Site.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    audience_roles = forms.MultipleChoiceField(
        label=_("仅限角色（不选则全部）"),
        choices=Role.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    audience_contacts = forms.BooleanField(label=_("合同联系人名单（2.3）"), required=False)
    contract = forms.ModelChoiceField(label=_("合同"), queryset=None, required=False)
    # Maintenance (4.4)
    starts_at = forms.DateTimeField(
        label=_("维护开始时间（北京时间）"), required=False, widget=DATETIME_WIDGET
    )
    ends_at = forms.DateTimeField(
        label=_("维护结束时间（北京时间）"), required=False, widget=DATETIME_WIDGET
    )
    affected_systems = forms.CharField(
        label=_("受影响业务系统（每行一个）"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    affected_circuits = forms.CharField(
        label=_("受影响电路（每行一条）"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    affected_sites = forms.ModelMultipleChoiceField(
        label=_("受影响站点"),
        queryset=Site.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    impact = forms.CharField(
        label=_("预计影响"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    emergency_reason = forms.CharField(
        label=_("紧急维护原因（4.4，紧急维护必填）"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    # Letters (written contract notices)
    letter_kind = forms.ChoiceField(
        label=_("书面通知类型"), choices=[("", "—"), *LetterKind.choices], required=False
    )
    reason = forms.CharField(
        label=_("理由"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    force_majeure_since = forms.DateField(
        label=_("不可抗力开始日期（8.1.1）"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    acknowledge_late = forms.BooleanField(
        label=_("我已知晓：晚于最迟发送时间发送将记录为违反第4.4条"), required=False
    )

    def __init__(self, *args, organisations, sites, contracts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["audience_organisations"].queryset = organisations
        self.fields["audience_sites"].queryset = sites
        self.fields["affected_sites"].queryset = sites
        self.fields["contract"].queryset = contracts

    def service_fields(self) -> dict:
        """The cleaned data as `notice_create` takes it."""
        data = self.cleaned_data
        fields = {
            "kind": data["kind"],
            "subject": data["subject"],
            "body": data["body"],
            "channels": data["channels"],
            "audience_organisations": list(data["audience_organisations"]),
            "audience_sites": list(data["audience_sites"]),
            "audience_roles": data["audience_roles"],
            "audience_contacts": data["audience_contacts"],
            "contract": data["contract"],
            "letter_kind": data["letter_kind"] if data["kind"] == NoticeKind.LETTER else "",
            "reason": data["reason"],
            "force_majeure_since": data["force_majeure_since"],
        }
        if data["kind"] in (NoticeKind.ROUTINE_MAINTENANCE, NoticeKind.EMERGENCY_MAINTENANCE):
            fields["window"] = {
                "starts_at": data["starts_at"],
                "ends_at": data["ends_at"],
                "affected_systems": _lines(data["affected_systems"]),
                "affected_circuits": _lines(data["affected_circuits"]),
                "affected_sites": list(data["affected_sites"]),
                "impact": data["impact"],
                "emergency_reason": data["emergency_reason"],
            }
        return fields


class SendForm(forms.Form):
    acknowledge_late = forms.BooleanField(
        label=_("我已知晓：晚于最迟发送时间发送将记录为违反第4.4条"), required=False
    )
