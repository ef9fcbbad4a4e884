"""Notices in the end-of-service export and purge (6.5): the customer gets its messages,
notices and letters back; the purge deletes its inbox, announcements, drafts and channels
and its people's details, keeps the written contract notices and the proofs of delivery,
and never touches another customer."""

import json
from datetime import datetime, timedelta
from io import StringIO
from types import SimpleNamespace

import pytest
import time_machine
from django.apps import apps
from django.core.management import call_command
from django.db import models

from yiyun.core import clock
from yiyun.core.clock import SHANGHAI
from yiyun.datalife.choices import ServiceEndReason, ServiceEndState
from yiyun.datalife.hooks import export_hooks, purge_hooks
from yiyun.datalife.models import ServiceEnd
from yiyun.notices.choices import ChannelKind, DeliveryState, LetterKind, NoticeKind, SmsGateway
from yiyun.notices.datalife import export_for, purge_for
from yiyun.notices.models import Channel, Delivery, InboxMessage, Notice, NoticeRecipient
from yiyun.notices.selectors import public_announcements
from yiyun.notices.services import inbox_send, notice_create, notice_issue
from yiyun.notices.tests.factories import a_channel, a_contract, a_letter, a_maintenance
from yiyun.obligations.services import obligation_open

NOW = datetime(2026, 6, 1, 10, 30, tzinfo=SHANGHAI)
# Free text that may name a patient: nowhere in customer A's rows after the purge.
MARKER = "患者王某某-ID-7731"
SECRET = "sms-token-a-7731"


@pytest.fixture
def notices(world, settings, tmp_path):
    """Customer A's inbox, announcements (one also to its provider), a draft, a letter it
    sent and one it received, a maintenance notice, its channels; customer B's likewise."""
    settings.MEDIA_ROOT = tmp_path
    with time_machine.travel(NOW - timedelta(days=60), tick=False):
        contract = a_contract(world, number="11N4580043372024116202")
    with time_machine.travel(NOW, tick=False):
        a_channel(world.provider, ChannelKind.EMAIL, options={"from_email": "noc@unicom.example"})
        email_a = a_channel(
            world.customer_a, ChannelKind.EMAIL, options={"from_email": "xxk@keping.example"}
        )
        sms_a = a_channel(
            world.customer_a,
            ChannelKind.SMS,
            sms_gateway=SmsGateway.HTTP,
            endpoint="https://sms.keping.example/v1/messages",
            options={"sign": "柯坪县人民医院"},
            secrets={"token": SECRET},
        )
        sms_b = a_channel(
            world.customer_b,
            ChannelKind.SMS,
            sms_gateway=SmsGateway.HTTP,
            endpoint="https://sms.wushi.example/v1/messages",
            secrets={"token": "sms-token-b"},
        )
        inbox_send(recipients=[world.admin_a.person], subject=f"复诊提醒 {MARKER}")
        inbox_send(recipients=[world.admin_b.person], subject=f"乙院提醒 {MARKER}")
        announcement = notice_issue(
            by=world.admin_a,
            kind=NoticeKind.ANNOUNCEMENT,
            subject=f"门诊停诊公告 {MARKER}",
            body=f"{MARKER} 请改日复诊。",
            channels=[ChannelKind.WEB, ChannelKind.INBOX],
            audience_organisations=[world.customer_a, world.provider],
        )
        draft = notice_create(
            by=world.admin_a,
            kind=NoticeKind.ANNOUNCEMENT,
            subject=f"草稿 {MARKER}",
            body="未发出",
            channels=[ChannelKind.INBOX],
            audience_organisations=[world.customer_a],
        )
        # An obligation names this one (as the duty its delivery would fulfil).
        duty = obligation_open(contract=contract, clause="2.3", trigger_at=NOW, by="test")
        named = notice_create(
            by=world.admin_a,
            kind=NoticeKind.ANNOUNCEMENT,
            subject=f"被引用的草稿 {MARKER}",
            body=f"{MARKER}",
            channels=[ChannelKind.INBOX],
            audience_organisations=[world.customer_a],
            fulfils=duty,
        )
        received = a_letter(
            world, contract=contract, channels=[ChannelKind.INBOX, ChannelKind.EMAIL]
        )
        sent = a_letter(
            world,
            contract=contract,
            by=world.admin_a,
            letter_kind=LetterKind.NON_RENEWAL,
            subject="关于合同期满不再续签的通知",
            body="本合同于2026年12月31日期满后不再续签。",
            channels=[ChannelKind.INBOX, ChannelKind.EMAIL],
        )
        maintenance = a_maintenance(
            world, starts_at=NOW + timedelta(days=3), ends_at=NOW + timedelta(days=3, hours=2)
        )
        other = notice_issue(
            by=world.admin_b,
            kind=NoticeKind.ANNOUNCEMENT,
            subject=f"乙院公告 {MARKER}",
            body="乙院正文",
            channels=[ChannelKind.WEB, ChannelKind.INBOX],
            audience_organisations=[world.customer_b],
        )
    return SimpleNamespace(
        contract=contract,
        email_a=email_a,
        sms_a=sms_a,
        sms_b=sms_b,
        announcement=announcement,
        draft=draft,
        named=named,
        received=received,
        sent=sent,
        maintenance=maintenance,
        other=other,
    )


