"""Extraction and chunking without a database: limits, memory, offsets."""

import io
import itertools
import time
import tracemalloc
import zipfile

import pytest

from db.errors import UnsupportedMediaType
from db.materials.extraction.chunking import chunk_pages
from db.materials.extraction.kinds import DOCX_MAX_ENTRIES, DOCX_MIME, sniff_content_type
from db.materials.extraction.limits import ExtractionFailed, ExtractionLimits
from db.materials.extraction.markup import decode_text
from db.materials.extraction.pages import extract_pages
from tests.materials.files import flate_bomb, make_docx
from tests.materials.helpers import DATA


def test_a_flate_bomb_is_stopped_with_bounded_memory():
    data = flate_bomb()
    tracemalloc.start()
    try:
        with pytest.raises(ExtractionFailed, match="safety limit"):
            extract_pages(data, "application/pdf", ExtractionLimits())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # 200 MiB inflated would be the unbounded cost; the 20 MB stream cap holds it down.
    assert peak < 80 * 1024 * 1024, peak


def test_processing_time_is_capped():
    data = (DATA / "tutorial-modules.pdf").read_bytes()
    started = time.monotonic()
    with pytest.raises(ExtractionFailed, match="longer than"):
        extract_pages(data, "application/pdf", ExtractionLimits(seconds=0.0))
    assert time.monotonic() - started < 5


def test_extracted_characters_are_capped():
    data = (DATA / "tutorial-classes.md").read_bytes()
    with pytest.raises(ExtractionFailed, match="longer than 1000 characters"):
        extract_pages(data, "text/markdown", ExtractionLimits(max_chars=1000))


def test_pdf_chunks_keep_their_page_and_offsets():
    data = (DATA / "tutorial-modules.pdf").read_bytes()
    pages = extract_pages(data, sniff_content_type(data, "m.pdf"), ExtractionLimits())
    assert [page.page for page in pages] == list(range(1, 11))
    chunks = chunk_pages(pages)
    assert {chunk.page for chunk in chunks} == set(range(1, 11))
    by_page = {page.page: page.text for page in pages}
    for chunk in chunks:
        assert by_page[chunk.page][chunk.start_offset : chunk.end_offset] == chunk.text
        assert 0 < len(chunk.text) <= 1400


def test_markdown_chunks_cover_the_document_in_order():
    text = decode_text((DATA / "tutorial-controlflow.md").read_bytes())
    chunks = chunk_pages(extract_pages(text.encode(), "text/markdown", ExtractionLimits()))
    assert all(chunk.page is None for chunk in chunks)
    assert all(a.end_offset <= b.start_offset for a, b in itertools.pairwise(chunks))
    for chunk in chunks:
        assert text[chunk.start_offset : chunk.end_offset] == chunk.text
    covered = sum(len(chunk.text) for chunk in chunks)
    assert covered > 0.95 * len(text.strip().replace("\n\n", ""))


def test_utf16_with_a_bom_is_text():
    data = "\ufeffIterators and generators".encode("utf-16-le")
    data = b"\xff\xfe" + data[2:]
    assert sniff_content_type(data, "notes.txt") == "text/plain"
    assert decode_text(data) == "Iterators and generators"


HOSTILE_HTML = {
    "tags that never close": "<a" * 120_000,
    "end tags that never close": "</" * 120_000,
    "unterminated comments": "<!--" * 60_000,
    "marked sections": "<![" * 80_000,
    "processing instructions": "<?" * 120_000,
    "scripts that never end": "<script>" * 40_000,
}


@pytest.mark.parametrize("markup", HOSTILE_HTML.values(), ids=HOSTILE_HTML.keys())
def test_hostile_html_is_read_in_linear_time(markup):
    # html.parser took 38 s on the first of these (quadratic), in a thread no deadline
    # can stop; the scanner that replaced it reads each in a single pass.
    page = "<p>Lists keep their order.</p>" + markup
    started = time.monotonic()
    pages = extract_pages(page.encode(), "text/html", ExtractionLimits(seconds=30))
    assert time.monotonic() - started < 5
    assert pages[0].text.startswith("Lists keep their order.")


def test_html_text_keeps_what_a_browser_shows():
    markup = (
        "<!DOCTYPE html><html><head><title>Not shown</title><style>p{}</style></head>"
        "<body><h1>Loops</h1><p>if a < b and b > c <b>then</b>&nbsp;stop</p>"
        "<SCRIPT>alert(1)</script><p>two<br>lines</p><!-- hidden --><p>x &amp; y</p>"
    )
    [page] = extract_pages(markup.encode(), "text/html", ExtractionLimits())
    assert page.text == "Loops\n\nif a < b and b > c then\xa0stop\n\ntwo\nlines\n\nx & y"


def _docx_with_parts(extra_parts: int) -> bytes:
    """A valid DOCX plus `extra_parts` empty zip entries."""
    buffer = io.BytesIO(make_docx("Loops repeat."))
    with zipfile.ZipFile(buffer, "a", zipfile.ZIP_STORED) as archive:
        for n in range(extra_parts):
            archive.writestr(f"customXml/item{n:06d}.xml", b"")
    return buffer.getvalue()


def _declaring_entries(data: bytes, entries: int) -> bytes:
    """The same zip with its end record declaring another entry total."""
    at = data.rfind(b"PK\x05\x06")
    count = entries.to_bytes(2, "little")
    return data[: at + 8] + count + count + data[at + 12 :]


def test_a_docx_with_a_huge_zip_directory_is_refused_before_it_is_read():
    # Sniffing runs on the event loop: a 16 MB zip of 180,000 entries held it for 0.9 s.
    assert sniff_content_type(_docx_with_parts(10), "notes.docx") == DOCX_MIME
    with pytest.raises(UnsupportedMediaType):
        sniff_content_type(_docx_with_parts(DOCX_MAX_ENTRIES), "notes.docx")
    # zipfile walks the directory by its size, whatever count the end record declares.
    lying = _declaring_entries(_docx_with_parts(12_000), 3)
    with pytest.raises(UnsupportedMediaType):
        sniff_content_type(lying, "notes.docx")
