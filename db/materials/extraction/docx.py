"""A Word document's paragraphs, read from word/document.xml with defusedxml."""

import io
import zipfile

from db.materials.extraction.limits import ExtractionFailed, ExtractionLimits

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def extract_docx(data: bytes, limits: ExtractionLimits) -> str:
    """The paragraphs' text, blank-line separated; raises ExtractionFailed on a bad file."""
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
