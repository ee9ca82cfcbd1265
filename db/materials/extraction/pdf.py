"""PDF pages' text through pypdf, with its decompression caps and our page limit."""

import io

from db.materials.extraction.limits import Deadline, ExtractionFailed, ExtractionLimits
from db.materials.extraction.markup import normalize_text


def extract_pdf(data: bytes, limits: ExtractionLimits, deadline: Deadline) -> list[str]:
    """Each page's text, in order; raises ExtractionFailed past a limit or on a bad file."""
    import pypdf
    from pypdf.errors import LimitReachedError, PyPdfError

    caps = {
        "zlib_maximum_output_length": limits.max_stream_bytes,
        "lzw_maximum_output_length": limits.max_stream_bytes,
        "run_length_maximum_output_length": limits.max_stream_bytes,
        "maximum_declared_stream_length": limits.max_stream_bytes,
        "array_based_stream_maximum_output_length": limits.max_stream_bytes,
    }
    pages: list[str] = []
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
            for page in reader.pages:
                deadline.check()
                text = normalize_text(page.extract_text() or "")
                total += len(text)
                if total > limits.max_chars:
                    raise ExtractionFailed(f"the text is longer than {limits.max_chars} characters")
                pages.append(text)
    except LimitReachedError as error:
        raise ExtractionFailed(f"the PDF exceeds a safety limit: {error}") from error
    except ExtractionFailed:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError) as error:
        raise ExtractionFailed(f"the PDF cannot be read: {type(error).__name__}") from error
    except RecursionError as error:
        raise ExtractionFailed("the PDF is too deeply nested") from error
    return pages
