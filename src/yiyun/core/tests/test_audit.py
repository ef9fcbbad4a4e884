import hashlib
import importlib
import json
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from yiyun.core import clock
from yiyun.core.apps_registry import periodic_jobs
from yiyun.core.audit import (
    REDACTED,
    audit_acknowledge_cut,
    audit_anchor,
    audit_entries_with_data,
    audit_record,
    audit_redact,
    audit_verify,
    data_digest,
    entry_hash,
)
from yiyun.core.errors import DomainError
from yiyun.core.models import AuditEntry
from yiyun.tenancy.services import person_update

relinking = importlib.import_module("yiyun.core.migrations.0003_audit_data_digest")


@pytest.fixture
def chain(db):
    return [
        audit_record(actor=None, action=f"test.step{i}", data={"i": i, "amount": "492000.00"})
        for i in range(1, 6)
    ]


def _verify_fails_naming(seq: int):
    with pytest.raises(CommandError, match=rf"broken at entry {seq}\b"):
        call_command("audit", "verify")


def test_intact_chain_verifies(chain, capsys):
    call_command("audit", "verify")
    assert "intact: 5 entries" in capsys.readouterr().out
    assert chain[0].prev_hash == "0" * 64
    assert all(b.prev_hash == a.hash for a, b in zip(chain, chain[1:], strict=False))


def test_changed_entry_is_named(chain):
    with connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditentry SET action = %s WHERE seq = %s", ["test.forged", 3])
    _verify_fails_naming(3)
    assert "changed" in audit_verify().reason


def test_changed_data_is_named(chain):
    AuditEntry.objects.filter(seq=2).update(data={"i": 2, "amount": "498000.00"})
    _verify_fails_naming(2)


def test_removed_entry_is_named(chain):
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditentry WHERE seq = %s", [3])
    _verify_fails_naming(4)
    assert "3..3 are missing" in audit_verify().reason


def test_reordered_entries_are_named(chain):
    # Swap two entries' positions in the sequence (through a free number).
    AuditEntry.objects.filter(seq=2).update(seq=100)
    AuditEntry.objects.filter(seq=4).update(seq=2)
    AuditEntry.objects.filter(seq=100).update(seq=4)
    _verify_fails_naming(2)


def test_entries_are_append_only(chain):
    entry = AuditEntry.objects.get(seq=1)
    entry.action = "x"
    with pytest.raises(ValueError, match="append-only"):
        entry.save()
    with pytest.raises(ValueError, match="append-only"):
        entry.delete()


def test_record_keeps_actor_object_and_tenant(world):
    entry = audit_record(
        actor=world.admin_a, action="site.renamed", obj=world.site_a, organisation=world.customer_a
    )
    assert (entry.actor, entry.actor_id) == ("a-admin", world.admin_a.pk)
    assert (entry.object_type, entry.object_id) == ("tenancy.site", str(world.site_a.pk))
    assert entry.organisation_id == world.customer_a.pk
    assert audit_verify().ok


def _tenant_chain(world):
    """Entries of customer A and B, interleaved, as contact changes would leave them."""
    for n in range(3):
        for who, org in ((world.admin_a, world.customer_a), (world.admin_b, world.customer_b)):
            audit_record(
                actor=who, action="contact.changed", organisation=org, data={"phone": f"139{n}"}
            )


def test_clause_6_5_redaction_deletes_one_customers_data_and_the_chain_holds(world, capsys):
    _tenant_chain(world)
    before = audit_entries_with_data(organisation=world.customer_a)
    assert before >= 3  # the world's own entries, and ours
    assert audit_redact(organisation=world.customer_a, actor="worker") == before
    a = AuditEntry.objects.filter(organisation_id=world.customer_a.pk, action="contact.changed")
    b = AuditEntry.objects.filter(organisation_id=world.customer_b.pk)
    assert {(e.data == {}, e.redacted_at is not None) for e in a} == {(True, True)}
    assert [e.data for e in b.filter(action="contact.changed")] == [
        {"phone": "1390"},
        {"phone": "1391"},
        {"phone": "1392"},
    ]
    assert all(e.redacted_at is None for e in b)
    # Who did what, and when, stay.
    assert {(e.actor, e.action) for e in a} == {("a-admin", "contact.changed")}
    assert audit_entries_with_data(organisation=world.customer_a) == 0
    call_command("audit", "verify")
    assert f"intact: {AuditEntry.objects.count()} entries" in capsys.readouterr().out
    # Again: nothing left to delete, and entries written since are covered too.
    assert audit_redact(organisation=world.customer_a, actor="worker") == 0
    audit_record(actor=None, action="late", organisation=world.customer_a, data={"x": 1})
    assert audit_redact(organisation=world.customer_a, actor="worker") == 1
    assert audit_verify().ok


