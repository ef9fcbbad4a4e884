"""Forms: they check input and hand it to a service; no rules live here."""

from django import forms
from django.utils.translation import gettext_lazy as _

from yiyun.servicedesk.choices import (
    Channel,
    ContactAction,
    DutyRole,
    MeasureKind,
    TicketKind,
    TicketPriority,
    TicketStatus,
)
from yiyun.tenancy.choices import Role
from yiyun.tenancy.models import Person

LOCAL_INPUT = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]


class LocalDateTimeField(forms.DateTimeField):
    """A browser's datetime-local input, read as Beijing time (the form's time zone)."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")

    def __init__(self, **kwargs):
        kwargs.setdefault("input_formats", LOCAL_INPUT)
        super().__init__(**kwargs)


def _blank(choices) -> list:
    return [("", "—")] + list(choices)


class TicketForm(forms.Form):
    """A new ticket. The customer's users see the short form (works on a phone screen);
    the provider's desk also gets the organisation, channel, call time and caller."""

    organisation = forms.ModelChoiceField(label=_("客户单位"), queryset=None, required=False)
    kind = forms.ChoiceField(label=_("类型"), choices=TicketKind.choices, initial=TicketKind.FAULT)
    title = forms.CharField(label=_("标题"), max_length=200)
    description = forms.CharField(
        label=_("描述"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    site = forms.ModelChoiceField(label=_("站点"), queryset=None, required=False)
    priority = forms.ChoiceField(
        label=_("优先级"), choices=TicketPriority.choices, initial=TicketPriority.NORMAL
    )
    affected_system = forms.CharField(label=_("受影响的业务系统"), max_length=200, required=False)
    affected_circuit = forms.CharField(label=_("受影响的电路"), max_length=200, required=False)
    rectification_due_at = LocalDateTimeField(
        label=_("整改期限（整改要求必填，北京时间）"), required=False
    )
    attachment = forms.FileField(label=_("附件"), required=False)
    # The hotline desk only:
    channel = forms.ChoiceField(label=_("来源渠道"), choices=Channel.choices, initial=Channel.PHONE)
    reported_at = LocalDateTimeField(label=_("来电/报告时间（北京时间）"), required=False)
    reporter_name = forms.CharField(label=_("来电人"), max_length=100, required=False)
    reporter_phone = forms.CharField(label=_("来电人电话"), max_length=40, required=False)
    assignee = forms.ModelChoiceField(label=_("处理人"), queryset=None, required=False)

    DESK_FIELDS = (
        "organisation",
        "channel",
        "reported_at",
        "reporter_name",
        "reporter_phone",
        "assignee",
    )

    def __init__(self, *args, organisations, sites, assignees, desk: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations
        self.fields["site"].queryset = sites
        self.fields["assignee"].queryset = assignees
        if desk:
            self.fields["organisation"].required = True
        else:
            for name in self.DESK_FIELDS:
                del self.fields[name]


class TicketFilterForm(forms.Form):
    kind = forms.ChoiceField(label=_("类型"), required=False, choices=_blank(TicketKind.choices))
    status = forms.ChoiceField(
        label=_("状态"), required=False, choices=_blank(TicketStatus.choices)
    )
    site = forms.ModelChoiceField(label=_("站点"), queryset=None, required=False)
    due_before = LocalDateTimeField(label=_("截止早于"), required=False)
    breached = forms.ChoiceField(
        label=_("违约"),
        required=False,
        choices=[("", "—"), ("yes", _("有违约")), ("no", _("无违约"))],
    )
    q = forms.CharField(label=_("搜索"), required=False, max_length=100)

    def __init__(self, *args, sites, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = sites

    def filters(self) -> dict:
        data = self.cleaned_data
        breached = {"yes": True, "no": False}.get(data.get("breached") or "")
        return {
            "kind": data.get("kind") or None,
            "status": data.get("status") or None,
            "site": data["site"].pk if data.get("site") else None,
            "due_before": data.get("due_before"),
            "breached": breached,
            "q": data.get("q") or None,
        }


TICKET_ACTIONS = [
    ("comment", _("留言")),
    ("note", _("内部备注")),
    ("assign", _("指派")),
    ("kind", _("变更类型")),
    ("wait", _("等待甲方")),
    ("resume", _("继续处理")),
    ("resolve", _("登记已解决/提交方案")),
    ("close", _("关闭/撤回")),
    ("reopen", _("重新打开")),
]


class TicketActionForm(forms.Form):
    action = forms.ChoiceField(label=_("操作"), choices=TICKET_ACTIONS)
    text = forms.CharField(
        label=_("内容/理由"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    kind = forms.ChoiceField(label=_("新类型"), required=False, choices=_blank(TicketKind.choices))
    rectification_due_at = LocalDateTimeField(label=_("整改期限"), required=False)
    at = LocalDateTimeField(label=_("解决时间（默认现在）"), required=False)
    assignee = forms.ModelChoiceField(label=_("处理人"), queryset=None, required=False)
    attachment = forms.FileField(label=_("附件"), required=False)

    def __init__(self, *args, assignees=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = (
            assignees if assignees is not None else Person.objects.none()
        )


class ContactChangeForm(forms.Form):
    organisation = forms.ModelChoiceField(label=_("客户单位"), queryset=None, required=False)
    action = forms.ChoiceField(label=_("变更"), choices=ContactAction.choices)
    person = forms.ModelChoiceField(
        label=_("现有联系人（变更/移除时选择）"), queryset=None, required=False
    )
    name = forms.CharField(label=_("姓名"), max_length=100, required=False)
    title = forms.CharField(label=_("职务"), max_length=100, required=False)
    phone = forms.CharField(label=_("电话"), max_length=40, required=False)
    email = forms.EmailField(label=_("电子邮箱"), required=False)
    role = forms.ChoiceField(
        label=_("联系人角色"),
        required=False,
        choices=_blank(
            [
                (Role.CUSTOMER_ADMIN, Role.CUSTOMER_ADMIN.label),
                (Role.CUSTOMER_MEMBER, Role.CUSTOMER_MEMBER.label),
            ]
        ),
    )
    site = forms.ModelChoiceField(label=_("站点"), queryset=None, required=False)
    reason = forms.CharField(
        label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    notified_by = forms.CharField(label=_("书面通知人（甲方）"), max_length=100)
    received_at = LocalDateTimeField(label=_("乙方收到书面通知的时间（北京时间）"), required=False)
    document = forms.FileField(label=_("书面通知文件"), required=False)

    def __init__(self, *args, organisations, people, sites, desk: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations
        self.fields["person"].queryset = people
        self.fields["site"].queryset = sites
        if desk:
            self.fields["organisation"].required = True
        else:
            del self.fields["organisation"]
            del self.fields["received_at"]


class DecisionForm(forms.Form):
    """confirm / withdraw a contact change."""

    action = forms.ChoiceField(
        label=_("操作"), choices=[("confirm", _("确认并更新名单")), ("withdraw", _("撤回"))]
    )
    note = forms.CharField(label=_("说明"), required=False, max_length=2000)


class ComplaintForm(forms.Form):
    organisation = forms.ModelChoiceField(label=_("客户单位"), queryset=None)
    complainant = forms.CharField(label=_("投诉人（第三方）"), max_length=200)
    complainant_contact = forms.CharField(label=_("投诉人联系方式"), max_length=200, required=False)
    received_at = LocalDateTimeField(label=_("收到投诉时间（北京时间）"))
    notified_at = LocalDateTimeField(label=_("通知甲方时间（默认现在）"), required=False)
    content = forms.CharField(label=_("被投诉内容"), widget=forms.Textarea(attrs={"rows": 3}))
    location = forms.CharField(label=_("内容位置（网址/系统）"), max_length=300, required=False)
    attachment = forms.FileField(label=_("投诉材料"), required=False)

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations


class GroundActionForm(forms.Form):
    """An action on a complaint or a violation notice: the customer answers / reports,
    the provider accepts or rejects, or records a measure."""

    action = forms.ChoiceField(
        label=_("操作"),
        choices=[
            ("answer", _("甲方说明/报告整改")),
            ("accept", _("采纳")),
            ("reject", _("不采纳")),
            ("measure", _("登记处理措施")),
        ],
    )
    text = forms.CharField(
        label=_("内容"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    measure_kind = forms.ChoiceField(
        label=_("措施"), required=False, choices=_blank(MeasureKind.choices)
    )
    attachment = forms.FileField(label=_("证明材料"), required=False)


class ViolationForm(forms.Form):
    organisation = forms.ModelChoiceField(label=_("客户单位"), queryset=None)
    clause_breached = forms.CharField(label=_("违反的条款（第二条，如 2.7.5）"), max_length=20)
    description = forms.CharField(label=_("违约事实"), widget=forms.Textarea(attrs={"rows": 3}))
    delivered_at = LocalDateTimeField(label=_("书面通知送达时间（北京时间）"))
    document = forms.FileField(label=_("书面通知文件"), required=False)

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations


class DutyShiftForm(forms.Form):
    person = forms.ModelChoiceField(label=_("人员"), queryset=None)
    role = forms.ChoiceField(label=_("值班角色"), choices=DutyRole.choices)
    starts_at = LocalDateTimeField(label=_("开始时间"))
    ends_at = LocalDateTimeField(label=_("结束时间（服务台可不填）"), required=False)
    note = forms.CharField(label=_("备注"), max_length=200, required=False)

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = people


class MonthForm(forms.Form):
    month = forms.RegexField(label=_("月份"), regex=r"^\d{4}-\d{2}$", max_length=7)


class VerifyForm(forms.Form):
    file = forms.FileField(label=_("PDF 文件"), required=False)
    sha256 = forms.CharField(label=_("或 SHA-256"), max_length=64, required=False)
