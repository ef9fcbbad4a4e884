"""Channels are configured here, per organisation. Secrets are write-only: the form has an
empty password field per secret (blank keeps what is stored), and nothing shows them back."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from yiyun.notices.models import Channel, Delivery, InboxMessage, Notice
from yiyun.notices.secrets import secret_names
from yiyun.notices.services import channel_save

# Which secrets each kind of channel uses.
SECRET_FIELDS = {
    "wecom_key": ("key", _("企业微信机器人 key")),
    "dingtalk_access_token": ("access_token", _("钉钉 access_token")),
    "dingtalk_secret": ("secret", _("钉钉加签密钥（SEC…）")),
    "sms_token": ("token", _("短信网关令牌")),
    "aliyun_access_key_secret": ("access_key_secret", _("阿里云 AccessKey Secret")),
}


class ChannelForm(forms.ModelForm):
    endpoint = forms.URLField(
        label=_("接口地址"),
        required=False,
        assume_scheme="https",
        help_text=_("留空则使用服务商的默认地址"),
    )
    wecom_key = forms.CharField(
        label=SECRET_FIELDS["wecom_key"][1],
        required=False,
        widget=forms.PasswordInput(render_value=False),
    )
    dingtalk_access_token = forms.CharField(
        label=SECRET_FIELDS["dingtalk_access_token"][1],
        required=False,
        widget=forms.PasswordInput(render_value=False),
    )
    dingtalk_secret = forms.CharField(
        label=SECRET_FIELDS["dingtalk_secret"][1],
        required=False,
        widget=forms.PasswordInput(render_value=False),
    )
    sms_token = forms.CharField(
        label=SECRET_FIELDS["sms_token"][1],
        required=False,
        widget=forms.PasswordInput(render_value=False),
    )
    aliyun_access_key_secret = forms.CharField(
        label=SECRET_FIELDS["aliyun_access_key_secret"][1],
        required=False,
        widget=forms.PasswordInput(render_value=False),
    )
    clear_secrets = forms.BooleanField(label=_("清除已保存的密钥"), required=False)

    class Meta:
        model = Channel
        fields = [
            "organisation",
            "kind",
            "name",
            "enabled",
            "sms_gateway",
            "endpoint",
            "options",
            "secrets_env",
        ]
        help_texts = {
            "options": _(
                "非保密参数（JSON）：邮件 from_email；短信 sign；阿里云 access_key_id、"
                "sign_name、template_code、region"
            ),
            "secrets_env": _(
                '密钥也可来自环境变量（JSON）：{"key": "WECOM_KEY"}；密钥本身不要写在这里'
            ),
        }

    def secrets(self) -> dict[str, str]:
        if self.cleaned_data.get("clear_secrets"):
            return {name: "" for name, _label in SECRET_FIELDS.values()}
        return {
            name: self.cleaned_data[field].strip()
            for field, (name, _label) in SECRET_FIELDS.items()
            if self.cleaned_data.get(field, "").strip()
        }


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    form = ChannelForm
    list_display = ["name", "organisation", "kind", "sms_gateway", "enabled", "configured_secrets"]
    list_filter = ["kind", "enabled", "organisation"]
    search_fields = ["name", "organisation__name"]
    readonly_fields = ["configured_secrets", "created_at", "updated_at"]

    @admin.display(description=_("已配置的密钥"))
    def configured_secrets(self, channel):
        # Names only, never values.
        return "、".join(secret_names(channel)) or "—"

    def save_model(self, request, obj, form, change):
        channel_save(channel=obj, by=request.user, secrets=form.secrets())


class _ReadOnly(admin.ModelAdmin):
    """Notices and deliveries are records: written by the services, never edited here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Notice)
class NoticeAdmin(_ReadOnly):
    list_display = ["subject", "kind", "organisation", "created_at", "sent_at", "delivered_at"]
    list_filter = ["kind", "organisation"]
    search_fields = ["subject"]


@admin.register(Delivery)
class DeliveryAdmin(_ReadOnly):
    list_display = ["notice", "kind", "address", "state", "attempts", "sent_at", "response_status"]
    list_filter = ["kind", "state"]
    exclude = ["payload"]


@admin.register(InboxMessage)
class InboxMessageAdmin(_ReadOnly):
    list_display = ["subject", "recipient", "created_at", "read_at"]
