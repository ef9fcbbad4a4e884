"""Email over SMTP, sending exactly the MIME bytes frozen when the delivery was queued.

With Django's SMTP backend (EMAIL_URL=smtp://…) the message goes out through the
backend's own connection (its host, port, TLS and login), one MAIL/RCPT/DATA per
delivery, so the server's answer to DATA ("250 … queued as …") lands in the proof. Any
other backend (the console in a demo) gets the same bytes through its own interface.
"""

import contextlib
import smtplib
from email import message_from_bytes
from email.parser import BytesHeaderParser
from email.utils import formataddr

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend
from django.utils.translation import gettext as _

from yiyun.notices.transports.base import DeliveryError, SendResult


def email_sender(channel, organisation=None) -> str:
    """The From address: the channel's `from_email`, else DEFAULT_FROM_EMAIL, with the
    sending organisation's name shown."""
    address = (channel.options.get("from_email") if channel is not None else "") or (
        settings.DEFAULT_FROM_EMAIL
    )
    if organisation is not None and "<" not in address:
        return formataddr((organisation.name, address))
    return address


def _envelope(sender: str) -> str:
    return sender.rsplit("<", 1)[-1].rstrip(">") if "<" in sender else sender


class _FrozenEmail(EmailMessage):
    """A message whose bytes were made earlier: backends get those bytes, nothing new."""

    def __init__(self, raw: bytes, sender: str, to: str):
        super().__init__(from_email=sender, to=[to])
        self._raw = raw

    def message(self):
        return message_from_bytes(self._raw)


def _smtp_failure(code: int, reply: bytes, step: str, wire: bytes) -> DeliveryError:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    return DeliveryError(
        _("SMTP %(step)s 被拒绝：%(code)s %(reply)s") % {"step": step, "code": code, "reply": text},
        # 4xx: try later (greylisting, a full queue); 5xx: the server will not take it.
        retry=400 <= code < 500,
        status=str(code),
        response=text,
        wire=wire,
    )


def email_send(*, channel, payload: bytes, address: str, idempotency_key: str) -> SendResult:
    headers = BytesHeaderParser().parsebytes(payload)
    message_id = headers.get("Message-ID", "")
    sender = _envelope(headers.get("From", "") or settings.DEFAULT_FROM_EMAIL)
    backend = get_connection(fail_silently=False)
    if not isinstance(backend, SmtpBackend):
        backend.send_messages([_FrozenEmail(payload, sender, address)])
        return SendResult(status="accepted", message_id=message_id, wire=payload)
    try:
        backend.open()
        smtp = backend.connection
        smtp.ehlo_or_helo_if_needed()
        code, reply = smtp.mail(sender)
        if code != 250:
            raise _smtp_failure(code, reply, "MAIL FROM", payload)
        code, reply = smtp.rcpt(address)
        if code not in (250, 251):
            raise _smtp_failure(code, reply, "RCPT TO", payload)
        code, reply = smtp.data(payload)
        if code != 250:
            raise _smtp_failure(code, reply, "DATA", payload)
    except smtplib.SMTPResponseException as error:
        raise _smtp_failure(error.smtp_code, error.smtp_error, "", payload) from error
    except (smtplib.SMTPException, OSError) as error:
        raise DeliveryError(
            _("SMTP 连接失败：%(error)s") % {"error": error}, retry=True, wire=payload
        ) from error
    finally:
        with contextlib.suppress(Exception):  # closing a connection that may have failed
            backend.close()
    return SendResult(
        status=str(code),
        message_id=message_id,
        response=reply.decode("utf-8", "replace"),
        wire=payload,
    )
