"""Study material bytes -> kind (by content), text by page, and citable chunks.

Nothing here trusts a filename or a client's Content-Type: the kind comes from the
bytes, and the extension must agree with it (kinds.py). Extraction is synchronous and
CPU-bound; library.py runs it on the app's extraction pool (extraction_pool.py) under
a deadline that starts when a worker picks the job up. Every extractor (pdf.py,
docx.py, markup.py, dispatched by pages.py) stops at `ExtractionLimits` (pages,
characters, time) so a hostile file costs bounded memory and time and ends as a clear
ExtractionFailed reason. chunking.py cuts the text into citable passages.
"""
