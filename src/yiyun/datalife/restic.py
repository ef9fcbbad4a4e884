"""The restic adapter: the one place that runs the binary (Debian's restic ≥ 0.14).

Every call uses `--json` where restic offers it, a per-organisation repository and
cache directory, the password from `conf.restic_password_env()` (never on the command
line, never logged), `TZ=UTC` so `--time` and the snapshot times are UTC, and a fixed
`--host` so snapshots group the same on every worker host.
"""

import json
import logging
import os
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from yiyun.datalife import conf

log = logging.getLogger("yiyun.datalife.restic")
HOST = "yiyun"
# Repositories known to exist, so a run does not start restic once more to ask.
_KNOWN: set[str] = set()


class ResticError(Exception):
    """restic exited non-zero; `stderr` is its own explanation (it never prints the key)."""

    def __init__(self, command: str, returncode: int, stderr: str):
        self.command, self.returncode, self.stderr = command, returncode, stderr.strip()
        super().__init__(f"restic {command} failed ({returncode}): {self.stderr[-2000:]}")


@dataclass(frozen=True)
class BackupSummary:
    snapshot_id: str
    files: int
    bytes: int
    data_added: int
    duration: float


class Restic:
    """One organisation's repository."""

    def __init__(self, organisation_id: int):
        self.organisation_id = organisation_id
        self.repository = conf.repository_for(organisation_id)
        self.cache_dir = conf.work_dir() / "cache" / f"org-{organisation_id}"

    @property
    def is_local(self) -> bool:
        # "s3:https://…", "sftp:…", "rest:…" name a backend; a plain path is local disk.
        return ":" not in self.repository.split("/")[0]

    def _env(self) -> dict[str, str]:
        env = {
            key: value
            for key, value in os.environ.items()
            # The repository and key are ours to set; any other restic variable passes.
            if key
            not in (
                "RESTIC_REPOSITORY",
                "RESTIC_PASSWORD",
                "RESTIC_PASSWORD_FILE",
                "RESTIC_PASSWORD_COMMAND",
            )
        }
        env.update(conf.restic_password_env())
        env.update({"RESTIC_REPOSITORY": self.repository, "TZ": "UTC", "LC_ALL": "C.UTF-8"})
        return env

    def run(self, *args: str, cwd: Path | None = None, timeout: float | None = None) -> str:
        command = [
            conf.restic_binary(),
            "--quiet",
            "--cache-dir",
            str(self.cache_dir),
            *args,
        ]
        result = subprocess.run(  # noqa: S603 — fixed binary, arguments we built
            command,
            cwd=cwd,
            env=self._env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if result.returncode != 0:
            raise ResticError(args[0], result.returncode, result.stderr)
        return result.stdout

    def run_json(self, *args: str, cwd: Path | None = None):
        output = self.run(*args, "--json", cwd=cwd)
        return json.loads(output) if output.strip() else None

    # -- repository --------------------------------------------------------------------

    def exists(self) -> bool:
        try:
            self.run("cat", "config")
        except ResticError:
            return False
        return True

    def init(self) -> None:
        """Create the repository when it does not exist yet (idempotent)."""
        if not self.exists():
            if self.is_local:
                Path(self.repository).parent.mkdir(parents=True, exist_ok=True)
            self.run("init")

    def init_once(self) -> None:
        """`init` unless this repository is known to exist (a local `config` file, or an
        earlier success in this process): saves a restic start (a key derivation) a run."""
        if self.is_local:
            if not (Path(self.repository) / "config").exists():
                self.init()
            return
        if self.repository not in _KNOWN:
            self.init()
            _KNOWN.add(self.repository)

    def check(self, *, read_data_subset: str = "") -> str:
        """`restic check`; raises ResticError when the repository is damaged."""
        args = ["check"]
        if read_data_subset:
            args.append(f"--read-data-subset={read_data_subset}")
        return self.run(*args)

    # -- snapshots ---------------------------------------------------------------------

    def backup(self, directory: Path, *, tags: list[str], at: datetime) -> BackupSummary:
        """Back up the contents of `directory` (stored at the snapshot's root) as of `at`."""
        output = self.run(
            "backup",
            "--json",
            "--host",
            HOST,
            "--time",
            at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
            *[arg for tag in tags for arg in ("--tag", tag)],
            ".",
            cwd=directory,
        )
        summary = None
        for line in output.splitlines():
            if line.startswith("{") and '"message_type":"summary"' in line:
                summary = json.loads(line)
        if summary is None:
            raise ResticError("backup", 0, "no summary in restic's output")
        return BackupSummary(
            snapshot_id=self.full_id(summary["snapshot_id"]),
            files=int(summary.get("total_files_processed", 0)),
            bytes=int(summary.get("total_bytes_processed", 0)),
            data_added=int(summary.get("data_added", 0)),
            duration=float(summary.get("total_duration", 0.0)),
        )

    def snapshots(self, *, tags: list[str] | None = None) -> list[dict]:
        args = ["snapshots"]
        for tag in tags or []:
            args += ["--tag", tag]
        return self.run_json(*args) or []

    def full_id(self, short_id: str) -> str:
        """The full id of a snapshot named by a prefix (a local repository's snapshot file
        names are the ids, which spares a restic start)."""
        if self.is_local:
            matches = list((Path(self.repository) / "snapshots").glob(f"{short_id}*"))
            if len(matches) == 1:
                return matches[0].name
        for snapshot in self.snapshots():
            if snapshot["id"].startswith(short_id):
                return snapshot["id"]
        return short_id

    def forget(
        self,
        *,
        tag: str,
        keep_last: int = 0,
        keep_daily: int = 0,
        keep_weekly: int = 0,
        keep_monthly: int = 0,
        prune: bool = True,
    ) -> tuple[list[str], list[str]]:
        """Apply keep-* rules to the snapshots tagged `tag`; returns (kept, removed) ids."""
        args = ["forget", "--tag", tag, "--group-by", "tags"]
        for flag, value in (
            ("--keep-last", keep_last),
            ("--keep-daily", keep_daily),
            ("--keep-weekly", keep_weekly),
            ("--keep-monthly", keep_monthly),
        ):
            if value:
                args += [flag, str(value)]
        if prune:
            args.append("--prune")
        output = self.run(*args, "--json")
        kept, removed = [], []
        # With --prune restic prints prune's progress after the JSON document.
        first = output.strip().splitlines()[0] if output.strip() else "[]"
        for group in json.loads(first) or []:
            kept += [snap["id"] for snap in group.get("keep") or []]
            removed += [snap["id"] for snap in group.get("remove") or []]
        return kept, removed

    def forget_ids(self, ids: list[str], *, prune: bool = True) -> None:
        if ids:
            self.run("forget", *ids, *(["--prune"] if prune else []))

    def restore(self, snapshot_id: str, target: Path, *, include: str = "") -> None:
        target.mkdir(parents=True, exist_ok=True)
        args = ["restore", snapshot_id, "--target", str(target)]
        if include:
            args += ["--include", include]
        self.run(*args)

    def find(self, path: str, *, tag: str) -> list[str]:
        """Ids of the snapshots tagged `tag` that hold `path` (relative to the data set)."""
        found = self.run_json("find", "--tag", tag, "/" + path.lstrip("/")) or []
        return [group["snapshot"] for group in found if group.get("hits")]

    def stats_raw(self) -> dict:
        return self.run_json("stats", "--mode", "raw-data") or {}
