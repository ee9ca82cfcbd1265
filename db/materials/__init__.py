"""Study material: uploads, extraction into citable chunks, search, the sweeper.

- uploads.py: an upload from request to index (store, announce, extract inline or later)
- library.py: the material rows and their chunks (create, read, page, delete, process)
- extraction/: bytes -> kind, text by page, chunks, within ExtractionLimits
- extraction_pool.py: the app's bounded thread pool the extraction runs on
- upload_backlog.py: the process's budget of upload bytes awaiting extraction
- events.py: a topic's material events on the bus (shape, kinds; channel in db/channels)
- search.py: full-text search over the learner's own chunks, the same on both databases
- sweeper.py: fails uploads a dead process left PROCESSING
"""