def _purge_finished(organisation, contract, *, at=NOW + timedelta(days=40)):
    """The service end of `organisation` as a finished purge leaves it (datalife, 6.5)."""
    return ServiceEnd.objects.create(
        contract=contract,
        organisation=organisation,
        reason=ServiceEndReason.EXPIRY,
        state=ServiceEndState.PURGED,
        started_at=at - timedelta(days=30),
        started_by="test",
        buffer_n=30,
        buffer_ends_at=at,
        purged_at=at,
    )


def _proof(notice) -> tuple[str, dict]:
    """`notices proof` of `notice`: the text, and the --json rows by delivery id."""
    text, document = StringIO(), StringIO()
    call_command("notices", "proof", str(notice.pk), stdout=text)
    call_command("notices", "proof", str(notice.pk), "--json", stdout=document)
    return text.getvalue(), {
        row["id"]: row for row in json.loads(document.getvalue())["deliveries"]
    }


def _rows_containing(needle: str) -> set[tuple[str, int]]:
    """(model, pk) of every notices row holding `needle` (text, JSON or bytes)."""
    found = set()
    for model in apps.get_app_config("notices").get_models():
        columns = [
            field.attname
            for field in model._meta.concrete_fields
            if isinstance(
                field, models.CharField | models.TextField | models.JSONField | models.BinaryField
            )
        ]
        for pk, *row in model.objects.values_list("pk", *columns):
            text = json.dumps(
                [
                    bytes(v).decode(errors="replace") if isinstance(v, bytes | memoryview) else v
                    for v in row
                ],
                ensure_ascii=False,
                default=str,
            )
            if needle in text:
                found.add((model._meta.label, pk))
    return found


def test_the_apps_hooks_are_registered():
    assert ("notices", export_for) in export_hooks()
    assert ("notices", purge_for) in purge_hooks()


def test_clause_6_5_export_holds_the_inbox_notices_and_letters_of_the_customer(world, notices):
    members = dict(export_for(world.customer_a))
    document = json.loads(members.pop("notices.json"))
    assert {m["subject"] for m in document["inbox"]} >= {
        f"复诊提醒 {MARKER}",
        f"门诊停诊公告 {MARKER}",
        "关于限期整改的书面通知",
    }
    sent = {n["id"]: n for n in document["sent"]}
    assert set(sent) == {
        notices.announcement.pk,
        notices.draft.pk,
        notices.named.pk,
        notices.sent.pk,
    }
    # Only the deliveries to its own people, as on the notice's page.
    assert {
        d["recipient"] for d in sent[notices.announcement.pk]["deliveries"] if d["recipient"]
    } <= {p.name for p in world.customer_a.people.all()}
    received = {n["id"]: n for n in document["received"]}
    assert set(received) == {notices.received.pk, notices.maintenance.pk}
    letter = received[notices.received.pk]
    assert letter["letter"]["reference"] == notices.received.letter.reference
    assert {d["channel"] for d in letter["deliveries"]} == {"inbox", "email"}
    assert all(d["address"] for d in letter["deliveries"])
    assert members == {
        f"letters/{notices.received.letter.reference}.pdf": bytes(notices.received.letter.pdf),
        f"letters/{notices.sent.letter.reference}.pdf": bytes(notices.sent.letter.pdf),
    }
    text = json.dumps(document, ensure_ascii=False)
    assert "乙院" not in text and SECRET not in text and "p-admin@" not in text


