"""Names and kinds: a display-safe file name, and the MIME type the bytes really are.

The kind comes from the content; the extension only has to agree with it.
"""

import codecs
import io
import re
import unicodedata
import zipfile
from pathlib import PurePosixPath

from db.errors import UnsupportedMediaType

FILENAME_MAX = 255
SNIFF_BYTES = 8192

TEXT_EXTENSIONS = {".txt": "text/plain", ".text": "text/plain", "": "text/plain"}
MARKDOWN_EXTENSIONS = {".md": "text/markdown", ".markdown": "text/markdown"}
HTML_EXTENSIONS = {".html": "text/html", ".htm": "text/html"}
PDF_MIME = "application/pdf"
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def sanitize_filename(name: str | None) -> str:
    """A display-safe file name: no path, no control characters, at most 255 chars."""
    raw = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    raw = unicodedata.normalize("NFC", raw)
    cleaned = "".join(
        ch for ch in raw if unicodedata.category(ch)[0] != "C" and ch not in '<>:"|?*'
    )
    cleaned = cleaned.strip().strip(".").strip() or "upload"
    if len(cleaned) > FILENAME_MAX:
        suffix = PurePosixPath(cleaned).suffix
        suffix = suffix if len(suffix) <= 16 else ""
        cleaned = cleaned[: FILENAME_MAX - len(suffix)] + suffix
    return cleaned


def _extension(filename: str) -> str:
    return PurePosixPath(filename).suffix.lower()


def sniff_content_type(data: bytes, filename: str) -> str:
    """The MIME type the bytes are, if we accept them and the extension agrees.

    Raises UnsupportedMediaType otherwise (binary data, unknown formats, a PDF named
    .txt, text named .pdf, ...).
    """
    extension = _extension(filename)
    head = data[:1024]
    if b"%PDF-" in head:
        kind = PDF_MIME
    elif data.startswith(b"PK\x03\x04"):
        kind = DOCX_MIME if _is_docx(data) else None
    elif _looks_textual(data):
        if extension in HTML_EXTENSIONS or (extension == "" and _looks_like_html(data)):
            kind = "text/html"
        elif extension in MARKDOWN_EXTENSIONS:
            kind = "text/markdown"
        else:
            kind = "text/plain"
    else:
        kind = None
    if kind is None:
        raise UnsupportedMediaType(
            "unsupported file type: upload plain text, Markdown, HTML, PDF or DOCX"
        )
    allowed = {
        PDF_MIME: {".pdf"},
        DOCX_MIME: {".docx"},
        "text/html": set(HTML_EXTENSIONS) | {""},
        "text/markdown": set(MARKDOWN_EXTENSIONS),
        "text/plain": set(TEXT_EXTENSIONS),
    }[kind]
    if extension not in allowed:
        raise UnsupportedMediaType(
            f"the file's content ({kind}) does not match its extension {extension or '(none)'!r}"
        )
    return kind


# A Word document has tens of parts, a large one a few hundred. Sniffing runs on the
# event loop, and reading a zip's directory costs about 5 µs per entry: a crafted
# 16 MB zip of 180,000 empty entries held the loop for 0.9 s before these bounds.
# zipfile walks the directory by its declared size, not its declared count, so both
# are bounded (512 KiB is some 5,000 entries with long part names).
DOCX_MAX_ENTRIES = 5000
DOCX_MAX_DIRECTORY_BYTES = 512 * 1024
# The end-of-central-directory record: signature; entry total at offset 10 (2 bytes);
# directory size at offset 12 (4 bytes).
_EOCD = b"PK\x05\x06"
_EOCD_SIZE = 22
_ZIP_COMMENT_MAX = 0xFFFF


def _zip_directory(data: bytes) -> tuple[int, int] | None:
    """(entries, directory bytes) a zip's end record declares; None without one.

    Read from the last 64 KiB + 22 bytes, where the record must be. A ZIP64 archive
    declares 0xFFFF entries here, which is over the bound.
    """
    tail_start = max(0, len(data) - _EOCD_SIZE - _ZIP_COMMENT_MAX)
    at = data.rfind(_EOCD, tail_start)
    if at < 0 or at + _EOCD_SIZE > len(data):
        return None
    entries = int.from_bytes(data[at + 10 : at + 12], "little")
    directory_bytes = int.from_bytes(data[at + 12 : at + 16], "little")
    return entries, directory_bytes


def _is_docx(data: bytes) -> bool:
    directory = _zip_directory(data)
    if directory is None:
        return False
    entries, directory_bytes = directory
    if entries > DOCX_MAX_ENTRIES or directory_bytes > DOCX_MAX_DIRECTORY_BYTES:
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, ValueError, OSError):
        return False
    return "[Content_Types].xml" in names and "word/document.xml" in names


_BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f\x7f]")


def _looks_textual(data: bytes) -> bool:
    if data.startswith(_BOMS):
        return True
    sample = data[:SNIFF_BYTES]
    if not sample.strip():
        return False
    if b"\x00" in sample:
        return False
    # Real text has almost no C0 control characters; images, archives and executables do.
    return len(_CONTROL.findall(sample)) <= len(sample) // 100


def _looks_like_html(data: bytes) -> bool:
    start = data[:1024].lstrip().lower()
    return start.startswith((b"<!doctype html", b"<html")) or b"<body" in start
