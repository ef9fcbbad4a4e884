"""Per-website ingest tokens, and the token file the ingest processes authenticate from.

A token looks like `w12_Ab3…` (letters, digits, underscore, at most 32 characters), so it
fits nginx's `syslog:…,tag=` (which allows nothing else) as well as an HTTP
`Authorization: Bearer` header. Only its SHA-256 is kept.

The listener and the HTTP ingest read the digests from `<archive>/ingest-tokens.json`,
which the services rewrite on every change: ingest keeps accepting (and spooling) lines
while the database is unreachable, and a listener on a log host needs no database
credentials at all.
"""

import hashlib
import json
import os
import secrets
import string
import threading
from pathlib import Path

from yiyun.websites.conf import archive_dir

TOKEN_FILE = "ingest-tokens.json"  # noqa: S105 — a file name, not a secret
_ALPHABET = string.ascii_letters + string.digits
_cache_lock = threading.Lock()
_cache: dict[str, tuple[tuple[int, int], dict[str, int]]] = {}


def token_new(website_id: int) -> str:
    """A fresh token for `website_id`: `w<id>_` and 20 random letters/digits (~119 bits)."""
    secret = "".join(secrets.choice(_ALPHABET) for _ in range(20))
    return f"w{website_id}_{secret}"


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def fsync_dir(path: Path) -> None:
    """Make a rename or a new file in `path` durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def token_file_write(digests: dict[str, int], *, root: Path | None = None) -> None:
    """Atomically replace the token file with {digest: website id}."""
    root = root or archive_dir()
    root.mkdir(parents=True, exist_ok=True)
    target = root / TOKEN_FILE
    temporary = root / f".{TOKEN_FILE}.{os.getpid()}.tmp"
    with open(temporary, "w") as handle:
        json.dump({"websites": digests}, handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.chmod(temporary, 0o600)
    os.replace(temporary, target)
    fsync_dir(root)


def token_authenticate(token: str, *, root: Path | None = None) -> int | None:
    """The website id a token belongs to, or None. Reads the token file (cached by mtime)."""
    if not token or len(token) > 64:
        return None
    path = (root or archive_dir()) / TOKEN_FILE
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    key = str(path)
    with _cache_lock:
        cached = _cache.get(key)
        # Replaced atomically, so a new version is a new inode even within one mtime tick.
        version = (stat.st_ino, stat.st_mtime_ns)
        if cached is None or cached[0] != version:
            try:
                digests = json.loads(path.read_text())["websites"]
            except (OSError, ValueError, KeyError):
                return None
            cached = (version, {digest: int(site) for digest, site in digests.items()})
            _cache[key] = cached
    return cached[1].get(token_digest(token))
