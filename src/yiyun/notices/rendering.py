"""What each channel says: the payload of a delivery, built once when it is queued.

Every payload is bytes and is stored on the delivery exactly as it will be sent, so a
retry sends the same thing and the proof's SHA-256 covers exactly that.
"""

import json
import os
from email.utils import format_datetime, make_msgid

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from yiyun.core import clock
from yiyun.notices.choices import NoticeKind
from yiyun.notices.transports.email import email_sender
from yiyun.notices.transports.sms import sms_gateway_for


def site_url() -> str:
    """Where people reach the platform, for links that leave it (mail, chat, SMS)."""
    configured = getattr(settings, "YIYUN_SITE_URL", "") or os.environ.get("YIYUN_SITE_URL", "")
    return (configured or "http://127.0.0.1:8000").rstrip("/")


def notice_link(notice) -> str:
    # Kept on the instance: a notice to many people asks for it once per delivery.
    link = getattr(notice, "_link", None)
    if link is None:
        link = notice._link = reverse("notices:detail", kwargs={"pk": notice.pk})
    return link


def notice_url(notice) -> str:
    return site_url() + notice_link(notice)


def public_url(notice) -> str:
    path = reverse("notices:announcements")
    return f"{site_url()}{path}?provider={notice.organisation_id}#notice-{notice.pk}"


def _local(moment) -> str:
    return f"{clock.local(moment):%Y-%m-%d %H:%M}"


def window_lines(notice) -> list[str]:
    """The maintenance window in words, one fact a line (empty for other notices)."""
    window = (
        getattr(notice, "window", None)
        if notice.kind
        in (
            NoticeKind.ROUTINE_MAINTENANCE,
            NoticeKind.EMERGENCY_MAINTENANCE,
        )
        else None
    )
    if window is None:
        return []
    lines = [
        _("维护时间：%(start)s 至 %(end)s（北京时间）")
        % {"start": _local(window.starts_at), "end": _local(window.ends_at)}
    ]
    affected = [
        *window.affected_systems,
        *window.affected_circuits,
        *(site.name for site in window.affected_sites.all()),
    ]
    if affected:
        lines.append(_("影响范围：%(what)s") % {"what": "、".join(affected)})
    if window.impact:
        lines.append(_("预计影响：%(impact)s") % {"impact": window.impact})
    if window.emergency_reason:
        lines.append(_("紧急维护原因：%(reason)s") % {"reason": window.emergency_reason})
    return lines


def notice_text(notice) -> str:
    """The notice as plain text: what the inbox, the robots and the mail's text part say."""
    parts = [notice.body.strip(), *window_lines(notice)]
    parts.append(_("发出单位：%(organisation)s") % {"organisation": notice.organisation.name})
    return "\n".join(part for part in parts if part)


def _canonical(data: dict) -> bytes:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def inbox_payload(notice) -> bytes:
    return _canonical(
        {"subject": notice.subject, "body": notice_text(notice), "link": notice_link(notice)}
    )


def web_payload(notice) -> bytes:
    return _canonical(
        {"subject": notice.subject, "body": notice_text(notice), "url": public_url(notice)}
    )


def _kind_label(notice) -> str:
    if notice.letter_kind:
        return notice.get_letter_kind_display()
    return notice.get_kind_display()


def email_payload(*, notice, recipient, channel, key: str, letter=None) -> bytes:
    """The whole mail (headers, text and HTML parts, the letter PDF), as bytes with CRLF."""
    language = recipient.person.language if recipient.person_id else settings.LANGUAGE_CODE
    with translation.override(language):
        context = {
            "notice": notice,
            "recipient": recipient,
            "kind_label": _kind_label(notice),
            "text": notice_text(notice),
            "window_lines": window_lines(notice),
            "url": notice_url(notice),
        }
        text = render_to_string("notices/email/notice.txt", context)
        html = render_to_string("notices/email/notice.html", context)
        subject = f"【{_kind_label(notice)}】{notice.subject}"
    sender = email_sender(channel, notice.organisation)
    domain = (sender.rsplit("@", 1)[-1].rstrip(">") if "@" in sender else "") or "yiyun.local"
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=sender,
        to=[recipient.email],
        headers={
            # Frozen here, so every retry carries the same id and a receiver can drop repeats.
            "Message-ID": make_msgid(idstring=key, domain=domain),
            "Date": format_datetime(clock.now()),
            "X-Yiyun-Idempotency-Key": key,
        },
    )
    message.attach_alternative(html, "text/html")
    if letter is not None:
        message.attach(f"{letter.reference}.pdf", bytes(letter.pdf), "application/pdf")
    return message.message().as_bytes(linesep="\r\n")


def robot_markdown(notice) -> str:
    lines = [f"### 【{_kind_label(notice)}】{notice.subject}", "", notice.body.strip()]
    lines += ["", *(f"> {line}" for line in window_lines(notice))]
    lines += ["", f"{notice.organisation.name} · [{_('查看详情')}]({notice_url(notice)})"]
    return "\n".join(lines).strip()


def wecom_payload(notice) -> bytes:
    return _canonical({"msgtype": "markdown", "markdown": {"content": robot_markdown(notice)}})


def dingtalk_payload(notice) -> bytes:
    return _canonical(
        {
            "msgtype": "markdown",
            "markdown": {"title": notice.subject, "text": robot_markdown(notice)},
        }
    )


def sms_text(notice, channel=None) -> str:
    """One short message: the gateway's sign (签名), the essentials, where to read the rest."""
    sign = channel.options.get("sign", "") if channel is not None else ""
    text = f"【{sign}】" if sign else ""
    text += f"{_kind_label(notice)}：{notice.subject}"
    window = window_lines(notice)
    if window:
        text += "。" + window[0]
    return f"{text}。{_('详见')} {notice_url(notice)}"


def sms_params(notice) -> dict[str, str]:
    """What an approved SMS template receives: `${title}` and `${time}`."""
    window = getattr(notice, "window", None)
    return {
        "title": notice.subject[:35],
        "time": _local(window.starts_at) if window is not None else _local(clock.now()),
    }


def sms_payload(*, notice, recipient, channel, key: str) -> bytes:
    return sms_gateway_for(channel).payload(
        phone=recipient.phone, text=sms_text(notice, channel), params=sms_params(notice), key=key
    )
