"""`yiyun deadline` and `yiyun calendar`: output formats and errors."""

import json
import os
import subprocess
import sys
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from yiyun.core.models import AuditEntry, CalendarYear
from yiyun.core.tests.calendar_fixtures import SOURCE_2027, schedule_2027


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


# -- yiyun deadline ----------------------------------------------------------------------


def test_clause_2_3_deadline_prints_the_due_time(db):
    output = run(
        "deadline", "--from", "2026-09-18T16:00:00+08:00", "--clock", "workdays", "--n", "2"
    )
    assert output == "2026-09-22T00:00:00+08:00\n"


def test_deadline_marks_unconfirmed_results(db):
    output = run("deadline", "--from", "2026-12-30T10:00", "--clock", "workdays", "--n", "3")
    assert output == "2027-01-05T00:00:00+08:00 unconfirmed\n"


def test_clause_11_1_deadline_before(db):
    output = run("deadline", "--from", "2026-12-31", "--clock", "months", "--n", "1", "--before")
    assert output == "2026-12-01T00:00:00+08:00\n"


def test_clause_2_2_deadline_hours_from_utc(db):
    output = run("deadline", "--from", "2026-09-18T14:30Z", "--clock", "hours", "--n", "24")
    assert output == "2026-09-19T22:30:00+08:00\n"


def test_clause_2_3_deadline_at_business_close(db):
    output = run(
        "deadline",
        "--from",
        "2026-09-18T16:00",
        "--clock",
        "workdays",
        "--n",
        "2",
        "--close-time",
        "18:00",
    )
    assert output == "2026-09-21T18:00:00+08:00\n"


def test_deadline_explains(db):
    output = run(
        "deadline", "--from", "2026-09-24T10:00", "--clock", "days", "--n", "10", "--explain"
    )
    due, explanation = output.splitlines()
    assert due == "2026-10-09T00:00:00+08:00"
    assert "2026-10-04" in explanation and "2026-10-08" in explanation


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "next friday", "--clock", "days", "--n", "1"], "不是 ISO 8601"),
        (["--from", "2026-09-18", "--clock", "days", "--n", "0"], "正整数"),
        (["--from", "2026-09-18", "--clock", "days", "--n", "1", "--close-time", "x"], "HH:MM"),
    ],
)
def test_deadline_bad_input_is_an_error(db, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("deadline", *args)


def test_deadline_bad_input_exits_non_zero(tmp_path):
    # Through the real console script: the message on stderr, a non-zero status.
    env = {**os.environ, "YIYUN_VAR_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    yiyun = os.path.join(os.path.dirname(sys.executable), "yiyun")
    done = subprocess.run(
        [yiyun, "deadline", "--from", "yesterday", "--clock", "days", "--n", "1"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode != 0
    assert done.stdout == ""
    assert "yesterday" in done.stderr


# -- yiyun calendar ----------------------------------------------------------------------


def test_calendar_show_prints_holidays_makeup_days_and_source(db):
    output = run("calendar", "show", "2026")
    assert "2026 年节假日安排" in output
    assert "chinese-calendar 1.11.0" in output
    assert "官方安排：是" in output
    assert "国庆节：2026-10-01..2026-10-07（7 天）" in output
    assert "春节：2026-02-15..2026-02-23（9 天）" in output
    assert "2026-09-20 星期日 国庆节" in output
    assert "2026-10-10 星期六 国庆节" in output


def test_calendar_show_a_year_without_schedule_is_an_error(db):
    with pytest.raises(CommandError, match="2027 年没有节假日安排"):
        call_command("calendar", "show", "2027")


def test_calendar_import_then_correct(db, tmp_path):
    path = tmp_path / "2027.json"
    path.write_text(json.dumps(schedule_2027(official=False), ensure_ascii=False), "utf-8")
    assert run("calendar", "import", str(path)) == (
        "已导入 2027 年节假日安排：放假 11 天，调休上班 2 天\n"
    )
    assert "官方安排：否（待确认）" in run("calendar", "show", "2027")

    path.write_text(json.dumps(schedule_2027(), ensure_ascii=False), "utf-8")
    assert run("calendar", "import", str(path)).startswith("已更正 2027 年节假日安排")
    shown = run("calendar", "show", "2027")
    assert f"来源：{SOURCE_2027}" in shown
    assert "官方安排：是" in shown
    assert "元旦：2027-01-01..2027-01-03（3 天）" in shown
    assert "2027-02-20 星期六 春节" in shown
    assert [entry.action for entry in AuditEntry.objects.all()] == [
        "calendar.year_imported",
        "calendar.year_corrected",
    ]
    assert AuditEntry.objects.first().actor.startswith("cli")
    assert "2027  官方" in run("calendar", "list")


def test_calendar_import_lists_every_problem(db, tmp_path):
    document = schedule_2027(makeup_workdays=["2027-02-15", "2027-01-02"])
    path = tmp_path / "2027.json"
    path.write_text(json.dumps(document), "utf-8")
    with pytest.raises(CommandError) as caught:
        call_command("calendar", "import", str(path))
    message = str(caught.value)
    assert "2027-02-15 是星期一，不是周末" in message
    assert "2027-01-02 既是放假日又是调休上班日" in message
    assert not CalendarYear.objects.filter(year=2027).exists()


def test_calendar_import_refuses_what_is_not_json(db, tmp_path):
    path = tmp_path / "2027.json"
    path.write_text("{year: 2027", "utf-8")
    with pytest.raises(CommandError, match="不是有效的 JSON"):
        call_command("calendar", "import", str(path))
    with pytest.raises(CommandError, match="无法读取"):
        call_command("calendar", "import", str(tmp_path / "missing.json"))
