"""Email through a real SMTP server (aiosmtpd, the `smtp_server` fixture)."""

import hashlib
from datetime import datetime, timedelta
from email.header import decode_header, make_header

import time_machine

from yiyun.core.clock import SHANGHAI
from yiyun.notices.choices import ChannelKind, DeliveryState
from yiyun.notices.models import Delivery
from yiyun.notices.outbox import outbox_process
from yiyun.notices.tests.factories import a_channel, a_letter, a_maintenance
from yiyun.tenancy.services import person_update

START = datetime(2026, 6, 1, 9, 0, tzinfo=SHANGHAI)


def _subject(message) -> str:
    return str(make_header(decode_header(message["Subject"])))


def _parts(message) -> dict[str, object]:
    return {part.get_content_type(): part for part in message.walk()}


def test_clause_4_5_email_reaches_a_real_smtp_server(world, smtp_server):
    person_update(person=world.member_a.person, phone="", email="xinxike@keping.example")
    with time_machine.travel(START, tick=False):
        a_channel(world.provider, ChannelKind.EMAIL, options={"from_email": "noc@unicom.example"})
        notice = a_maintenance(
            world,
            starts_at=START + timedelta(days=2),
            ends_at=START + timedelta(days=2, hours=3),
            channels=[ChannelKind.EMAIL],
            subject="云平台存储例行维护",
        )
        report = outbox_process()

    people = {p.email for p in world.customer_a.people.all() if p.email}
    assert report.sent == len(people) == len(smtp_server.messages)
    by_recipient = {m["X-RcptTo"]: m for m in smtp_server.messages}
    assert set(by_recipient) == people
    message = by_recipient["xinxike@keping.example"]
    # The Chinese subject arrives encoded (RFC 2047) and decodes to what was written.
    assert "=?utf-8?b?" in message["Subject"] and "例行" not in message["Subject"]
    assert _subject(message) == "【例行维护通知】云平台存储例行维护"
    assert message["X-MailFrom"] == "noc@unicom.example"
    assert "联通阿克苏" in str(make_header(decode_header(message["From"])))
    parts = _parts(message)
    text = parts["text/plain"].get_payload(decode=True).decode("utf-8")
    html = parts["text/html"].get_payload(decode=True).decode("utf-8")
    assert "存储扩容，期间业务短暂中断。" in text
    assert "维护时间：2026-06-03 09:00 至 2026-06-03 12:00（北京时间）" in text
    assert "<h1>云平台存储例行维护</h1>" in html
    delivery = Delivery.objects.get(notice=notice, address="xinxike@keping.example")
    assert delivery.state == DeliveryState.SENT
    assert delivery.response_status == "250"
    assert delivery.response_id == message["Message-ID"]
    assert delivery.idempotency_key in message["Message-ID"]
    assert delivery.sha256 == hashlib.sha256(bytes(delivery.payload)).hexdigest()
    # What the server received, byte for byte, is what the proof hashes.
    (raw,) = [r for r in smtp_server.raw if message["Message-ID"].encode() in r]
    assert hashlib.sha256(raw).hexdigest() == delivery.sha256


def test_letter_goes_out_by_email_with_its_pdf(world, smtp_server):
    with time_machine.travel(START, tick=False):
        notice = a_letter(world, channels=[ChannelKind.EMAIL, ChannelKind.INBOX])
        outbox_process()
    letter = notice.letter
    assert smtp_server.messages
    for message in smtp_server.messages:
        pdf = _parts(message)["application/pdf"]
        assert pdf.get_filename() == f"{letter.reference}.pdf"
        assert hashlib.sha256(pdf.get_payload(decode=True)).hexdigest() == letter.sha256


def test_smtp_server_down_is_retried(world, smtp_server, settings):
    settings.EMAIL_PORT = 9  # nothing listens on the discard port
    with time_machine.travel(START, tick=False) as traveller:
        notice = a_maintenance(
            world,
            starts_at=START + timedelta(days=2),
            ends_at=START + timedelta(days=2, hours=3),
            channels=[ChannelKind.EMAIL],
        )
        first = outbox_process()
        assert first.retried == first.claimed > 0
        assert smtp_server.messages == []
        settings.EMAIL_PORT = smtp_server.port
        traveller.shift(timedelta(seconds=30))
        assert outbox_process().sent == first.claimed
    assert len(smtp_server.messages) == first.claimed
    assert set(Delivery.objects.filter(notice=notice).values_list("attempts", flat=True)) == {2}
