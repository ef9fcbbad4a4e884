"""What every transport returns or raises, and the one HTTP client they share (stdlib urllib).

A transport sends one delivery's payload and answers with a `SendResult` (the channel's
status code, message id, reply, and the exact bytes that went out) or raises
`DeliveryError` saying whether a retry may help.
"""

import json
import urllib.error
import urllib.request
from dataclasses import dataclass

from django.utils.translation import gettext as _

# A slow peer must not hold a worker's lease for long.
TIMEOUT_SECONDS = 15
# Enough of a reply for the proof; a reply is never the place for a megabyte.
REPLY_LIMIT = 2000


@dataclass(frozen=True)
class SendResult:
    status: str
    message_id: str = ""
    response: str = ""
    # Exactly what went out (the request body, the mail): its SHA-256 is the proof.
    wire: bytes = b""


class DeliveryError(Exception):
    """A send that did not go through. `retry` says whether trying again may help."""

    def __init__(
        self, message: str, *, retry: bool, status: str = "", response: str = "", wire=b""
    ):
        super().__init__(message)
        self.message = message
        self.retry = retry
        self.status = status
        self.response = response[:REPLY_LIMIT]
        self.wire = wire


@dataclass(frozen=True)
class HttpReply:
    status: int
    text: str

    def json(self) -> dict:
        try:
            value = json.loads(self.text)
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}


def http_post(url: str, body: bytes, *, headers: dict[str, str]) -> HttpReply:
    """POST `body` to `url`; any HTTP status comes back as a reply, a network failure as a
    retryable DeliveryError."""
    if not url.startswith(("http://", "https://")):
        raise DeliveryError(_("接口地址必须以 http:// 或 https:// 开头"), retry=False, wire=body)
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 — scheme checked above
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            return HttpReply(
                response.status, response.read(REPLY_LIMIT * 4).decode("utf-8", "replace")
            )
    except urllib.error.HTTPError as error:
        text = error.read(REPLY_LIMIT * 4).decode("utf-8", "replace") if error.fp else ""
        return HttpReply(error.code, text)
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        raise DeliveryError(
            _("网络错误：%(error)s") % {"error": getattr(error, "reason", error)},
            retry=True,
            wire=body,
        ) from error


def raise_for_http(reply: HttpReply, wire: bytes) -> None:
    """5xx and 429 may pass (retry); any other 4xx will not (no retry)."""
    if reply.status >= 500 or reply.status == 429:
        raise DeliveryError(
            _("对方返回 HTTP %(status)s") % {"status": reply.status},
            retry=True,
            status=str(reply.status),
            response=reply.text,
            wire=wire,
        )
    if reply.status >= 400:
        raise DeliveryError(
            _("对方拒绝：HTTP %(status)s") % {"status": reply.status},
            retry=False,
            status=str(reply.status),
            response=reply.text,
            wire=wire,
        )
