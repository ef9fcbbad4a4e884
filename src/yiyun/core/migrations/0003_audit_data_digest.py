"""Audit entries hash the SHA-256 of a random salt and their data instead of the data, so
that data and salt can be deleted at the end of service (6.5) without breaking the chain.

The existing chain is checked under the old rule first and re-linked under the new one
only if it holds: a chain that no longer verifies is a security incident to resolve
(`yiyun audit verify` on the previous version names the entry) before upgrading, not
something to bless with fresh hashes. The hashing is spelled out here, not imported, so
that this migration keeps meaning what it meant when it was written.
"""

import hashlib
import json
import secrets

from django.db import migrations, models

GENESIS = "0" * 64
FIELDS = ["data_salt", "data_sha256", "prev_hash", "hash"]


def _json(value) -> bytes:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def _content(entry, **last) -> dict:
    return {
        "seq": entry.seq,
        "at": entry.at.isoformat(timespec="microseconds"),
        "actor_id": entry.actor_id,
        "actor": entry.actor,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "organisation_id": entry.organisation_id,
        **last,
    }


def _relink(apps, *, forward: bool) -> None:
    AuditEntry = apps.get_model("core", "AuditEntry")
    if not forward and AuditEntry.objects.filter(redacted_at__isnull=False).exists():
        raise RuntimeError("entries whose data was deleted (6.5) cannot go back to the old rule")
    old_prev, new_prev, expected, batch = GENESIS, GENESIS, 1, []
    for entry in AuditEntry.objects.order_by("seq").iterator(chunk_size=2000):
        if forward:
            held = _content(entry, data=entry.data, prev_hash=entry.prev_hash)
            salt = secrets.token_hex(16)
        else:
            held = _content(entry, data_sha256=entry.data_sha256, prev_hash=entry.prev_hash)
            salt = entry.data_salt
        digest = hashlib.sha256(bytes.fromhex(salt) + _json(entry.data)).hexdigest()
        if (
            entry.seq != expected
            or entry.prev_hash != old_prev
            or hashlib.sha256(_json(held)).hexdigest() != entry.hash
            or (not forward and digest != entry.data_sha256)
        ):
            raise RuntimeError(
                f"the audit chain does not verify at entry {entry.seq}; resolve that before "
                "migrating (`yiyun audit verify` names it)"
            )
        old_prev, expected = entry.hash, entry.seq + 1
        entry.data_salt, entry.data_sha256 = (salt, digest) if forward else ("", "")
        entry.prev_hash = new_prev
        new = (
            _content(entry, data_sha256=digest, prev_hash=new_prev)
            if forward
            else _content(entry, data=entry.data, prev_hash=new_prev)
        )
        entry.hash = new_prev = hashlib.sha256(_json(new)).hexdigest()
        batch.append(entry)
        if len(batch) >= 2000:
            AuditEntry.objects.bulk_update(batch, FIELDS)
            batch = []
    AuditEntry.objects.bulk_update(batch, FIELDS)


def relink(apps, schema_editor):
    _relink(apps, forward=True)


def relink_back(apps, schema_editor):
    _relink(apps, forward=False)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0002_calendaryear_calendarday"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditentry",
            name="data_salt",
            field=models.CharField(blank=True, max_length=32, verbose_name="数据盐值"),
        ),
        migrations.AddField(
            model_name="auditentry",
            name="data_sha256",
            field=models.CharField(blank=True, max_length=64, verbose_name="数据哈希"),
        ),
        migrations.AddField(
            model_name="auditentry",
            name="redacted_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="数据删除时间"),
        ),
        migrations.RunPython(relink, relink_back),
    ]
