"""A chain rewritten in the database (same length, nothing lost) is not a restore:
acknowledging a cut must not make verify accept the rewrite."""

import pytest

from yiyun.core.audit import (
    audit_acknowledge_cut,
    audit_anchor,
    audit_record,
    audit_verify,
    data_digest,
    entry_hash,
)
from yiyun.core.errors import DomainError
from yiyun.core.models import AuditEntry


def test_a_rewritten_chain_of_full_length_cannot_be_acknowledged_as_a_cut(db):
    for i in range(8):
        audit_record(actor=None, action="kept", data={"i": i})
    audit_anchor()  # seq 8 anchored
    # Someone who can write only the database rewrites entry 3 and re-links 3..8.
    prev = AuditEntry.objects.get(seq=2).hash
    for entry in AuditEntry.objects.filter(seq__gte=3).order_by("seq"):
        if entry.seq == 3:
            entry.data = {"i": "forged"}
            entry.data_sha256 = data_digest(entry.data, entry.data_salt)
        entry.prev_hash = prev
        entry.hash = entry_hash(entry)
        AuditEntry.objects.filter(pk=entry.pk).update(
            data=entry.data, data_sha256=entry.data_sha256, prev_hash=prev, hash=entry.hash
        )
        prev = entry.hash
    assert not audit_verify().ok
    assert AuditEntry.objects.order_by("-seq").first().seq == 8  # nothing was cut
    with pytest.raises(DomainError, match="第 8 条记录"):
        audit_acknowledge_cut(reason="restored a backup", by="ops")
    assert not audit_verify().ok
