"""The transports: one function per channel kind that sends a delivery's frozen payload."""

from django.utils.translation import gettext as _

from yiyun.notices.choices import ChannelKind
from yiyun.notices.transports.base import DeliveryError, SendResult
from yiyun.notices.transports.email import email_send
from yiyun.notices.transports.sms import sms_gateway_for
from yiyun.notices.transports.webhooks import dingtalk_send, wecom_send

__all__ = ["DeliveryError", "SendResult", "transport_send"]


def transport_send(delivery, payload: bytes) -> SendResult:
    """Send `payload` for `delivery` on its channel; DeliveryError when it did not go."""
    kind, channel, key = delivery.kind, delivery.channel, delivery.idempotency_key
    if kind == ChannelKind.EMAIL:
        return email_send(
            channel=channel, payload=payload, address=delivery.address, idempotency_key=key
        )
    if kind == ChannelKind.SMS:
        return sms_gateway_for(channel).send(payload=payload, idempotency_key=key)
    if kind == ChannelKind.WECOM:
        return wecom_send(channel=channel, payload=payload, idempotency_key=key)
    if kind == ChannelKind.DINGTALK:
        return dingtalk_send(channel=channel, payload=payload, idempotency_key=key)
    raise DeliveryError(_("渠道 %(kind)s 不经发件箱发送") % {"kind": kind}, retry=False)