def test_data_deleted_by_hand_is_tampering(world):
    _tenant_chain(world)
    audit_redact(organisation=world.customer_a, actor="worker")
    # Customer B was not purged: blanking its entry looks like a redaction, but none
    # is recorded for B.
    target = AuditEntry.objects.filter(
        organisation_id=world.customer_b.pk, action="contact.changed"
    ).last()
    AuditEntry.objects.filter(pk=target.pk).update(data={}, redacted_at=clock.now())
    report = audit_verify()
    assert not report.ok and report.bad_seq == target.seq
    assert "without an anchored redaction" in report.reason
    # Nor can an entry written after the redaction be blanked under its cover.
    late = audit_record(actor=None, action="late", organisation=world.customer_a, data={"x": 1})
    AuditEntry.objects.filter(pk=target.pk).update(data=target.data, redacted_at=None)
    assert audit_verify().ok
    AuditEntry.objects.filter(pk=late.pk).update(data={}, redacted_at=clock.now())
    assert audit_verify().bad_seq == late.seq


def _old_rule(entry: AuditEntry, prev_hash: str) -> str:
    """The hash as the chain computed it before data was hashed separately."""
    content = {
        "seq": entry.seq,
        "at": entry.at.isoformat(timespec="microseconds"),
        "actor_id": entry.actor_id,
        "actor": entry.actor,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "organisation_id": entry.organisation_id,
        "data": entry.data,
        "prev_hash": prev_hash,
    }
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _as_before_the_upgrade():
    prev = "0" * 64
    for entry in AuditEntry.objects.order_by("seq"):
        new_hash = _old_rule(entry, prev)
        AuditEntry.objects.filter(pk=entry.pk).update(data_sha256="", prev_hash=prev, hash=new_hash)
        prev = new_hash


def test_the_upgrade_relinks_a_chain_that_held_under_the_old_rule(chain):
    _as_before_the_upgrade()
    assert not audit_verify().ok  # the old chain does not hold under the new rule
    relinking.relink(apps, None)
    assert audit_verify().ok
    entries = list(AuditEntry.objects.all())
    assert all(len(e.data_sha256) == 64 and len(e.data_salt) == 32 for e in entries)
    assert len({e.data_salt for e in entries}) == len(entries)  # a salt each
    # And back, for a downgrade.
    relinking.relink_back(apps, None)
    assert all(e.hash == _old_rule(e, e.prev_hash) for e in AuditEntry.objects.all())


def test_the_upgrade_refuses_a_chain_that_was_tampered_with(chain):
    _as_before_the_upgrade()
    AuditEntry.objects.filter(seq=3).update(data={"i": 3, "amount": "1.00"})
    with pytest.raises(RuntimeError, match="does not verify at entry 3"):
        relinking.relink(apps, None)
    assert not AuditEntry.objects.exclude(data_sha256="").exists()  # nothing changed


def test_cutting_off_the_newest_entries_shows_once_they_are_anchored(chain, settings, capsys):
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditentry WHERE seq >= %s", [4])
    assert audit_verify().ok  # the chain alone cannot tell
    for i in (4, 5):
        audit_record(actor=None, action=f"test.step{i}", data={"i": i})
    call_command("audit", "anchor")
    assert "anchored entry 5" in capsys.readouterr().out
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditentry WHERE seq >= %s", [4])
    _verify_fails_naming(5)
    assert "the chain was cut after entry 3" in audit_verify().reason


