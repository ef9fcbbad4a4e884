"""Channel configuration: secrets encrypted at rest (key derived from SECRET_KEY) or taken
from the environment, never shown back in the admin, pages, API or audit log."""

import json

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.urls import reverse

from yiyun.core.errors import DomainError
from yiyun.core.models import AuditEntry
from yiyun.notices.choices import ChannelKind
from yiyun.notices.models import Channel, Delivery
from yiyun.notices.outbox import outbox_process
from yiyun.notices.secrets import channel_secret, secret_names
from yiyun.notices.tests.factories import a_channel, an_announcement
from yiyun.notices.tests.peers import http_peer

SECRET = "SECdeadbeef0123456789-very-secret"


def _stored(channel) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT secrets_encrypted FROM notices_channel WHERE id = %s", [channel.pk])
        return cursor.fetchone()[0]


def test_secrets_are_encrypted_at_rest_and_never_audited(world):
    channel = a_channel(
        world.customer_a,
        ChannelKind.DINGTALK,
        secrets={"access_token": "tok-12345", "secret": SECRET},
    )
    stored = _stored(channel)
    assert stored and SECRET not in stored and "tok-12345" not in stored
    assert channel_secret(channel, "secret") == SECRET
    assert secret_names(channel) == ["access_token", "secret"]
    audit = json.dumps(list(AuditEntry.objects.values("data")), ensure_ascii=False)
    assert "notice_channel.created" in AuditEntry.objects.values_list("action", flat=True)
    assert SECRET not in audit and "tok-12345" not in audit


def test_secret_key_rotation_keeps_secrets_readable_through_fallbacks(world, settings):
    channel = a_channel(world.customer_a, ChannelKind.WECOM, secrets={"key": "k-1"})
    old = settings.SECRET_KEY
    settings.SECRET_KEY = "a-new-secret-key-" + "y" * 40
    with pytest.raises(DomainError) as refused:
        channel_secret(channel, "key")
    assert refused.value.code == "channel_secret_unreadable"
    settings.SECRET_KEY_FALLBACKS = [old]
    assert channel_secret(channel, "key") == "k-1"


def test_secret_from_the_environment(world, monkeypatch):
    monkeypatch.setenv("YY_TEST_WECOM_KEY", "from-env-key")

    def robot(request):
        ok = request.query.get("key") == "from-env-key"
        return 200, {"errcode": 0 if ok else 93000, "errmsg": "ok" if ok else "invalid"}

    with http_peer(robot) as peer:
        a_channel(
            world.customer_a,
            ChannelKind.WECOM,
            endpoint=peer.url,
            secrets_env={"key": "YY_TEST_WECOM_KEY"},
        )
        notice = an_announcement(world, channels=[ChannelKind.WECOM])
        assert outbox_process().sent == 1
    delivery = Delivery.objects.get(notice=notice)
    assert "from-env-key" not in delivery.address


def test_missing_secret_fails_the_delivery_without_retry(world):
    a_channel(world.customer_a, ChannelKind.WECOM, endpoint="http://127.0.0.1:9/")
    notice = an_announcement(world, channels=[ChannelKind.WECOM])
    assert outbox_process().failed == 1
    assert "缺少密钥" in Delivery.objects.get(notice=notice).last_error


@pytest.fixture
def operator(world):
    return get_user_model().objects.create_superuser("operator", "op@example.invalid", "pw-1234567")


def test_admin_never_shows_a_secret_and_blank_keeps_it(world, operator):
    client = Client()
    client.force_login(operator)
    add = reverse("admin:notices_channel_add")
    response = client.post(
        add,
        {
            "organisation": world.customer_a.pk,
            "kind": "dingtalk",
            "name": "信息科钉钉群",
            "enabled": "on",
            "sms_gateway": "",
            "endpoint": "",
            "options": "{}",
            "secrets_env": "{}",
            "dingtalk_access_token": "tok-abc",
            "dingtalk_secret": SECRET,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    channel = Channel.objects.get(name="信息科钉钉群")
    assert channel_secret(channel, "secret") == SECRET
    change = reverse("admin:notices_channel_change", args=[channel.pk])
    page = client.get(change).content.decode()
    assert SECRET not in page and "tok-abc" not in page and _stored(channel) not in page
    assert "access_token、secret" in page  # which secrets are set, by name only
    listing = client.get(reverse("admin:notices_channel_changelist")).content.decode()
    assert SECRET not in listing
    # Saving again with the password fields blank keeps the secrets.
    response = client.post(
        change,
        {
            "organisation": world.customer_a.pk,
            "kind": "dingtalk",
            "name": "信息科钉钉群",
            "enabled": "on",
            "sms_gateway": "",
            "endpoint": "",
            "options": "{}",
            "secrets_env": "{}",
        },
    )
    assert response.status_code == 302
    channel.refresh_from_db()
    assert channel_secret(channel, "secret") == SECRET
    client.post(
        change,
        {
            "organisation": world.customer_a.pk,
            "kind": "dingtalk",
            "name": "信息科钉钉群",
            "sms_gateway": "",
            "endpoint": "",
            "options": "{}",
            "secrets_env": "{}",
            "clear_secrets": "on",
        },
    )
    channel.refresh_from_db()
    assert secret_names(channel) == [] and not channel.enabled


def test_only_an_organisations_manager_configures_its_channels(world):
    from django.core.exceptions import PermissionDenied

    from yiyun.notices.services import channel_save

    with pytest.raises(PermissionDenied):
        channel_save(
            channel=Channel(organisation=world.customer_a, kind=ChannelKind.WECOM, name="x"),
            by=world.admin_b,
        )
    with pytest.raises(PermissionDenied):
        channel_save(
            channel=Channel(organisation=world.customer_a, kind=ChannelKind.WECOM, name="x"),
            by=world.member_a,
        )


def test_check_warns_about_a_channel_that_cannot_send(world):
    from yiyun.notices.checks import channels_configured

    a_channel(world.customer_a, ChannelKind.WECOM, name="好的", secrets={"key": "k"})
    a_channel(world.customer_a, ChannelKind.DINGTALK, name="缺密钥")
    a_channel(
        world.provider,
        ChannelKind.SMS,
        name="阿里云",
        sms_gateway="aliyun",
        secrets={"access_key_secret": "s"},
        options={"access_key_id": "id"},
    )
    messages = [warning.msg for warning in channels_configured()]
    assert len(messages) == 3, messages
    assert any("缺密钥" in m and "access_token" in m for m in messages)
    assert any("阿里云" in m and "sign_name" in m for m in messages)
    assert not any("好的" in m for m in messages)
