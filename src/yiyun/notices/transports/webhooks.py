"""Group robots: WeCom (企业微信群机器人, key in the URL) and DingTalk (钉钉群机器人, signed URL).

The body is the delivery's payload, frozen when it was queued; only the URL's signature
(DingTalk: timestamp + HMAC-SHA256) is made at send time, as the robot requires.
"""

import base64
import hashlib
import hmac
import urllib.parse

from django.utils.translation import gettext as _

from yiyun.core import clock
from yiyun.notices.secrets import channel_secret
from yiyun.notices.transports.base import DeliveryError, SendResult, http_post, raise_for_http

WECOM_ENDPOINT = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send"
DINGTALK_ENDPOINT = "https://oapi.dingtalk.com/robot/send"

# Answers that mean "not now" rather than "never": busy, and the robots' rate limits
# (WeCom 45009: 20 messages a minute; DingTalk 130101: sending too fast).
RETRY_ERRCODES = {-1, 45009, 130101}
JSON = {"Content-Type": "application/json; charset=utf-8"}


def _with_query(endpoint: str, params: dict[str, str]) -> str:
    joiner = "&" if "?" in endpoint else "?"
    return endpoint + joiner + urllib.parse.urlencode(params)


def _robot_reply(reply, wire: bytes) -> SendResult:
    raise_for_http(reply, wire)
    answer = reply.json()
    errcode = answer.get("errcode")
    if errcode != 0:
        raise DeliveryError(
            _("机器人返回错误 %(code)s：%(message)s")
            % {"code": errcode, "message": answer.get("errmsg", "")},
            retry=errcode in RETRY_ERRCODES,
            status=str(errcode),
            response=reply.text,
            wire=wire,
        )
    # Neither robot returns a message id; the reply itself is the channel's answer.
    return SendResult(status=f"{reply.status}/0", response=reply.text, wire=wire)


def wecom_send(*, channel, payload: bytes, idempotency_key: str) -> SendResult:
    """POST the payload to the group robot; its key is part of the URL."""
    url = _with_query(channel.endpoint or WECOM_ENDPOINT, {"key": channel_secret(channel, "key")})
    return _robot_reply(http_post(url, payload, headers=JSON), payload)


def dingtalk_sign(*, timestamp_ms: int, secret: str) -> str:
    """DingTalk's robot signature: base64(HMAC-SHA256(secret, "timestamp\\nsecret"))."""
    string_to_sign = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode(), string_to_sign, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def dingtalk_send(*, channel, payload: bytes, idempotency_key: str) -> SendResult:
    """POST the payload to the robot with access_token, timestamp and sign in the URL.

    The robot refuses a timestamp more than an hour off, so it is made now, per attempt.
    """
    params = {"access_token": channel_secret(channel, "access_token")}
    secret = channel_secret(channel, "secret", required=False)
    if secret:
        timestamp_ms = int(clock.now().timestamp() * 1000)
        params["timestamp"] = str(timestamp_ms)
        params["sign"] = dingtalk_sign(timestamp_ms=timestamp_ms, secret=secret)
    url = _with_query(channel.endpoint or DINGTALK_ENDPOINT, params)
    return _robot_reply(http_post(url, payload, headers=JSON), payload)
