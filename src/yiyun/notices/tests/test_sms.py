"""SMS through the gateway adapters: a generic HTTP gateway and Alibaba Cloud SMS.

Alibaba's cloud is the one peer that cannot be here: its signature is checked against
the vendor's documented example values, and the request shape against a local HTTP
server standing in at the overridden endpoint, which verifies the signature itself.
"""

import base64
import hashlib
import hmac
import json
import urllib.parse
from datetime import UTC, datetime, timedelta

import time_machine

from yiyun.core.clock import SHANGHAI
from yiyun.notices.choices import ChannelKind, DeliveryState, SmsGateway
from yiyun.notices.models import Delivery
from yiyun.notices.outbox import outbox_process
from yiyun.notices.tests.factories import a_channel, a_maintenance
from yiyun.notices.tests.peers import http_peer
from yiyun.notices.transports.sms import aliyun_signature, aliyun_string_to_sign
from yiyun.tenancy.services import person_update

START = datetime(2026, 6, 1, 9, 0, tzinfo=SHANGHAI)

# Alibaba Cloud's documented example for SendSms (SMS API "签名机制" page), signed as GET.
DOC_SEND_SMS = {
    "AccessKeyId": "testId",
    "Action": "SendSms",
    "Format": "XML",
    "OutId": "123",
    "PhoneNumbers": "15300000001",
    "RegionId": "cn-hangzhou",
    "SignName": "阿里云短信测试专用",
    "SignatureMethod": "HMAC-SHA1",
    "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
    "SignatureVersion": "1.0",
    "TemplateCode": "SMS_71390007",
    "TemplateParam": '{"customer":"test"}',
    "Timestamp": "2017-07-12T02:42:19Z",
    "Version": "2017-05-25",
}


def test_aliyun_signature_matches_the_documented_send_sms_example():
    assert aliyun_string_to_sign(DOC_SEND_SMS, method="GET") == (
        "GET&%2F&AccessKeyId%3DtestId%26Action%3DSendSms%26Format%3DXML%26OutId%3D123"
        "%26PhoneNumbers%3D15300000001%26RegionId%3Dcn-hangzhou%26SignName%3D"
        "%25E9%2598%25BF%25E9%2587%258C%25E4%25BA%2591%25E7%259F%25AD%25E4%25BF%25A1"
        "%25E6%25B5%258B%25E8%25AF%2595%25E4%25B8%2593%25E7%2594%25A8%26SignatureMethod"
        "%3DHMAC-SHA1%26SignatureNonce%3D45e25e9b-0a6f-4070-8c85-2956eda1b466"
        "%26SignatureVersion%3D1.0%26TemplateCode%3DSMS_71390007%26TemplateParam"
        "%3D%257B%2522customer%2522%253A%2522test%2522%257D%26Timestamp"
        "%3D2017-07-12T02%253A42%253A19Z%26Version%3D2017-05-25"
    )
    assert aliyun_signature(DOC_SEND_SMS, "testSecret", method="GET") == (
        "zJDF+Lrzhj/ThnlvIToysFRq6t4="
    )


def test_aliyun_signature_matches_the_documented_rpc_example():
    # The RPC signature page's DescribeRegions example.
    params = {
        "Format": "XML",
        "AccessKeyId": "testid",
        "Action": "DescribeRegions",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
        "SignatureVersion": "1.0",
        "Version": "2014-05-26",
        "Timestamp": "2016-02-23T12:46:24Z",
    }
    assert aliyun_signature(params, "testsecret", method="GET") == "OLeaidS1JvxuMvnyHOwuJ+uX5qY="
    # The signature covers every parameter but itself.
    assert aliyun_signature({**params, "Signature": "x"}, "testsecret", method="GET") == (
        "OLeaidS1JvxuMvnyHOwuJ+uX5qY="
    )


def _with_phones(world):
    person_update(person=world.admin_a.person, phone="13800000001")
    person_update(person=world.member_a.person, phone="13800000002")


def _maintenance(world):
    return a_maintenance(
        world,
        starts_at=START + timedelta(days=2),
        ends_at=START + timedelta(days=2, hours=1),
        channels=[ChannelKind.SMS],
        subject="HIS 例行维护",
    )


def test_http_gateway_gets_token_idempotency_key_and_text(world):
    _with_phones(world)
    token = "gw-token-0f3a"

    def gateway(request):
        if request.headers.get("authorization") != f"Bearer {token}":
            return 401, {"error": "unauthorised"}
        return 202, {"id": "sms-" + request.headers["idempotency-key"]}

    with http_peer(gateway) as peer, time_machine.travel(START, tick=False):
        a_channel(
            world.provider,
            ChannelKind.SMS,
            sms_gateway=SmsGateway.HTTP,
            endpoint=f"{peer.url}/v1/messages",
            options={"sign": "阿克苏联通"},
            secrets={"token": token},
        )
        notice = _maintenance(world)
        report = outbox_process()

    assert report.sent == 2
    by_phone = {request.json()["to"]: request for request in peer.requests}
    assert set(by_phone) == {"13800000001", "13800000002"}
    request = by_phone["13800000002"]
    body = request.json()
    delivery = Delivery.objects.get(notice=notice, address="13800000002")
    assert request.path == "/v1/messages"
    assert request.headers["idempotency-key"] == delivery.idempotency_key == body["reference"]
    assert body["text"].startswith(
        "【阿克苏联通】例行维护通知：HIS 例行维护。维护时间：2026-06-03 09:00"
    )
    assert f"/notices/{notice.pk}/" in body["text"]
    assert delivery.state == DeliveryState.SENT
    assert delivery.response_status == "202"
    assert delivery.response_id == "sms-" + delivery.idempotency_key
    assert delivery.sha256 == hashlib.sha256(request.body).hexdigest()


