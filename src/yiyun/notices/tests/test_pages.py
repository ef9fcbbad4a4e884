"""Notice pages and API: compose, send, read receipts, and each customer seeing only its own
share of a notice sent to several."""

import json
from datetime import datetime, timedelta

import time_machine
from django.urls import reverse

from yiyun.core.clock import SHANGHAI
from yiyun.notices.choices import ChannelKind, NoticeKind
from yiyun.notices.models import InboxMessage, Notice
from yiyun.notices.services import inbox_send, notice_issue
from yiyun.notices.tests.factories import a_contract, a_maintenance

NOW = datetime(2026, 6, 1, 9, 0, tzinfo=SHANGHAI)


def test_compose_a_maintenance_draft_then_send_it_late_with_acknowledgement(world, login):
    client = login(world.provider_admin)
    with time_machine.travel(NOW, tick=False):
        a_contract(world)
        response = client.post(
            reverse("notices:create"),
            {
                "kind": NoticeKind.ROUTINE_MAINTENANCE,
                "subject": "虚拟化平台补丁升级",
                "body": "升级期间虚拟机迁移，业务不中断。",
                "channels": [ChannelKind.INBOX, ChannelKind.WEB],
                "audience_organisations": [world.customer_a.pk],
                "starts_at": "2026-06-02T08:00",  # Beijing time, 23 h from now
                "ends_at": "2026-06-02T10:00",
                "affected_systems": "HIS\nPACS",
                "affected_sites": [world.site_a2.pk],
                "action": "draft",
            },
        )
        assert response.status_code == 302, response.content.decode()[:3000]
        notice = Notice.objects.get(subject="虚拟化平台补丁升级")
        assert notice.window.starts_at == datetime(2026, 6, 2, 8, 0, tzinfo=SHANGHAI)
        assert notice.window.affected_systems == ["HIS", "PACS"]
        page = client.get(response["Location"]).content.decode()
        assert "最迟发送时间（4.4）" in page and "2026-06-01 08:00" in page and "已逾期" in page

        send = reverse("notices:send", kwargs={"pk": notice.pk})
        client.post(send)
        notice.refresh_from_db()
        assert notice.sent_at is None  # refused: the author has to acknowledge it is late
        client.post(send, {"acknowledge_late": "on"})
        notice.refresh_from_db()
        assert notice.sent_at == NOW
        assert notice.obligations.get().state == "breached"


def test_send_now_from_the_form_and_read_receipt_on_the_notice_page(world, login):
    with time_machine.travel(NOW, tick=False):
        response = login(world.admin_a).post(
            reverse("notices:create"),
            {
                "kind": NoticeKind.ANNOUNCEMENT,
                "subject": "信息科值班安排",
                "body": "端午节期间信息科值班表见附件。",
                "channels": [ChannelKind.INBOX],
                "audience_organisations": [world.customer_a.pk],
                "audience_roles": ["customer_member"],
                "action": "send",
            },
        )
        assert response.status_code == 302
        notice = Notice.objects.get(subject="信息科值班安排")
        # Only members: the roles narrow the audience, and the list is kept with the notice.
        assert list(notice.recipients.values_list("name", flat=True)) == ["a-member"]
    message = InboxMessage.objects.get(source=f"notice:{notice.pk}")
    detail = reverse("notices:detail", kwargs={"pk": notice.pk})
    assert "已读" not in login(world.admin_a).get(detail).content.decode()
    with time_machine.travel(NOW + timedelta(minutes=5), tick=False):
        login(world.member_a).get(reverse("notices:inbox_message", kwargs={"pk": message.pk}))
    assert "已读 06-01 09:05" in login(world.admin_a).get(detail).content.decode()


def test_each_customer_sees_only_its_own_share_of_a_notice_to_several(world, login):
    with time_machine.travel(NOW, tick=False):
        notice = notice_issue(
            by=world.provider_admin,
            kind=NoticeKind.ANNOUNCEMENT,
            subject="平台安全加固",
            body="全平台安全加固。",
            channels=[ChannelKind.INBOX],
            audience_organisations=[world.customer_a, world.customer_b],
        )
    detail = reverse("notices:detail", kwargs={"pk": notice.pk})
    page_a = login(world.admin_a).get(detail).content.decode()
    page_b = login(world.admin_b).get(detail).content.decode()
    page_provider = login(world.provider_admin).get(detail).content.decode()
    assert "a-member" in page_a and "b-member" not in page_a
    assert "b-member" in page_b and "a-member" not in page_b
    assert "a-member" in page_provider and "b-member" in page_provider
    api = login(world.admin_b).get(f"/api/notices/{notice.pk}").json()
    assert {d["organisation"] for d in api["deliveries"]} == {world.customer_b.pk}
    assert login(world.other_provider_admin).get(detail).status_code == 404


