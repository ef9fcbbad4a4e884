"""Contract import (issue 11): what reading, extracting and checking a contract costs,
against references measured in the same run.

  extract     contract_extract(seed text): ~40 rules, spans, clause clocks
              reference: one NFKC pass and one regex scan over the same text
  read .pdf   pypdf text layer of the seed as a 5-page PDF (WeasyPrint + Noto CJK)
              reference: poppler's pdftotext on the same file (a separate process)
  read .docx  python-docx paragraphs and table
              reference: zipfile + the raw word/document.xml
  draft       contract_draft_create + contract_draft_check (the dry-run load + check,
              rolled back) on a throw-away database
              reference: contract_load of the same data (the loader alone)

    python -m bench.contract_import [--runs 20]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres python -m bench.contract_import
"""

import sys
from pathlib import Path

# As a plain script, bench/ would come first on sys.path (bench/calendar.py shadows the
# standard library's calendar): take it off before any import.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import argparse  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import unicodedata  # noqa: E402
import zipfile  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def _setup(tmp: Path):
    os.environ.setdefault("YIYUN_VAR_DIR", str(tmp))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yiyun.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    sys.path.insert(0, str(ROOT / "src"))
    postgres = bool(os.environ.get("DATABASE_URL"))
    if not postgres:
        os.environ["DATABASE_URL"] = f"sqlite:///{tmp / 'bench.sqlite3'}"
    import django

    django.setup()
    from django.db import connections
    from django.test.utils import setup_databases

    test_name = "yy_bench_contract_import" if postgres else str(tmp / "bench-test.sqlite3")
    connections["default"].settings_dict["TEST"]["NAME"] = test_name
    return setup_databases(verbosity=0, interactive=False)


def _median(function, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _line(name: str, value: float, reference: float, unit: str = "ms") -> None:
    print(
        f"{name:<12} {value * 1000:9.2f} {unit}   reference {reference * 1000:9.2f} {unit}"
        f"   ratio {value / reference:8.1f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="yy-bench-import-") as tmp_name:
        tmp = Path(tmp_name)
        old_config = _setup(tmp)
        try:
            _run(tmp, args.runs)
        finally:
            from django.test.utils import teardown_databases

            teardown_databases(old_config, verbosity=0)


def _run(tmp: Path, runs: int) -> None:
    from django.db import transaction

    from yiyun.contracts.importer.draft import contract_data
    from yiyun.contracts.importer.extract import contract_extract
    from yiyun.contracts.importer.readers import read_document
    from yiyun.contracts.importer.services import contract_draft_check, contract_draft_create
    from yiyun.contracts.services import contract_load
    from yiyun.contracts.tests.import_samples import docx_bytes, pdf_bytes, seed_text

    text = seed_text()
    print(f"seed: {len(text)} characters; median of {runs} runs")

    def reference_scan():
        normal = unicodedata.normalize("NFKC", text)
        re.findall(r"\d+(?:\.\d+)?", normal)

    _line("extract", _median(lambda: contract_extract(text), runs), _median(reference_scan, runs))

    pdf = pdf_bytes(text)
    pdf_path = tmp / "seed.pdf"
    pdf_path.write_bytes(pdf)
    pdf_runs = max(3, runs // 4)
    if shutil.which("pdftotext"):
        reference = _median(
            lambda: subprocess.run(
                ["pdftotext", "-enc", "UTF-8", str(pdf_path), "-"], check=True, capture_output=True
            ),
            pdf_runs,
        )
        _line(
            "read .pdf",
            _median(lambda: read_document(name="seed.pdf", content=pdf), pdf_runs),
            reference,
        )
    else:
        print("read .pdf    skipped: pdftotext (poppler-utils) is not installed")

    docx = docx_bytes(text)
    docx_path = tmp / "seed.docx"
    docx_path.write_bytes(docx)

    def raw_docx():
        with zipfile.ZipFile(docx_path) as archive:
            archive.read("word/document.xml")

    _line(
        "read .docx",
        _median(lambda: read_document(name="seed.docx", content=docx), runs),
        _median(raw_docx, runs),
    )

    content = text.encode("utf-8")
    data = contract_data(contract_extract(text).data)

    def draft_and_check():
        with transaction.atomic():
            draft = contract_draft_create(name="seed.txt", content=content, by="bench")
            contract_draft_check(draft=draft, by="bench")
            transaction.set_rollback(True)

    def load_only():
        with transaction.atomic():
            contract_load(data=data, by="bench", source_name="seed.txt")
            transaction.set_rollback(True)

    draft_and_check()  # warm the caches (templates, translations, the calendar)
    load_only()
    _line("draft", _median(draft_and_check, runs), _median(load_only, runs))


if __name__ == "__main__":
    main()
