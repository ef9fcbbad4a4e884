"""System checks of the data lifecycle, shown by `yiyun check`."""

import shutil
import subprocess
from pathlib import Path

from django.core.checks import Error, Warning, register
from django.utils.translation import gettext as _

from yiyun.datalife import conf

# Below this much free space where the local repositories live, backups will soon fail.
MIN_FREE_BYTES = 5 * 1024**3


@register("yiyun")
def restic_installed(app_configs=None, **kwargs):
    """restic must be there for backups (2.11), retention (6.4) and the purge (6.5)."""
    binary = shutil.which(conf.restic_binary())
    if binary is None:
        return [
            Error(
                _("找不到 restic：备份、保留规则和数据删除都无法执行。"),
                hint=_("安装 Debian 软件包 restic（make install 会安装）。"),
                id="yiyun.datalife.E001",
            )
        ]
    result = subprocess.run([binary, "version"], capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        return [
            Error(
                _("restic 无法运行：%(err)s") % {"err": result.stderr.strip()},
                id="yiyun.datalife.E002",
            )
        ]
    return []


@register("yiyun")
def backup_disk_space(app_configs=None, **kwargs):
    """Warn when the disk holding the local backup repositories is nearly full."""
    base = conf.repository_base()
    if ":" in base.split("/")[0]:
        return []  # object storage: its own quota
    path = Path(base)
    while not path.exists() and path != path.parent:
        path = path.parent
    usage = shutil.disk_usage(path)
    if usage.free >= MIN_FREE_BYTES:
        return []
    return [
        Warning(
            _("备份仓库所在磁盘剩余空间只有 %(free).1f GiB（%(path)s）。")
            % {"free": usage.free / 1024**3, "path": base},
            hint=_("清理空间、缩短保留规则，或把备份仓库设到对象存储（YIYUN_BACKUP_REPOSITORY）。"),
            id="yiyun.datalife.W001",
        )
    ]
