"""The C parser of file imports (`combined.c`) against the SQL parser of the spool path.

The same lines go in both ways: a plain file is read by the C parser, the same file
gzipped goes through the spool and DuckDB. Every archived column must agree, line by line,
for well-formed lines, for the malformed ones of a hand-made list and for thousands of
random mutations of real lines.
"""

import gzip
import random
import shutil
import subprocess
import sys
import textwrap
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pytest
import time_machine

from yiyun.core.clock import SHANGHAI
from yiyun.websites import archive, combined
from yiyun.websites.services import website_create
from yiyun.websites.tests.factories import archive_in, sites_for
from yiyun.websites.tests.factories import combined as factory_line

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=SHANGHAI)
DAY = datetime(2026, 3, 2, 8, 0, tzinfo=SHANGHAI)
UA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/124.0 Safari/537.36"
GOOD = [
    f'203.0.113.7 - - [19/Nov/2026:08:00:01 +0800] "GET /a?b=c HTTP/1.1" 200 512 "-" "{UA}"',
    '2001:db8::1 - alice [19/Nov/2026:23:59:59 +0800] "POST /login HTTP/2.0" 302 0 '
    '"https://www.kpxyy.cn/" "curl/8.5.0"',
    '2001:DB8:0:0:0:0:0:42 - - [01/Jan/2026:00:00:00 -0500] "GET / HTTP/1.1" 304 - "-" "-"',
    '::ffff:198.51.100.23 - - [29/Feb/2028:12:30:00 +0000] "HEAD /x HTTP/1.0" 499 17 "-" "-"',
    '198.51.100.24 - - [31/Dec/1999:23:59:59 +0530] "GET" 400 150 "-" "-"',
    '198.51.100.25 - - [15/Mar/2026:10:00:00 +0800] "" 400 0 "-" "-"',
    '198.51.100.26 - - [15/Mar/2026:10:00:00 +0800] "GET  /two  spaces HTTP/1.1" 200 1 "-" "-"',
    '198.51.100.27 - - [15/Mar/2026:10:00:00 +0800] "\\x16\\x03\\x01" 400 166 "-" "-"',
    '198.51.100.28 - - [15/Mar/2026:10:00:00 +0800] "GET / HTTP/1.1" 200 18446744073709551615 '
    '"-" "-"',
]
BAD = [
    'GET /broken "HTTP/1.1 truncated',
    "   ",
    '198.51.100.1 - - [15/Mar/2026:10:00:00 +0800] "GET / HTTP/1.1" 200',
    '198.51.100.1 - - [15/Mar/2026:10:00:00 +0800] "GET / HTTP/1.1" abc 1 "-" "-"',
    '198.51.100.1 - - [15/Mar/2026:10:00:00 +0800] "GET / HTTP/1.1" 70000 1 "-" "-"',
    '198.51.100.1 - - [15/Mar/2026:10:00:00 +0800] "GET / HTTP/1.1" 200 12a "-" "-"',
    '198.51.100.1 - - [15/Mar/2026:10:00:00 +0800] "GET / HTTP/1.1" 200 18446744073709551616 '
    '"-" "-"',
    '198.51.100.1 - - [15/Foo/2026:10:00:00 +0800] "GET / HTTP/1.1" 200 1 "-" "-"',
    '198.51.100.1 - - [32/Mar/2026:10:00:00 +0800] "GET / HTTP/1.1" 200 1 "-" "-"',
    '198.51.100.1 - - [29/Feb/2025:10:00:00 +0800] "GET / HTTP/1.1" 200 1 "-" "-"',
    '198.51.100.1 - - [15/Mar/2026:24:00:00 +0800] "GET / HTTP/1.1" 200 1 "-" "-"',
    '999.1.1.1 - - [15/Mar/2026:10:00:00 +0800] "GET / HTTP/1.1" 200 1 "-" "-"',
    'gibberish - - [15/Mar/2026:10:00:00 +0800] "GET / HTTP/1.1" 200 1 "-" "-"',
    ' 198.51.100.1 - - [15/Mar/2026:10:00:00 +0800] "GET / HTTP/1.1" 200 1 "-" "-"',
    '198.51.100.1 - - [15/Mar/2026:10:00:00 +0800] "GET / HTTP/1.1" 200 1 "-" "-" "h" "x"',
    '198.51.100.1 - - [15/Mar/2026:10:00:00 +0800] "GET / HTTP/1.1"  200 1 "-" "-"',
    '198.51.100.1 x - [15/Mar/2026:10:00:00 +0800] "GET / HTTP/1.1" 200 1 "-" "-"',
    '198.51.100.1 - - [15/Mar/2026:10:00:00] "GET / HTTP/1.1" 200 1 "-" "-"',
]
COLUMNS = (
    "ts, ip, ip_hi, ip_lo, host, remote_user, method, path, protocol, status, bytes, referer, "
    "user_agent, extra, parse_error, raw, day"
)


