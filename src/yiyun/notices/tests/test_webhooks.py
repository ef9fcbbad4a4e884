"""WeCom and DingTalk group robots against a real local HTTP server that checks the key,
the signature and the payload; retries with backoff moved by time_machine."""

import base64
import hashlib
import hmac
import time
import urllib.parse
from datetime import datetime, timedelta

import pytest
import time_machine

from yiyun.core.audit import audit_verify
from yiyun.core.clock import SHANGHAI
from yiyun.core.models import AuditEntry
from yiyun.notices.choices import ChannelKind, DeliveryState
from yiyun.notices.models import Delivery
from yiyun.notices.outbox import outbox_process
from yiyun.notices.tests.factories import a_channel, a_maintenance
from yiyun.notices.tests.peers import http_peer, scripted

START = datetime(2026, 6, 1, 9, 0, tzinfo=SHANGHAI)
OK = (200, {"errcode": 0, "errmsg": "ok"})
WECOM_KEY = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"
DING_TOKEN = "c0ffee-access-token"
DING_SECRET = "SEC" + "0123456789abcdef" * 4


def _maintenance(world, channel_kind):
    return a_maintenance(
        world,
        starts_at=START + timedelta(days=3),
        ends_at=START + timedelta(days=3, hours=2),
        channels=[channel_kind],
        subject="核心交换机例行维护",
    )


def test_wecom_robot_receives_the_notice_with_its_key(world):
    def robot(request):
        if request.query.get("key") != WECOM_KEY:
            return 200, {"errcode": 93000, "errmsg": "invalid webhook url"}
        return OK

    with time_machine.travel(START, tick=False), http_peer(robot) as peer:
        a_channel(
            world.customer_a,
            ChannelKind.WECOM,
            name="信息科群",
            endpoint=f"{peer.url}/cgi-bin/webhook/send",
            secrets={"key": WECOM_KEY},
        )
        notice = _maintenance(world, ChannelKind.WECOM)
        report = outbox_process()

    assert report.sent == 1
    (request,) = peer.requests
    assert request.path == "/cgi-bin/webhook/send"
    assert request.headers["content-type"].startswith("application/json")
    payload = request.json()
    assert payload["msgtype"] == "markdown"
    content = payload["markdown"]["content"]
    assert "核心交换机例行维护" in content
    assert "2026-06-04 09:00" in content  # the window, in Beijing time
    delivery = Delivery.objects.get(notice=notice)
    assert delivery.state == DeliveryState.SENT
    assert delivery.attempts == 1
    assert delivery.sha256 == hashlib.sha256(request.body).hexdigest()
    assert WECOM_KEY not in delivery.address
    # The proof is anchored in the hash-chained audit log.
    anchor = AuditEntry.objects.get(action="notice.delivery_sent")
    assert anchor.data["sha256"] == delivery.sha256
    assert anchor.data["key"] == delivery.idempotency_key
    assert audit_verify().ok
    assert notice.organisation.name  # sent in the provider's name
    notice.refresh_from_db()
    assert notice.delivered_at == START


def _dingtalk_robot(request):
    """What DingTalk checks: token, a timestamp within an hour, and the HMAC-SHA256 sign."""
    if request.query.get("access_token") != DING_TOKEN:
        return 200, {"errcode": 300001, "errmsg": "token is not exist"}
    timestamp = request.query["timestamp"]
    string_to_sign = f"{timestamp}\n{DING_SECRET}".encode()
    expected = base64.b64encode(
        hmac.new(DING_SECRET.encode(), string_to_sign, hashlib.sha256).digest()
    ).decode()
    raw = dict(part.split("=", 1) for part in request.raw_query.split("&"))
    if raw["sign"] != urllib.parse.quote_plus(expected):
        return 200, {"errcode": 310000, "errmsg": "sign not match"}
    if abs(time.time() * 1000 - int(timestamp)) > 3600 * 1000:
        return 200, {"errcode": 310000, "errmsg": "timestamp too old"}
    return OK


def test_dingtalk_robot_checks_timestamp_and_signature(world):
    with time_machine.travel(START, tick=False), http_peer(_dingtalk_robot) as peer:
        a_channel(
            world.customer_a,
            ChannelKind.DINGTALK,
            name="运维群",
            endpoint=f"{peer.url}/robot/send",
            secrets={"access_token": DING_TOKEN, "secret": DING_SECRET},
        )
        notice = _maintenance(world, ChannelKind.DINGTALK)
        report = outbox_process()

    assert report.sent == 1, Delivery.objects.get(notice=notice).last_error
    (request,) = peer.requests
    assert request.query["timestamp"] == str(int(START.timestamp() * 1000))
    payload = request.json()
    assert payload["msgtype"] == "markdown"
    assert payload["markdown"]["title"] == "核心交换机例行维护"
    assert "HIS" in payload["markdown"]["text"]
    delivery = Delivery.objects.get(notice=notice)
    assert delivery.state == DeliveryState.SENT
    assert delivery.response_status == "200/0"
    assert delivery.sha256 == hashlib.sha256(request.body).hexdigest()


