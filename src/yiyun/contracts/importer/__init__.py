"""Import a contract from its text (issue 11): read the file, extract the structured
contract with the span and confidence of every value, and keep it as a draft that a
person reviews, corrects and approves before the loader registers it.

- `readers.read_document(name=…, content=…)` → the text of a .txt (UTF-8 / GB18030),
  .docx or text-layer PDF;
- `extract.contract_extract(text)` → an `Extraction` (loader data + spans/confidence);
- `draft.draft_document(extraction, source=…)` → what `yiyun contract import --json`
  prints: the loader's format plus one top-level key, `import`, with the review data;
- `services` / `selectors`: the ContractDraft lifecycle (upload, correct, check, approve).

Kept light on import: models.py imports `yiyun.contracts.importer.choices`.
"""