def _hosted(lines: list[str], rnd: random.Random) -> list[str]:
    """The lines with a ` "$host"` (sometimes empty) added to about two in three."""
    out = []
    for line in lines:
        pick = rnd.random()
        out.append(line if pick < 0.3 else f'{line} "{"" if pick < 0.4 else "www.kpxyy.cn"}"')
    return out


def _substitutions(lines: list[str], count: int, rnd: random.Random) -> list[str]:
    """Real lines with a digit or a letter changed: most still parse, into other values."""
    out = []
    for _ in range(count):
        line = list(rnd.choice(lines))
        at = rnd.choice([i for i, c in enumerate(line) if c.isalnum()])
        line[at] = rnd.choice("0123456789" if line[at].isdigit() else "abcfxyzABCFXYZ")
        out.append("".join(line))
    return out


def _mutations(lines: list[str], count: int, rnd: random.Random) -> list[str]:
    """Real lines with one to three characters deleted, replaced or inserted."""
    alphabet = ' "-[]:/.+0123456789aAfF\\'
    out = []
    for _ in range(count):
        line = list(rnd.choice(lines))
        for _ in range(rnd.randint(1, 3)):
            at = rnd.randrange(len(line) + 1)
            action = rnd.random()
            if action < 0.3 and at < len(line):
                del line[at]
            elif action < 0.6 and at < len(line):
                line[at] = rnd.choice(alphabet)
            else:
                line.insert(at, rnd.choice(alphabet))
        out.append("".join(line))
    return out