def test_clause_6_5_purge_deletes_inbox_announcements_channels_keeps_letters_and_proofs(
    world, notices
):
    customer_a = world.customer_a
    ours = Delivery.objects.filter(organisation=customer_a)
    to_provider = {
        d.pk: (d.address, bytes(d.payload)) for d in Delivery.objects.filter(notice=notices.sent)
    }
    # The proofs of the notices that stay (the announcement goes, deliveries and all).
    proofs = {
        d.pk: d.sha256
        for d in ours.filter(state=DeliveryState.SENT).exclude(notice=notices.announcement)
    }
    pending = set(ours.filter(state=DeliveryState.PENDING).values_list("pk", flat=True))
    assert proofs and pending  # inbox delivered at once, email still in the outbox
    copies = InboxMessage.objects.filter(source=f"notice:{notices.announcement.pk}")
    assert copies.filter(organisation=world.provider).exists()
    assert notices.announcement in public_announcements()
    inbox_b = set(InboxMessage.objects.filter(organisation=world.customer_b))
    assert len(inbox_b) == 3  # a reminder and its announcement to two people

    items = purge_for(customer_a)

    what = {item["where"]: item["count"] for item in items}
    assert what["notices_inboxmessage"] >= 3
    assert what["notices_notice"] == 3  # the announcement, the draft, the named draft
    assert (
        what["notices_noticerecipient"]
        == NoticeRecipient.objects.filter(organisation=customer_a).count()
    )
    assert what["notices_delivery；notices_deliveryattempt"] == ours.count()
    assert what["notices_channel"] == 2
    [cancelled] = [item for item in items if "取消" in item["what"]]
    assert cancelled["count"] == len(pending)
    assert all(item["what"] and item["verified"] for item in items)

    # Customer A's inbox, announcement (and its copies), draft and SMS channel are gone.
    assert not InboxMessage.objects.filter(organisation=customer_a).exists()
    assert not copies.exists()
    assert not Notice.objects.filter(pk__in=[notices.announcement.pk, notices.draft.pk]).exists()
    assert notices.announcement not in public_announcements()
    assert not Channel.objects.filter(pk=notices.sms_a.pk).exists()
    # The draft an obligation names stays, without its text.
    named = Notice.objects.get(pk=notices.named.pk)
    assert (named.subject, named.body, named.fulfils_id) == ("", "", notices.named.fulfils_id)
    # The email channel a kept delivery names stays, disabled and empty.
    email_a = Channel.objects.get(pk=notices.email_a.pk)
    assert not email_a.enabled and email_a.options == {} and email_a.secrets_encrypted == ""
    # The letters stay whole; the proofs of delivery keep their hashes, lose addresses and copies.
    for letter in (notices.sent, notices.received):
        stored = Notice.objects.get(pk=letter.pk)
        assert stored.subject == letter.subject and bytes(stored.letter.pdf) == bytes(
            letter.letter.pdf
        )
    assert notices.received.obligations.get().clause == "3.6"
    assert {d.pk: d.sha256 for d in ours.filter(sha256__gt="")} == proofs
    assert not ours.exclude(address="").exists() and not ours.exclude(payload=b"").exists()
    assert (
        set(
            ours.filter(state=DeliveryState.FAILED, response_status="purged").values_list(
                "pk", flat=True
            )
        )
        == pending
    )
    assert not NoticeRecipient.objects.filter(organisation=customer_a).exclude(name="").exists()
    assert _rows_containing(MARKER) == {
        ("notices.InboxMessage", m.pk)
        for m in InboxMessage.objects.filter(organisation=world.customer_b)
    } | {("notices.Notice", notices.other.pk)} | {
        ("notices.Delivery", d.pk) for d in notices.other.deliveries.all()
    }
    # The proof calls the blanked copies deleted once the whole purge has finished.
    _purge_finished(customer_a, notices.contract)
    out = StringIO()
    call_command("notices", "proof", str(notices.received.pk), stdout=out)
    assert "PAYLOAD DELETED" in out.getvalue() and "MISMATCH" not in out.getvalue()

    # The provider's people and customer B keep everything.
    assert {
        d.pk: (d.address, bytes(d.payload)) for d in Delivery.objects.filter(notice=notices.sent)
    } == to_provider
    assert Channel.objects.get(pk=notices.sms_b.pk).secrets_encrypted
    assert set(InboxMessage.objects.filter(organisation=world.customer_b)) == inbox_b
    assert notices.other in public_announcements()
    assert Notice.objects.get(pk=notices.maintenance.pk).subject == notices.maintenance.subject

    # A second run finds nothing more to delete.
    again = purge_for(customer_a)
    assert [item["count"] for item in again] == [0] * len(again)


def test_a_delivery_being_sent_is_left_to_finish_and_the_purge_runs_again(world, notices):
    sending = Delivery.objects.filter(
        organisation=world.customer_a, state=DeliveryState.PENDING
    ).first()
    lease = clock.now() + timedelta(minutes=5)
    Delivery.objects.filter(pk=sending.pk).update(
        state=DeliveryState.SENDING, claimed_by="worker-1", lease_until=lease
    )
    with pytest.raises(RuntimeError, match="still being sent"):
        purge_for(world.customer_a)
    sending.refresh_from_db()
    assert sending.state == DeliveryState.SENDING and sending.address  # untouched
    with time_machine.travel(lease + timedelta(seconds=1), tick=False):
        purge_for(world.customer_a)  # the worker died: its lease ran out
    sending.refresh_from_db()
    assert sending.state == DeliveryState.FAILED and not sending.address


