"""The hash-chained audit log: one call to write (`audit_record`), one to check
(`audit_verify`), one to blank a customer's entries at the end of service (`audit_redact`).

An entry's hash covers the SHA-256 of its data rather than the data itself, so the data
can be deleted (6.5) while the chain still proves every entry's place, time, actor and
action, and, for entries not deleted, their data.
"""

import hashlib
import json
import os
import secrets
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils.translation import gettext as _

from yiyun.core import clock
from yiyun.core.errors import DomainError
from yiyun.core.models import AuditEntry

GENESIS = "0" * 64
# Any constant serves; it names the lock that serialises appends on PostgreSQL.
_PG_LOCK_KEY = 0x59495955
REDACTED = "audit.redacted"


def data_digest(data, salt: str) -> str:
    """SHA-256 of an entry's salt and data in canonical JSON (what the entry's hash
    covers). The salt is random per entry and deleted with the data (6.5): without it
    the digest of a phone number or a state could be found again by guessing."""
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(bytes.fromhex(salt) + canonical.encode()).hexdigest()


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


@contextmanager
def _chain_lock():
    """A transaction holding the right to append to the chain (and to the anchor file)."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_PG_LOCK_KEY])
        # On SQLite the IMMEDIATE transaction already holds the write lock.
        yield


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
    with _chain_lock():
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
            data_salt=(salt := secrets.token_hex(16)),
            data_sha256=data_digest(payload, salt),
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
    anchors: int = 0  # anchored entries checked


def audit_redact(*, organisation, actor) -> int:
    """Delete the data of `organisation`'s entries at the end of service (6.5); returns
    how many entries lost it.

    Place, time, actor, action and object stay, and so does each entry's hash: the chain
    still verifies. The data goes with its salt, so its digest gives nothing back. The
    redaction is itself an entry (`audit.redacted`, naming the last entry it covers),
    written to the anchor file at once as a redaction: `audit_verify` accepts a blanked
    entry only under such a line, which whoever can write only the database cannot make
    (the hourly head anchors never count as one). Idempotent: a second call blanks only
    entries written since. Call it outside any transaction (the purge's worker does):
    the line is written once the redaction is committed, and an outer transaction that
    rolled back would leave the file naming an entry that does not exist.
    """
    organisation_id = getattr(organisation, "pk", organisation)
    with _chain_lock():  # `through` is then the entry just before the redaction's
        last = AuditEntry.objects.order_by("-seq").only("seq").first()
        through = last.seq if last else 0
        count = (
            AuditEntry.objects.filter(
                organisation_id=organisation_id, redacted_at__isnull=True, seq__lte=through
            )
            .exclude(action=REDACTED)  # they carry no customer data, and verify reads them
            .update(data={}, data_salt="", redacted_at=clock.now())
        )
        entry = audit_record(
            actor=actor,
            action=REDACTED,
            organisation=organisation_id,
            data={"through_seq": through, "entries": count},
        )
    # After the commit, so the file never names an entry that is not there. A crash in
    # between leaves the blanked entries uncovered (verify says so) until the purge's
    # retry redacts again, covering them, and anchors that.
    with _chain_lock():
        _append_anchor(
            settings.AUDIT_ANCHOR_FILE,
            entry,
            redaction={"organisation": organisation_id, "through": through},
        )
    return count


def audit_entries_with_data(*, organisation) -> int:
    """How many of `organisation`'s entries that its last redaction covers still hold
    data (all of its entries, when it was never redacted; redaction entries aside).
    Entries written after the redaction, by the purge itself, are not its business."""
    organisation_id = getattr(organisation, "pk", organisation)
    entries = AuditEntry.objects.filter(
        organisation_id=organisation_id, redacted_at__isnull=True
    ).exclude(action=REDACTED)
    last = (
        AuditEntry.objects.filter(organisation_id=organisation_id, action=REDACTED)
        .order_by("-seq")
        .only("data")
        .first()
    )
    if last is not None:
        entries = entries.filter(seq__lte=int(last.data["through_seq"]))
    return entries.count()


@dataclass(frozen=True)
class _AnchorFile:
    anchors: dict[int, set[str]]  # seq -> every hash anchored for it
    when: dict[int, str]  # seq -> when first anchored
    redactions: dict[int, tuple[int, int]]  # seq -> (organisation, through)
    last: dict | None
    unreadable: list[int]  # line numbers


def _read_anchors(path: Path) -> _AnchorFile:
    """The anchor file, line by line.

    A line cut short by a crash (the last, with no newline) does not count, nor one that
    the next anchor closed (`after_torn_line`). A cut acknowledged after a restore
    (`cut_after`) voids what was anchored before it for the entries it lost.
    """
    anchors: dict[int, set[str]] = defaultdict(set)
    when: dict[int, str] = {}
    redactions: dict[int, tuple[int, int]] = {}
    last, unreadable = None, []
    if path.exists():
        lines = path.read_text(encoding="utf-8", errors="replace").split("\n")
        for number, line in enumerate(lines[:-1], start=1):
            if not line.strip():
                continue
            try:
                anchor = json.loads(line)
                seq, digest = int(anchor["seq"]), str(anchor["hash"])
                redaction = anchor.get("redaction")
                if redaction is not None:
                    redaction = (int(redaction["organisation"]), int(redaction["through"]))
                cut_after = anchor.get("cut_after")
                cut_after = None if cut_after is None else int(cut_after)
            except (ValueError, KeyError, TypeError):
                unreadable.append(number)
                continue
            if anchor.get("after_torn_line") and unreadable and unreadable[-1] == number - 1:
                unreadable.pop()
            if cut_after is not None:
                for lost in [s for s in anchors if s > cut_after]:
                    del anchors[lost]
                    when.pop(lost, None)
                    redactions.pop(lost, None)
            anchors[seq].add(digest)
            when.setdefault(seq, str(anchor.get("at", "")))
            if redaction is not None:
                redactions[seq] = redaction
            last = anchor
    return _AnchorFile(dict(anchors), when, redactions, last, unreadable)


def _append_anchor(path: Path, entry: AuditEntry, **extra) -> dict:
    anchor = {"seq": entry.seq, "hash": entry.hash, "at": clock.now().isoformat(), **extra}
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as handle:
        handle.seek(0, os.SEEK_END)
        start = b""
        if handle.tell():
            handle.seek(-1, os.SEEK_END)
            if handle.read(1) != b"\n":  # a crash cut the last write short: close it
                start = b"\n"
                anchor["after_torn_line"] = True
        handle.write(start + json.dumps(anchor).encode() + b"\n")
        handle.flush()
        os.fsync(handle.fileno())
    return anchor


def audit_anchor(*, path: Path | None = None) -> dict | None:
    """Append the chain's head to the anchor file if it moved since the last anchor;
    returns what was appended (the worker calls this hourly).

    The chain proves that no entry was changed or removed in the middle, but cutting off
    its newest entries, or rewriting them with fresh hashes, leaves a chain that holds.
    Every anchored entry must still be in the chain with its anchored hash
    (`audit_verify`), so either shows once anchored. Refuses (DomainError) to anchor
    over an anchored entry that no longer holds: that is for a person to look at.
    """
    path = path or settings.AUDIT_ANCHOR_FILE
    with _chain_lock():
        head = AuditEntry.objects.order_by("-seq").only("seq", "hash").first()
        if head is None:
            return None
        last = _read_anchors(path).last
        if last is not None:
            anchored = AuditEntry.objects.filter(seq=last["seq"]).values_list("hash", flat=True)
            if list(anchored) != [last["hash"]]:
                raise DomainError(
                    f"anchored audit entry {last['seq']} is gone or changed: run yiyun "
                    "audit verify",
                    code="audit_anchor_broken",
                )
            if last["seq"] == head.seq:
                return None
        return _append_anchor(path, head)


def audit_acknowledge_cut(*, reason: str, by, path: Path | None = None) -> dict:
    """After restoring an older database backup: record, in the chain and in the anchor
    file, that the entries anchored from the first one that no longer holds on are gone,
    and why.

    The cut starts at the lowest anchored entry that is missing or different (the
    restored database may have written new entries under the lost numbers since). The
    anchors before it stay binding, and so do the end-of-service redactions among them;
    a customer purged after the backup was taken must be purged again. Refused when
    every anchor holds: there is nothing to acknowledge.
    """
    if not reason.strip():
        raise DomainError(_("请说明原因（例如：从哪一天的备份恢复）"), field="reason")
    path = path or settings.AUDIT_ANCHOR_FILE
    with _chain_lock():
        anchor_file = _read_anchors(path)
        present = {
            seq: (digest, at)
            for seq, digest, at in AuditEntry.objects.filter(
                seq__in=list(anchor_file.anchors)
            ).values_list("seq", "hash", "at")
        }
    broken = sorted(
        seq
        for seq, digests in anchor_file.anchors.items()
        if digests != {present.get(seq, (None, None))[0]}
    )
    if not broken:
        raise DomainError(_("所有锚点均有效，没有需要确认的截断"), code="nothing_cut")
    for seq in broken:
        # An entry written before its number was anchored, and different now, was
        # changed in place: a restore loses entries, and new ones come after it.
        if seq in present and present[seq][1] < datetime.fromisoformat(anchor_file.when[seq]):
            raise DomainError(
                _(
                    "第 %(seq)d 条记录在锚定之前已写入，现在却与锚点不符：它被改动过，不是因恢复而丢失"
                )
                % {"seq": seq},
                code="rewritten_not_cut",
            )
    cut_after = broken[0] - 1
    entry = audit_record(
        actor=by,
        action="audit.cut_acknowledged",
        data={"cut_after": cut_after, "reason": reason},
    )
    with _chain_lock():  # after the commit, as every anchor
        return _append_anchor(path, entry, cut_after=cut_after, reason=reason)


def audit_verify(*, anchors: Path | None = None) -> ChainReport:
    """Walk the chain in sequence order; report the first entry that does not hold, an
    anchored entry (see `audit_anchor`) that is gone or changed, or blanked data that no
    anchored redaction covers."""
    path = anchors or settings.AUDIT_ANCHOR_FILE
    anchor_file = _read_anchors(path)
    if anchor_file.unreadable:
        line = anchor_file.unreadable[0]
        return ChainReport(False, 0, None, f"line {line} of the anchor file {path} is unreadable")
    pending = dict(anchor_file.anchors)
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
        redacted = entry.redacted_at is not None
        data_holds = (
            entry.data == {}
            if redacted
            else data_digest(entry.data, entry.data_salt) == entry.data_sha256
        )
        if entry_hash(entry) != entry.hash or not data_holds:
            return ChainReport(
                False, checked, entry.seq, f"entry {entry.seq} was changed after it was written"
            )
        if pending.pop(entry.seq, {entry.hash}) != {entry.hash}:
            return ChainReport(
                False, checked, entry.seq, f"entry {entry.seq} differs from its anchored hash"
            )
        if redacted:
            blanked.append((entry.seq, entry.organisation_id))
        elif entry.action == REDACTED and anchor_file.redactions.get(entry.seq) == (
            entry.organisation_id,
            entry.data.get("through_seq"),
        ):
            # Only a redaction the anchor file records as one counts, for entries before it.
            through = min(int(entry.data["through_seq"]), entry.seq - 1)
            covered[entry.organisation_id] = max(covered[entry.organisation_id], through)
        prev_hash, expected_seq, checked = entry.hash, expected_seq + 1, checked + 1
    if pending:
        seq = min(pending)
        return ChainReport(
            False,
            checked,
            seq,
            f"entry {seq}, anchored at {anchor_file.when[seq]}, is gone: the chain was cut "
            f"after entry {expected_seq - 1}",
        )
    for seq, organisation_id in blanked:
        if covered[organisation_id] < seq:
            return ChainReport(
                False,
                checked,
                seq,
                f"entry {seq} has lost its data without an anchored redaction (6.5)",
            )
    return ChainReport(True, checked, anchors=len(anchor_file.anchors))
