"""Acknowledging the cut a restored database leaves (core.audit.audit_acknowledge_cut)."""

import pytest

from yiyun.core.audit import (
    audit_acknowledge_cut,
    audit_anchor,
    audit_record,
    audit_verify,
)
from yiyun.core.errors import DomainError
from yiyun.core.models import AuditEntry


def test_a_cut_is_acknowledged_though_the_restored_database_wrote_on(db):
    """Between the restore and the acknowledgement the platform runs and writes entries
    under the lost numbers: the cut starts at the first anchor that no longer holds."""
    for i in range(5):
        audit_record(actor=None, action="kept", data={"i": i})
    restored_head = 5  # the backup is taken here
    audit_record(actor=None, action="lost", data={"i": 6})
    assert audit_anchor()["seq"] == 6  # hourly anchor
    audit_record(actor=None, action="lost", data={"i": 7})
    audit_record(actor=None, action="lost", data={"i": 8})
    assert audit_anchor()["seq"] == 8
    # The database is restored from the backup; the platform starts and writes on.
    AuditEntry.objects.filter(seq__gt=restored_head).delete()
    audit_record(actor="alice", action="user.login", data={})  # seq 6, a new hash
    audit_record(actor="alice", action="user.login", data={})  # seq 7
    assert not audit_verify().ok
    # The operator acknowledges the restore, as docs/install.md says.
    anchor = audit_acknowledge_cut(reason="restored the 11-26 backup", by="ops")
    report = audit_verify()
    assert report.ok, (anchor["cut_after"], report.reason)
    assert anchor["cut_after"] == restored_head
    # With every anchor holding, there is nothing to acknowledge.
    with pytest.raises(DomainError):
        audit_acknowledge_cut(reason="again", by="ops")
