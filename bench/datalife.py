"""What the data lifecycle costs, against reading and hashing the same data.

Builds a throw-away SQLite database and directories in a temporary place, fills a
customer data set with FILES files of MIB MiB in all (random, so incompressible), and
times, each as a ratio to the reference measured in the same run:

  reference        read and SHA-256 every file once (what any backup must at least do)
  first backup     manifest + restic backup into a new repository + retention
  second backup    one file changed: manifest + incremental restic backup + retention
  restore drill    restic restore to scratch space + SHA-256 of every restored file
  export           zip archive of the data set with a manifest of SHA-256s
  purge            data, exports, caches deleted; restic forget + prune + check;
                   a restore of the old snapshot refused; deletion record issued

    python bench/datalife.py [--mib 128] [--files 400]
"""

import sys
from pathlib import Path

# bench/ first on sys.path would let bench/calendar.py shadow the standard library.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import argparse  # noqa: E402
import os  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from datetime import datetime, timedelta  # noqa: E402
from zoneinfo import ZoneInfo  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SHANGHAI = ZoneInfo("Asia/Shanghai")


def _setup(tmp: Path):
    os.environ["YIYUN_VAR_DIR"] = str(tmp)
    os.environ["DATABASE_URL"] = f"sqlite:///{tmp / 'bench.sqlite3'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yiyun.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def _timed(label: str, results: list, fn):
    start = time.perf_counter()
    value = fn()
    results.append((label, time.perf_counter() - start))
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=128)
    parser.add_argument("--files", type=int, default=400)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="yy-bench-datalife-") as name:
        tmp = Path(name)
        _setup(tmp)
        import time_machine

        from yiyun.contracts.services import SEED_CONTRACT, contract_load_file
        from yiyun.datalife.backups import (
            backup_policy_create,
            backup_policy_run,
            data_set_create,
            data_set_directory,
            restore_drill_perform,
            restore_drill_request,
            tree_manifest,
        )
        from yiyun.datalife.endofservice import (
            export_build,
            export_request,
            service_end_purge,
            service_end_start,
        )

        start = datetime(2026, 3, 2, 10, tzinfo=SHANGHAI)
        with time_machine.travel(start, tick=False):
            contract, _created = contract_load_file(path=SEED_CONTRACT, by="bench")
            customer = contract.customer
            data_set = data_set_create(organisation=customer, name="HIS", path="his", by="bench")
            directory = data_set_directory(data_set)
            size = args.mib * 1024 * 1024 // args.files
            for index in range(args.files):
                sub = directory / f"d{index % 20:02d}"
                sub.mkdir(exist_ok=True)
                (sub / f"f{index:05d}.bin").write_bytes(os.urandom(size))
            policy = backup_policy_create(
                organisation=customer, name="每日", data_sets=[data_set], by="bench"
            )
        results: list[tuple[str, float]] = []
        _timed("reference: read + SHA-256", results, lambda: tree_manifest(directory))
        with time_machine.travel(start + timedelta(hours=1), tick=False):
            (first,) = _timed("first backup", results, lambda: backup_policy_run(policy=policy))
        (directory / "d00" / "f00000.bin").write_bytes(os.urandom(size))
        with time_machine.travel(start + timedelta(days=1), tick=False):
            (second,) = _timed(
                "second backup (1 file changed)", results, lambda: backup_policy_run(policy=policy)
            )
            drill = restore_drill_request(run=second, by="bench")
            drill = _timed("restore drill", results, lambda: restore_drill_perform(drill=drill))
            service_end = service_end_start(
                contract=contract, reason="arrears", by="bench", buffer_days=30
            )
            export = export_request(organisation=customer, by="bench")
            export = _timed("export archive", results, lambda: export_build(export=export))
        with time_machine.travel(start + timedelta(days=40), tick=False):
            record = _timed(
                "purge + deletion record",
                results,
                lambda: service_end_purge(service_end=service_end),
            )
        assert first.result == second.result == "ok", (first.error, second.error)
        assert drill.state == "ok", (drill.error, drill.mismatches)
        assert export.state == "ready" and record is not None, (
            export.error,
            service_end.purge_error,
        )
        reference = results[0][1]
        print(f"data set: {args.files} files, {args.mib} MiB (random)")
        print(
            f"first backup added {first.data_added / 1024**2:.1f} MiB; second added {second.data_added / 1024**2:.1f} MiB"
        )
        for label, seconds in results:
            print(f"{label:34s} {seconds:8.2f} s   {seconds / reference:6.2f} × reference")


if __name__ == "__main__":
    main()
