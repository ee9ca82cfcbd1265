"""The document's text by page, whatever its kind, within the limits."""

from dataclasses import dataclass

from db.materials.extraction.docx import extract_docx
from db.materials.extraction.kinds import DOCX_MIME, PDF_MIME
from db.materials.extraction.limits import Deadline, ExtractionFailed, ExtractionLimits
from db.materials.extraction.markup import decode_text, html_to_text, normalize_text
from db.materials.extraction.pdf import extract_pdf


@dataclass(frozen=True)
class PageText:
    """Extracted text of one page; `page` is None for unpaged documents."""

    page: int | None
    text: str


def extract_pages(
    data: bytes, content_type: str, limits: ExtractionLimits, *, deadline: float | None = None
) -> list[PageText]:
    """The document's text by page; raises ExtractionFailed past any limit.

    `deadline` (on time.monotonic()) is when time runs out; by default limits.seconds
    from now. A worker pool passes the one it computed when the job started.
    """
    deadline = Deadline(limits.seconds, deadline)
    if content_type == PDF_MIME:
        texts = extract_pdf(data, limits, deadline)
        pages = [PageText(number, text) for number, text in enumerate(texts, start=1)]
    elif content_type == DOCX_MIME:
        pages = [PageText(None, extract_docx(data, limits))]
    elif content_type == "text/html":
        pages = [PageText(None, html_to_text(decode_text(data), deadline))]
    else:
        pages = [PageText(None, normalize_text(decode_text(data)))]
    total = sum(len(page.text) for page in pages)
    if total > limits.max_chars:
        raise ExtractionFailed(f"the text is longer than {limits.max_chars} characters")
    if not any(page.text.strip() for page in pages):
        raise ExtractionFailed("no text could be extracted (a scanned PDF needs OCR first)")
    return pages
