"""`yiyun`: the one command line. Every sub-command is a Django management command."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yiyun.settings")
    from django.core.management import execute_from_command_line

    argv = sys.argv[:]
    argv[0] = "yiyun"
    if len(argv) == 1:
        argv.append("help")
    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
