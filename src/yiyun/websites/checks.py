"""System checks for the access-log archive, shown by `yiyun check`."""

import shutil

from django.core.checks import Warning, register
from django.utils.translation import gettext as _

from yiyun.websites.conf import archive_dir

# 2.4: six months of logs must fit; warn well before the disk fills.
MIN_FREE_SHARE = 0.10
MIN_FREE_BYTES = 5 << 30


@register("yiyun")
def archive_disk_space(app_configs=None, **kwargs):
    """Warn when the access-log archive's file system is nearly full."""
    path = archive_dir()
    while not path.exists() and path != path.parent:
        path = path.parent
    usage = shutil.disk_usage(path)
    if usage.free >= MIN_FREE_BYTES and usage.free >= usage.total * MIN_FREE_SHARE:
        return []
    return [
        Warning(
            _("访问日志归档所在磁盘剩余空间不足：%(free).1f GiB（共 %(total).1f GiB）。")
            % {"free": usage.free / 2**30, "total": usage.total / 2**30},
            hint=_("日志须保存不少于六个月（2.4）：请扩容或迁移 ACCESSLOG_DIR。"),
            id="websites.W001",
        )
    ]
