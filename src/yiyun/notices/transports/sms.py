"""SMS through a gateway adapter.

`SmsGateway` is the interface: `payload(...)` freezes what one message says when it is
queued, `send(...)` delivers it. Two implementations:

- `HttpSmsGateway`: a generic HTTP gateway (the kind an operator or a carrier's
  enterprise SMS platform offers): JSON POST, bearer token, `Idempotency-Key` header.
- `AliyunSmsGateway`: Alibaba Cloud SMS (dysmsapi, API version 2017-05-25), `SendSms`
  with the RPC signature (HMAC-SHA1 over the canonicalised parameters). Text messages in
  China go through an approved template: the template is configured on the channel and
  receives `${title}` and `${time}`.
"""

import base64
import hashlib
import hmac
import json
import urllib.parse
import uuid
from datetime import UTC
from typing import Protocol

from django.utils.translation import gettext as _

from yiyun.core import clock
from yiyun.core.errors import DomainError
from yiyun.notices.choices import SmsGateway as GatewayKind
from yiyun.notices.secrets import channel_secret
from yiyun.notices.transports.base import (
    DeliveryError,
    SendResult,
    http_post,
    raise_for_http,
)

ALIYUN_ENDPOINT = "https://dysmsapi.aliyuncs.com/"
# Aliyun codes that mean "later" (flow control, the platform busy) rather than "never".
ALIYUN_RETRY_CODES = {
    "isp.SYSTEM_ERROR",
    "isv.BUSINESS_LIMIT_CONTROL",
    "Throttling",
    "Throttling.User",
    "ServiceUnavailable",
}


class SmsGateway(Protocol):
    """What the outbox needs from an SMS gateway."""

    def payload(self, *, phone: str, text: str, params: dict[str, str], key: str) -> bytes:
        """What this message will be, frozen when it is queued."""

    def send(self, *, payload: bytes, idempotency_key: str) -> SendResult:
        """Deliver it; raise DeliveryError (retry or not) when it did not go through."""


class HttpSmsGateway:
    """`POST {endpoint}` with `{"to", "text", "reference"}`; answer `2xx {"id": …}`."""

    def __init__(self, channel):
        self.channel = channel

    def payload(self, *, phone: str, text: str, params: dict[str, str], key: str) -> bytes:
        body = {"to": phone, "text": text, "reference": key}
        return json.dumps(body, ensure_ascii=False, sort_keys=True).encode()

    def send(self, *, payload: bytes, idempotency_key: str) -> SendResult:
        if not self.channel.endpoint:
            raise DomainError(_("短信网关未配置接口地址"), code="channel_incomplete")
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Authorization": f"Bearer {channel_secret(self.channel, 'token')}",
            "Idempotency-Key": idempotency_key,
        }
        reply = http_post(self.channel.endpoint, payload, headers=headers)
        raise_for_http(reply, payload)
        answer = reply.json()
        return SendResult(
            status=str(reply.status),
            message_id=str(answer.get("id", "")),
            response=reply.text,
            wire=payload,
        )


def percent_encode(value: str) -> str:
    """Alibaba Cloud's POP encoding: RFC 3986, UTF-8, space as %20, `*` as %2A, `~` kept."""
    return urllib.parse.quote(value, safe="~")


def aliyun_string_to_sign(params: dict[str, str], *, method: str = "POST") -> str:
    canonical = "&".join(
        f"{percent_encode(name)}={percent_encode(params[name])}"
        for name in sorted(params)
        if name != "Signature"
    )
    return f"{method}&{percent_encode('/')}&{percent_encode(canonical)}"


def aliyun_signature(params: dict[str, str], secret: str, *, method: str = "POST") -> str:
    """The RPC signature: base64(HMAC-SHA1(secret + "&", StringToSign))."""
    digest = hmac.new(
        f"{secret}&".encode(),
        aliyun_string_to_sign(params, method=method).encode(),
        hashlib.sha1,
    ).digest()
    return base64.b64encode(digest).decode()


class AliyunSmsGateway:
    """Alibaba Cloud SMS `SendSms`, signed; `OutId` carries the idempotency key."""

    def __init__(self, channel):
        self.channel = channel

    def _option(self, name: str) -> str:
        value = self.channel.options.get(name, "")
        if not value:
            raise DomainError(
                _("阿里云短信渠道缺少参数 %(name)s") % {"name": name}, code="channel_incomplete"
            )
        return value

    def payload(self, *, phone: str, text: str, params: dict[str, str], key: str) -> bytes:
        # The business part of the request, frozen; the signature is made per attempt.
        business = {
            "PhoneNumbers": phone,
            "SignName": self._option("sign_name"),
            "TemplateCode": self._option("template_code"),
            "TemplateParam": json.dumps(params, ensure_ascii=False, sort_keys=True),
            "OutId": key,
        }
        return json.dumps(business, ensure_ascii=False, sort_keys=True).encode()

    def signed_body(self, business: dict[str, str], *, nonce: str, timestamp: str) -> bytes:
        params = {
            **business,
            "AccessKeyId": self._option("access_key_id"),
            "Action": "SendSms",
            "Format": "JSON",
            "RegionId": self.channel.options.get("region", "cn-hangzhou"),
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": nonce,
            "SignatureVersion": "1.0",
            "Timestamp": timestamp,
            "Version": "2017-05-25",
        }
        params["Signature"] = aliyun_signature(
            params, channel_secret(self.channel, "access_key_secret")
        )
        return urllib.parse.urlencode(params, quote_via=urllib.parse.quote).encode()

    def send(self, *, payload: bytes, idempotency_key: str) -> SendResult:
        business = json.loads(payload)
        # A fresh nonce and timestamp each attempt: Aliyun refuses a replayed nonce.
        body = self.signed_body(
            business,
            nonce=str(uuid.uuid4()),
            timestamp=clock.now().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        )
        reply = http_post(
            self.channel.endpoint or ALIYUN_ENDPOINT,
            body,
            headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
        )
        raise_for_http(reply, body)
        answer = reply.json()
        code = answer.get("Code", "")
        if code != "OK":
            raise DeliveryError(
                _("阿里云短信返回 %(code)s：%(message)s")
                % {"code": code, "message": answer.get("Message", "")},
                retry=code in ALIYUN_RETRY_CODES,
                status=code,
                response=reply.text,
                wire=body,
            )
        return SendResult(
            status=f"{reply.status}/OK",
            message_id=answer.get("BizId", ""),
            response=reply.text,
            wire=body,
        )


def sms_gateway_for(channel) -> SmsGateway:
    """The gateway adapter a channel is configured for."""
    if channel.sms_gateway == GatewayKind.ALIYUN:
        return AliyunSmsGateway(channel)
    return HttpSmsGateway(channel)
