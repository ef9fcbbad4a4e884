"""Read a contract file into text: plain text (UTF-8 or GB18030), .docx, or a PDF with a
text layer. A scanned PDF (no text layer) and the old binary .doc are refused with a
message that says what to do instead."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

from django.utils.translation import gettext as _

from yiyun.contracts.importer.choices import SourceFormat
from yiyun.contracts.importer.text import text_clean
from yiyun.core.errors import DomainError

# A contract is a few dozen pages; anything far larger is not one.
MAX_BYTES = 20 * 1024 * 1024
# A PDF page whose text layer has fewer characters than this is probably a scan.
MIN_CHARS_PER_PAGE = 20


@dataclass(frozen=True)
class Document:
    name: str
    format: str
    encoding: str
    text: str


def read_document(*, name: str, content: bytes) -> Document:
    """The text of a contract file, by its content (the name's extension only breaks ties).

    Raises DomainError (code `unreadable`) when the file cannot be read as a contract.
    """
    if len(content) > MAX_BYTES:
        raise DomainError(
            _("文件过大（超过 %(mb)s MB）") % {"mb": MAX_BYTES // (1024 * 1024)},
            code="unreadable",
            field="file",
        )
    suffix = Path(name).suffix.lower()
    if content.startswith(b"%PDF"):
        return Document(name, SourceFormat.PDF, "", _read_pdf(content))
    if content.startswith(b"PK\x03\x04"):
        return Document(name, SourceFormat.DOCX, "", _read_docx(content))
    if content.startswith(b"\xd0\xcf\x11\xe0") or suffix == ".doc":
        raise DomainError(
            _("不支持旧版 Word（.doc）文件：请另存为 .docx 或 PDF 后再导入"),
            code="unreadable",
            field="file",
        )
    text, encoding = _decode(content)
    return Document(name, SourceFormat.TEXT, encoding, text_clean(text))


def _decode(content: bytes) -> tuple[str, str]:
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        return content.decode("utf-16"), "utf-16"
    try:
        return content.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        # GB18030 is a superset of GBK and GB2312: one decoder for all three.
        return content.decode("gb18030"), "gb18030"
    except UnicodeDecodeError:
        raise DomainError(
            _("无法识别文本编码：请使用 UTF-8 或 GB18030（GBK）编码的纯文本"),
            code="unreadable",
            field="file",
        ) from None


def _read_docx(content: bytes) -> str:
    import docx  # python-docx: imported here, only imports need it
    from docx.table import Table

    try:
        document = docx.Document(io.BytesIO(content))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise DomainError(
            _("无法读取 .docx 文件：%(error)s") % {"error": exc}, code="unreadable", field="file"
        ) from None
    lines: list[str] = []
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            lines.extend(_table_lines(block))
        else:
            lines.append(block.text)
    return text_clean("\n".join(lines))


def _table_lines(table) -> list[str]:
    """One line per row, cells separated by tabs (a merged cell counted once)."""
    lines = []
    for row in table.rows:
        cells, seen = [], set()
        for cell in row.cells:
            if id(cell._tc) in seen:
                continue
            seen.add(id(cell._tc))
            cells.append(" ".join(p.text for p in cell.paragraphs).strip())
        lines.append("\t".join(cells))
    return lines


def _read_pdf(content: bytes) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(content))
        if reader.is_encrypted and not reader.decrypt(""):
            raise DomainError(_("PDF 已加密：请提供未加密的文件"), code="unreadable", field="file")
        pages = [page.extract_text() or "" for page in reader.pages]
    except PdfReadError as exc:
        raise DomainError(
            _("无法读取 PDF：%(error)s") % {"error": exc}, code="unreadable", field="file"
        ) from None
    chars = sum(len("".join(page.split())) for page in pages)
    if not pages or chars < MIN_CHARS_PER_PAGE * len(pages):
        raise DomainError(
            _("PDF 没有文字层（可能是扫描件）：请提供带文字层的 PDF、.docx 或纯文本"),
            code="no_text_layer",
            field="file",
        )
    return text_clean("\n".join(pages))
