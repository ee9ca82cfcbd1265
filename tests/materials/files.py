"""Hand-made documents for upload tests: a small DOCX, a PDF that inflates enormously."""

import io
import zipfile
import zlib

from pypdf import PdfWriter
from pypdf.generic import DictionaryObject, NameObject, StreamObject


def make_docx(text: str) -> bytes:
    """The smallest DOCX holding one paragraph of `text`."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"></Types>',
        )
        archive.writestr(
            "word/document.xml",
            '<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/'
            f'wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>{text}</w:t></w:r></w:p>'
            "</w:body></w:document>",
        )
    return buffer.getvalue()


def pdf_bytes(writer: PdfWriter) -> bytes:
    """The PDF a writer holds, as bytes."""
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def flate_bomb(decompressed_bytes: int = 200 * 1024 * 1024) -> bytes:
    """A one-page PDF whose content stream inflates from ~200 KiB to 200 MiB."""
    writer = PdfWriter()
    page = writer.add_blank_page(width=200, height=200)
    compressor = zlib.compressobj(9)
    block = b"(A) Tj " * (1024 * 1024 // 7)
    parts = [compressor.compress(block) for _ in range(decompressed_bytes // len(block))]
    parts.append(compressor.flush())
    stream = StreamObject()
    stream._data = b"".join(parts)
    stream[NameObject("/Filter")] = NameObject("/FlateDecode")
    page[NameObject("/Contents")] = writer._add_object(stream)
    # With a font, pypdf really decodes the stream to look for text.
    font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
        }
    )
    page[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/Font"): DictionaryObject({NameObject("/F1"): font})}
    )
    return pdf_bytes(writer)
