"""The hash-chained audit log: one call to write (`audit_record`), one to check
(`audit_verify`), one to blank a customer's entries at the end of service (`audit_redact`).

An entry's hash covers the SHA-256 of its data rather than the data itself, so the data
can be deleted (6.5) while the chain still proves every entry's place, time, actor and
action, and, for entries not deleted, their data.
"""

import hashlib
import json
import os
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction

from yiyun.core import clock
from yiyun.core.models import AuditEntry

GENESIS = "0" * 64
# Any constant serves; it names the lock that serialises appends on PostgreSQL.
_PG_LOCK_KEY = 0x59495955
REDACTED = "audit.redacted"


def data_digest(data) -> str:
    """SHA-256 of an entry's data in canonical JSON (what the entry's hash covers)."""
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _canonical(entry: AuditEntry) -> bytes:
    content = {
        "seq": entry.seq,
        "at": entry.at.isoformat(timespec="microseconds"),
        "actor_id": entry.actor_id,
        "actor": entry.actor,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "organisation_id": entry.organisation_id,
        "data_sha256": entry.data_sha256,
        "prev_hash": entry.prev_hash,
    }
    return json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def entry_hash(entry: AuditEntry) -> str:
    return hashlib.sha256(_canonical(entry)).hexdigest()


def _actor_fields(actor) -> tuple[int | None, str]:
    if actor is None:
        return None, "system"
    if isinstance(actor, str):
        return None, actor
    return actor.pk, actor.get_username()


def audit_record(*, actor, action: str, obj=None, organisation=None, data=None) -> AuditEntry:
    """Append one entry to the audit log and return it.

    `actor` is a user, a label such as "system" / "tick", or None; `obj` any model
    instance; `organisation` the tenant the entry belongs to (so that tenant's users and
    auditors can read it); `data` anything JSON-serialisable (Decimals and datetimes
    become strings).
    """
    actor_id, actor_label = _actor_fields(actor)
    # Stored exactly as hashed: normalise through JSON once.
    payload = json.loads(json.dumps(data or {}, cls=DjangoJSONEncoder))
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_PG_LOCK_KEY])
        # On SQLite the IMMEDIATE transaction already holds the write lock.
        last = AuditEntry.objects.order_by("-seq").only("seq", "hash").first()
        entry = AuditEntry(
            seq=(last.seq + 1) if last else 1,
            at=clock.now(),
            actor_id=actor_id,
            actor=actor_label[:150],
            action=action,
            object_type=obj._meta.label_lower if obj is not None else "",
            object_id=str(obj.pk) if obj is not None else "",
            organisation_id=getattr(organisation, "pk", organisation),
            data=payload,
            data_sha256=data_digest(payload),
            prev_hash=last.hash if last else GENESIS,
        )
        entry.hash = entry_hash(entry)
        entry.save()
    return entry


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    bad_seq: int | None = None
    reason: str = ""


def audit_redact(*, organisation, actor) -> int:
    """Delete the data of `organisation`'s entries at the end of service (6.5); returns
    how many entries lost it.

    Place, time, actor, action and object stay, and so does each entry's hash: the chain
    still verifies. The redaction is itself an entry (`audit.redacted`, naming the last
    entry it covers), which `audit_verify` requires for every blanked entry, so blanking
    an entry by hand shows as tampering. Idempotent: a second call blanks only entries
    written since.
    """
    organisation_id = getattr(organisation, "pk", organisation)
    with transaction.atomic():
        last = AuditEntry.objects.order_by("-seq").only("seq").first()
        through = last.seq if last else 0
        count = (
            AuditEntry.objects.filter(
                organisation_id=organisation_id, redacted_at__isnull=True, seq__lte=through
            )
            .exclude(action=REDACTED)  # they carry no customer data, and verify reads them
            .update(data={}, redacted_at=clock.now())
        )
        audit_record(
            actor=actor,
            action=REDACTED,
            organisation=organisation_id,
            data={"through_seq": through, "entries": count},
        )
    return count


