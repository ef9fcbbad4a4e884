"""What `yiyun worker` runs for the data lifecycle (AppConfig.periodic_jobs).

Every job is idempotent and claims its rows with a conditional UPDATE, so several
workers on several hosts can run them against one PostgreSQL.
"""

from yiyun.datalife import backups, endofservice


def run_backups() -> None:
    """Due backup policies: back up, then apply retention (2.11, 6.4)."""
    backups.backups_run_due()


def run_restore_drills() -> None:
    backups.restore_drills_run_pending()


def run_repository_checks() -> None:
    backups.repository_checks_due()


def build_exports() -> None:
    endofservice.exports_build_pending()


def run_end_of_service() -> None:
    """Ended contracts enter their buffer period; buffers that are over are purged (6.5)."""
    endofservice.service_ends_start_for_ended_contracts()
    endofservice.purges_due()
