"""The import document: the loader's format plus one top-level key, `import`.

    {
      "number": "11N4580043372024116202", …every field `yiyun contract load` reads…,
      "import": {
        "version": 1,
        "source": {"name", "format", "encoding", "sha256", "chars"},
        "fields":  {"<path>": {"span": [start, end], "text", "confidence", "flag"?, "note"?,
                               "params"?, "message"?}},
        "clauses": {"<registry key>": {"clause", "clock", "n", "before",
                                       "usual": {"clock", "n"}, "span", …as fields…}},
        "flags":   [{"path", "flag", "message"}]
      }
    }

Paths are the loader's ("line_items[0].subtotal"); spans are [start, end) offsets into
the text read from the file (Python string offsets, i.e. Unicode code points). Clause
clocks are not part of the loader's format: they stay in `import.clauses`.

`contract_data(document)` is what the loader must read: the document without `import`.
"""

from __future__ import annotations

import hashlib
import json

from yiyun.contracts.importer.extract import Extraction
from yiyun.contracts.importer.messages import note_message
from yiyun.contracts.importer.readers import Document

IMPORT_KEY = "import"
VERSION = 1


def draft_document(extraction: Extraction, *, document: Document, sha256: str = "") -> dict:
    """The import document for an extraction (see the module docstring)."""
    source = extraction.source
    fields = {}
    for path, meta in extraction.fields.items():
        entry = meta.as_dict(source)
        if meta.note:
            entry["message"] = note_message(meta.note, meta.params)
        fields[path] = entry
    clauses = {}
    for key, clause in extraction.clauses.items():
        entry = clause.as_dict(source)
        if clause.meta.note:
            entry["message"] = note_message(clause.meta.note, clause.meta.params)
        clauses[key] = entry
    flags = [
        {
            "path": path,
            "flag": meta.flag,
            "message": note_message(meta.note, meta.params) if meta.note else "",
        }
        for path, meta in extraction.flags()
    ]
    return {
        **extraction.data,
        IMPORT_KEY: {
            "version": VERSION,
            "source": {
                "name": document.name,
                "format": str(document.format),
                "encoding": document.encoding,
                "sha256": sha256,
                "chars": len(source.text),
            },
            "fields": fields,
            "clauses": clauses,
            "flags": flags,
        },
    }


def contract_data(document: dict) -> dict:
    """The loader's part of an import document (everything but `import`)."""
    return {key: value for key, value in document.items() if key != IMPORT_KEY}


def data_digest(data: dict) -> str:
    """A digest of contract data as JSON, to know whether it changed since the check."""
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def document_json(document: dict) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2)