def test_dingtalk_wrong_secret_fails_without_retry(world):
    with time_machine.travel(START, tick=False), http_peer(_dingtalk_robot) as peer:
        a_channel(
            world.customer_a,
            ChannelKind.DINGTALK,
            endpoint=f"{peer.url}/robot/send",
            secrets={"access_token": DING_TOKEN, "secret": "SEC-not-the-one"},
        )
        notice = _maintenance(world, ChannelKind.DINGTALK)
        outbox_process()
        delivery = Delivery.objects.get(notice=notice)
        assert delivery.state == DeliveryState.FAILED
        assert delivery.response_status == "310000"
        assert "sign not match" in delivery.response_text
        # A signature that does not match will not match later either: no second try.
        with time_machine.travel(START + timedelta(hours=5), tick=False):
            assert outbox_process().claimed == 0
    assert len(peer.requests) == 1


def test_500_twice_then_200_is_one_message_in_three_attempts(world):
    respond = scripted((500, b"busy"), (500, b"busy"), OK)
    with http_peer(respond) as peer:
        with time_machine.travel(START, tick=False):
            a_channel(
                world.customer_a,
                ChannelKind.WECOM,
                endpoint=f"{peer.url}/send",
                secrets={"key": WECOM_KEY},
            )
            notice = _maintenance(world, ChannelKind.WECOM)
            assert outbox_process().retried == 1
            delivery = Delivery.objects.get(notice=notice)
            assert delivery.state == DeliveryState.PENDING
            assert delivery.next_attempt_at == START + timedelta(seconds=30)
            assert outbox_process().claimed == 0  # not before the backoff
        with time_machine.travel(START + timedelta(seconds=30), tick=False):
            assert outbox_process().retried == 1
            delivery.refresh_from_db()
            assert delivery.next_attempt_at == START + timedelta(seconds=30, minutes=2)
        with time_machine.travel(START + timedelta(minutes=2), tick=False):
            assert outbox_process().claimed == 0
        with time_machine.travel(START + timedelta(seconds=30, minutes=2), tick=False):
            assert outbox_process().sent == 1
            assert outbox_process().claimed == 0  # and never again

    assert len(peer.requests) == 3
    assert len({request.body for request in peer.requests}) == 1  # the same message each time
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.SENT
    assert delivery.attempts == 3
    assert delivery.sent_at == START + timedelta(seconds=30, minutes=2)
    attempts = list(delivery.attempt_log.order_by("number"))
    assert [(a.number, a.outcome, a.status) for a in attempts] == [
        (1, "retry", "500"),
        (2, "retry", "500"),
        (3, "sent", "200/0"),
    ]
    assert {a.sha256 for a in attempts} == {delivery.sha256}


@pytest.mark.parametrize("errcode", [45009, -1])
def test_robot_rate_limit_is_retried(world, errcode):
    respond = scripted((200, {"errcode": errcode, "errmsg": "api freq out of limit"}), OK)
    with http_peer(respond) as peer, time_machine.travel(START, tick=False) as traveller:
        a_channel(
            world.customer_a, ChannelKind.WECOM, endpoint=peer.url, secrets={"key": WECOM_KEY}
        )
        notice = _maintenance(world, ChannelKind.WECOM)
        assert outbox_process().retried == 1
        traveller.shift(timedelta(seconds=30))
        assert outbox_process().sent == 1
    assert Delivery.objects.get(notice=notice).attempts == 2


def test_gives_up_after_the_last_attempt(world):
    with (
        http_peer(scripted((503, b"down"))) as peer,
        time_machine.travel(START, tick=False) as traveller,
    ):
        a_channel(
            world.customer_a, ChannelKind.WECOM, endpoint=peer.url, secrets={"key": WECOM_KEY}
        )
        notice = _maintenance(world, ChannelKind.WECOM)
        for _attempt in range(20):
            outbox_process()
            traveller.shift(timedelta(hours=2))
    delivery = Delivery.objects.get(notice=notice)
    assert delivery.state == DeliveryState.FAILED
    assert delivery.attempts == 8
    assert len(peer.requests) == 8
    notice.refresh_from_db()
    # Inbox was not chosen: nothing went out, so nothing was delivered (4.5).
    assert notice.delivered_at is None


def test_outbox_command_sends_what_is_due(world):
    from io import StringIO

    from django.core.management import call_command

    with time_machine.travel(START, tick=False), http_peer(lambda request: OK) as peer:
        a_channel(
            world.customer_a, ChannelKind.WECOM, endpoint=peer.url, secrets={"key": WECOM_KEY}
        )
        _maintenance(world, ChannelKind.WECOM)
        out = StringIO()
        call_command("notices", "outbox", stdout=out)
    assert '"sent": 1' in out.getvalue()
    assert len(peer.requests) == 1


def test_metrics_report_the_outbox(world, client):
    with http_peer(scripted((503, b"down"))) as peer:
        with time_machine.travel(START, tick=False):
            a_channel(
                world.customer_a, ChannelKind.WECOM, endpoint=peer.url, secrets={"key": WECOM_KEY}
            )
            _maintenance(world, ChannelKind.WECOM)
            outbox_process()
        with time_machine.travel(START + timedelta(minutes=5), tick=False):
            body = client.get("/metrics", REMOTE_ADDR="127.0.0.1").content.decode()
    assert 'yiyun_notices_deliveries{state="pending"} 1.0' in body
    assert 'yiyun_notices_deliveries{state="sent"} 0.0' in body
    # Due again 30 s after the failure, and still waiting 4½ minutes later.
    assert "yiyun_notices_outbox_lag_seconds 270.0" in body
