"""Integrity (2.4): `yiyun logs verify` finds a changed, missing or extra file."""

from datetime import datetime

import pytest
from django.core.management import call_command

from yiyun.core.clock import SHANGHAI
from yiyun.websites import archive
from yiyun.websites.models import ArchiveFile, ManifestEntry
from yiyun.websites.spool import SpoolWriter
from yiyun.websites.tests.factories import combined, sites_for

DAY = datetime(2026, 3, 2, 8, 0, tzinfo=SHANGHAI)


@pytest.fixture
def site(world, settings, tmp_path):
    return sites_for(world, settings, tmp_path)


def _archived(site):
    writer = SpoolWriter(site.root)
    writer.append(site.website.pk, [combined(f"203.0.113.{i}", DAY) for i in range(50)])
    writer.close()
    archive.compact(idle_seconds=None)
    return ArchiveFile.objects.get(website=site.website)


def _verify(capsys):
    with pytest.raises(SystemExit) as failed:
        call_command("logs", "verify")
    assert failed.value.code == 1
    return capsys.readouterr().out


@pytest.mark.django_db
def test_clause_2_4_verify_fails_after_one_byte_of_a_parquet_file_changes(site, capsys):
    stored = _archived(site)
    call_command("logs", "verify")
    assert capsys.readouterr().out.strip() == "ok"
    path = site.root / "archive" / stored.path
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    out = _verify(capsys)
    assert stored.path in out and "changed" in out


@pytest.mark.django_db
def test_verify_names_a_missing_and_an_extra_file(site, capsys):
    stored = _archived(site)
    path = site.root / "archive" / stored.path
    extra = path.with_name("planted.parquet")
    extra.write_bytes(path.read_bytes())
    path.unlink()
    out = _verify(capsys)
    assert f"{stored.path}: missing" in out
    assert "planted.parquet: extra file" in out


@pytest.mark.django_db
def test_verify_detects_a_changed_manifest_entry(site, capsys):
    stored = _archived(site)
    ManifestEntry.objects.filter(path=stored.path).update(rows=49)
    out = _verify(capsys)
    assert "was changed" in out
