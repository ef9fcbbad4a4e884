"""`yiyun contract import FILE [--json]`: read a contract file and print its draft.

Without --json: each field with its confidence, flag and the source words it came from,
the clause clocks against the template, and the contract check run as a dry run (nothing
is registered). With --json: the import document — exactly what `yiyun contract load`
reads, plus the `import` key with spans and confidence (see importer/draft.py);
`--data-only` leaves `import` out.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import CommandError

from yiyun.contracts.importer.draft import IMPORT_KEY, contract_data, document_json
from yiyun.contracts.importer.selectors import contract_check_dry_run
from yiyun.contracts.importer.services import contract_import_document
from yiyun.core.errors import DomainError


def add_import_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "import",
        help="read a contract's text (.txt UTF-8/GB18030, .docx, PDF with a text layer) "
        "into a draft for review; nothing is registered",
    )
    parser.add_argument("file")
    parser.add_argument(
        "--json",
        action="store_true",
        help="print the draft in the format `contract load` reads, with spans and "
        "confidence under the key `import`",
    )
    parser.add_argument(
        "--data-only",
        action="store_true",
        help="with --json: leave out the `import` key (only what `contract load` reads)",
    )


def handle_import(command, options) -> None:
    path = Path(options["file"])
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise CommandError(f"{path}: {exc.strerror}") from None
    try:
        document = contract_import_document(name=path.name, content=content)
    except DomainError as exc:
        raise CommandError(f"{path}: {exc.message}") from None
    if options.get("json"):
        if options.get("data_only"):
            document = contract_data(document)
        command.stdout.write(document_json(document))
        return
    _report(command, path, document)


def _value(value) -> str:
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return "—" if value is None else str(value)


def _report(command, path: Path, document: dict) -> None:
    from yiyun.contracts.importer.review import value_at

    meta = document[IMPORT_KEY]
    data = contract_data(document)
    write = command.stdout.write
    source = meta["source"]
    write(f"{path}: {source['format']} {source['encoding']} {source['chars']} chars")
    write("")
    write("fields (path = value  [confidence] flag: note  «source»):")
    for field_path, field in meta["fields"].items():
        value = value_at(data, field_path)
        flag = f" {field['flag']}" if field.get("flag") else ""
        note = f": {field['message']}" if field.get("message") else ""
        words = f"  «{field['text']}»" if field.get("text") else ""
        write(f"  {field_path} = {_value(value)}  [{field['confidence']:.2f}]{flag}{note}{words}")
    write("")
    write("clauses (as written / usual):")
    for key, clause in meta["clauses"].items():
        usual = clause["usual"]
        flag = f" {clause['flag']}" if clause.get("flag") else ""
        words = f"  «{clause['text']}»" if clause.get("text") else ""
        write(
            f"  {key}: {_value(clause['n'])} {clause['clock']} / "
            f"{_value(usual['n'])} {usual['clock']}{flag}{words}"
        )
    write("")
    write(f"{len(meta['flags'])} flag(s) for the reviewer")
    for flag in meta["flags"]:
        write(f"  [{flag['flag']}] {flag['path']} {flag['message']}")
    write("")
    write("contract check (dry run, nothing registered):")
    result = contract_check_dry_run(data, by="cli", source_name=path.name)
    for error in result["errors"]:
        write(f"  [format] {error['path']}: {error['message']}")
    if result["conflict"]:
        write(f"  [conflict] {result['conflict']}")
    for finding in result["findings"]:
        write(f"  [{finding['severity']}] {finding['clause']}: {finding['title']}")
        write(f"      {finding['explanation']}")
    write(f"{len(result['findings'])} finding(s)")