def _emptied(notice, organisation) -> Delivery:
    """A sent delivery of `notice` to `organisation`, its payload emptied in the database."""
    delivery = notice.deliveries.filter(
        organisation=organisation, state=DeliveryState.SENT, sha256__gt=""
    ).first()
    Delivery.objects.filter(pk=delivery.pk).update(payload=b"")
    return delivery


def _line(text: str, delivery: Delivery) -> str:
    [line] = [line for line in text.splitlines() if line.split()[:1] == [str(delivery.pk)]]
    return line


def test_an_emptied_payload_without_a_purge_is_a_mismatch_not_deleted(world, notices):
    tampered = _emptied(notices.received, world.customer_a)

    text, rows = _proof(notices.received)

    assert _line(text, tampered).endswith(" MISMATCH")
    assert "PAYLOAD DELETED" not in text
    assert rows[tampered.pk]["sha256"] == tampered.sha256
    assert (rows[tampered.pk]["intact"], rows[tampered.pk]["payload_deleted"]) == (False, False)
    # The untouched deliveries still verify.
    assert all(row["intact"] for pk, row in rows.items() if pk != tampered.pk and row["sha256"])


def test_only_a_finished_purge_of_the_deliverys_organisation_excuses_an_empty_payload(
    world, notices
):
    tampered = _emptied(notices.received, world.customer_a)
    # Another customer's purge, and one of customer A finished before the delivery existed.
    _purge_finished(world.customer_b, notices.contract)
    _purge_finished(world.customer_a, notices.contract, at=NOW - timedelta(days=1))
    text, rows = _proof(notices.received)
    assert _line(text, tampered).endswith(" MISMATCH")
    assert not rows[tampered.pk]["payload_deleted"]

    _purge_finished(world.customer_a, notices.contract)  # the one that wiped it (6.5)
    text, rows = _proof(notices.received)
    assert _line(text, tampered).endswith(" PAYLOAD DELETED (6.5)")
    assert (rows[tampered.pk]["intact"], rows[tampered.pk]["payload_deleted"]) == (False, True)


def test_clause_6_5_a_kept_notice_loses_its_copies_in_other_inboxes(world, notices):
    """A notice an obligation names stays without its text; the in-site copies it left in
    the provider's inboxes hold that text, and go."""
    with time_machine.travel(NOW, tick=False):
        duty = obligation_open(
            contract=notices.received.contract, clause="2.3", trigger_at=NOW, by="test"
        )
        kept = notice_issue(
            by=world.admin_a,
            kind=NoticeKind.ANNOUNCEMENT,
            subject=f"已送达且被引用 {MARKER}",
            body=MARKER,
            channels=[ChannelKind.INBOX],
            audience_organisations=[world.provider],
            fulfils=duty,
        )
    copies = InboxMessage.objects.filter(source=f"notice:{kept.pk}")
    assert copies.filter(organisation=world.provider).exists()
    copies.update(read_at=NOW)  # the provider's staff read it
    deliveries = Delivery.objects.filter(notice=kept)
    proofs = dict(deliveries.values_list("pk", "sha256"))
    assert all(MARKER.encode() in bytes(d.payload) for d in deliveries.all())
    items = purge_for(world.customer_a)
    assert Notice.objects.get(pk=kept.pk).subject == ""
    # Its copies lose the text and keep their read receipts; its deliveries lose the copy
    # they stored and keep their hashes.
    assert copies.count() == len(proofs)
    assert set(copies.values_list("subject", "body")) == {("", "")}
    assert all(copy.read_at == NOW for copy in copies)
    assert [bytes(d.payload) for d in deliveries.all()] == [b""] * len(proofs)
    assert dict(deliveries.values_list("pk", "sha256")) == proofs
    # The proof says deleted (6.5), not tampered with, once the purge is recorded done.
    _purge_finished(world.customer_a, notices.received.contract, at=clock.now())
    text, rows = _proof(kept)
    assert "MISMATCH" not in text and all(row["payload_deleted"] for row in rows.values())
    [own] = [item for item in items if item["where"] == "notices_notice"]
    assert own["count"] == 4  # the fixture's three, and this one


def test_an_emptied_letter_of_a_purged_sender_is_still_a_mismatch(world, notices):
    """The purge keeps a written contract notice whole (4.5), deliveries included: its
    sender's purge excuses no empty payload of it."""
    purge_for(world.customer_a)
    _purge_finished(world.customer_a, notices.sent.contract, at=clock.now())
    [delivery] = Delivery.objects.filter(notice=notices.sent, organisation=world.provider).exclude(
        sha256=""
    )[:1]
    assert bytes(delivery.payload)
    Delivery.objects.filter(pk=delivery.pk).update(payload=b"")
    text, rows = _proof(notices.sent)
    assert not rows[delivery.pk]["payload_deleted"] and "MISMATCH" in text