def _archived(root, website) -> list[tuple]:
    files = f"{root}/archive/{website.pk}/*/*.parquet"
    query = f"SELECT {COLUMNS} FROM read_parquet('{files}') ORDER BY rid"  # noqa: S608
    rows = duckdb.sql(query).fetchall()
    host = COLUMNS.split(", ").index("host")
    # A line without a host gets its website's domain: the two websites' differ.
    return [
        row[:host] + (row[host] != website.domain and row[host],) + row[host + 1 :] for row in rows
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("log_format", ["", "combined"])
def test_clause_2_4_c_parser_and_sql_parser_archive_the_same_columns(
    world, settings, tmp_path, monkeypatch, log_format
):
    root = archive_in(settings, tmp_path)
    parsed_by_c = []
    parse_file = combined.parse_file
    monkeypatch.setattr(
        combined,
        "parse_file",
        lambda path, **kw: parsed_by_c.append(path) or parse_file(path, **kw),
    )
    rnd = random.Random(24)
    lines = _hosted(GOOD, rnd) + _hosted(BAD, rnd) + ["", ""]
    parsable = _hosted(GOOD, rnd) if log_format == "" else GOOD
    lines += _mutations(lines, 3000, rnd) + _substitutions(parsable, 3000, rnd)
    text = "".join(f"{line}\n" for line in lines)
    plain, zipped = tmp_path / "access.log", tmp_path / "access.log.gz"
    plain.write_text(text)
    zipped.write_bytes(gzip.compress(text.encode()))
    by_c, by_sql = (
        website_create(
            organisation=world.customer_a,
            domain=domain,
            name=domain,
            by=world.admin_a,
            log_format=log_format,
        )
        for domain in ("c.kpxyy.cn", "sql.kpxyy.cn")
    )
    with time_machine.travel(NOW, tick=False):
        from_file, _ = archive.import_file(website=by_c, path=plain)
        from_spool, _ = archive.import_file(website=by_sql, path=zipped)
    assert parsed_by_c == [plain]  # the gzipped file went through the spool and DuckDB
    assert from_file.lines == from_spool.lines == len(lines)
    c_rows, sql_rows = _archived(root, by_c), _archived(root, by_sql)
    differences = [
        (line, c, s) for line, c, s in zip(lines, c_rows, sql_rows, strict=True) if c != s
    ]
    assert differences == []
    # Many lines of both kinds, so that agreeing means something.
    errors = sum(1 for row in c_rows if row[COLUMNS.split(", ").index("parse_error")])
    assert errors > 1000 and len(lines) - errors > 1000


def _parse(tmp_path, text: str, *, with_host: bool = True):
    path = tmp_path / "access.log"
    path.write_text(text)
    return combined.parse_file(path, with_host=with_host, received_us=RECEIVED_US).table.to_pylist()


RECEIVED_US = int(NOW.timestamp() * 1_000_000)


def test_clause_2_4_c_parser_values(tmp_path):
    rows = _parse(tmp_path, "\n".join([GOOD[2], GOOD[3], BAD[0], GOOD[1] + ' "h.cn"', ""]))
    assert len(rows) == 4  # the newline at the end ends the last line: no empty line after it
    mapped, v4 = rows[0], rows[1]
    assert (mapped["ip"], mapped["ip_hi"], mapped["ip_lo"]) == (
        "2001:db8::42",
        0x20010DB8 << 32,
        0x42,
    )
    assert mapped["ts"] == datetime(2026, 1, 1, 5, 0, tzinfo=UTC)  # -0500
    assert (mapped["status"], mapped["bytes"], mapped["referer"]) == (304, None, None)
    assert (mapped["day"], mapped["month"]) == (date(2026, 1, 1), date(2026, 1, 1))
    assert (v4["ip"], v4["ip_lo"]) == ("198.51.100.23", 0xFFFF_C633_6417)
    assert (v4["method"], v4["path"], v4["protocol"]) == ("HEAD", "/x", "HTTP/1.0")
    bad = rows[2]
    assert bad["parse_error"] and bad["raw"] == BAD[0] and bad["ip"] is None
    assert bad["ts"] == NOW and bad["day"] == NOW.date()
    hosted = rows[3]
    assert (hosted["host"], hosted["remote_user"], hosted["user_agent"]) == (
        "h.cn",
        "alice",
        "curl/8.5.0",
    )
    assert not hosted["parse_error"] and hosted["raw"] is None
    assert [row["row"] for row in rows] == [0, 1, 2, 3]
    # Plain `combined` has no host: a line with one is not of that format.
    assert [
        row["parse_error"] for row in _parse(tmp_path, GOOD[1] + ' "h.cn"', with_host=False)
    ] == [True]


def test_clause_2_4_c_parser_chunks_join_without_losing_or_repeating_a_line(tmp_path, monkeypatch):
    lines = [line.replace("/a?b=c", f"/page/{n}") for n, line in enumerate(GOOD * 40)] + BAD
    text = "\n".join(lines)  # no newline after the last line
    whole = _parse(tmp_path, text)
    monkeypatch.setattr(combined, "CHUNK_BYTES", 700)
    chunked = _parse(tmp_path, text)
    assert chunked == whole and len(whole) == len(lines)
    assert [row["row"] for row in chunked] == list(range(len(lines)))
    assert [row["raw"] for row in chunked[-len(BAD) :]] == BAD


def test_clause_2_4_c_parser_empty_file_and_empty_lines(tmp_path):
    assert _parse(tmp_path, "") == []
    # An empty line is a line that did not parse: kept, as the spool keeps it.
    assert [(row["parse_error"], row["raw"]) for row in _parse(tmp_path, "\n\n")] == [
        (True, ""),
        (True, ""),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("month_runs", [1, 256])
def test_clause_2_4_months_out_of_order_go_whole_into_their_files(
    world, settings, tmp_path, monkeypatch, month_runs
):
    """Lines of three months interleaved: cut into runs (the usual case), or sorted first."""
    root = archive_in(settings, tmp_path)
    monkeypatch.setattr(archive, "MONTH_RUNS", month_runs)
    website = website_create(
        organisation=world.customer_a, domain="c.kpxyy.cn", name="c", by=world.admin_a
    )
    months = ("Jan", "Feb", "Mar")
    lines = [GOOD[0].replace("19/Nov/2026", f"1{n % 10}/{months[n % 3]}/2026") for n in range(30)]
    path = tmp_path / "access.log"
    path.write_text("\n".join(lines) + "\n")
    with time_machine.travel(NOW, tick=False):
        result, _ = archive.import_file(website=website, path=path)
    assert result.lines == 30 and len(result.files) == 3
    for file in result.files:
        month = file.split("/")[1]
        query = f"SELECT day, rid FROM read_parquet('{root}/archive/{file}')"  # noqa: S608
        rows = duckdb.sql(query).fetchall()
        assert len(rows) == 10 and {f"{day:%Y-%m}" for day, _ in rows} == {month}
    every = f"SELECT rid FROM read_parquet('{root}/archive/*/*/*.parquet')"  # noqa: S608
    rids = duckdb.sql(every).fetchall()
    assert len(set(rids)) == 30


def test_c_parser_memory_under_sanitizers(tmp_path):
    """Random mutations of real lines under AddressSanitizer and UBSan: no read or write
    outside the buffers, no overflow, whatever the bytes."""
    here = Path(__file__).parent
    binary = tmp_path / "mutations"
    subprocess.run(
        [
            "gcc",
            "-g",
            "-O1",
            "-fsanitize=address,undefined",
            "-fno-sanitize-recover=all",
            "-o",
            str(binary),
            str(here / "combined_mutations.c"),
            str(here.parent / "combined.c"),
        ],
        check=True,
    )
    run = subprocess.run([str(binary), "200000"], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.strip() == "200000 inputs"


@pytest.mark.django_db
def test_clause_2_4_a_file_too_large_for_memory_goes_to_duckdb(
    world, settings, tmp_path, monkeypatch
):
    root = archive_in(settings, tmp_path)
    website = website_create(
        organisation=world.customer_a, domain="c.kpxyy.cn", name="c", by=world.admin_a
    )
    path = tmp_path / "access.log"
    path.write_text("\n".join(GOOD + BAD) + "\n")
    monkeypatch.setattr(archive, "COMBINED_MAX_BYTES", path.stat().st_size - 1)
    monkeypatch.setattr(combined, "parse_file", lambda *args, **kwargs: pytest.fail("C parser"))
    result, _ = archive.import_file(website=website, path=path)
    assert (result.lines, result.parse_errors) == (len(GOOD + BAD), len(BAD))
    assert archive.verify() == [] and (root / "archive").exists()


def test_a_file_cut_short_during_the_import_is_read_as_far_as_it_goes(tmp_path):
    """logrotate's copytruncate on a live log: the parser reads the file into memory of its
    own, so a truncation costs the lines cut, never the process (a mapping of the file
    would die of SIGBUS), and the line cut in two is kept as a parse error."""
    path = tmp_path / "access.log"
    text = f"{GOOD[0]}\n" * 200_000
    path.write_text(text)
    script = textwrap.dedent(
        f"""
        import os
        from pathlib import Path
        from yiyun.websites import combined

        path = Path({str(path)!r})
        preadv = os.preadv

        def preadv_cut_short(fd, buffers, offset):
            os.truncate(path, 1000)
            return preadv(fd, buffers, offset)

        combined.os.preadv = preadv_cut_short
        table = combined.parse_file(path, with_host=True, received_us=0).table
        print(table.num_rows, sum(table["parse_error"].to_pylist()))
        """
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    whole_lines = text[:1000].count("\n")
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.split() == [str(whole_lines + 1), "1"]


def test_a_chunk_that_fails_does_not_crash_the_process(tmp_path):
    """One chunk raising (no memory for its columns, Ctrl-C) while the other thread still
    parses: the file's bytes stay mapped until every thread is done, no SIGSEGV."""
    path = tmp_path / "access.log"
    line = f'{GOOD[0]} "www.kpxyy.cn"\n'
    with open(path, "w") as handle:
        for _ in range(10):
            handle.write(line * 100_000)  # ~160 MB: two chunks, each parsed for a while
    script = textwrap.dedent(
        f"""
        import threading, time
        from pathlib import Path
        from yiyun.websites import combined

        real = combined._parse_chunk
        second_started = threading.Event()

        def parse_chunk(base, start, end, with_host, received_us):
            if start == 0:
                # e.g. mmap() of this chunk's columns fails: ENOMEM
                second_started.wait(10)
                time.sleep(0.03)
                raise MemoryError("no memory for the first chunk's columns")
            second_started.set()
            return real(base, start, end, with_host, received_us)

        combined._parse_chunk = parse_chunk
        try:
            combined.parse_file(Path({str(path)!r}), with_host=True, received_us=0)
        except MemoryError as error:
            print("error:", error)
        """
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert run.returncode == 0, f"the process died (return code {run.returncode})"
    assert run.stdout.strip() == "error: no memory for the first chunk's columns"


@pytest.mark.django_db
def test_a_byte_order_mark_is_not_part_of_the_first_line(world, settings, tmp_path, monkeypatch):
    """A UTF-8 BOM at the start: the C parser, DuckDB in place and the spool (.gz) all
    read the first line without it."""
    site = sites_for(world, settings, tmp_path)
    paths = [tmp_path / name for name in ("c.log", "duckdb.log", "spool.log.gz")]
    for net, path in zip(("203.0.113", "198.51.100", "192.0.2"), paths, strict=True):
        text = "\ufeff" + "".join(f"{factory_line(f'{net}.{i}', DAY)}\n" for i in range(3))
        data = text.encode()
        path.write_bytes(gzip.compress(data) if path.suffix == ".gz" else data)
    results = [archive.import_file(website=site.website, path=paths[0])[0]]
    monkeypatch.setattr(archive, "COMBINED_MAX_BYTES", 0)  # DuckDB reads it in place
    results += [archive.import_file(website=site.website, path=p)[0] for p in paths[1:]]
    assert [(r.lines, r.parse_errors) for r in results] == [(3, 0)] * 3


@pytest.mark.django_db
def test_copytruncate_before_the_read_loses_nothing(world, settings, tmp_path, monkeypatch):
    """The segment id is the hash of the bytes parsed, not of a second read: logrotate
    truncating the live log between the two must not make the rotated copy look imported."""
    site = sites_for(world, settings, tmp_path)
    live, rotated = tmp_path / "access.log", tmp_path / "access.log.1"
    live.write_text("".join(f"{factory_line(f'203.0.113.{i}', DAY)}\n" for i in range(200)))
    read = combined._read

    def rotate_then_read(path, pool):
        shutil.copyfile(path, rotated)
        path.write_bytes(b"")  # copytruncate
        return read(path, pool)

    monkeypatch.setattr(combined, "_read", rotate_then_read)
    first, added = archive.import_file(website=site.website, path=live)
    monkeypatch.undo()
    assert added and first.lines == 0
    second, added = archive.import_file(website=site.website, path=rotated)
    assert added and second.lines == 200


@pytest.mark.django_db
def test_a_file_changed_while_duckdb_reads_it_is_spooled(world, settings, tmp_path, monkeypatch):
    """A custom format is read in place by DuckDB while its hash is taken beside: a file
    appended to meanwhile is spooled instead, its id the hash of what the spool read."""
    site = sites_for(world, settings, tmp_path)
    site.website.log_format = '$remote_addr [$time_local] "$request" $status'
    site.website.save()
    path = tmp_path / "access.log"
    line = '203.0.113.7 [02/Mar/2026:08:00:00 +0800] "GET / HTTP/1.1" 200\n'
    path.write_text(line * 3)
    check = archive._plain_and_clean

    def check_then_append(file):
        checked = check(file)
        with open(file, "a") as handle:
            handle.write(line)  # nginx writes on
        return checked

    monkeypatch.setattr(archive, "_plain_and_clean", check_then_append)
    result, added = archive.import_file(website=site.website, path=path)
    monkeypatch.undo()
    assert added and result.lines == 4  # what the spool read, all of it
    again, added = archive.import_file(website=site.website, path=path)
    assert not added and again.lines == 0  # those very bytes are in