def test_http_gateway_refusing_the_token_is_not_retried(world):
    _with_phones(world)
    with http_peer(lambda request: (401, {"error": "unauthorised"})) as peer:
        with time_machine.travel(START, tick=False):
            a_channel(
                world.provider,
                ChannelKind.SMS,
                sms_gateway=SmsGateway.HTTP,
                endpoint=peer.url,
                secrets={"token": "wrong"},
            )
            _maintenance(world)
            assert outbox_process().failed == 2
        with time_machine.travel(START + timedelta(days=1), tick=False):
            assert outbox_process().claimed == 0
    assert len(peer.requests) == 2


def _aliyun_cloud(secret: str):
    """Alibaba Cloud SMS as far as a client can tell: it checks the signature it receives."""

    def respond(request):
        params = request.form()
        to_sign = "&".join(
            f"{urllib.parse.quote(k, safe='~')}={urllib.parse.quote(v, safe='~')}"
            for k, v in sorted(params.items())
            if k != "Signature"
        )
        string_to_sign = "POST&%2F&" + urllib.parse.quote(to_sign, safe="~")
        expected = base64.b64encode(
            hmac.new(f"{secret}&".encode(), string_to_sign.encode(), hashlib.sha1).digest()
        ).decode()
        if params.get("Signature") != expected:
            return 400, {
                "Code": "SignatureDoesNotMatch",
                "Message": "Specified signature is not matched",
            }
        return 200, {
            "Code": "OK",
            "Message": "OK",
            "BizId": "900619746936498440^0",
            "RequestId": "F655A8D5",
        }

    return respond


def test_aliyun_request_is_signed_and_shaped_as_the_api_wants(world):
    _with_phones(world)
    secret = "aliyun-test-secret"
    with http_peer(_aliyun_cloud(secret)) as peer, time_machine.travel(START, tick=False):
        a_channel(
            world.provider,
            ChannelKind.SMS,
            sms_gateway=SmsGateway.ALIYUN,
            endpoint=f"{peer.url}/",
            options={
                "access_key_id": "LTAI-test-id",
                "sign_name": "阿克苏联通",
                "template_code": "SMS_000001",
            },
            secrets={"access_key_secret": secret},
        )
        notice = _maintenance(world)
        report = outbox_process()

    assert report.sent == 2, list(Delivery.objects.values_list("last_error", flat=True))
    request = next(r for r in peer.requests if r.form()["PhoneNumbers"] == "13800000001")
    params = request.form()
    assert request.path == "/"
    assert request.headers["content-type"].startswith("application/x-www-form-urlencoded")
    delivery = Delivery.objects.get(notice=notice, address="13800000001")
    assert {key: params[key] for key in ("Action", "Version", "Format", "RegionId")} == {
        "Action": "SendSms",
        "Version": "2017-05-25",
        "Format": "JSON",
        "RegionId": "cn-hangzhou",
    }
    assert params["AccessKeyId"] == "LTAI-test-id"
    assert params["SignatureMethod"] == "HMAC-SHA1" and params["SignatureVersion"] == "1.0"
    assert params["Timestamp"] == START.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert params["SignName"] == "阿克苏联通" and params["TemplateCode"] == "SMS_000001"
    assert json.loads(params["TemplateParam"]) == {
        "title": "HIS 例行维护",
        "time": "2026-06-03 09:00",
    }
    assert params["OutId"] == delivery.idempotency_key
    assert secret not in request.body.decode()
    assert delivery.response_id == "900619746936498440^0"
    # The proof hashes the signed request exactly as it went out.
    assert bytes(delivery.payload) == request.body
    assert delivery.sha256 == hashlib.sha256(request.body).hexdigest()
    nonces = {r.form()["SignatureNonce"] for r in peer.requests}
    assert len(nonces) == 2


def test_aliyun_wrong_secret_is_refused_by_the_signature_check(world):
    _with_phones(world)
    with (
        http_peer(_aliyun_cloud("the-real-secret")) as peer,
        time_machine.travel(START, tick=False),
    ):
        a_channel(
            world.provider,
            ChannelKind.SMS,
            sms_gateway=SmsGateway.ALIYUN,
            endpoint=peer.url,
            options={"access_key_id": "id", "sign_name": "s", "template_code": "t"},
            secrets={"access_key_secret": "a-wrong-secret"},
        )
        _maintenance(world)
        assert outbox_process().failed == 2
    assert {d.response_status for d in Delivery.objects.all()} == {"400"}
