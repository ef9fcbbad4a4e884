"""The web announcement (4.5): a public page per provider and its Atom feed, no login."""

import xml.etree.ElementTree as ET
from datetime import datetime, timedelta

import time_machine
from django.test import Client
from django.urls import reverse

from yiyun.core.clock import SHANGHAI
from yiyun.notices.choices import ChannelKind, DeliveryState, NoticeKind
from yiyun.notices.services import notice_issue
from yiyun.notices.tests.factories import a_maintenance

NOW = datetime(2026, 6, 1, 9, 0, tzinfo=SHANGHAI)
ATOM = "{http://www.w3.org/2005/Atom}"


def _announce(world, subject, channels):
    return notice_issue(
        by=world.provider_admin,
        kind=NoticeKind.ANNOUNCEMENT,
        subject=subject,
        body="医疗云平台新增异地备份服务。",
        channels=channels,
        audience_organisations=[world.customer_a, world.customer_b],
    )


def test_clause_4_5_public_page_needs_no_login_and_lists_web_announcements(world):
    with time_machine.travel(NOW, tick=False):
        public = _announce(world, "医疗云异地备份上线", [ChannelKind.WEB, ChannelKind.INBOX])
        private = _announce(world, "仅站内通知", [ChannelKind.INBOX])
        maintenance = a_maintenance(
            world,
            starts_at=NOW + timedelta(days=3),
            ends_at=NOW + timedelta(days=3, hours=2),
            channels=[ChannelKind.WEB],
        )
    anonymous = Client()
    page = anonymous.get(reverse("notices:announcements") + f"?provider={world.provider.pk}")
    assert page.status_code == 200
    text = page.content.decode()
    assert "医疗云异地备份上线" in text and "云平台例行维护" in text
    assert "仅站内通知" not in text
    assert "2026-06-04 09:00" in text  # the window, Beijing time
    assert anonymous.get(reverse("notices:announcements") + "?provider=999999").status_code == 404
    # Publishing is a delivery like any other: one record, with the public address.
    (web,) = public.deliveries.filter(kind=ChannelKind.WEB)
    assert web.state == DeliveryState.SENT and web.sent_at == NOW
    assert f"provider={world.provider.pk}#notice-{public.pk}" in web.address
    assert public.delivered_at == NOW
    assert private.published_at is None and maintenance.published_at == NOW


def test_atom_feed_validates_and_lists_the_announcement(world):
    with time_machine.travel(NOW, tick=False):
        public = _announce(world, "医疗云异地备份上线", [ChannelKind.WEB])
        _announce(world, "仅站内通知", [ChannelKind.INBOX])
    response = Client().get(reverse("notices:feed") + f"?provider={world.provider.pk}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.content)  # noqa: S314 — our own feed; raises unless well-formed
    assert feed.tag == f"{ATOM}feed"
    assert feed.find(f"{ATOM}title").text == "联通阿克苏 · 公告"
    for required in ("id", "updated"):
        assert feed.find(f"{ATOM}{required}").text
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 1
    entry = entries[0]
    assert entry.find(f"{ATOM}title").text == "【公告】医疗云异地备份上线"
    assert entry.find(f"{ATOM}id").text == f"tag:yiyun,2026-06-01:notice-{public.pk}"
    assert entry.find(f"{ATOM}updated").text.startswith("2026-06-01T09:00:00+08:00")
    assert entry.find(f"{ATOM}author/{ATOM}name").text == "联通阿克苏"
    link = entry.find(f"{ATOM}link").get("href")
    assert link.startswith("http://testserver/notices/announcements/?provider=")
    assert link.endswith(f"#notice-{public.pk}")
    assert "医疗云平台新增异地备份服务。" in entry.find(f"{ATOM}summary").text


def test_feed_of_an_other_provider_is_its_own(world):
    with time_machine.travel(NOW, tick=False):
        _announce(world, "医疗云异地备份上线", [ChannelKind.WEB])
    everything = ET.fromstring(Client().get(reverse("notices:feed")).content)  # noqa: S314
    assert len(everything.findall(f"{ATOM}entry")) == 1
    other = Client().get(reverse("notices:feed") + f"?provider={world.other_provider.pk}")
    assert other.status_code == 404  # publishes nothing
