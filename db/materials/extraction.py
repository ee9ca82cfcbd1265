"""Study material bytes -> kind (by content), text by page, and citable chunks.

Nothing here trusts a filename or a client's Content-Type: the kind comes from the
bytes, and the extension must agree with it. Extraction is synchronous and CPU-bound;
library.py runs it on the app's extraction pool (extraction_pool.py) under a
deadline that starts when a worker picks the job up. Every extractor stops at
`ExtractionLimits` (pages, characters, time) so a hostile file costs bounded memory
and time and ends as a clear ExtractionFailed reason.
"""

import codecs
import html
import io
import re
import time
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath

from db.errors import UnsupportedMediaType

FILENAME_MAX = 255
SNIFF_BYTES = 8192

TEXT_EXTENSIONS = {".txt": "text/plain", ".text": "text/plain", "": "text/plain"}
MARKDOWN_EXTENSIONS = {".md": "text/markdown", ".markdown": "text/markdown"}
HTML_EXTENSIONS = {".html": "text/html", ".htm": "text/html"}
PDF_MIME = "application/pdf"
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@dataclass(frozen=True)
class ExtractionLimits:
    """What one document may cost; beyond any of these it FAILS with the reason."""

    max_pages: int = 500
    max_chars: int = 2_000_000
    seconds: float = 60.0
    # Per decompressed PDF stream (pypdf's flate/LZW caps) and per DOCX part.
    max_stream_bytes: int = 20_000_000


class ExtractionFailed(Exception):
    """The file is of an accepted kind but cannot (or may not) be processed."""


@dataclass(frozen=True)
class PageText:
    """Extracted text of one page; `page` is None for unpaged documents."""

    page: int | None
    text: str


@dataclass(frozen=True)
class ChunkSpec:
    """A passage: its page and where it sits in that page's (or the document's) text."""

    page: int | None
    start_offset: int
    end_offset: int
    text: str


# ---------------------------------------------------------------- names and kinds


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