def test_an_anchored_entry_rewritten_consistently_shows(chain):
    audit_anchor()
    # Rewriting the newest entry and its hash keeps the chain itself consistent ...
    last = AuditEntry.objects.get(seq=5)
    last.action = "test.forged"
    AuditEntry.objects.filter(pk=last.pk).update(action=last.action, hash=entry_hash(last))
    assert audit_verify(anchors=Path("/nonexistent")).ok
    # ... but not with its anchor.
    _verify_fails_naming(5)
    assert "differs from its anchored hash" in audit_verify().reason


def test_the_head_is_anchored_when_it_moved_by_the_worker(chain, settings):
    assert ("yiyun.core.audit.audit_anchor", 3600) in periodic_jobs()
    assert audit_anchor()["seq"] == 5
    assert audit_anchor() is None  # nothing new
    audit_record(actor=None, action="test.step6", data={})
    assert audit_anchor()["seq"] == 6
    lines = settings.AUDIT_ANCHOR_FILE.read_text().splitlines()
    assert [json.loads(line)["seq"] for line in lines] == [5, 6]
    assert audit_verify().ok


def test_a_redacted_entry_refilled_with_other_data_is_tampering(world):
    entry = audit_record(
        actor=world.admin_a,
        action="contact.changed",
        organisation=world.customer_a,
        data={"phone": "13900000000"},
    )
    audit_redact(organisation=world.customer_a, actor="worker")
    assert audit_verify().ok
    AuditEntry.objects.filter(pk=entry.pk).update(data={"phone": "forged"})
    report = audit_verify()
    assert report.bad_seq == entry.seq and "changed" in report.reason


def test_a_redaction_made_in_the_database_alone_covers_nothing(world):
    """Whoever can write the database but not the anchor file cannot make a redaction:
    it is not anchored, so the data it claims to cover is missing, not deleted."""
    target = audit_record(
        actor=world.admin_b,
        action="contract.penalty",
        organisation=world.customer_b,
        data={"amount": "49200.00"},
    )
    audit_anchor()
    AuditEntry.objects.filter(pk=target.pk).update(data={}, data_salt="", redacted_at=clock.now())
    audit_record(
        actor="worker",
        action=REDACTED,
        organisation=world.customer_b,
        data={"through_seq": 10**9, "entries": 1},
    )
    report = audit_verify()
    assert report.bad_seq == target.seq and "without an anchored redaction" in report.reason