def test_drafts_stay_with_the_sender(world, login):
    with time_machine.travel(NOW, tick=False):
        notice = a_maintenance(
            world,
            starts_at=NOW + timedelta(days=3),
            ends_at=NOW + timedelta(days=3, hours=1),
            send=False,
        )
    detail = reverse("notices:detail", kwargs={"pk": notice.pk})
    assert login(world.engineer).get(detail).status_code == 200
    assert login(world.admin_a).get(detail).status_code == 404  # not sent to them yet


def test_auditor_reads_but_cannot_write(world, login):
    with time_machine.travel(NOW, tick=False):
        notice = notice_issue(
            by=world.admin_a,
            kind=NoticeKind.ANNOUNCEMENT,
            subject="公告",
            body="正文",
            channels=[ChannelKind.INBOX],
            audience_organisations=[world.customer_a],
        )
    auditor = login(world.auditor_a)
    assert auditor.get(reverse("notices:detail", kwargs={"pk": notice.pk})).status_code == 200
    assert auditor.get(reverse("notices:create")).status_code == 403
    body = {"kind": "announcement", "subject": "x", "body": "y", "channels": ["inbox"]}
    assert (
        auditor.post("/api/notices", json.dumps(body), content_type="application/json").status_code
        == 403
    )


def test_api_draft_send_and_proof(world, login):
    client = login(world.provider_admin)
    with time_machine.travel(NOW, tick=False):
        a_contract(world)
        body = {
            "kind": "routine_maintenance",
            "subject": "链路割接",
            "body": "阿恰勒镇电路割接。",
            "channels": ["inbox"],
            "audience_organisations": [world.customer_a.pk],
            "window": {
                "starts_at": "2026-06-02T06:00:00+08:00",
                "ends_at": "2026-06-02T07:00:00+08:00",
                "affected_circuits": ["柯坪县人民医院—阿恰勒镇卫生院"],
            },
        }
        created = client.post("/api/notices", json.dumps(body), content_type="application/json")
        assert created.status_code == 201, created.content
        notice_id = created.json()["id"]
        assert created.json()["latest_send_at"] == "2026-06-01T06:00:00+08:00"
        send = f"/api/notices/{notice_id}/send"
        refused = client.post(send, "{}", content_type="application/json")
        assert refused.status_code == 400 and refused.json()["code"] == "late_notice"
        sent = client.post(
            send, json.dumps({"acknowledge_late": True}), content_type="application/json"
        )
        assert sent.status_code == 200 and sent.json()["sent_at"]
    deliveries = client.get(f"/api/notices/{notice_id}/deliveries").json()
    assert deliveries and {d["state"] for d in deliveries} == {"sent"}
    assert all(len(d["sha256"]) == 64 for d in deliveries)
    with time_machine.travel(NOW + timedelta(hours=21), tick=False):
        windows = login(world.admin_a).get("/api/notices/maintenance").json()
        assert [(w["subject"], w["running"]) for w in windows] == [("链路割接", True)]
        assert login(world.admin_b).get("/api/notices/maintenance").json() == []


def test_inbox_send_keeps_its_signature_and_sends_once_per_source(world):
    people = [world.admin_a.person, world.member_a.person]
    first = inbox_send(
        recipients=people, subject="提醒", body="b", link="/x/", source="obligation:1"
    )
    again = inbox_send(
        recipients=people, subject="提醒", body="b", link="/x/", source="obligation:1"
    )
    assert len(first) == 2 and again == []


def test_list_and_compose_pages_render(world, login):
    with time_machine.travel(NOW, tick=False):
        a_contract(world)
        notice_issue(
            by=world.provider_admin,
            kind=NoticeKind.ANNOUNCEMENT,
            subject="平台安全加固",
            body="全平台安全加固。",
            channels=[ChannelKind.INBOX],
            audience_organisations=[world.customer_a],
        )
    client = login(world.provider_admin)
    listing = client.get(reverse("notices:list")).content.decode()
    assert "平台安全加固" in listing and "撰写通知" in listing
    assert (
        "平台安全加固"
        in client.get(reverse("notices:list") + "?kind=announcement").content.decode()
    )
    assert (
        "平台安全加固" not in client.get(reverse("notices:list") + "?kind=letter").content.decode()
    )
    form = client.get(reverse("notices:create")).content.decode()
    assert 'name="starts_at"' in form and "notice-form.js" in form and "<script>" not in form
    assert world.customer_b.name in form and world.other_provider.name not in form
    assert "撰写通知" not in login(world.auditor_a).get(reverse("notices:list")).content.decode()
