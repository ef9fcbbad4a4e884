"""System checks of notices, shown by `yiyun check`: every enabled channel can send."""

from django.core.checks import Warning, register
from django.db import DatabaseError, connection
from django.utils.translation import gettext as _

from yiyun.core.errors import DomainError

# What each kind of channel cannot do without.
REQUIRED_SECRETS = {
    ("wecom", ""): ("key",),
    ("dingtalk", ""): ("access_token",),
    ("sms", "http"): ("token",),
    ("sms", "aliyun"): ("access_key_secret",),
}
REQUIRED_OPTIONS = {("sms", "aliyun"): ("access_key_id", "sign_name", "template_code")}


def channel_problems(channel) -> list[str]:
    """What keeps an enabled channel from sending, in words (empty when nothing)."""
    from yiyun.notices.secrets import channel_secret

    key = (channel.kind, channel.sms_gateway if channel.kind == "sms" else "")
    problems = []
    for name in REQUIRED_SECRETS.get(key, ()):
        try:
            channel_secret(channel, name)
        except DomainError as error:
            problems.append(error.message)
    for name in REQUIRED_OPTIONS.get(key, ()):
        if not channel.options.get(name):
            problems.append(_("缺少参数 %(name)s") % {"name": name})
    if key == ("sms", "http") and not channel.endpoint:
        problems.append(_("缺少接口地址"))
    return problems


@register("yiyun")
def channels_configured(app_configs=None, **kwargs):
    from yiyun.notices.models import Channel

    try:
        if Channel._meta.db_table not in connection.introspection.table_names():
            return []
        channels = list(Channel.objects.filter(enabled=True).select_related("organisation"))
    except DatabaseError:
        return []
    warnings = []
    for channel in channels:
        for problem in channel_problems(channel):
            warnings.append(
                Warning(
                    _("通知渠道“%(org)s · %(name)s”无法发送：%(problem)s")
                    % {"org": channel.organisation.name, "name": channel.name, "problem": problem},
                    hint=_("在管理后台的“通知渠道”中补全，或停用该渠道。"),
                    obj=channel,
                    id="yiyun.notices.W001",
                )
            )
    return warnings