def test_the_deleted_datas_digest_gives_nothing_back(world):
    person_update(person=world.admin_a.person, by=world.admin_a, phone="13912345678")
    entry = AuditEntry.objects.filter(
        organisation_id=world.customer_a.pk, action="person.updated"
    ).latest("seq")
    # While the data is there, its digest is salted: the number alone does not give it.
    unsalted = json.dumps(entry.data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    assert hashlib.sha256(unsalted.encode()).hexdigest() != entry.data_sha256
    assert data_digest(entry.data, entry.data_salt) == entry.data_sha256
    audit_redact(organisation=world.customer_a, actor="worker")
    entry.refresh_from_db()
    # After the purge the salt is gone with the data: nothing left to guess against.
    assert (entry.data, entry.data_salt) == ({}, "") and len(entry.data_sha256) == 64
    assert audit_verify().ok


def test_a_rewritten_anchored_head_is_not_anchored_again(chain, settings):
    audit_anchor()
    last = AuditEntry.objects.get(seq=5)
    last.action = "test.forged"
    AuditEntry.objects.filter(pk=last.pk).update(action=last.action, hash=entry_hash(last))
    audit_record(actor=None, action="test.step6", data={"i": 6})
    with pytest.raises(DomainError, match="entry 5 is gone or changed"):
        audit_anchor()  # the worker's hourly run fails loudly instead
    assert len(settings.AUDIT_ANCHOR_FILE.read_text().splitlines()) == 1
    assert audit_verify().bad_seq == 5
    # Anchors for the same entry that disagree are all binding.
    with open(settings.AUDIT_ANCHOR_FILE, "a") as handle:
        handle.write(json.dumps({"seq": 5, "hash": last.hash, "at": "x"}) + "\n")
    assert audit_verify().bad_seq == 5


def test_a_torn_last_anchor_line_neither_stops_anchoring_nor_verify(chain, settings):
    audit_anchor()
    with open(settings.AUDIT_ANCHOR_FILE, "a") as handle:
        handle.write('{"seq": 6, "hash": "ab')  # the host crashed mid-write
    audit_record(actor=None, action="test.step6", data={"i": 6})
    assert audit_verify().ok
    assert audit_anchor()["seq"] == 6
    lines = settings.AUDIT_ANCHOR_FILE.read_text().splitlines()
    assert [json.loads(line)["seq"] for line in (lines[0], lines[2])] == [5, 6]
    assert audit_verify().ok and audit_verify().anchors == 2
    # A line in the middle that cannot be read is reported, not skipped.
    settings.AUDIT_ANCHOR_FILE.write_text("garbage\n" + "\n".join(lines) + "\n")
    report = audit_verify()
    assert not report.ok and "line 1 of the anchor file" in report.reason


def test_a_redaction_entry_anchored_as_the_head_is_no_redaction(world):
    """Written into the database alone, a redaction entry may still be anchored, by the
    worker's hourly head anchor; that line is not a redaction line, and covers nothing."""
    target = audit_record(
        actor=world.admin_b, action="contract.penalty", organisation=world.customer_b, data={}
    )
    audit_record(
        actor="worker",
        action=REDACTED,
        organisation=world.customer_b,
        data={"through_seq": target.seq, "entries": 1},
    )
    assert audit_anchor() is not None
    AuditEntry.objects.filter(pk=target.pk).update(data={}, data_salt="", redacted_at=clock.now())
    report = audit_verify()
    assert report.bad_seq == target.seq and "without an anchored redaction" in report.reason


def test_a_crash_before_the_redaction_is_anchored_heals_on_the_purges_retry(world, monkeypatch):
    from yiyun.core import audit

    audit_record(actor=None, action="contact.changed", organisation=world.customer_a, data={})
    real = audit._append_anchor

    def crash(path, entry, **extra):
        if "redaction" in extra:
            raise OSError("the host went down")
        return real(path, entry, **extra)

    monkeypatch.setattr(audit, "_append_anchor", crash)
    with pytest.raises(OSError):
        audit_redact(organisation=world.customer_a, actor="worker")
    monkeypatch.undo()
    # Blanked and committed, not yet covered: verify says so, and anchoring goes on.
    assert "without an anchored redaction" in audit_verify().reason
    assert audit_anchor() is not None
    # The purge runs again: nothing left to blank, but a redaction covering it all.
    assert audit_redact(organisation=world.customer_a, actor="worker") == 0
    assert audit_verify().ok


def test_after_a_restore_the_cut_is_acknowledged_and_the_redactions_still_hold(
    world, settings, capsys
):
    _tenant_chain(world)
    audit_redact(organisation=world.customer_a, actor="worker")
    restored_head = AuditEntry.objects.order_by("-seq").first().seq
    for n in range(3):
        audit_record(actor=None, action="later", organisation=world.customer_b, data={"n": n})
    audit_anchor()
    # The database is restored from a backup taken before the last three entries.
    AuditEntry.objects.filter(seq__gt=restored_head).delete()
    assert "the chain was cut" in audit_verify().reason
    with pytest.raises(DomainError):
        audit_acknowledge_cut(reason=" ", by="ops")
    call_command("audit", "acknowledge-cut", "--reason", "restored the 11-26 backup")
    assert "acknowledged" in capsys.readouterr().out
    report = audit_verify()
    assert report.ok, report.reason
    # The acknowledgement is in the chain, and the redaction before it still counts.
    assert AuditEntry.objects.filter(action="audit.cut_acknowledged").exists()
    assert audit_entries_with_data(organisation=world.customer_a) == 0
    # New entries are anchored as usual, and a later cut shows again.
    audit_record(actor=None, action="after", data={})
    assert audit_anchor() is not None
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditentry WHERE action = %s", ["after"])
    assert "the chain was cut" in audit_verify().reason
