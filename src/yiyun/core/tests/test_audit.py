import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from yiyun.core.audit import audit_record, audit_verify
from yiyun.core.models import AuditEntry


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