def audit_entries_with_data(*, organisation) -> int:
    """How many of `organisation`'s entries still hold data (redaction entries aside)."""
    organisation_id = getattr(organisation, "pk", organisation)
    return (
        AuditEntry.objects.filter(organisation_id=organisation_id, redacted_at__isnull=True)
        .exclude(action=REDACTED)
        .count()
    )


def _anchors(path: Path) -> dict[int, tuple[str, str]]:
    """{seq: (hash, when anchored)} of the anchor file (empty when there is none)."""
    anchors = {}
    if path.exists():
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    anchor = json.loads(line)
                    anchors[int(anchor["seq"])] = (anchor["hash"], anchor["at"])
    return anchors


def audit_anchor(*, path: Path | None = None) -> dict | None:
    """Append the chain's head to the anchor file if it moved since the last anchor;
    returns what was appended (the worker calls this hourly).

    The chain proves that no entry was changed or removed in the middle, but cutting off
    its newest entries leaves a shorter chain that holds. Each anchored head must still
    be in the chain with the same hash (`audit_verify`), so a cut shows too, once
    anchored. The file is only ever appended to and fsync'd.
    """
    path = path or settings.AUDIT_ANCHOR_FILE
    head = AuditEntry.objects.order_by("-seq").only("seq", "hash").first()
    if head is None:
        return None
    last = _last_line(path)
    if last is not None and (last["seq"], last["hash"]) == (head.seq, head.hash):
        return None
    anchor = {"seq": head.seq, "hash": head.hash, "at": clock.now().isoformat()}
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(anchor) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    return anchor


def _last_line(path: Path) -> dict | None:
    if not path.exists() or path.stat().st_size == 0:
        return None
    with open(path, "rb") as handle:
        handle.seek(max(0, path.stat().st_size - 4096))
        lines = [line for line in handle.read().splitlines() if line.strip()]
    return json.loads(lines[-1]) if lines else None


def audit_verify(*, anchors: Path | None = None) -> ChainReport:
    """Walk the chain in sequence order; report the first entry that does not hold, or
    an anchored entry (see `audit_anchor`) that is gone or changed."""
    anchored = _anchors(anchors or settings.AUDIT_ANCHOR_FILE)
    expected_seq, prev_hash, checked = 1, GENESIS, 0
    blanked: list[tuple[int, int | None]] = []
    covered: dict[int | None, int] = defaultdict(int)
    for entry in AuditEntry.objects.order_by("seq").iterator(chunk_size=2000):
        if entry.seq != expected_seq:
            return ChainReport(
                False,
                checked,
                entry.seq,
                f"entry {entry.seq} follows entry {expected_seq - 1}: "
                f"entries {expected_seq}..{entry.seq - 1} are missing",
            )
        if entry.prev_hash != prev_hash:
            return ChainReport(
                False,
                checked,
                entry.seq,
                f"entry {entry.seq} does not link to entry {entry.seq - 1}",
            )
        if entry_hash(entry) != entry.hash or (
            entry.redacted_at is None and data_digest(entry.data) != entry.data_sha256
        ):
            return ChainReport(
                False, checked, entry.seq, f"entry {entry.seq} was changed after it was written"
            )
        if entry.seq in anchored and anchored.pop(entry.seq)[0] != entry.hash:
            return ChainReport(
                False, checked, entry.seq, f"entry {entry.seq} differs from its anchored hash"
            )
        if entry.redacted_at is not None:
            blanked.append((entry.seq, entry.organisation_id))
        elif entry.action == REDACTED:
            through = int(entry.data.get("through_seq", 0))
            covered[entry.organisation_id] = max(covered[entry.organisation_id], through)
        prev_hash, expected_seq, checked = entry.hash, expected_seq + 1, checked + 1
    if anchored:
        seq = min(anchored)
        return ChainReport(
            False,
            checked,
            seq,
            f"entry {seq}, anchored at {anchored[seq][1]}, is gone: the chain was cut "
            f"after entry {expected_seq - 1}",
        )
    for seq, organisation_id in blanked:
        if covered[organisation_id] < seq:
            return ChainReport(
                False,
                checked,
                seq,
                f"entry {seq} has lost its data without a recorded redaction (6.5)",
            )
    return ChainReport(True, checked)