def decode_text(data: bytes) -> str:
    """Text bytes as str: a BOM decides, else UTF-8, else Windows-1252 (never raises)."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="replace")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        # Legacy single-byte files; cp1252 leaves five bytes undefined, hence replace.
        return data.decode("cp1252", errors="replace")


# ---------------------------------------------------------------- extraction


class _Deadline:
    def __init__(self, seconds: float, until: float | None = None) -> None:
        self.seconds = seconds
        self.until = time.monotonic() + seconds if until is None else until

    def check(self) -> None:
        if time.monotonic() > self.until:
            raise ExtractionFailed(f"processing took longer than {self.seconds:g} seconds")


def extract_pages(
    data: bytes, content_type: str, limits: ExtractionLimits, *, deadline: float | None = None
) -> list[PageText]:
    """The document's text by page; raises ExtractionFailed past any limit.

    `deadline` (on time.monotonic()) is when time runs out; by default limits.seconds
    from now. A worker pool passes the one it computed when the job started.
    """
    deadline = _Deadline(limits.seconds, deadline)
    if content_type == PDF_MIME:
        pages = _extract_pdf(data, limits, deadline)
    elif content_type == DOCX_MIME:
        pages = [PageText(None, _extract_docx(data, limits))]
    elif content_type == "text/html":
        pages = [PageText(None, html_to_text(decode_text(data), deadline))]
    else:
        pages = [PageText(None, _normalize_text(decode_text(data)))]
    total = sum(len(page.text) for page in pages)
    if total > limits.max_chars:
        raise ExtractionFailed(f"the text is longer than {limits.max_chars} characters")
    if not any(page.text.strip() for page in pages):
        raise ExtractionFailed("no text could be extracted (a scanned PDF needs OCR first)")
    return pages


def _normalize_text(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    return text


def _extract_pdf(data: bytes, limits: ExtractionLimits, deadline: _Deadline) -> list[PageText]:
    import pypdf
    from pypdf.errors import LimitReachedError, PyPdfError

    caps = {
        "zlib_maximum_output_length": limits.max_stream_bytes,
        "lzw_maximum_output_length": limits.max_stream_bytes,
        "run_length_maximum_output_length": limits.max_stream_bytes,
        "maximum_declared_stream_length": limits.max_stream_bytes,
        "array_based_stream_maximum_output_length": limits.max_stream_bytes,
    }
    pages: list[PageText] = []
    total = 0
    try:
        with pypdf.apply_configuration(**caps):
            reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted:
                raise ExtractionFailed("the PDF is encrypted")
            count = len(reader.pages)
            if count > limits.max_pages:
                raise ExtractionFailed(
                    f"the PDF has {count} pages; the limit is {limits.max_pages}"
                )
            for number, page in enumerate(reader.pages, start=1):
                deadline.check()
                text = _normalize_text(page.extract_text() or "")
                total += len(text)
                if total > limits.max_chars:
                    raise ExtractionFailed(f"the text is longer than {limits.max_chars} characters")
                pages.append(PageText(number, text))
    except LimitReachedError as error:
        raise ExtractionFailed(f"the PDF exceeds a safety limit: {error}") from error
    except ExtractionFailed:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError) as error:
        raise ExtractionFailed(f"the PDF cannot be read: {type(error).__name__}") from error
    except RecursionError as error:
        raise ExtractionFailed("the PDF is too deeply nested") from error
    return pages


_BLOCK_TAGS = {
    "p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "table",
    "section", "article", "header", "footer", "pre", "blockquote", "dt", "dd", "hr",
}  # fmt: skip
_SKIP_TAGS = {"script", "style", "head", "template", "noscript", "svg", "iframe", "object"}


_TAG_NAME = re.compile(r"/?([A-Za-z][A-Za-z0-9-]*)")


def _visible_parts(markup: str, deadline: "_Deadline | None") -> Iterator[str]:
    """The text between tags, with paragraph breaks for block tags, in one forward pass.

    Not html.parser: it is quadratic on hostile markup ("<a<a<a..." of 240 KB took
    minutes inside a worker thread nobody can stop). Every search here starts where
    the last one ended, so the time is linear in the input whatever it holds; an
    unterminated comment or tag simply ends the text.
    """
    lowered = markup.lower()  # to find </script> and friends case-insensitively
    position, length, steps = 0, len(markup), 0
    while position < length:
        steps += 1
        if deadline is not None and steps % 4096 == 0:
            deadline.check()
        opening = markup.find("<", position)
        if opening < 0:
            yield markup[position:]
            return
        yield markup[position:opening]
        following = markup[opening + 1 : opening + 2]
        if not (following.isalpha() or following in ("/", "!", "?")):
            yield "<"  # "a < b": a browser shows it as text, and so do we
            position = opening + 1
            continue
        if markup.startswith("<!--", opening):
            closing = markup.find("-->", opening + 4)
            if closing < 0:
                return
            position = closing + 3
            continue
        closing = markup.find(">", opening + 1)
        if closing < 0:
            return
        position = closing + 1
        name_match = _TAG_NAME.match(markup, opening + 1, closing)
        if name_match is None:  # <!DOCTYPE>, <?xml?>, a stray "<": no text of its own
            continue
        name, is_end = name_match.group(1).lower(), markup[opening + 1] == "/"
        if name in _SKIP_TAGS and not is_end and not markup[opening:closing].endswith("/"):
            # Everything up to the matching end tag is invisible (scripts, styles...).
            end = lowered.find(f"</{name}", position)
            if end < 0:
                return
            after = markup.find(">", end)
            position = length if after < 0 else after + 1
        elif name == "br":
            yield "\n"
        elif name in _BLOCK_TAGS:
            yield "\n\n"


def html_to_text(markup: str, deadline: "_Deadline | None" = None) -> str:
    """Visible text of an HTML document: no tags, scripts or styles; blocks as paragraphs."""
    parts = list(_visible_parts(markup, deadline))
    text = html.unescape("".join(parts))
    text = re.sub(r"[ \t\r\f\v]+", " ", text)
    text = re.sub(r" *\n *", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _extract_docx(data: bytes, limits: ExtractionLimits) -> str:
    from defusedxml import ElementTree
    from defusedxml.common import DefusedXmlException

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            info = archive.getinfo("word/document.xml")
            # The declared size can lie: read one byte past the cap to find out.
            if info.file_size > limits.max_stream_bytes:
                raise ExtractionFailed("the document is too large once uncompressed")
            with archive.open(info) as handle:
                xml = handle.read(limits.max_stream_bytes + 1)
            if len(xml) > limits.max_stream_bytes:
                raise ExtractionFailed("the document is too large once uncompressed")
        root = ElementTree.fromstring(xml)
    except (zipfile.BadZipFile, KeyError, OSError) as error:
        raise ExtractionFailed("the DOCX file is damaged") from error
    except (DefusedXmlException, ElementTree.ParseError) as error:
        raise ExtractionFailed(f"the DOCX XML is refused: {type(error).__name__}") from error
    paragraphs = []
    for paragraph in root.iter(f"{_W}p"):
        paragraphs.append(
            "".join(
                node.text or ("\t" if node.tag == f"{_W}tab" else "")
                for node in paragraph.iter()
                if node.tag in (f"{_W}t", f"{_W}tab")
            )
        )
    return "\n\n".join(paragraphs).strip()


# ---------------------------------------------------------------- chunking

CHUNK_TARGET = 900
CHUNK_MAX = 1400


def chunk_pages(pages: list[PageText], *, target: int = CHUNK_TARGET) -> list[ChunkSpec]:
    """Passages of about `target` characters, cut at paragraph (else sentence) breaks.

    Offsets index into the page's text (the document's for unpaged files), so a
    citation can point at page 3, characters 120-980.
    """
    chunks: list[ChunkSpec] = []
    for page in pages:
        for start, end in _split(page.text, target):
            body = page.text[start:end]
            stripped = body.strip()
            if not stripped:
                continue
            lead = len(body) - len(body.lstrip())
            start += lead
            end = start + len(stripped)
            chunks.append(ChunkSpec(page.page, start, end, stripped))
    return chunks


_PARAGRAPH = re.compile(r"\n\s*\n")
_SENTENCE = re.compile(r"(?<=[.!?:])\s+")


def _split(text: str, target: int) -> list[tuple[int, int]]:
    """(start, end) spans covering the text, each at most CHUNK_MAX characters."""
    spans: list[tuple[int, int]] = []
    breaks = [match.end() for match in _PARAGRAPH.finditer(text)] + [len(text)]
    start = 0
    cut = 0
    for point in breaks:
        if point - start >= target:
            end = point if point - start <= CHUNK_MAX or cut <= start else cut
            spans.extend(_hard_split(text, start, end))
            start = end
        cut = point
    if start < len(text):
        spans.extend(_hard_split(text, start, len(text)))
    return spans


def _hard_split(text: str, start: int, end: int) -> list[tuple[int, int]]:
    spans = []
    while end - start > CHUNK_MAX:
        window = text[start : start + CHUNK_MAX]
        sentence_ends = [m.end() for m in _SENTENCE.finditer(window) if m.end() > CHUNK_TARGET // 2]
        if sentence_ends:
            cut = start + sentence_ends[-1]
        else:
            space = window.rfind(" ", CHUNK_TARGET // 2)
            cut = start + (space + 1 if space > 0 else CHUNK_MAX)
        spans.append((start, cut))
        start = cut
    spans.append((start, end))
    return spans
