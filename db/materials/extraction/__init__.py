"""Study material bytes -> kind (by content), text by page, and citable chunks.

Nothing here trusts a filename or a client's Content-Type: the kind comes from the
bytes, and the extension must agree with it (kinds.py). Extraction is synchronous and
CPU-bound; library.py runs it on the app's extraction pool (extraction_pool.py) under
a deadline that starts when a worker picks the job up. Every extractor (pdf.py,
docx.py, markup.py, dispatched by pages.py) stops at `ExtractionLimits` (pages,
characters, time) so a hostile file costs bounded memory and time and ends as a clear
ExtractionFailed reason. chunking.py cuts the text into citable passages.

The names below are the package's public face; its modules are its parts.
"""

from db.materials.extraction.chunking import CHUNK_MAX, CHUNK_TARGET, ChunkSpec, chunk_pages
from db.materials.extraction.kinds import (
    DOCX_MAX_DIRECTORY_BYTES,
    DOCX_MAX_ENTRIES,
    DOCX_MIME,
    PDF_MIME,
    sanitize_filename,
    sniff_content_type,
)
from db.materials.extraction.limits import ExtractionFailed, ExtractionLimits
from db.materials.extraction.markup import decode_text, html_to_text
from db.materials.extraction.pages import PageText, extract_pages

__all__ = [
    "CHUNK_MAX",
    "CHUNK_TARGET",
    "DOCX_MAX_DIRECTORY_BYTES",
    "DOCX_MAX_ENTRIES",
    "DOCX_MIME",
    "PDF_MIME",
    "ChunkSpec",
    "ExtractionFailed",
    "ExtractionLimits",
    "PageText",
    "chunk_pages",
    "decode_text",
    "extract_pages",
    "html_to_text",
    "sanitize_filename",
    "sniff_content_type",
]
